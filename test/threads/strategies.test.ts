import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmulatedCpu } from '../../src/kernel/cpu.ts';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine, runStrategy, type StrategyRun } from '../../src/coordinator/runs.ts';
import { Mm, cpuStat, cpuWord } from '../../src/shared-memory/cpu-block.ts';
import { answerCpuSlot, answerMmSlot } from '../../src/shared-memory/answer-words.ts';
import { cpumask_set_cpu } from '../../src/shared-memory/mm.ts';
import { SharedMachine } from '../../src/shared-memory/shared-machine.ts';
import { counter } from '../../src/strategies/counter.ts';
import { percpu } from '../../src/strategies/percpu.ts';
import { mappedMachine } from '../helpers/machine.ts';
import { eventually, startProbe, stopProbes, type Probe } from '../helpers/probe.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const BUSY = { busy: 1, walkRate: 0 };

const probes: Probe[] = [];
afterEach(async () => {
  await stopProbes(probes.splice(0));
});


/** Where this mm's count of the series' mm-counting answers is. */
const MM_COUNT = answerMmSlot(Mm.THIS, counter.words.perMm.locklessPgtblWalkCount);

describe('the counter strategy', () => {
  it('counts walks in flight, from before IRQs go off to after they are back (v5), and sends no IPI when none is', () => {
    const machine = mappedMachine(2, 1);
    const walkerCpu = new EmulatedCpu(machine, 1);
    const unmapper = new EmulatedCpu(machine, 0);
    unmapper.beginRun();
    const count = () => Atomics.load(machine.answerMmWords, MM_COUNT);
    // begin_lockless_pgtbl_walk(): atomic_inc(), local_irq_save(), smp_mb(); twice, nested.
    for (let i = 0; i < 2; i++) {
      counter.walker.beforeIrqsOff(walkerCpu);
      counter.walker.walkStart(walkerCpu);
    }
    expect(count()).toBe(2);
    // end_lockless_pgtbl_walk(): smp_mb(), local_irq_restore(), atomic_dec().
    for (let i = 0; i < 2; i++) {
      counter.walker.walkEnd(walkerCpu);
      expect(count()).toBe(2 - i); // still counted with IRQs back on, until atomic_dec()
      counter.walker.afterIrqsOn(walkerCpu);
    }
    expect(count()).toBe(0);
    expect(counter.serialize.pmdClear(unmapper)).toBe(0);
    expect(Atomics.load(machine.cpuWords, cpuWord(1, 'ipiRequest'))).toBe(0);
  });

  it('sends the IPI to every CPU of the mm while a walk is in flight', async () => {
    const machine = mappedMachine(3, 1);
    probes.push(await startProbe(machine, 1), await startProbe(machine, 2));
    const idling = probes.map((p) => p.api.idle(30_000));
    await eventually(() => [1, 2].every((cpu) => Atomics.load(machine.cpuWords, cpuWord(cpu, 'halted')) === 1));
    const unmapper = new EmulatedCpu(machine, 0);
    unmapper.beginRun();
    Atomics.add(machine.answerMmWords, MM_COUNT, 1); // a walk some CPU has in flight
    expect(counter.serialize.pmdClear(unmapper)).toBe(2);
    for (const cpu of [1, 2]) expect(Atomics.load(machine.cpuWords, cpuWord(cpu, 'ipiAck'))).toBe(1);
    void idling;
  });
});

describe('percpu against counter, decision by decision', () => {
  it('interrupts only the CPUs walking, where counter interrupts the whole mm', async () => {
    const machine = SharedMachine.create({ cpus: 4, hugePages: 1 });
    for (let cpu = 0; cpu < 4; cpu++) cpumask_set_cpu(machine.mm, cpu);
    for (const cpu of [1, 2, 3]) probes.push(await startProbe(machine, cpu));
    const idling = probes.map((p) => p.api.idle(30_000));
    await eventually(() => [1, 2, 3].every((cpu) => Atomics.load(machine.cpuWords, cpuWord(cpu, 'halted')) === 1));
    const unmapper = new EmulatedCpu(machine, 0);
    // The same moment seen by both: CPU 2 alone has a walk in flight.
    const cpu2Walks = answerCpuSlot(2, percpu.words.perCpu.locklessWalks);
    Atomics.store(machine.answerCpuWords, cpu2Walks, 1);
    Atomics.store(machine.answerMmWords, MM_COUNT, 1);
    unmapper.beginRun();
    expect(percpu.serialize.pmdClear(unmapper)).toBe(1);
    unmapper.beginRun();
    expect(counter.serialize.pmdClear(unmapper)).toBe(3);
    // And with nobody walking, neither sends anything.
    Atomics.store(machine.answerCpuWords, cpu2Walks, 0);
    Atomics.store(machine.answerMmWords, MM_COUNT, 0);
    expect(percpu.serialize.pmdClear(unmapper)).toBe(0);
    expect(counter.serialize.pmdClear(unmapper)).toBe(0);
    void idling;
  });
});

