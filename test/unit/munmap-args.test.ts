// The command line of stress/munmap.ts: argv to RunSpecs, and one-line errors naming the option.
import { describe, expect, it } from 'vitest';
import { parseMunmapArgs, type MunmapCommand } from '../../src/cli/munmap-args.ts';
import { UsageError } from '../../src/base/usage-error.ts';
import { WORKLOAD_PROFILES } from '../../src/kernel/walker-kinds.ts';
import { MAX_HUGE_PAGES } from '../../src/spec/run-spec.ts';
import { STRATEGY_NAMES, strategyByName } from '../../src/strategies/index.ts';

const command = (args: string[]): MunmapCommand => parseMunmapArgs(args);
const firstRun = (args: string[]) => command(args).runs[0];
const strategies = (args: string[]) => command(args).runs.map((run) => run.strategy);

describe('option parsing', () => {
  const rejects = (args: string[], message: RegExp) => expect(() => parseMunmapArgs(args)).toThrow(message);

  it('names the bad value in a UsageError', () => {
    expect(() => parseMunmapArgs(['--cpus', '0'])).toThrow(UsageError);
    rejects(['--cpus', '0'], /^--cpus must be an integer from 1 to 1024, got '0'$/);
    rejects(['--cpus', 'abc'], /--cpus .* got 'abc'/);
    rejects(['--cpus', '2.5'], /--cpus .* got '2.5'/);
    rejects(['--memory', '1X'], /--memory must be a size .* got '1X'/);
    rejects(['--thp', '3M'], /--thp must be 2M or 16M, got '3M'/);
    rejects(['--strategy', 'counter,bogus'], /unknown strategy 'bogus'/);
    rejects(['--bogus'], /unknown option '--bogus'/);
    rejects(['--memory', '3M'], /--memory 3M is not a whole number of 2M huge pages/);
    rejects(['--busy', '1.5'], /--busy .* got '1.5'/);
    rejects(['--cpus'], /--cpus/);
    rejects(['--cpus', '1000', '--outside-cpus', '30'], /^--cpus 1000 plus --outside-cpus 30 is more than 1024 CPUs$/);
    rejects(['--cpus', '4', '--inject', 'crash:0'], /^--inject: CPU 0 is not a walker CPU \(1\.\.3\)$/);
  });

  it("takes no name from an object's prototype for an answer, version, profile or preset", () => {
    for (const word of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      rejects(['--strategy', word], new RegExp(`^--strategy: unknown strategy '${word}'`));
      rejects(['--kernel', word], new RegExp(`^--kernel: unknown kernel version '${word}'`));
      rejects(['--workload', word], new RegExp(`^--workload: unknown walker kind or profile '${word}'`));
      rejects(['--preset', word], new RegExp(`^--preset: unknown preset '${word}'`));
    }
  });

  it('gives --race-window its own workload defaults, which explicit options still override', () => {
    expect(firstRun(['--race-window', '1']).workload).toEqual({
      mix: [{ kind: 'find-pte', weight: 1 }],
      holdUs: 1,
      walkRate: 0,
      busy: 1,
      dutyMs: 1,
      raceWindow: 1,
      otherMm: 0,
    });
    expect(firstRun(['--race-window', '2', '--hold-us', '3']).workload).toMatchObject({ holdUs: 3, busy: 1 });
    // Over a preset too: race defaults sit between the preset and what is given.
    expect(firstRun(['--preset', 'qemu-128', '--race-window', '1']).workload).toMatchObject({ busy: 1, walkRate: 0, dutyMs: 50 });
    expect(() => parseMunmapArgs(['--race-window=-1'])).toThrow(/^--race-window .* got '-1'$/);
    expect(() => parseMunmapArgs(['--race-window', '-1'])).toThrow(/^--race-window: the value '-1' looks like an option; write --race-window=-1$/);
  });

  it('reads a walker mix by kind and weight, or by profile name', () => {
    const mix = (text: string) => firstRun(['--workload', text]).workload.mix;
    expect(mix('kvm-fault:70,gup-fast:20,perf-callchain:10')).toEqual([
      { kind: 'kvm-fault', weight: 70 },
      { kind: 'gup-fast', weight: 20 },
      { kind: 'perf-callchain', weight: 10 },
    ]);
    expect(mix('hash-fault')).toEqual([{ kind: 'hash-fault', weight: 1 }]);
    expect(mix('find-pte')).toEqual(WORKLOAD_PROFILES['find-pte']);
    rejects(['--workload', 'kvm-fault:70,bogus:1'], /--workload: unknown walker kind or profile 'bogus'/);
    rejects(['--workload', 'kvm-fault:0'], /--workload: 'kvm-fault:0' needs a positive weight/);
    rejects(['--workload', 'kvm-fault:x'], /needs a positive weight/);
  });

  it('takes an operation, and limits every one to what PTE pages fit', () => {
    expect(firstRun(['--op', 'collapse']).op).toBe('collapse');
    expect(firstRun(['--op', 'collapse-munmap']).op).toBe('collapse-munmap');
    expect(firstRun([]).op).toBe('munmap');
    rejects(['--op', 'merge'], /--op: unknown operation 'merge' \(known: munmap, split, collapse, collapse-munmap, retract-unflushed\)/);
    rejects(['--op', 'all'], /--op: unknown operation 'all'/);
    // 4K pages: a PTE page of 512 ptes each, 1 GiB of them at most.
    rejects(['--op', 'split', '--base-page', '4K', '--memory', '2T'], /^--memory 2T is 1048576 huge pages; the limit is 524288 \(1T of 2M pages, with a PTE page of --base-page 4K pages for each\)$/);
    expect(firstRun(['--op', 'split', '--memory', '256G']).machine.hugePages).toBe(131_072);
  });

  it('expands a preset into defaults that options given still override', () => {
    const seed = firstRun(['--preset', 'qemu-128']);
    expect(seed.machine).toMatchObject({ cpus: 128, memoryBytes: 496 * 2 ** 30, thpBytes: 2 ** 21, hugePages: 253_952 });
    expect(seed).toMatchObject({ budgetMs: 60_000, watchdog: { thresholdMs: 60_000, onStuck: 'abort' } });
    expect(seed.workload).toEqual({ mix: WORKLOAD_PROFILES['qemu-guest'], holdUs: undefined, walkRate: 200, busy: 0.005, dutyMs: 50, raceWindow: 0, otherMm: 0 });
    expect(strategies(['--preset', 'qemu-128'])).toEqual(['ipi-broadcast', 'counter', 'percpu', 'stale-tolerant']);
    expect(strategies(['--preset', 'qemu-128', '--strategy', 'none'])).toEqual(['none']);
    const mine = firstRun(['--preset', 'qemu-128', '--cpus', '16', '--budget', '5']);
    expect(mine.machine.cpus).toBe(16);
    expect(mine.budgetMs).toBe(5_000);
    expect(firstRun([]).budgetMs).toBeUndefined();
    rejects(['--preset', 'qemu-64'], /--preset: unknown preset 'qemu-64' \(known: qemu-128\)/);
  });

  it('refuses memory beyond the arena limit before allocating anything', () => {
    rejects(['--memory', '8T'], new RegExp(`limit is ${MAX_HUGE_PAGES}`));
  });

  it('gives one run per strategy, alike in everything but the strategy', () => {
    const { runs, json } = command(['--strategy', 'counter,percpu', '--cpus', '5', '--json', 'out.json']);
    expect(runs.map((run) => run.strategy)).toEqual(['counter', 'percpu']);
    expect({ ...runs[0], strategy: undefined }).toEqual({ ...runs[1], strategy: undefined });
    expect(json).toBe('out.json');
  });

  it('fills in defaults and accepts the seed scenario sizes', () => {
    const run = firstRun(['--memory', '496G']);
    expect(run.machine.hugePages).toBe(253_952);
    expect(run.machine.thpBytes).toBe(2 ** 21);
    expect(strategies(['--memory', '496G'])).toEqual(['ipi-broadcast', 'counter']);
    expect(run.workload).toEqual({ mix: WORKLOAD_PROFILES['qemu-guest'], holdUs: undefined, walkRate: 20_000, busy: 0.5, dutyMs: 1, raceWindow: 0, otherMm: 0 });
    expect(strategies(['--strategy', 'all'])).toEqual(STRATEGY_NAMES.filter((name) => strategyByName(name).arches.includes('ppc64le-radix')));
    expect(strategies(['--arch', 'x86', '--strategy', 'all'])).toContain('skip-redundant-sync');
    expect(strategies(['--strategy', 'all'])).not.toContain('skip-redundant-sync');
    expect(firstRun(['--arch', 'ppc64-hash', '--memory', '1G']).machine).toMatchObject({ thpBytes: 2 ** 24, hugePages: 64 });
  });

  it('runs x86 with its own sizes, walkers and kernels, and refuses what x86 does not have', () => {
    const run = firstRun(['--arch', 'x86', '--kernel', 'x86-6.15']);
    expect(run.machine).toMatchObject({ arch: 'x86', basePageBytes: 2 ** 12, thpBytes: 2 ** 21, ptesPerPmd: 512 });
    expect(run.workload.mix).toEqual(WORKLOAD_PROFILES['gup-fast']);
    expect(strategies(['--arch', 'x86', '--kernel', 'all'])).toEqual(['linux-x86-6.1', 'linux-x86-6.15', 'linux-x86-7.1']);
    expect(strategies(['--kernel', 'all'])).not.toContain('linux-x86-6.1');
    expect(firstRun(['--arch', 'x86', '--pv', 'kvm', '--vcpu-preempt', '0.2', '--inject', 'batch-alloc-fail:0.5']).kernel).toMatchObject({ paravirt: 'kvm', batchAllocFail: 0.5 });
    rejects(['--kernel', 'x86-6.15'], /^--kernel x86-6\.15 is a kernel of x86, not of --arch ppc64le-radix; add --arch x86$/);
    rejects(['--arch', 'x86', '--kernel', '5.8'], /^--kernel 5\.8 is a kernel of ppc64le-radix, ppc64-radix, ppc64-hash, not of --arch x86$/);
    rejects(['--arch', 'x86', '--thp', '16M'], /^--thp 16M does not exist on --arch x86 \(it has 2M\)/);
    rejects(['--arch', 'x86', '--base-page', '64K'], /^--base-page 64K does not exist on --arch x86 \(it has 4K\)$/);
    rejects(['--arch', 'x86', '--tlb-flush', 'tlbie'], /^--tlb-flush tlbie does not exist on --arch x86 \(it has ipi\)$/);
    rejects(['--pv', 'kvm'], /^--pv kvm does not exist on --arch ppc64le-radix/);
    rejects(['--pv', 'xen'], /^--pv: unknown paravirt TLB flush 'xen'/);
    rejects(['--vcpu-preempt', '2'], /^--vcpu-preempt must be a number from 0 to 1, got '2'$/);
    rejects(['--inject', 'batch-alloc-fail:1.5'], /^--inject batch-alloc-fail must be a number from 0 to 1, got '1\.5'$/);
    rejects(['--inject', 'batch-alloc-fail:0.1,batch-alloc-fail:0.2'], /^--inject: batch-alloc-fail is given 2 times$/);
    rejects(['--arch', 'x86', '--workload', 'kvm-fault'], /^--workload: kvm-fault walks powerpc's tables/);
    rejects(['--thp', '16M'], /^--thp 16M does not exist on --arch ppc64le-radix \(it has 2M\): 16M THPs are the hash MMU's, ppc64-hash$/);
  });
});
