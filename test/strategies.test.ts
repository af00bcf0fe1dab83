import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../src/coordinator/cpu-pool.ts';
import { map_thp_range } from '../src/coordinator/map-thp.ts';
import { parseMunmapArgs, type MunmapConfig } from '../src/coordinator/options.ts';
import { createMachine, runStrategy, type StrategyRun } from '../src/coordinator/run-strategy.ts';
import { EmulatedCpu } from '../src/cpu-worker/cpu.ts';
import { smp_call_function_many } from '../src/cpu-worker/ipi.ts';
import { LocklessWalker } from '../src/cpu-worker/lockless-walk.ts';
import { WALKER_KIND_NAMES, walkerKind } from '../src/cpu-worker/walker-kinds.ts';
import { cpuStat, cpuWord } from '../src/shared-memory/cpu-block.ts';
import { cpumask_set_cpu, mmWord } from '../src/shared-memory/mm.ts';
import { SharedMachine } from '../src/shared-memory/shared-machine.ts';
import { counter } from '../src/strategies/counter.ts';
import { STRATEGIES } from '../src/strategies/index.ts';
import { percpu } from '../src/strategies/percpu.ts';
import { eventually, startProbe, stopProbes, type Probe } from './helpers/probe.ts';

const SAFE = STRATEGIES.filter((s) => s.safe).map((s) => s.name);
const config = (...args: string[]) => parseMunmapArgs(args) as MunmapConfig;

describe('walker kinds: IRQ discipline', () => {
  it('a kvm-realmode walker keeps IRQs off across its whole stretch, so an IPI waits for all of it', () => {
    const machine = createMachine(config('--cpus', '2', '--memory', '8M'));
    map_thp_range(machine, 0, 4);
    const sender = new EmulatedCpu(machine, 0);
    const target = new EmulatedCpu(machine, 1);
    const acksSeenDuringWalks: number[] = [];
    const spy = { ...counter, end_lockless_pgtbl_walk: () => acksSeenDuringWalks.push(Atomics.load(machine.cpuWords, cpuWord(1, 'ipiAck'))) };
    const realmode = new LocklessWalker(target, spy, [{ kind: 'kvm-realmode', weight: 1 }], 0.5);
    expect(smp_call_function_many(sender, [0, 1], false)).toBe(1); // an IPI from CPU 0, pending
    realmode.step(() => 1);
    expect(acksSeenDuringWalks).toHaveLength(walkerKind('kvm-realmode').walksPerIrqOff);
    expect(new Set(acksSeenDuringWalks)).toEqual(new Set([0])); // not one of them took the IPI
    expect(Atomics.load(machine.cpuWords, cpuWord(1, 'ipiAck'))).toBe(1); // taken as the stretch ended
  });

  it('a kvm-fault walker turns IRQs back on after every walk, taking a pending IPI at once', () => {
    const machine = createMachine(config('--cpus', '2', '--memory', '8M'));
    map_thp_range(machine, 0, 4);
    const target = new EmulatedCpu(machine, 1);
    const walker = new LocklessWalker(target, counter, [{ kind: 'kvm-fault', weight: 1 }], 0);
    Atomics.add(machine.cpuWords, cpuWord(1, 'ipiRequest'), 1);
    walker.step(() => 1);
    expect(walker.walksByKind['kvm-fault']).toBe(1);
    expect(Atomics.load(machine.cpuWords, cpuWord(1, 'ipiAck'))).toBe(1);
  });
});

describe('percpu against counter, decision by decision', () => {
  const probes: Probe[] = [];
  afterEach(async () => {
    await stopProbes(probes.splice(0));
  });

  it('interrupts only the CPUs walking, where counter interrupts the whole mm', async () => {
    const machine = SharedMachine.create({ cpus: 4, hugePages: 1 });
    for (let cpu = 0; cpu < 4; cpu++) cpumask_set_cpu(machine.mm, cpu);
    for (const cpu of [1, 2, 3]) probes.push(await startProbe(machine, cpu));
    const idling = probes.map((p) => p.api.idle(30_000));
    await eventually(() => [1, 2, 3].every((cpu) => Atomics.load(machine.cpuWords, cpuWord(cpu, 'halted')) === 1));
    const unmapper = new EmulatedCpu(machine, 0);
    // The same moment seen by both: CPU 2 alone has a walk in flight.
    Atomics.store(machine.cpuWords, cpuWord(2, 'locklessWalks'), 1);
    Atomics.store(machine.mm, mmWord.locklessPgtblWalkCount, 1);
    unmapper.beginRun(percpu);
    expect(percpu.serialize_against_pte_lookup(unmapper)).toBe(1);
    unmapper.beginRun(counter);
    expect(counter.serialize_against_pte_lookup(unmapper)).toBe(3);
    // And with nobody walking, neither sends anything.
    Atomics.store(machine.cpuWords, cpuWord(2, 'locklessWalks'), 0);
    Atomics.store(machine.mm, mmWord.locklessPgtblWalkCount, 0);
    expect(percpu.serialize_against_pte_lookup(unmapper)).toBe(0);
    expect(counter.serialize_against_pte_lookup(unmapper)).toBe(0);
    void idling;
  });
});

