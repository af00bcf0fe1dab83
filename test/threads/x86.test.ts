// x86 and the generic mmu_gather, on real threads: shootdowns that skip lazy-TLB CPUs unless
// tables were freed, KVM's paravirt flush that skips a preempted vCPU and flushes it as it runs
// again, 7.1's grace period for a table with no batch page, and the collapse IPIs of 6.1 and
// 6.15 counted exactly at 64 CPUs.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { kernelOf, runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine, runStrategy, type StrategyRun } from '../../src/coordinator/runs.ts';
import { EmulatedCpu } from '../../src/kernel/cpu.ts';
import type { KernelConfig } from '../../src/kernel/kernel-config.ts';
import { MmuGather } from '../../src/kernel/mmu-gather.ts';
import { flush_tlb_range } from '../../src/kernel/tlb-flush.ts';
import { KVM_VCPU_FLUSH_TLB, KVM_VCPU_PREEMPTED } from '../../src/kernel/vcpu-preemption.ts';
import { Stat, cpuWord } from '../../src/shared-memory/cpu-block.ts';
import { cpumask_set_cpu } from '../../src/shared-memory/mm.ts';
import type { RunSpecOverrides } from '../../src/spec/run-spec.ts';
import { FLOOR } from '../../src/strategies/index.ts';
import { mappedMachine } from '../helpers/machine.ts';
import { eventually, startProbe, stopProbes, type Probe } from '../helpers/probe.ts';

const MiB = 2 ** 20;

const probes: Probe[] = [];
afterEach(async () => {
  await stopProbes(probes.splice(0));
});

/** The kernel of `version` on x86, with `overrides` (--pv, --inject batch-alloc-fail). */
const x86Kernel = (version: string, overrides: RunSpecOverrides['kernel'] = {}): KernelConfig =>
  kernelOf(runSpec({ strategy: `linux-${version}`, machine: { arch: 'x86' }, kernel: overrides }));

/** CPU 0 of an x86 machine of `cpus` CPUs, all in mm_cpumask, the others probes halted in lazy-TLB mode. */
async function lazyMachine(cpus: number, kernel: KernelConfig): Promise<EmulatedCpu> {
  const machine = mappedMachine(cpus, 1);
  for (let cpu = 0; cpu < cpus; cpu++) cpumask_set_cpu(machine.mm, cpu);
  for (let cpu = 1; cpu < cpus; cpu++) {
    const probe = await startProbe(machine, cpu);
    probes.push(probe);
    await probe.api.runsKernel(kernel);
  }
  const flusher = new EmulatedCpu(machine, 0);
  flusher.beginRun(undefined, kernel);
  return flusher;
}

const lazy = (cpu: EmulatedCpu, target: number) => Atomics.load(cpu.words, cpuWord(target, 'isLazy'));

describe('x86 shootdowns and lazy-TLB CPUs (native_flush_tlb_multi())', () => {
  it('skips a lazy CPU when no page tables were freed, interrupts it when they were, and it flushes itself on waking', async () => {
    const kernel = x86Kernel('x86-6.1');
    const flusher = await lazyMachine(3, kernel);
    const idling = probes.map((p) => p.api.idle(2_000));
    await eventually(() => [1, 2].every((cpu) => lazy(flusher, cpu) === 1));
    flush_tlb_range(flusher, kernel, false);
    expect(flusher.stat(Stat.ipisSent)).toBe(0);
    expect(flusher.stat(Stat.flushSkippedLazy)).toBe(2);
    flush_tlb_range(flusher, kernel, true);
    expect(flusher.stat(Stat.ipisTlbFlush)).toBe(2);
    expect(flusher.stat(Stat.flushSkippedLazy)).toBe(2);
    await Promise.all(idling);
    // Woken back into the mm, each finds the flush count moved while it was lazy.
    for (const probe of probes) expect(await probe.api.stat(Stat.lazyFlushes)).toBe(1);
    expect([1, 2].map((cpu) => lazy(flusher, cpu))).toEqual([0, 0]);
  });
});

describe("KVM's paravirt flush (kvm_flush_tlb_multi())", () => {
  it('sends a preempted vCPU no IPI, completes without it, and the vCPU is flushed as it runs again', async () => {
    const kernel = x86Kernel('x86-6.15', { paravirt: 'kvm' });
    const flusher = await lazyMachine(2, kernel);
    const preempted = probes[0].api.preemptedFor(300);
    const word = cpuWord(1, 'preempted');
    await eventually(() => Atomics.load(flusher.words, word) === KVM_VCPU_PREEMPTED);
    const start = performance.now();
    flush_tlb_range(flusher, kernel, true); // tables freed: no lazy skip, only the preempted one
    const ms = performance.now() - start;
    expect(flusher.stat(Stat.ipisSent)).toBe(0);
    expect(flusher.stat(Stat.flushSkippedPreempted)).toBe(1);
    // Done while the vCPU is still preempted, marked for the host to flush.
    expect(Atomics.load(flusher.words, word)).toBe(KVM_VCPU_PREEMPTED | KVM_VCPU_FLUSH_TLB);
    expect(ms).toBeLessThan(250);
    expect(await preempted).toBe(1);
  });

  it('without it, an IPI to a preempted vCPU waits until the host runs it again', async () => {
    const kernel = x86Kernel('x86-6.15');
    const flusher = await lazyMachine(2, kernel);
    const preempted = probes[0].api.preemptedFor(200, 300);
    await eventually(() => Atomics.load(flusher.words, cpuWord(1, 'preempted')) === KVM_VCPU_PREEMPTED);
    const start = performance.now();
    flush_tlb_range(flusher, kernel, true);
    expect(flusher.stat(Stat.ipisTlbFlush)).toBe(1);
    expect(await preempted).toBe(0);
    // Acknowledged only after the stretch: the preempted vCPU took it once it ran.
    expect(performance.now() - start).toBeGreaterThan(100);
  });
});

