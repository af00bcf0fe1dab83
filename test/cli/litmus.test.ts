import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run-script.ts';

const litmus = (...args: string[]) => runScript('stress/litmus.ts', ...args);

describe('stress/litmus.ts', () => {
  it.each([
    [['--test', 'XY'], "--test: unknown test 'XY' (known: SB, MP, LB, S, R, 2+2W, IRIW, SB+pgtbl, all)"],
    [['--variant', 'relaxed'], "--variant: unknown variant 'relaxed' (known: plain, atomics, fenced, all)"],
    [['--iterations', '0'], "--iterations must be an integer from 1 to 1000000000, got '0'"],
  ])('exits 2 on %j with one line naming it', async (args, message) => {
    const { code, stdout, stderr } = await litmus(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`litmus: ${message}\nTry 'npx tsx stress/litmus.ts --help'.\n`);
  });

  it('writes JSON with a histogram per test and variant, SC verdicts, and relaxedCount', async () => {
    const { code, stdout, stderr } = await litmus('--test', 'SB,MP', '--iterations', '200000', '--json', '-');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.host).toMatchObject({ cores: expect.any(Number), arch: expect.any(String), node: expect.any(String) });
    expect(report.tests.map((t: { name: string; variant: string }) => `${t.name}/${t.variant}`)).toEqual([
      'SB/plain', 'SB/atomics', 'SB/fenced', 'MP/plain', 'MP/atomics', 'MP/fenced',
    ]);
    for (const test of report.tests) {
      expect(test.iterations).toBe(200_000);
      const total = test.outcomes.reduce((sum: number, o: { count: number }) => sum + o.count, 0);
      expect(total).toBe(200_000);
      const relaxed = test.outcomes.filter((o: { sc: boolean }) => !o.sc).reduce((sum: number, o: { count: number }) => sum + o.count, 0);
      expect(test.relaxedCount).toBe(relaxed);
      if (test.variant !== 'plain') expect(test.relaxedCount).toBe(0);
    }
    expect(stderr).toMatch(/^Observation SB\/plain (Sometimes|Never) \d+ \d+$/m);
    if (os.availableParallelism() >= 2 && os.arch() === 'x64') {
      // x86-TSO forbids MP's relaxed outcome, and the report says so.
      expect(stderr).toMatch(/this x86-64 host did not show it: TSO keeps stores in order and loads in order/);
    }
  });
});
