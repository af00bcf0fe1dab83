// Shards and their merge, as a user spreads a run over machines: two shards of a small sweep
// merge into the same cells as the sweep run whole; a shard missing, given twice or of another
// run is named, and nothing merged; soak totals and litmus results add up.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run-script.ts';

const dir = mkdtempSync(join(tmpdir(), 'pgtbl-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

const SWEEP = ['--cpus', '2,3', '--memory', '64M', '--strategy', 'ipi-broadcast,counter', '--budget', '0.5', '--walkers-ms', '40', '--walkers-rounds', '1'];
interface Cell {
  readonly cpus: number;
  readonly memory: string;
  readonly workload: string;
  readonly strategy: string;
  readonly pmds: number;
  readonly invariantsHeld: boolean;
}
const key = (c: Cell) => `${c.cpus}|${c.memory}|${c.workload}|${c.strategy}|${c.pmds}|${c.invariantsHeld}`;
const sweepOf = (name: string) => JSON.parse(readFileSync(join(at(name), 'sweep.json'), 'utf8')) as { cells: Cell[]; walkers: { cpus: number; strategy: string }[]; shard?: { index: number; count: number; units: number; of: number } };

describe('--shard I/N and stress/merge.ts', () => {
  beforeAll(async () => {
    for (const [out, extra] of [
      ['whole', []],
      ['shard-1', ['--shard', '1/2']],
      ['shard-2', ['--shard', '2/2']],
      ['other-1', ['--shard', '1/2', '--cpus', '2']],
    ] as const) {
      const { code, stderr } = await runScript('stress/sweep.ts', ...SWEEP, ...extra, '--out', at(out));
      expect(code, stderr).toBe(0);
    }
  }, 120_000);

  it('deals the cells out, and the two shards merge into the same cells as the sweep run whole', async () => {
    const [one, two] = [sweepOf('shard-1'), sweepOf('shard-2')];
    expect([one.shard?.units, two.shard?.units, one.shard?.of]).toEqual([3, 3, 6]);
    expect(one.cells.length + two.cells.length).toBe(4);
    const { code, stdout, stderr } = await runScript('stress/merge.ts', at('shard-2'), at('shard-1'), '--out', at('merged'));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^merged 2 sweep report\(s\)/);
    const [whole, merged] = [sweepOf('whole'), sweepOf('merged')];
    expect(merged.cells.map(key)).toEqual(whole.cells.map(key));
    expect(merged.walkers.map((w) => `${w.cpus}|${w.strategy}`)).toEqual(whole.walkers.map((w) => `${w.cpus}|${w.strategy}`));
    expect(merged.shard).toBeUndefined();
    for (const file of ['sweep.md', 'munmap-ms.svg', 'ipis.svg', 'walkers.svg']) expect(existsSync(join(at('merged'), file)), file).toBe(true);
  });

  it.each([
    [['shard-1'], 'shard 2/2 is missing'],
    [['shard-1', 'shard-1', 'shard-2'], /^shard 1\/2 is given twice: .*shard-1, .*shard-1$/],
    [['shard-1', 'other-1'], /other-1 is a shard of another run \(config [0-9a-f]{16}, not [0-9a-f]{16}\)/],
    [['shard-1', 'whole'], /whole not shards, beside shards/],
  ] as const)('names what is wrong with %j, exit 2, and writes nothing', async (inputs, message) => {
    const out = at(`refused-${inputs.join('-')}`);
    const { code, stderr } = await runScript('stress/merge.ts', ...inputs.map(at), '--out', out);
    expect(code).toBe(2);
    const line = stderr.split('\n')[0].replace(/^merge: /, '');
    if (typeof message === 'string') expect(line).toContain(message);
    else expect(line).toMatch(message);
    expect(existsSync(join(out, 'sweep.json'))).toBe(false);
  });

  it.each([
    [['stress/sweep.ts', '--shard', '3/2'], "sweep: --shard must be I/N with 1 <= I <= N <= 1000, got '3/2'"],
    [['stress/sweep.ts', '--shard', '0/2'], "sweep: --shard must be I/N with 1 <= I <= N <= 1000, got '0/2'"],
    [['stress/litmus.ts', '--shard', '1/2'], 'litmus: --shard deals out the files of --dir; give --dir DIR'],
    [['stress/merge.ts', '--out', 'x'], 'merge: give the shards to merge: DIR or FILE, one or more'],
    [['stress/merge.ts', 'no-such-dir', '--out', 'x'], "merge: no such file or directory 'no-such-dir'"],
  ])('refuses %j in one line, exit 2', async ([script, ...args], message) => {
    const { code, stderr } = await runScript(script, ...args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(message);
  });

  it('adds up two shards of a soak, and sums two litmus runs of the same test as msum7 does', async () => {
    for (const i of [1, 2]) {
      const { code, stderr } = await runScript('stress/soak.ts', '--duration', '2s', '--cpus', '2', '--memory', '64M', '--shard', `${i}/2`, '--json', at(`soak-${i}.json`));
      expect(code, stderr).toBe(0);
    }
    const soak = await runScript('stress/merge.ts', at('soak-1.json'), at('soak-2.json'), '--out', at('soak'));
    expect(soak.code, soak.stderr).toBe(0);
    const parts = [1, 2].map((i) => JSON.parse(readFileSync(at(`soak-${i}.json`), 'utf8')) as { totals: { cycles: number; walks: number } });
    const merged = JSON.parse(readFileSync(join(at('soak'), 'soak.json'), 'utf8')) as { totals: { cycles: number; walks: number }; success: boolean };
    expect(merged.totals.cycles).toBe(parts[0].totals.cycles + parts[1].totals.cycles);
    expect(merged.totals.walks).toBe(parts[0].totals.walks + parts[1].totals.walks);
    expect(merged.success).toBe(true);
    expect(soak.stdout).toMatch(/SOAK: SUCCESS/);

    for (const i of [1, 2]) {
      const { code, stderr } = await runScript('stress/litmus.ts', '--file', 'litmus/SB+mbs.litmus', '--iterations', '20000', '--json', at(`litmus-${i}.json`));
      expect(code, stderr).toBe(0);
    }
    const litmus = await runScript('stress/merge.ts', at('litmus-1.json'), at('litmus-2.json'), '--out', at('litmus'));
    expect(litmus.code, litmus.stderr).toBe(0);
    const summed = JSON.parse(readFileSync(join(at('litmus'), 'litmus.json'), 'utf8')) as { tests: { iterations: number; outcomes: { count: number }[]; verdict: { kind: string } }[] };
    expect(summed.tests).toHaveLength(1);
    expect(summed.tests[0].iterations).toBe(40_000);
    expect(summed.tests[0].outcomes.reduce((s, o) => s + o.count, 0)).toBe(40_000);
    expect(summed.tests[0].verdict.kind).toBe('agrees');
    expect(readFileSync(join(at('litmus'), 'litmus.log'), 'utf8')).toMatch(/^Test SB\+mbs Allowed$/m);
  }, 60_000);
});