describe('the pre-5.8 hazard, on real threads', () => {
  // Pointer walkers hammering the PMDs being split, as callers of __find_linux_pte() did before
  // 5.8: with no serialisation, some re-read their PMD as a leaf after it became a table pointer.
  const spec = runSpec({ op: 'split', machine: { cpus: 3, memoryBytes: 16 * GiB }, workload: { raceWindow: 2 }, kernel: { walkerStyle: 'pointer' } });
  const MAX_ATTEMPTS = 8;
  let pool: CpuPool;
  const none: StrategyRun[] = [];
  let broadcast: StrategyRun;
  beforeAll(async () => {
    pool = await CpuPool.start(createMachine(spec));
    while (none.length < MAX_ATTEMPTS && none.every((r) => r.violations.misreads === 0)) none.push(await runStrategy(pool, { ...spec, strategy: 'none' }, none.length));
    broadcast = await runStrategy(pool, { ...spec, strategy: 'ipi-broadcast' }, none.length);
    const misreads = none.reduce((sum, r) => sum + r.violations.misreads, 0);
    console.log(`none, pointer walkers, split: ${misreads} misread(s) in ${none.length * spec.machine.hugePages} PMDs over ${none.length} attempt(s)`);
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('shows under none, named as a table pointer read as a leaf, and allowed there', () => {
    const last = none[none.length - 1];
    expect(last.violations.misreads).toBeGreaterThan(0);
    expect(last.violations.first).toContainEqual(expect.objectContaining({ what: 'table-as-leaf', strategy: 'none' }));
    expect(last.brokenInvariants).toEqual([]);
    expect(last.demonstrated).toEqual([expect.stringMatching(/misread/)]);
  });

  it('never shows under ipi-broadcast: the IPI waits for every walker holding the old PMD', () => {
    expect(broadcast.violations.misreads).toBe(0);
    expect(broadcast.brokenInvariants).toEqual([]);
  });
});

describe('TLB flushes, as each kernel does them', () => {
  const spec = runSpec({ machine: { cpus: 4, memoryBytes: 128 * MiB }, workload: BUSY });
  let pool: CpuPool;
  beforeAll(async () => {
    pool = await CpuPool.start(createMachine(spec));
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('before 5.8: one flush per mmu_gather batch; 5.8 (stale-tolerant): one per PMD, and the batch\'s', async () => {
    const batched = await runStrategy(pool, { ...spec, strategy: 'ipi-broadcast', kernel: { gatherBatch: 16 } }, 0);
    // And one more at the end: the batches are flushed full, then free_pgtables() frees the
    // range's PMD and PUD pages, and a flush that freed tables is still owed.
    expect(batched.tlb.flushes).toBe(64 / 16 + 1);
    expect(batched.tables.removed).toBe(2);
    const perPmd = await runStrategy(pool, { ...spec, strategy: 'stale-tolerant' }, 1);
    expect(perPmd.kernel).toMatchObject({ walkerStyle: 'value', tlbFlushEachPmd: true });
    expect(perPmd.tlb.flushes).toBe(64 + 1);
    expect(perPmd.tlb.flushUs).toBeGreaterThanOrEqual(64 * perPmd.kernel.tlbieUs);
    for (const run of [batched, perPmd]) expect(run.brokenInvariants).toEqual([]);
  });

  it("x86's way: each flush an IPI round to the mm's other CPUs, every one acknowledged", async () => {
    const run = await runStrategy(pool, { ...spec, strategy: 'none', kernel: { tlbFlushBy: 'ipi', gatherBatch: 8 } }, 2);
    expect(run.tlb.flushes).toBe(64 / 8 + 1); // the batches, and the page tables' (free_pgtables())
    expect(run.ipis.sent).toBe((64 / 8 + 1) * (spec.machine.cpus - 1));
    expect(run.ipis.byReason).toEqual({ serialize: 0, tlbFlush: run.ipis.sent, tableSync: 0 });
    expect(run.ipis.acked).toBe(run.ipis.sent);
  });
});

describe('rcu-frames and sync-one, as the kernel has them', () => {
  const spec = runSpec({ machine: { cpus: 3, outsideCpus: 2, memoryBytes: 256 * MiB }, workload: BUSY });
  let pool: CpuPool;
  const handledBy = new Map<string, number[]>();
  const runs = new Map<string, StrategyRun>();
  beforeAll(async () => {
    pool = await CpuPool.start(createMachine(spec));
    for (const [i, strategy] of ['rcu-frames', 'sync-one', 'ipi-broadcast'].entries()) {
      runs.set(strategy, await runStrategy(pool, { ...spec, strategy: strategy }, i));
      handledBy.set(strategy, Array.from({ length: 5 }, (_, cpu) => pool.machine.cpuStats[cpuStat(cpu, 'ipisHandled')]));
    }
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('rcu-frames sends no IPI on a PMD clear, and frees every frame, some after munmap has returned', () => {
    const run = runs.get('rcu-frames')!;
    expect(run.ipis.sent).toBe(0);
    expect(run.ipis.skipped).toBe(spec.machine.hugePages);
    expect(run.brokenInvariants).toEqual([]); // frames freed == PMDs unmapped, none left mapped
    expect(run.peakPendingFrees).toBeGreaterThan(0);
    expect(run.allFreedMs).toBeGreaterThanOrEqual(run.opMs);
  });

  it('rcu-frames: a grace period ends on scheduler ticks, so at HZ 10 the last frees come a tick after munmap', async () => {
    // Walkers busy all the time are never idle, so each notes its quiescent state only at a tick:
    // every 100 ms here. Both must pass one after the last PMD before its frame can be freed.
    const run = await runStrategy(pool, { ...spec, strategy: 'rcu-frames', kernel: { hz: 10 } }, 9);
    expect(run.kernel.hz).toBe(10);
    expect(run.brokenInvariants).toEqual([]);
    expect(run.allFreedMs - run.opMs).toBeGreaterThan(1);
  });

  it('sync-one interrupts the CPUs outside mm_cpumask too; ipi-broadcast does not', () => {
    const pmds = spec.machine.hugePages;
    expect(runs.get('sync-one')!.ipis.sent).toBe(pmds * 4);
    expect(runs.get('ipi-broadcast')!.ipis.sent).toBe(pmds * 2);
    expect(handledBy.get('sync-one')!.slice(3)).toEqual([pmds, pmds]);
    expect(handledBy.get('ipi-broadcast')!.slice(3)).toEqual([0, 0]);
  });
});

describe('a time budget', () => {
  it('stops CPU 0, estimates the whole range from the PMDs done, and keeps every invariant', async () => {
    const spec = runSpec({ strategy: 'ipi-broadcast', machine: { cpus: 3, memoryBytes: 8 * GiB }, workload: BUSY, budgetMs: 30 });
    const pool = await CpuPool.start(createMachine(spec));
    try {
      const run = await runStrategy(pool, spec, 0);
      expect(run.strategy).toBe('ipi-broadcast');
      expect(run.estimated).toBe(true);
      expect(run.pmdsDone).toBeGreaterThan(0);
      expect(run.pmdsDone).toBeLessThan(run.pmds);
      expect(run.estimate).toMatchObject({ measuredPmds: run.pmdsDone });
      const e = run.estimate!;
      expect(e.lowMs).toBeLessThanOrEqual(run.opMs);
      expect(e.highMs).toBeGreaterThanOrEqual(run.opMs);
      expect(run.opMs).toBeCloseTo(e.measuredMs + ((run.pmds - run.pmdsDone) * e.perPmdUs.mean) / 1000, 6);
      expect(run.brokenInvariants).toEqual([]);
      // The machine is whole again for the next run: nothing mapped, nothing leaked.
      const next = await runStrategy(pool, { ...spec, budgetMs: undefined, strategy: 'rcu-frames' }, 1);
      expect(next.strategy).toBe('rcu-frames');
      expect(next.estimated).toBe(false);
      expect(next.brokenInvariants).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
