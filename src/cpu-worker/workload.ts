// A walker CPU's workload, one IRQ-off stretch at a time: which kind walks (by the mix's
// weights), on which mm (the other-mm share walks another process's tables on this CPU), and,
// one stretch in LATENCY_SAMPLE_EVERY before the operation starts, how long the stretch takes.
// It drives the walk (kernel/lockless-walk.ts) through its two stretches and nothing else.

import { mmWord } from '../shared-memory/mm.ts';
import type { EmulatedCpu } from '../kernel/cpu.ts';
import { kindInRun, type KindInRun, type LocklessWalker, type WalkTargets } from '../kernel/lockless-walk.ts';
import { walkerKind, type KindShare } from '../kernel/walker-kinds.ts';
import type { Mulberry32 } from './prng.ts';

/** What a walker CPU walks, and how much of it on another mm. */
export interface WalkerMix {
  /** The kinds and their weights, as shares of IRQ-off stretches. */
  readonly mix: readonly KindShare[];
  /** Microseconds every kind holds its page, instead of the kind's own; undefined: their own. */
  readonly holdUs: number | undefined;
  /** Each kind guards what it uses as after 5.8's rework, not by its IRQs alone. */
  readonly guarded: boolean;
  /** Share of IRQ-off stretches that walk another process's page tables. */
  readonly otherMm: number;
}

/** One stretch in this many is timed: two clock reads cost about as much as a short walk. */
const LATENCY_SAMPLE_EVERY = 16;
const MAX_LATENCY_SAMPLES = 1 << 14;
/** The resolution of a pick of kind: the mix's shares, as whole numbers out of this. */
const KIND_PICKS = 2 ** 30;

export class WalkerWorkload {
  /** Microseconds from before the answer's first walker hook to after its last, one stretch in 16, before the operation starts. */
  readonly latencyUs = new Float64Array(MAX_LATENCY_SAMPLES);
  latencySamples = 0;
  private readonly kinds: readonly { readonly run: KindInRun; /** Its share of the mix ends here, out of KIND_PICKS. */ readonly upTo: number }[];
  /** Walks of each kind of the mix, by its place in the mix. */
  private readonly walksOfKind: Float64Array;
  private readonly otherMm: number;
  private stretches = 0;

  constructor(
    private readonly cpu: EmulatedCpu,
    private readonly walker: LocklessWalker,
    private readonly random: Mulberry32,
    { mix, holdUs, guarded, otherMm }: WalkerMix,
  ) {
    const totalWeight = mix.reduce((sum, { weight }) => sum + weight, 0);
    let weightSoFar = 0;
    this.kinds = mix.map(({ kind, weight }) => ({ run: kindInRun(walkerKind(kind), holdUs, guarded), upTo: Math.round(((weightSoFar += weight) / totalWeight) * KIND_PICKS) }));
    this.walksOfKind = new Float64Array(mix.length);
    this.otherMm = otherMm;
  }

  /** One IRQ-off stretch of the mix, of a page `targets` gives or of another mm. */
  step(targets: WalkTargets): void {
    const pick = this.random.below(KIND_PICKS);
    const kinds = this.kinds;
    let chosen = 0;
    while (chosen < kinds.length - 1 && pick >= kinds[chosen].upTo) chosen++;
    const { run } = kinds[chosen];
    if (this.otherMm > 0 && this.random.next() < this.otherMm) {
      this.walker.otherMmStretch(run);
      return;
    }
    // Timed only before the operation starts (its cursor is still -1): the same fully mapped
    // tables for every answer, not ones emptying at each answer's own pace.
    const timed =
      ++this.stretches % LATENCY_SAMPLE_EVERY === 0 && this.latencySamples < MAX_LATENCY_SAMPLES && Atomics.load(this.cpu.mm, mmWord.unmapCursor) < 0;
    const start = timed ? performance.now() : 0;
    this.walker.stretch(run, targets);
    this.walksOfKind[chosen] += run.kind.walksPerIrqOff;
    if (timed) this.latencyUs[this.latencySamples++] = (performance.now() - start) * 1000;
  }

  /** Walks of each kind, by name. */
  get walksByKind(): { [kind: string]: number } {
    const byKind: { [kind: string]: number } = {};
    this.kinds.forEach(({ run }, i) => (byKind[run.kind.name] = (byKind[run.kind.name] ?? 0) + this.walksOfKind[i]));
    return byKind;
  }
}