const EVERY_KIND = WALKER_KIND_NAMES.map((k) => `${k}:1`).join(',');

describe.each([
  ['munmap, every walker kind at once', config('--op', 'munmap', '--cpus', '4', '--memory', '64M', '--busy', '1', '--walk-rate', '0', '--workload', EVERY_KIND)],
  ['split, every walker kind at once', config('--op', 'split', '--cpus', '4', '--memory', '64M', '--busy', '1', '--walk-rate', '0', '--workload', EVERY_KIND)],
  ['collapse, every walker kind at once', config('--op', 'collapse', '--cpus', '4', '--memory', '64M', '--busy', '1', '--walk-rate', '0', '--workload', EVERY_KIND)],
  ['munmap, walkers hammering the PMDs being cleared', config('--op', 'munmap', '--cpus', '3', '--memory', '8G', '--race-window', '2')],
  ['collapse, walkers hammering the PTE pages being freed', config('--op', 'collapse', '--cpus', '3', '--memory', '8G', '--race-window', '2')],
])('every safe strategy: %s', (_, cfg) => {
  let pool: CpuPool;
  const runs: StrategyRun[] = [];
  beforeAll(async () => {
    pool = await CpuPool.start(createMachine(cfg));
    for (const [i, strategy] of SAFE.entries()) runs.push(await runStrategy(pool, cfg, strategy, i));
  });
  afterAll(async () => {
    await pool?.close();
  });

  it.each(SAFE)('%s: no use-after-free, every invariant held', (strategy) => {
    const run = runs.find((r) => r.strategy === strategy)!;
    expect(run.violations.useAfterFree).toBe(0);
    expect(run.brokenInvariants).toEqual([]);
    expect(run.pmdsDone).toBe(cfg.hugePages);
  });
});

describe('rcu-free and sync-one, as the kernel has them', () => {
  const cfg = config('--cpus', '3', '--outside-cpus', '2', '--memory', '256M', '--busy', '1', '--walk-rate', '0');
  let pool: CpuPool;
  const handledBy = new Map<string, number[]>();
  const runs = new Map<string, StrategyRun>();
  beforeAll(async () => {
    pool = await CpuPool.start(createMachine(cfg));
    for (const [i, strategy] of ['rcu-free', 'sync-one', 'ipi-broadcast'].entries()) {
      runs.set(strategy, await runStrategy(pool, cfg, strategy, i));
      handledBy.set(strategy, Array.from({ length: 5 }, (_, cpu) => pool.machine.cpuStats[cpuStat(cpu, 'ipisHandled')]));
    }
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('rcu-free sends no IPI on a PMD clear, and frees every frame, some after munmap has returned', () => {
    const run = runs.get('rcu-free')!;
    expect(run.ipis.sent).toBe(0);
    expect(run.ipis.skipped).toBe(cfg.hugePages);
    expect(run.brokenInvariants).toEqual([]); // frames freed == PMDs unmapped, none left mapped
    expect(run.peakPendingFrees).toBeGreaterThan(0);
    expect(run.allFreedMs).toBeGreaterThanOrEqual(run.munmapMs);
  });

  it('sync-one interrupts the CPUs outside mm_cpumask too; ipi-broadcast does not', () => {
    const pmds = cfg.hugePages;
    expect(runs.get('sync-one')!.ipis.sent).toBe(pmds * 4);
    expect(runs.get('ipi-broadcast')!.ipis.sent).toBe(pmds * 2);
    expect(handledBy.get('sync-one')!.slice(3)).toEqual([pmds, pmds]);
    expect(handledBy.get('ipi-broadcast')!.slice(3)).toEqual([0, 0]);
  });
});

describe('a time budget', () => {
  it('stops CPU 0, estimates the whole range from the PMDs done, and keeps every invariant', async () => {
    const cfg = config('--cpus', '3', '--memory', '8G', '--busy', '1', '--walk-rate', '0', '--budget', '0.03');
    const pool = await CpuPool.start(createMachine(cfg));
    try {
      const run = await runStrategy(pool, cfg, 'ipi-broadcast', 0);
      expect(run.estimated).toBe(true);
      expect(run.pmdsDone).toBeGreaterThan(0);
      expect(run.pmdsDone).toBeLessThan(run.pmds);
      expect(run.estimate).toMatchObject({ measuredPmds: run.pmdsDone });
      const e = run.estimate!;
      expect(e.lowMs).toBeLessThanOrEqual(run.munmapMs);
      expect(e.highMs).toBeGreaterThanOrEqual(run.munmapMs);
      expect(run.munmapMs).toBeCloseTo(e.measuredMs + ((run.pmds - run.pmdsDone) * e.perPmdUs.mean) / 1000, 6);
      expect(run.brokenInvariants).toEqual([]);
      // The machine is whole again for the next run: nothing mapped, nothing leaked.
      const next = await runStrategy(pool, { ...cfg, budgetMs: undefined }, 'rcu-free', 1);
      expect(next.estimated).toBe(false);
      expect(next.brokenInvariants).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
