// The words an answer keeps in shared memory: per CPU (the series' v6 count, Lance Yang's per-CPU
// mm pointer) and per mm (the series' mm-wide count). Only one answer runs at a time, so each
// answer lays its own words out from the start of one area, in its own file (answerWords()),
// and the areas are zeroed between runs: no answer sees another's words, and no list of them is
// kept by hand. Each CPU's area, and each mm's, is one cache line of its own.
//
// An answer's words describe walks in flight: once every walker has stopped, each must read 0
// again (a word that does not is the count's drift: lost updates).

import { INT32_WORDS_PER_LINE, paddedRecord } from './layout.ts';
import { Mm } from './cpu-block.ts';

/** Words of answer state per CPU, and per mm: a cache line each. */
export const ANSWER_WORDS_PER_CPU = INT32_WORDS_PER_LINE;
export const ANSWER_WORDS_PER_MM = INT32_WORDS_PER_LINE;
/** The mms whose words exist: this one (Mm.THIS), and another process's on the same CPUs (Mm.OTHER). */
export const ANSWER_MMS = 2;

/** An answer's words, by name: their offsets within a CPU's area and within an mm's. */
export interface AnswerWords<CpuName extends string = string, MmName extends string = string> {
  readonly perCpu: { readonly [K in CpuName]: number };
  readonly perMm: { readonly [K in MmName]: number };
}

/** Lay out an answer's words; throws if they do not fit in a line. */
export function answerWords<const Cpu extends readonly string[] = readonly [], const PerMm extends readonly string[] = readonly []>(words: {
  readonly perCpu?: Cpu;
  readonly perMm?: PerMm;
}): AnswerWords<Cpu[number], PerMm[number]> {
  return { perCpu: offsets(words.perCpu, ANSWER_WORDS_PER_CPU), perMm: offsets(words.perMm, ANSWER_WORDS_PER_MM) };
}

function offsets<const Names extends readonly string[]>(names: Names | undefined, fit: number): { readonly [K in Names[number]]: number } {
  if (names === undefined) return paddedRecord<Names>([] as readonly string[] as Names, 1).offset;
  if (names.length > fit) throw new RangeError(`an answer's words must fit in a line: ${names.join(', ')}`);
  return paddedRecord(names, 1).offset;
}

/** No words at all. */
export const NO_WORDS: AnswerWords<never, never> = answerWords({});

/** Where word `offset` of CPU `cpu`'s area is, in the per-CPU answer array. */
export const answerCpuSlot = (cpu: number, offset: number): number => cpu * ANSWER_WORDS_PER_CPU + offset;

/** Where word `offset` of mm `mm`'s area is, in the per-mm answer array. */
export const answerMmSlot = (mm: Mm, offset: number): number => (mm - Mm.THIS) * ANSWER_WORDS_PER_MM + offset;
