import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run-script.ts';

const walkers = (...args: string[]) => runScript('stress/walkers.ts', ...args);

interface Ratio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

interface Result {
  readonly strategy: string;
  readonly cpus: number;
  readonly walksPerSecond: number;
  readonly rounds: readonly unknown[];
  readonly vsFloor?: Ratio;
  readonly vsFewestCpus?: Ratio;
}

describe('stress/walkers.ts', () => {
  it.each([
    [['--cpus', '2,2'], "--cpus names 2 twice, in '2,2'"],
    [['--cpus', '0'], "--cpus must be an integer from 1 to 1024, got '0'"],
    [['--rounds', '0'], "--rounds must be an integer from 1 to 100, got '0'"],
    [['--arch', 'arm64'], "--arch: unknown architecture 'arm64' (known: ppc64le-radix, ppc64-radix, ppc64-hash, x86)"],
    [['--arch', 'x86', '--kind', 'kvm-fault'], '--kind kvm-fault is a powerpc walker, not of --arch x86'],
    [['--strategy', 'targeted-sync'], '--strategy targeted-sync runs on x86 only, not on --arch ppc64le-radix'],
  ])('exits 2 on %j with one line naming it, a pointer to --help, and no stack trace', async (args, message) => {
    const { code, stdout, stderr } = await walkers(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`walkers: ${message}\nTry 'npx tsx stress/walkers.ts --help'.\n`);
  });

  it('measures every CPU count and strategy in every round, with ratios to none and to the fewest CPUs', async () => {
    const { code, stdout, stderr } = await walkers('--cpus', '3,1', '--strategy', 'none,percpu', '--rounds', '2', '--duration-ms', '80', '--json', '-');
    expect(code, stderr).toBe(0);
    const { results, startUps } = JSON.parse(stdout) as { results: Result[]; startUps: { cpus: number }[] };
    // Both pools start before any cell runs, in the order given.
    expect(startUps.map((s) => s.cpus)).toEqual([3, 1]);
    expect(results.map((r) => `${r.cpus}:${r.strategy}`)).toEqual(['3:none', '3:percpu', '1:none', '1:percpu']);
    for (const r of results) {
      expect(r.rounds).toHaveLength(2);
      expect(r.walksPerSecond).toBeGreaterThan(0);
      expect(r.vsFloor === undefined).toBe(r.strategy === 'none');
      expect(r.vsFewestCpus === undefined).toBe(r.cpus === 1);
    }
    // The human report, on stderr under --json -: both tables.
    expect(stderr).toMatch(/^walks\/s +3 CPUs \(2x over\) +1 CPU$/m);
    expect(stderr).toMatch(/^vs 1 CPU +3 CPUs \(2x over\) +1 CPU$/m);
    expect(stderr).toMatch(/^percpu +\d+\.\d\dx ±\d+% +1$/m);
  });
});
