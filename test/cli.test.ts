import { describe, expect, it } from 'vitest';
import { MAX_HUGE_PAGES, UsageError, parseMunmapArgs, type MunmapConfig } from '../src/coordinator/options.ts';
import { formatSize, parseSize } from '../src/coordinator/sizes.ts';
import { WORKLOAD_PROFILES } from '../src/cpu-worker/walker-kinds.ts';
import { STRATEGY_NAMES } from '../src/strategies/index.ts';

import { runScript } from './helpers/run-script.ts';

const munmap = (...args: string[]) => runScript('stress/munmap.ts', ...args);

describe('sizes', () => {
  it('parses binary suffixes and prints the shortest exact form', () => {
    expect(parseSize('496G')).toBe(496 * 2 ** 30);
    expect(parseSize('2M')).toBe(2 ** 21);
    expect(parseSize('16MiB')).toBe(2 ** 24);
    expect(parseSize('1t')).toBe(2 ** 40);
    expect(parseSize('4096')).toBe(4096);
    for (const bad of ['1X', '', 'G', '-1G', '1.5.2M']) expect(parseSize(bad)).toBeUndefined();
    expect(formatSize(496 * 2 ** 30)).toBe('496G');
    expect(formatSize(3 * 2 ** 20)).toBe('3M');
  });
});

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
  });

  it('gives --race-window its own workload defaults, which explicit options still override', () => {
    expect((parseMunmapArgs(['--race-window', '1']) as MunmapConfig).workload).toEqual({
      mix: [{ kind: 'find-pte', weight: 1 }],
      holdUs: 0.2,
      walkRate: 0,
      busy: 1,
      dutyMs: 1,
      raceWindow: 1,
    });
    expect((parseMunmapArgs(['--race-window', '2', '--hold-us', '3']) as MunmapConfig).workload).toMatchObject({ holdUs: 3, busy: 1 });
    expect(() => parseMunmapArgs(['--race-window=-1'])).toThrow(/^--race-window .* got '-1'$/);
    expect(() => parseMunmapArgs(['--race-window', '-1'])).toThrow(/^--race-window: the value '-1' looks like an option; write --race-window=-1$/);
  });

  it('reads a walker mix by kind and weight, or by profile name', () => {
    const mix = (text: string) => (parseMunmapArgs(['--workload', text]) as MunmapConfig).workload.mix;
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

  it('takes an operation, and limits split and collapse to what PTE pages fit', () => {
    expect((parseMunmapArgs(['--op', 'collapse']) as MunmapConfig).op).toBe('collapse');
    expect((parseMunmapArgs([]) as MunmapConfig).op).toBe('munmap');
    rejects(['--op', 'merge'], /--op: unknown operation 'merge' \(known: munmap, split, collapse\)/);
    rejects(['--op', 'all'], /--op: unknown operation 'all'/);
    rejects(['--op', 'split', '--memory', '256G'], /^--memory 256G is 131072 huge pages; the limit is 65536 \(128G of 2M pages, as --op split needs a PTE page for each\)$/);
  });

  it('expands a preset into defaults that options given still override', () => {
    const seed = parseMunmapArgs(['--preset', 'qemu-128']) as MunmapConfig;
    expect(seed).toMatchObject({ cpus: 128, memoryBytes: 496 * 2 ** 30, thpBytes: 2 ** 21, hugePages: 253_952, budgetMs: 60_000 });
    expect(seed.strategies).toEqual(['ipi-broadcast', 'counter', 'percpu', 'rcu-free']);
    expect((parseMunmapArgs(['--preset', 'qemu-128', '--cpus', '16', '--budget', '5']) as MunmapConfig)).toMatchObject({ cpus: 16, budgetMs: 5_000 });
    expect((parseMunmapArgs([]) as MunmapConfig).budgetMs).toBeUndefined();
    rejects(['--preset', 'qemu-64'], /--preset: unknown preset 'qemu-64' \(known: qemu-128\)/);
  });

  it('refuses memory beyond the arena limit before allocating anything', () => {
    rejects(['--memory', '8T'], new RegExp(`limit is ${MAX_HUGE_PAGES}`));
  });

  it('fills in defaults and accepts the seed scenario sizes', () => {
    const config = parseMunmapArgs(['--memory', '496G']) as MunmapConfig;
    expect(config.hugePages).toBe(253_952);
    expect(config.thpBytes).toBe(2 ** 21);
    expect(config.strategies).toEqual(['ipi-broadcast', 'counter']);
    expect(config.workload).toEqual({ mix: WORKLOAD_PROFILES['qemu-guest'], holdUs: undefined, walkRate: 20_000, busy: 0.5, dutyMs: 1, raceWindow: 0 });
    expect((parseMunmapArgs(['--strategy', 'all']) as MunmapConfig).strategies).toEqual(STRATEGY_NAMES);
    expect((parseMunmapArgs(['--thp', '16M', '--memory', '1G']) as MunmapConfig).hugePages).toBe(64);
    expect(parseMunmapArgs(['--help'])).toBe('help');
  });
});

describe('stress/munmap.ts', () => {
  it.each([
    [['--cpus', '0'], "--cpus must be an integer from 1 to 1024, got '0'"],
    [['--memory', '1X'], "--memory must be a size such as 512M or 496G, got '1X'"],
    [['--frobnicate'], "unknown option '--frobnicate'"],
  ])('exits 2 on %j with one line naming it, a pointer to --help, and no stack trace', async (args, message) => {
    const { code, stdout, stderr } = await munmap(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`munmap: ${message}\nTry 'npx tsx stress/munmap.ts --help'.\n`);
  });

  it('writes the JSON report with the documented shape', async () => {
    const { code, stdout, stderr } = await munmap('--cpus', '3', '--memory', '16M', '--json', '-');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report.host)).toEqual(expect.arrayContaining(['cores', 'arch', 'node']));
    expect(report.config).toMatchObject({ cpus: 3, memoryBytes: 16 * 2 ** 20, thpBytes: 2 ** 21, seed: 1 });
    expect(report.runs.map((r: { strategy: string }) => r.strategy)).toEqual(['ipi-broadcast', 'counter']);
    for (const run of report.runs) {
      expect(run).toMatchObject({ pmds: 8, pmdsUnmapped: 8, estimated: false, violations: { useAfterFree: 0 }, brokenInvariants: [] });
      expect(typeof run.munmapMs).toBe('number');
      for (const key of ['sent', 'skipped', 'acked']) expect(typeof run.ipis[key]).toBe('number');
      for (const key of ['p50', 'p99', 'max']) expect(typeof run.serializeUs[key]).toBe('number');
      for (const key of ['completed', 'perSecond']) expect(typeof run.walks[key]).toBe('number');
    }
    // The human report went to stderr, leaving stdout to the JSON.
    expect(stderr).toMatch(/strategy\s+PMDs\s+munmap ms/);
  });
});
