// One answer to "how does the unmapper know no walker still uses the old PMD?", declared in one
// file as jcstress declares a test: what it models, the words it keeps in shared memory, its
// hooks (walker side, serialisation, lifecycle), and next to them each outcome a run can show,
// in jcstress's words, with how to demonstrate each interesting one on this host. The harness
// derives the rest: the shared layout and its reset (the words), the verdicts and exit status
// (the outcomes), the conformance suite (test/conformance/) and the docs' tables.
// One file per answer; the registry in index.ts lists them.

import { ARCHS, type Arch } from '../kernel/archs.ts';
import type { Freeing, Lifecycle, PgtblSync, SerializeHook, SerializeSide, WalkerHook, WalkerSide } from '../kernel/pgtbl-sync.ts';
import { tlb_remove_table_one_wait } from '../kernel/serialize.ts';
import { NO_WORDS, type AnswerWords } from '../shared-memory/answer-words.ts';
import type { KernelChoices, RunSpecOverrides } from '../spec/run-spec.ts';

/** What an outcome means for an answer, in jcstress's words. */
export const Expect = {
  /** Must never happen: a run that shows it is BROKEN (exit status 3). */
  FORBIDDEN: 'FORBIDDEN',
  /** May happen and means nothing for this answer, which does not claim to prevent it. */
  ACCEPTABLE: 'ACCEPTABLE',
  /** May happen, and is what this answer exists to show: a run that shows it has demonstrated the bug. */
  ACCEPTABLE_INTERESTING: 'ACCEPTABLE_INTERESTING',
} as const;
export type Expect = (typeof Expect)[keyof typeof Expect];

/**
 * The outcomes of a run that depend on the answer. Everything else a run checks (IPIs sent ==
 * acknowledged, frames freed == what the operation frees, nothing leaked or freed twice, ...) is
 * the emulator's own bookkeeping and forbidden under every answer.
 *   useAfterFree  a walker used a page (frame or page-table page) freed under it
 *   misread       a walker took page-table data of another kind for its own: a table pointer as
 *                 a THP leaf, or a deposited PTE page's list pointers as ptes
 *   counterDrift  the answer's words were not back at 0 once every walker stopped (lost updates)
 */
