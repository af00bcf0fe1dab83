// RunSpec: what a run is when built from code: typed defaults, layers of overrides, and every
// bad field refused naming the field (the command line words the same errors as its flags:
// test/unit/munmap-args.test.ts).
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/base/usage-error.ts';
import { WORKLOAD_PROFILES } from '../../src/kernel/walker-kinds.ts';
import { RUN_OPTIONS, flagOf } from '../../src/cli/run-options.ts';
import { kernelOf, runSpec } from '../../src/coordinator/run-spec.ts';
import { DEFAULT_RUN, PRESETS, WALKER_WAKE_UPS_PER_S, autoDutyMs, walkersAloneSpec } from '../../src/spec/run-spec.ts';
import { FLOOR } from '../../src/strategies/index.ts';

/** The error `build` throws, which must be a SpecError. */
function specError(build: () => unknown): SpecError {
  try {
    build();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('runSpec()', () => {
  it('takes every default from DEFAULT_RUN, a typed value', () => {
    const spec = runSpec();
    expect(spec.op).toBe(DEFAULT_RUN.op);
    // Page sizes and walkers are the architecture's when not given: ppc64le radix's.
    expect(spec.machine).toEqual({ ...DEFAULT_RUN.machine, thpBytes: 2 ** 21, basePageBytes: 2 ** 16, hugePages: 512, ptesPerPmd: 32 });
    expect(spec.workload).toEqual({ ...DEFAULT_RUN.workload, mix: WORKLOAD_PROFILES['qemu-guest'], dutyMs: 1 });
    expect(spec).toMatchObject({ seed: 1, warmupMs: DEFAULT_RUN.warmupMs, timeoutS: DEFAULT_RUN.timeoutS, faults: {}, budgetMs: undefined });
    expect(spec.watchdog).toEqual(DEFAULT_RUN.watchdog);
    expect(spec.strategy).toBe(FLOOR.name);
  });

  it('shows in --help the defaults DEFAULT_RUN holds', () => {
    expect(RUN_OPTIONS.cpus.default).toBe(String(DEFAULT_RUN.machine.cpus));
    expect(RUN_OPTIONS.memory.default).toBe('1G');
    expect(RUN_OPTIONS['duty-ms'].default).toBe('auto');
    expect(RUN_OPTIONS['walk-rate'].default).toBe(String(DEFAULT_RUN.workload.walkRate));
  });

  it('changes only what the overrides name, nested records field by field', () => {
    const spec = runSpec({ machine: { cpus: 3 }, workload: { busy: 1 }, watchdog: { onStuck: 'wait' }, strategy: 'counter' });
    expect(spec.machine).toMatchObject({ cpus: 3, memoryBytes: 2 ** 30 });
    expect(spec.workload).toMatchObject({ busy: 1, walkRate: 20_000 });
    expect(spec.watchdog).toEqual({ thresholdMs: 5_000, onStuck: 'wait' });
    expect(spec.strategy).toBe('counter');
  });

  it('layers the defaults, a preset, race amplification and the overrides, in that order', () => {
    const preset = runSpec({ preset: 'qemu-128' });
    expect(preset.machine.cpus).toBe(PRESETS['qemu-128'].spec.machine.cpus);
    expect(preset.workload.busy).toBe(0.005);
    expect(preset.budgetMs).toBe(60_000);
    expect(runSpec({ preset: 'qemu-128', budgetMs: undefined }).budgetMs).toBeUndefined();
    const racing = runSpec({ preset: 'qemu-128', workload: { raceWindow: 1 } });
    expect(racing.workload).toMatchObject({ mix: WORKLOAD_PROFILES['find-pte'], holdUs: 1, walkRate: 0, busy: 1, dutyMs: 50, raceWindow: 1 });
    // x86's walkers are GUP-fast alone, racing or not; its TLB flush is an IPI round.
    expect(runSpec({ machine: { arch: 'x86' } }).workload.mix).toEqual(WORKLOAD_PROFILES['gup-fast']);
    expect(runSpec({ machine: { arch: 'x86' }, workload: { raceWindow: 1 } }).workload.mix).toEqual(WORKLOAD_PROFILES['gup-fast']);
    expect(kernelOf(runSpec({ machine: { arch: 'x86' } })).tlbFlushBy).toBe('ipi');
    const mine = runSpec({ preset: 'qemu-128', workload: { raceWindow: 1, busy: 0.5 }, machine: { cpus: 4 } });
    expect(mine.workload.busy).toBe(0.5);
    expect(mine.machine.cpus).toBe(4);
  });

  it('wakes the idle walkers at most WALKER_WAKE_UPS_PER_S times a second together unless dutyMs says otherwise', () => {
    const dutyAt = (cpus: number, dutyMs?: number | 'auto') => runSpec({ machine: { cpus }, workload: dutyMs === undefined ? {} : { dutyMs } }).workload.dutyMs;
    expect(dutyAt(8)).toBe(1);
    expect(dutyAt(1 + WALKER_WAKE_UPS_PER_S / 1000)).toBe(1);
    expect(dutyAt(1024)).toBeCloseTo((1023 * 1000) / WALKER_WAKE_UPS_PER_S);
    expect(dutyAt(1024, 2)).toBe(2);
    expect(dutyAt(1024, 'auto')).toBe(autoDutyMs(1023));
    expect(() => RUN_OPTIONS['duty-ms'].parse('0', '--duty-ms')).toThrow(/^--duty-ms must be auto or a number from 0.01 to 10000, got '0'$/);
  });

  it('refuses a bad field given in code with a SpecError naming the field, before anything is allocated', () => {
    const refused = (build: () => unknown, fieldName: string, message: RegExp) => {
      const error = specError(build);
      expect(error.field).toBe(fieldName);
      expect(error.message).toMatch(message);
    };
    refused(() => runSpec({ machine: { memoryBytes: 3 * 2 ** 20 } }), 'machine.memoryBytes', /^machine\.memoryBytes 3M is not a whole number of 2M huge pages$/);
    refused(() => runSpec({ machine: { cpus: 0 } }), 'machine.cpus', /^machine\.cpus must be an integer from 1 to 1024, got 0$/);
    refused(() => runSpec({ machine: { cpus: 2.5 } }), 'machine.cpus', /got 2\.5$/);
    refused(() => runSpec({ workload: { busy: 2 } }), 'workload.busy', /^workload\.busy must be a number from 0 to 1, got 2$/);
    refused(() => runSpec({ workload: { mix: [{ kind: 'nope', weight: 1 }] } }), 'workload.mix[0].kind', /unknown walker kind 'nope'/);
    refused(() => runSpec({ workload: { mix: [] } }), 'workload.mix', /a list of walker kinds/);
    refused(() => runSpec({ kernel: { walkerStyle: 'sideways' as 'value' } }), 'kernel.walkerStyle', /unknown walker style 'sideways'/);
    refused(() => runSpec({ op: 'mremap' as 'munmap' }), 'op', /unknown operation 'mremap'/);
    refused(() => runSpec({ machine: { thpBytes: 2 ** 22 } }), 'machine.thpBytes', /^machine\.thpBytes must be 2M or 16M, got '4M'$/);
    refused(() => runSpec({ machine: { cpus: 1000, outsideCpus: 25 } }), 'machine.cpus', /^machine\.cpus 1000 plus machine\.outsideCpus 25 is more than 1024 CPUs$/);
    refused(() => runSpec({ machine: { cpus: 2 }, faults: { 2: 'crash' } }), 'faults', /^faults: CPU 2 is not a walker CPU \(1\.\.1\)$/);
    refused(() => runSpec({ op: 'collapse', machine: { memoryBytes: 2 ** 41, basePageBytes: 2 ** 12 } }), 'machine.memoryBytes', /with a PTE page of machine\.basePageBytes 4K pages for each/);
    refused(() => runSpec({ strategy: 'bogus' }), 'strategy', /unknown strategy 'bogus'/);
    refused(() => runSpec({ machine: { basePageBytes: 2 ** 13 } }), 'machine.basePageBytes', /^machine\.basePageBytes must be 64K or 4K, got '8K'$/);
    refused(() => runSpec({ machine: { thpBytes: 2 ** 24 } }), 'machine.thpBytes', /^machine\.thpBytes 16M does not exist on machine\.arch ppc64le-radix \(it has 2M\): 16M THPs are the hash MMU's, ppc64-hash$/);
    refused(() => runSpec({ machine: { arch: 'ppc64-hash', basePageBytes: 2 ** 12 } }), 'machine.basePageBytes', /^machine\.basePageBytes 4K does not exist on machine\.arch ppc64-hash \(it has 64K\)$/);
    refused(() => runSpec({ machine: { arch: 'x86', basePageBytes: 2 ** 16 } }), 'machine.basePageBytes', /^machine\.basePageBytes 64K does not exist on machine\.arch x86 \(it has 4K\)$/);
    refused(() => runSpec({ machine: { arch: 'x86' }, kernel: { tlbFlushBy: 'tlbie' } }), 'kernel.tlbFlushBy', /^kernel\.tlbFlushBy tlbie does not exist on machine\.arch x86 \(it has ipi\)$/);
    refused(() => runSpec({ kernel: { paravirt: 'kvm' } }), 'kernel.paravirt', /^kernel\.paravirt kvm does not exist on machine\.arch ppc64le-radix/);
    refused(() => runSpec({ machine: { vcpuPreempt: 1.5 } }), 'machine.vcpuPreempt', /^machine\.vcpuPreempt must be a number from 0 to 1, got 1\.5$/);
    refused(() => runSpec({ machine: { arch: 'x86' }, workload: { mix: [{ kind: 'kvm-fault', weight: 1 }] } }), 'workload.mix', /^workload\.mix: kvm-fault walks powerpc's tables .* machine\.arch x86 has only the generic gup-fast$/);
    refused(() => runSpec({ strategy: 'linux-x86-6.15' }), 'strategy', /^strategy linux-x86-6\.15 runs on x86 only, not on machine\.arch ppc64le-radix$/);
    refused(() => runSpec({ machine: { arch: 'x86' }, strategy: 'linux-5.8' }), 'strategy', /^strategy linux-5\.8 runs on ppc64le-radix, ppc64-radix, ppc64-hash only, not on machine\.arch x86$/);
    // The hash MMU's walker has no guard here after 5.8: refused for 5.8's walkers, fine before.
    refused(() => runSpec({ strategy: 'stale-tolerant', workload: { mix: [{ kind: 'hash-fault', weight: 1 }] } }), 'workload.mix', /^workload\.mix: hash-fault walks the hash MMU's tables/);
    expect(runSpec({ strategy: 'ipi-broadcast', workload: { mix: [{ kind: 'hash-fault', weight: 1 }] } }).strategy).toBe('ipi-broadcast');
  });

  it('words the same errors with the flags the command line maps to those fields', () => {
    const error = specError(() => runSpec({ machine: { arch: 'x86', basePageBytes: 2 ** 16 } }));
    expect(error.worded(flagOf)).toBe('--base-page 64K does not exist on --arch x86 (it has 4K)');
    expect(flagOf('kernel.batchAllocFail')).toBe('--inject batch-alloc-fail');
    expect(flagOf('machine.memoryBytes')).toBe('--memory');
    expect(flagOf('faults')).toBe('--inject');
    // Every option of a run names a field, and no two the same one.
    const fields = Object.values(RUN_OPTIONS).map((o) => o.field);
    expect(fields.every((f) => typeof f === 'string')).toBe(true);
    expect(new Set(fields).size).toBe(fields.length);
  });

  it('gives a PTE page a THP of base pages: 32 with 64K pages, 512 with 4K, 256 for the hash MMU\'s 16M', () => {
    expect(runSpec().machine.ptesPerPmd).toBe(32);
    expect(runSpec({ machine: { basePageBytes: 2 ** 12 } }).machine.ptesPerPmd).toBe(512);
    expect(runSpec({ machine: { arch: 'ppc64-hash' } }).machine).toMatchObject({ thpBytes: 2 ** 24, basePageBytes: 2 ** 16, ptesPerPmd: 256 });
    expect(runSpec({ machine: { arch: 'x86' } }).machine).toMatchObject({ thpBytes: 2 ** 21, basePageBytes: 2 ** 12, ptesPerPmd: 512 });
    // The mmu_gather's capacity: MMU_GATHER_BUNDLE, then MAX_GATHER_BATCH_COUNT batches of a page of pointers each.
    expect(kernelOf(runSpec()).gatherBatch).toBe(8198);
    expect(kernelOf(runSpec({ machine: { basePageBytes: 2 ** 12 } })).gatherBatch).toBe(9698);
  });

  it('describes walkers alone: one kind, back to back, every CPU busy', () => {
    const spec = walkersAloneSpec(6, 'gup-fast', 1.5, 2 ** 29);
    expect(spec.machine).toMatchObject({ cpus: 6, memoryBytes: 2 ** 29, hugePages: 256 });
    expect(spec.workload).toMatchObject({ mix: [{ kind: 'gup-fast', weight: 1 }], holdUs: 1.5, walkRate: 0, busy: 1 });
  });
});
