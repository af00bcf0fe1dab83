// Everything the emulated CPUs share, allocated once per machine and handed to every worker.
// The buffers travel to the workers by structured clone (a SharedArrayBuffer is shared, not
// copied); each side then builds the same views over them.

import { ANSWER_MMS, ANSWER_WORDS_PER_CPU, ANSWER_WORDS_PER_MM } from './answer-words.ts';
import { CpuStats, CpuWords } from './cpu-block.ts';
import { FrameTable } from './frame-table.ts';
import { MM_WORDS } from './mm.ts';
import { PageTableArena, type ArenaBuffers } from './page-table-arena.ts';
import { PTRS_PER_TABLE } from './pgtable-entry.ts';
import type { DepositLayout } from './pte-pages.ts';

export interface SharedMachineBuffers {
  readonly cpus: number;
  readonly arena: ArenaBuffers;
  readonly frames: SharedArrayBuffer;
  readonly frameRefs: SharedArrayBuffer;
  readonly mm: SharedArrayBuffer;
  readonly cpuWords: SharedArrayBuffer;
  readonly cpuStats: SharedArrayBuffer;
  readonly answerCpuWords: SharedArrayBuffer;
  readonly answerMmWords: SharedArrayBuffer;
  readonly warmUpPlaces: SharedArrayBuffer;
}

export interface MachineShape {
  /** Emulated CPUs. */
  readonly cpus: number;
  /** Huge pages the machine must be able to map at once. */
  readonly hugePages: number;
  /** PTE pages it must hold at once: one a THP, deposited beside it, or a PTE-mapped huge page's; hugePages if not said. */
  readonly ptePages?: number;
  /** Huge-page frames, if more than hugePages (a collapse holds old and new frames at once). */
  readonly frames?: number;
  /** Ptes in a PTE page, a THP's worth of base pages; 512 if not said. */
  readonly ptesPerPmd?: number;
  /** Where the deposit list lives and how its pointers read as ptes (PtePages.setLayout()); radix's little-endian layout if not said. */
  readonly deposits?: DepositLayout;
}

/** ppc64le radix's deposit list: in the ptes, little-endian pointers. */
const RADIX_LE_DEPOSITS: DepositLayout = { listInPtes: true, bigEndian: false };

export class SharedMachine {
  readonly cpus: number;
  readonly arena: PageTableArena;
  readonly frames: FrameTable;
  readonly mm: Int32Array;
  readonly cpuWords: Int32Array;
  readonly cpuStats: Float64Array;
  /** The running answer's words: per CPU, a line each, and per mm (answer-words.ts). */
  readonly answerCpuWords: Int32Array;
  readonly answerMmWords: Int32Array;
  /**
   * The JIT warm-up's line (cpu-worker/jit-warm-up.ts): word P is raised, and notified, when the
   * CPU at place P of the line may walk. One word a place, so that each waiting CPU sleeps on a
   * word of its own.
   */
  readonly warmUpPlaces: Int32Array;

  static create(shape: MachineShape): SharedMachine {
    const int32s = (words: number) => new SharedArrayBuffer(words * Int32Array.BYTES_PER_ELEMENT);
    const arena = PageTableArena.create({ hugePages: shape.hugePages, ptePages: shape.ptePages ?? shape.hugePages, ptesPerPmd: shape.ptesPerPmd ?? PTRS_PER_TABLE, deposits: shape.deposits ?? RADIX_LE_DEPOSITS });
    const frames = FrameTable.create(Math.max(shape.hugePages, shape.frames ?? 0));
    return new SharedMachine({
      cpus: shape.cpus,
      arena: arena.buffers,
      frames: frames.buffer,
      frameRefs: frames.refsBuffer,
      mm: int32s(MM_WORDS),
      cpuWords: int32s(shape.cpus * CpuWords.stride),
      cpuStats: new SharedArrayBuffer(shape.cpus * CpuStats.stride * Float64Array.BYTES_PER_ELEMENT),
      answerCpuWords: int32s(shape.cpus * ANSWER_WORDS_PER_CPU),
      answerMmWords: int32s(ANSWER_MMS * ANSWER_WORDS_PER_MM),
      warmUpPlaces: int32s(shape.cpus),
    });
  }

  constructor(readonly buffers: SharedMachineBuffers) {
    this.cpus = buffers.cpus;
    this.arena = new PageTableArena(buffers.arena);
    this.frames = new FrameTable(buffers.frames, buffers.frameRefs);
    this.mm = new Int32Array(buffers.mm);
    this.cpuWords = new Int32Array(buffers.cpuWords);
    this.cpuStats = new Float64Array(buffers.cpuStats);
    this.answerCpuWords = new Int32Array(buffers.answerCpuWords);
    this.answerMmWords = new Int32Array(buffers.answerMmWords);
    this.warmUpPlaces = new Int32Array(buffers.warmUpPlaces);
  }

  /** Bytes of shared memory in all. */
  get bytes(): number {
    const sizes = (value: unknown): number =>
      value instanceof SharedArrayBuffer ? value.byteLength : typeof value === 'object' && value !== null ? Object.values(value).reduce((sum: number, v) => sum + sizes(v), 0) : 0;
    return sizes(this.buffers);
  }
}