export const OUTCOMES = ['useAfterFree', 'misread', 'counterDrift'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** How a run shows an interesting outcome: the run, how many tries it gets, and the answer that fixed it. */
export interface Demonstration {
  /** The run, as overrides of the defaults (the answer itself is what runs). */
  readonly spec: Omit<RunSpecOverrides, 'strategy' | 'preset'>;
  /** Runs at most, each of the whole range, before the declaration is called false. */
  readonly attempts: number;
  /** The answer (or version) that fixed it: under the same spec, as many runs, it must never show it. */
  readonly fixedBy: string;
}

/** What one outcome means for an answer, said in a few words (jcstress's `desc`). */
export type OutcomeDeclaration =
  | { readonly expect: typeof Expect.FORBIDDEN | typeof Expect.ACCEPTABLE; readonly desc: string }
  | { readonly expect: typeof Expect.ACCEPTABLE_INTERESTING; readonly desc: string; readonly demonstrate: Demonstration }
  /** Interesting, but not something this host shows within bounded attempts: the reason, said where it is reported. */
  | { readonly expect: typeof Expect.ACCEPTABLE_INTERESTING; readonly desc: string; readonly hostCannotShow: string };

export type Outcomes = { readonly [outcome in Outcome]: OutcomeDeclaration };

/** An answer as its file declares it: every hook it leaves out does nothing (or, for serialisation, what its `pmdClear` does). */
export interface StrategyDeclaration {
  readonly name: string;
  /** The kernel version or patch series it models, in a few words. */
  readonly models: string;
  /** Where it was posted or merged, and what its reviewers said, by name (posting, date, Message-Id); none for a teaching variant. */
  readonly sources?: readonly string[];
  readonly outcomes: Outcomes;
  /** The words it keeps in shared memory, laid out in its file with answerWords(). */
  readonly words?: AnswerWords;
  readonly walker?: Partial<WalkerSide>;
  /**
   * Its serialisation. Left out, an operation's hook is the PMD clear's (the IPI of before 5.8
   * sat in every PMD change), the table sync after a collapse sends nothing, and a page table
   * freed without a batch page waits as its kernel does (tlb_remove_table_one()).
   */
  readonly serialize?: Partial<SerializeSide>;
  readonly lifecycle?: Partial<Lifecycle>;
  /** Default: immediate. */
  readonly freeing?: Freeing;
  /** What its kernel does below it, where that differs from before 5.8 (pointer walkers, batched flushes). */
  readonly kernel?: Partial<KernelChoices>;
  /** The architectures it runs on (a Linux version's own); left out, any: an answer is hooks, not an architecture. */
  readonly arches?: readonly Arch[];
}

/** An answer with every hook in place. */
export interface PgtblSyncStrategy extends PgtblSync {
  readonly name: string;
  readonly models: string;
  readonly sources: readonly string[];
  readonly outcomes: Outcomes;
  readonly words: AnswerWords;
  readonly kernel: Partial<KernelChoices>;
  readonly arches: readonly Arch[];
}

const nothing: WalkerHook = () => {};
/** The hook of a PMD change an answer does not serialise. */
export const SENDS_NOTHING: SerializeHook = () => 0;

/**
 * The walker side as one class, whatever the answer: the walk reads its hooks through objects of
 * one shape, so that V8 keeps those loads monomorphic (the calls themselves differ by answer).
 */
class WalkerHooks implements WalkerSide {
  readonly beforeIrqsOff: WalkerHook;
  readonly walkStart: WalkerHook;
  readonly lookupEnd: WalkerHook;
  readonly walkEnd: WalkerHook;
  readonly afterIrqsOn: WalkerHook;
  constructor(hooks: Partial<WalkerSide>) {
    this.beforeIrqsOff = hooks.beforeIrqsOff ?? nothing;
    this.walkStart = hooks.walkStart ?? nothing;
    this.lookupEnd = hooks.lookupEnd ?? nothing;
    this.walkEnd = hooks.walkEnd ?? nothing;
    this.afterIrqsOn = hooks.afterIrqsOn ?? nothing;
  }
}

class SerializeHooks implements SerializeSide {
  readonly pmdClear: SerializeHook;
  readonly pmdInvalidate: SerializeHook;
  readonly collapseFlush: SerializeHook;
  readonly tableSync: SerializeHook;
  readonly tableFree: SerializeHook;
  constructor(hooks: Partial<SerializeSide>) {
    this.pmdClear = hooks.pmdClear ?? SENDS_NOTHING;
    this.pmdInvalidate = hooks.pmdInvalidate ?? this.pmdClear;
    this.collapseFlush = hooks.collapseFlush ?? this.pmdClear;
    this.tableSync = hooks.tableSync ?? SENDS_NOTHING;
    this.tableFree = hooks.tableFree ?? tlb_remove_table_one_wait;
  }
}

class LifecycleHooks implements Lifecycle {
  readonly runBegins: Lifecycle['runBegins'];
  readonly walkerStarts: WalkerHook;
  readonly walkerStops: WalkerHook;
  constructor(hooks: Partial<Lifecycle>) {
    this.runBegins = hooks.runBegins ?? nothing;
    this.walkerStarts = hooks.walkerStarts ?? nothing;
    this.walkerStops = hooks.walkerStops ?? nothing;
  }
}

/** The answer `declaration` declares, every hook in place. */
export function defineStrategy(declaration: StrategyDeclaration): PgtblSyncStrategy {
  return {
    name: declaration.name,
    models: declaration.models,
    sources: declaration.sources ?? [],
    outcomes: declaration.outcomes,
    words: declaration.words ?? NO_WORDS,
    walker: new WalkerHooks(declaration.walker ?? {}),
    serialize: new SerializeHooks(declaration.serialize ?? {}),
    lifecycle: new LifecycleHooks(declaration.lifecycle ?? {}),
    freeing: declaration.freeing ?? 'immediate',
    kernel: declaration.kernel ?? {},
    arches: declaration.arches ?? ARCHS,
  };
}

/** The places of a walk where the answer's walker side does something, in the order a walk passes them. */
export function walkerPlaces(strategy: PgtblSyncStrategy): (keyof WalkerSide)[] {
  return WALKER_PLACES.filter((place) => strategy.walker[place] !== nothing);
}
const WALKER_PLACES = ['beforeIrqsOff', 'walkStart', 'lookupEnd', 'walkEnd', 'afterIrqsOn'] as const;

/** The PMD changes the answer serialises at all (its hook there may still decide to send nothing); a table freed without a batch page, where it waits otherwise than its kernel. */
export function serializingOps(strategy: PgtblSyncStrategy): (keyof SerializeSide)[] {
  return SERIALIZE_PLACES.filter((place) => strategy.serialize[place] !== (place === 'tableFree' ? tlb_remove_table_one_wait : SENDS_NOTHING));
}
const SERIALIZE_PLACES = ['pmdClear', 'pmdInvalidate', 'collapseFlush', 'tableSync', 'tableFree'] as const;

/** Safe: it claims to prevent every outcome, so any of them is a failure. */
export const isSafe = (strategy: PgtblSyncStrategy): boolean => OUTCOMES.every((outcome) => strategy.outcomes[outcome].expect === Expect.FORBIDDEN);

/** What the answers that claim to be safe declare. */
export const SAFE: Outcomes = {
  useAfterFree: { expect: Expect.FORBIDDEN, desc: 'no walker uses a page freed under it' },
  misread: { expect: Expect.FORBIDDEN, desc: 'no walker takes page-table data of another kind for its own' },
  counterDrift: { expect: Expect.FORBIDDEN, desc: "the answer's words are back at 0 once every walker stops" },
};

/** An answer's interesting outcomes, with their declarations. */
export function interestingOutcomes(strategy: PgtblSyncStrategy): { readonly outcome: Outcome; readonly declared: Extract<OutcomeDeclaration, { expect: 'ACCEPTABLE_INTERESTING' }> }[] {
  return OUTCOMES.flatMap((outcome) => {
    const declared = strategy.outcomes[outcome];
    return declared.expect === Expect.ACCEPTABLE_INTERESTING ? [{ outcome, declared }] : [];
  });
}
