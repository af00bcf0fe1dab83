// The IPI watchdog, as the kernel's csd_lock_wait_toolong(): when a synchronous IPI has gone
// unacknowledged for too long, say which CPU holds it up, whether its IRQs are off and for how
// long, and what it was doing. Runs on the coordinator, which only reads shared memory.

import { WALKER_KINDS } from '../kernel/walker-kinds.ts';
import { cpuStat, cpuWord } from '../shared-memory/cpu-block.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';

export interface WatchdogReport {
  /** The CPU waiting in csd_lock_wait(). */
  readonly cpu: number;
  /** The CPU that has not taken the IPI. */
  readonly target: number;
  readonly waitedMs: number;
  readonly targetIrqsOff: boolean;
  /** How long the target's IRQs have stayed off as far as the watchdog has seen; null if on. */
  readonly irqsOffForMs: number | null;
  /** The walker kind of its current (or last) IRQ-off stretch, and the huge page it last walked. */
  readonly walkerKind: string;
  readonly lastWalkedHpn: number;
  readonly pendingIpis: number;
}

export function describeWatchdog(r: WatchdogReport): string {
  const irqs = r.targetIrqsOff ? `has IRQs off${r.irqsOffForMs === null ? '' : ` (for at least ${seconds(r.irqsOffForMs)})`}` : 'has IRQs on but has not run';
  return (
    `IPI watchdog: CPU ${r.cpu} has waited ${seconds(r.waitedMs)} for CPU ${r.target} to take an IPI: CPU ${r.target} ${irqs}, ` +
    `in a ${r.walkerKind} walk, last at huge page ${r.lastWalkedHpn}, ${r.pendingIpis} IPI(s) pending`
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class IpiWatchdog {
  /** Per CPU: the irqOffCount it had when first seen with IRQs off, and since when. */
  private readonly offSince = new Map<number, { readonly count: number; readonly since: number }>();
  /** Waits already reported, as `cpu@since`, so that each is reported once. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly machine: SharedMachine,
    private readonly thresholdMs: number,
  ) {}

  /** Look once at every CPU; return the waits that have newly outlasted the threshold. */
  tick(): WatchdogReport[] {
    const { cpuWords: words, cpuStats: stats, cpus } = this.machine;
    const now = performance.timeOrigin + performance.now();
    for (let cpu = 0; cpu < cpus; cpu++) this.sampleIrqs(cpu, now);
    const reports: WatchdogReport[] = [];
    for (let cpu = 0; cpu < cpus; cpu++) {
      const waitingOn = Atomics.load(words, cpuWord(cpu, 'ipiWaitTarget'));
      if (waitingOn === 0) continue;
      const since = stats[cpuStat(cpu, 'ipiWaitSince')];
      const key = `${cpu}@${since}`;
      if (now - since < this.thresholdMs || this.reported.has(key)) continue;
      this.reported.add(key);
      const target = waitingOn - 1;
      const off = this.offSince.get(target);
      reports.push({
        cpu,
        target,
        waitedMs: now - since,
        targetIrqsOff: Atomics.load(words, cpuWord(target, 'irqEnabled')) === 0,
        irqsOffForMs: off ? now - off.since : null,
        walkerKind: WALKER_KINDS[Atomics.load(words, cpuWord(target, 'walkerKind'))]?.name ?? 'unknown',
        lastWalkedHpn: Atomics.load(words, cpuWord(target, 'lastWalkedHpn')),
        pendingIpis: (Atomics.load(words, cpuWord(target, 'ipiRequest')) - Atomics.load(words, cpuWord(target, 'ipiAck'))) | 0,
      });
    }
    return reports;
  }

  private sampleIrqs(cpu: number, now: number): void {
    const words = this.machine.cpuWords;
    if (Atomics.load(words, cpuWord(cpu, 'irqEnabled')) !== 0) {
      this.offSince.delete(cpu);
      return;
    }
    const count = Atomics.load(words, cpuWord(cpu, 'irqOffCount'));
    const seen = this.offSince.get(cpu);
    if (!seen || seen.count !== count) this.offSince.set(cpu, { count, since: now });
  }
}