describe('a page table with no batch page (tlb_remove_table_one())', () => {
  it('interrupts every other CPU up to 7.0, and from 7.1 waits for a grace period instead, sending no IPI', async () => {
    for (const [version, tableSyncs, gracePeriods] of [
      ['x86-6.15', 1, 0],
      ['x86-7.1', 0, 1],
    ] as const) {
      const kernel = x86Kernel(version, { batchAllocFail: 1 });
      const cpu = await lazyMachine(2, kernel);
      cpu.reportQuiescentStates(kernel.hz);
      const idling = probes[0].api.idle(500); // halted: quiescent, and answering IPIs
      await eventually(() => Atomics.load(cpu.words, cpuWord(1, 'halted')) === 1);
      const tlb = new MmuGather(cpu, FLOOR.freeing, kernel);
      tlb.tlb_remove_table(1);
      expect(cpu.stat(Stat.tableBatchFails), version).toBe(1);
      expect(cpu.stat(Stat.ipisTableSync), version).toBe(tableSyncs);
      expect(cpu.stat(Stat.gracePeriodsWaited), version).toBe(gracePeriods);
      await idling;
      await stopProbes(probes.splice(0));
    }
  });
});

describe.each([false, true])('collapse on x86 at 64 CPUs, the machine mostly idle (--pv kvm: %s)', (paravirt) => {
  const CPUS = 64;
  const PMDS = 16;
  const runs: StrategyRun[] = [];
  beforeAll(async () => {
    const spec = runSpec({
      op: 'collapse',
      machine: { arch: 'x86', cpus: CPUS, memoryBytes: PMDS * 2 * MiB },
      workload: { busy: 0.05, dutyMs: 20, walkRate: 2_000 },
      kernel: paravirt ? { paravirt: 'kvm' } : {},
      warmupMs: 50,
    });
    const pool = await CpuPool.start(createMachine(spec));
    try {
      for (const [i, version] of ['linux-x86-6.1', 'linux-x86-6.15'].entries()) runs.push(await runStrategy(pool, { ...spec, strategy: version }, i));
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('6.15 sends exactly 63 table-sync IPIs a collapsed PMD; 6.1 one only as a paravirt kernel', () => {
    const [v61, v615] = runs;
    expect(v615.ipis.byReason.tableSync).toBe((CPUS - 1) * PMDS);
    expect(v61.ipis.byReason.tableSync).toBe(paravirt ? (CPUS - 1) * PMDS : 0);
  });

  it("6.1's shootdown reaches only the mm's CPUs not lazy; 6.15's every one of them (3ef938c35035)", () => {
    const [v61, v615] = runs;
    expect(v61.ipis.byReason.tlbFlush + v61.ipis.flushSkipped.lazy).toBe((CPUS - 1) * PMDS);
    expect(v61.ipis.flushSkipped.lazy).toBeGreaterThan(0); // most CPUs halt most of the time
    expect(v615.ipis.byReason.tlbFlush).toBe((CPUS - 1) * PMDS);
    expect(v615.ipis.flushSkipped.lazy).toBe(0);
  });

  it('neither uses a freed page, and every invariant holds', () => {
    for (const run of runs) {
      expect(run.violations, run.strategy).toMatchObject({ useAfterFree: 0, misreads: 0 });
      expect(run.brokenInvariants, run.strategy).toEqual([]);
      expect(run.interrupts.reduce((sum, c) => sum + c.tlbFlush + c.tableSync + c.serialize, 0)).toBe(run.ipis.sent);
    }
  });
});

describe("munmap's page tables on x86 (free_pgtables())", () => {
  it('makes its last flush one that freed tables, which reaches lazy CPUs too', async () => {
    const spec = runSpec({ strategy: 'linux-x86-6.1', machine: { arch: 'x86', cpus: 8, memoryBytes: 64 * MiB }, workload: { busy: 0.05, dutyMs: 20, walkRate: 2_000 }, warmupMs: 50 });
    const pool = await CpuPool.start(createMachine(spec));
    try {
      const run = await runStrategy(pool, spec, 0);
      // One PMD page and one PUD page; the mmu_gather's one flush, at the end, to all 7 others.
      expect(run.tables.removed).toBe(2);
      expect(run.tlb.flushes).toBe(1);
      expect(run.ipis.byReason.tlbFlush).toBe(7);
      expect(run.ipis.flushSkipped.lazy).toBe(0);
      expect(run.brokenInvariants).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
