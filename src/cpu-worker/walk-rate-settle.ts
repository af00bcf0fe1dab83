// When has a CPU's JIT settled? When its walks per millisecond of its own thread's CPU time
// stop changing, at the speed the other CPUs' settled code walks. V8 runs a hot function
// interpreted, then as baseline code, then optimised, each step several times faster, and the
// optimising compiler works on a few shared background threads: a CPU whose compile is still
// queued walks at a steady but slow rate, a plateau that only the other CPUs' rates show false.

import { medianRange } from '../base/statistics.ts';

export interface SettleLimits {
  /** Rates are taken over windows of this much thread CPU time. */
  readonly windowCpuMs: number;
  /** The last this many windows must agree... */
  readonly windows: number;
  /** ...within this share of their median. */
  readonly tolerance: number;
  /**
   * And be at least this share of the best rate any CPU settled at: half, since this host at
   * times slows a core to about half its speed for a few hundred ms, while code still waiting for
   * its compile walks at a twentieth or less (baseline code: about 400 walks per CPU ms here, against 6,000-12,000).
   */
  readonly referenceShare: number;
  /** Walk at least this long before settling; longer while no CPU has settled yet. */
  readonly minCpuMs: number;
  readonly firstMinCpuMs: number;
  /** Give up past this: the CPU is reported unsettled. */
  readonly maxCpuMs: number;
}

export const SETTLE_LIMITS: SettleLimits = {
  windowCpuMs: 10,
  windows: 3,
  tolerance: 0.1,
  referenceShare: 0.5,
  minCpuMs: 30,
  // With no other CPU to compare with, long enough for the optimised code to have come in.
  firstMinCpuMs: 150,
  maxCpuMs: 1_000,
};

export type SettleState = 'walking' | 'settled' | 'unsettled';

export class WalkRateSettle {
  private readonly rates: number[] = [];
  private startCpuMs = NaN;
  private windowCpuMs = NaN;
  private windowWalks = 0;
  /** The median of the last windows' rates, in walks per CPU millisecond, once decided. */
  rate = 0;

  constructor(private readonly limits: SettleLimits = SETTLE_LIMITS) {}

  /**
   * Note the CPU's walks so far at `cpuMs` on its thread clock; `reference` is the best rate
   * another CPU settled at (0 while none has). Says whether to walk on.
   */
  note(walks: number, cpuMs: number, reference: number): SettleState {
    const l = this.limits;
    if (Number.isNaN(this.startCpuMs)) [this.startCpuMs, this.windowCpuMs, this.windowWalks] = [cpuMs, cpuMs, walks];
    const spentMs = cpuMs - this.startCpuMs;
    if (cpuMs - this.windowCpuMs >= l.windowCpuMs) {
      this.rates.push((walks - this.windowWalks) / (cpuMs - this.windowCpuMs));
      [this.windowCpuMs, this.windowWalks] = [cpuMs, walks];
      const last = this.rates.slice(-l.windows);
      if (last.length === l.windows) {
        this.rate = medianRange(last).median;
        const steady = Math.max(...last) - Math.min(...last) <= l.tolerance * this.rate;
        const longEnough = spentMs >= (reference > 0 ? l.minCpuMs : l.firstMinCpuMs);
        if (steady && longEnough && this.rate >= l.referenceShare * reference) return 'settled';
      }
    }
    return spentMs >= l.maxCpuMs ? 'unsettled' : 'walking';
  }
}
