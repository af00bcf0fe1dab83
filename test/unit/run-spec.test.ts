// RunSpec: what a run is when built from code, with its defaults from the option table.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/base/usage-error.ts';
import { WORKLOAD_PROFILES } from '../../src/kernel/walker-kinds.ts';
import { RUN_OPTIONS, WALKER_WAKE_UPS_PER_S, autoDutyMs } from '../../src/coordinator/run-options.ts';
import { PRESETS, kernelOf, runSpec, walkersAloneSpec } from '../../src/coordinator/run-spec.ts';
import { FLOOR, strategyByName } from '../../src/strategies/index.ts';

describe('runSpec()', () => {
  it('takes every default from the option table', () => {
    const spec = runSpec();
    const table = (name: keyof typeof RUN_OPTIONS) => RUN_OPTIONS[name].default;
    expect(spec.op).toBe(table('op'));
    expect(spec.machine).toEqual({ cpus: Number(table('cpus')), outsideCpus: Number(table('outside-cpus')), memoryBytes: 2 ** 30, thpBytes: 2 ** 21, basePageBytes: 2 ** 16, hugePages: 512, ptesPerPmd: 32 });
    expect(spec.workload).toEqual({ mix: WORKLOAD_PROFILES[table('workload')!], holdUs: undefined, walkRate: Number(table('walk-rate')), busy: Number(table('busy')), dutyMs: 1, raceWindow: 0, otherMm: 0 });
    expect(spec).toMatchObject({ seed: 1, warmupMs: Number(table('warmup-ms')), timeoutS: Number(table('timeout')), faults: {}, budgetMs: undefined });
    expect(spec.watchdog).toEqual({ thresholdMs: Number(table('watchdog-ms')), onStuck: table('on-stuck') });
    expect(spec.strategy).toBe(FLOOR);
  });

  it('changes only what the overrides name, nested records field by field', () => {
    const spec = runSpec({ machine: { cpus: 3 }, workload: { busy: 1 }, watchdog: { onStuck: 'wait' }, strategy: 'counter' });
    expect(spec.machine).toMatchObject({ cpus: 3, memoryBytes: 2 ** 30 });
    expect(spec.workload).toMatchObject({ busy: 1, walkRate: 20_000 });
    expect(spec.watchdog).toEqual({ thresholdMs: 5_000, onStuck: 'wait' });
    expect(spec.strategy).toBe(strategyByName('counter'));
    expect(runSpec({ strategy: strategyByName('percpu') }).strategy.name).toBe('percpu');
  });

  it('layers the defaults, a preset, race amplification and the overrides, in that order', () => {
    const preset = runSpec({ preset: 'qemu-128' });
    expect(preset.machine.cpus).toBe(PRESETS['qemu-128'].spec.machine.cpus);
    expect(preset.workload.busy).toBe(0.005);
    const racing = runSpec({ preset: 'qemu-128', workload: { raceWindow: 1 } });
    expect(racing.workload).toMatchObject({ mix: WORKLOAD_PROFILES['find-pte'], holdUs: 1, walkRate: 0, busy: 1, dutyMs: 50, raceWindow: 1 });
    const mine = runSpec({ preset: 'qemu-128', workload: { raceWindow: 1, busy: 0.5 }, machine: { cpus: 4 } });
    expect(mine.workload.busy).toBe(0.5);
    expect(mine.machine.cpus).toBe(4);
  });

  it("wakes the idle walkers at most WALKER_WAKE_UPS_PER_S times a second together unless --duty-ms says otherwise", () => {
    expect(RUN_OPTIONS['duty-ms'].default).toBe('auto');
    const dutyAt = (cpus: number, dutyMs?: number | 'auto') => runSpec({ machine: { cpus }, workload: dutyMs === undefined ? {} : { dutyMs } }).workload.dutyMs;
    expect(dutyAt(8)).toBe(1);
    expect(dutyAt(1 + WALKER_WAKE_UPS_PER_S / 1000)).toBe(1);
    expect(dutyAt(1024)).toBeCloseTo((1023 * 1000) / WALKER_WAKE_UPS_PER_S);
    expect(dutyAt(1024, 2)).toBe(2);
    expect(dutyAt(1024, 'auto')).toBe(autoDutyMs(1023));
    expect(() => RUN_OPTIONS['duty-ms'].parse('0', '--duty-ms')).toThrow(/^--duty-ms must be auto or a number from 0.01 to 10000, got '0'$/);
  });

  it('refuses what no single option can check, naming the options, before anything is allocated', () => {
    expect(() => runSpec({ machine: { memoryBytes: 3 * 2 ** 20 } })).toThrow(UsageError);
    expect(() => runSpec({ machine: { memoryBytes: 3 * 2 ** 20 } })).toThrow(/^--memory 3M is not a whole number of 2M huge pages$/);
    expect(() => runSpec({ machine: { thpBytes: 2 ** 22 } })).toThrow(/^--thp must be 2M or 16M, got '4M'$/);
    expect(() => runSpec({ machine: { cpus: 1000, outsideCpus: 25 } })).toThrow(/^--cpus 1000 plus --outside-cpus 25 is more than 1024 CPUs$/);
    expect(() => runSpec({ machine: { cpus: 2 }, faults: { 2: 'crash' } })).toThrow(/^--inject: CPU 2 is not a walker CPU \(1\.\.1\)$/);
    expect(() => runSpec({ op: 'collapse', machine: { memoryBytes: 2 ** 40 } })).toThrow(/needs a PTE page for each/);
    expect(() => runSpec({ strategy: 'bogus' })).toThrow(/unknown strategy 'bogus'/);
    expect(() => runSpec({ machine: { basePageBytes: 2 ** 13 } })).toThrow(/^--base-page must be 64K or 4K, got '8K'$/);
    expect(() => runSpec({ machine: { thpBytes: 2 ** 24, basePageBytes: 2 ** 12 } })).toThrow(/^--thp 16M with --base-page 4K is 4096 ptes a PMD, more than a PTE page holds \(512\)/);
    // The hash MMU's walker has no guard here after 5.8: refused for 5.8's walkers, fine before.
    expect(() => runSpec({ strategy: 'stale-tolerant', workload: { mix: [{ kind: 'hash-fault', weight: 1 }] } })).toThrow(/^--workload: hash-fault walks the hash MMU's tables/);
    expect(runSpec({ strategy: 'ipi-broadcast', workload: { mix: [{ kind: 'hash-fault', weight: 1 }] } }).strategy.name).toBe('ipi-broadcast');
  });

  it('gives a PTE page a THP of base pages: 32 with 64K pages, 512 with 4K, 256 for the hash MMU\'s 16M', () => {
    expect(runSpec().machine.ptesPerPmd).toBe(32);
    expect(runSpec({ machine: { basePageBytes: 2 ** 12 } }).machine.ptesPerPmd).toBe(512);
    expect(runSpec({ machine: { thpBytes: 2 ** 24 } }).machine.ptesPerPmd).toBe(256);
    // The mmu_gather's batch is a page of pointers: 8190 with 64K pages, 510 with 4K.
    expect(kernelOf(runSpec()).gatherBatch).toBe(8190);
    expect(kernelOf(runSpec({ machine: { basePageBytes: 2 ** 12 } })).gatherBatch).toBe(510);
  });

  it('describes walkers alone: one kind, back to back, every CPU busy', () => {
    const spec = walkersAloneSpec(6, 'gup-fast', 1.5, 2 ** 29);
    expect(spec.machine).toMatchObject({ cpus: 6, memoryBytes: 2 ** 29, hugePages: 256 });
    expect(spec.workload).toMatchObject({ mix: [{ kind: 'gup-fast', weight: 1 }], holdUs: 1.5, walkRate: 0, busy: 1 });
  });
});
