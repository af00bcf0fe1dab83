// --herd7, as a user runs it: refused in one line when herd7 or the model is missing or herd7's
// output holds no verdict; a run judged against what herd7 says and a header that disagrees
// FAILED (with a stand-in herd7 that prints a fixed verdict, so that CI runs this too); and, where
// herd7 itself is installed, every test in litmus/ run against it.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run-script.ts';

const dir = mkdtempSync(join(tmpdir(), 'pgtbl-herd7-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in herd7 that prints `output` for any test, with a model directory beside it. */
function standIn(name: string, output: string): string {
  const bin = join(dir, name, 'bin', 'herd7');
  const lkmm = join(dir, name, 'lkmm');
  for (const d of [join(dir, name, 'bin'), lkmm]) mkdirSync(d, { recursive: true });
  writeFileSync(join(lkmm, 'linux-kernel.cfg'), '');
  writeFileSync(bin, `#!/bin/sh\nif [ "$1" = -version ]; then echo "7.58, stand-in"; exit 0; fi\ncat <<'OUT'\n${output}\nOUT\n`);
  chmodSync(bin, 0o755);
  return bin;
}

const litmus = (...args: string[]) => runScript('stress/litmus.ts', ...args);
const SAYS = (name: string, verdict: string, p: number, n: number) =>
  [`Test ${name} Allowed`, 'States 1', '0:r0=0; 1:r0=0;', 'Ok', 'Witnesses', `Positive: ${p} Negative: ${n}`, 'Condition exists (0:r0=0 /\\ 1:r0=0)', `Observation ${name} ${verdict} ${p} ${n}`].join('\n');

describe('stress/litmus.ts --herd7', () => {
  it.each([
    [['--herd7', '/nonexistent/herd7', '--file', 'litmus/SB.litmus'], "--herd7: no herd7 at '/nonexistent/herd7'"],
    [['--herd7', 'no-such-herd7-here', '--file', 'litmus/SB.litmus'], "--herd7: no herd7 at 'no-such-herd7-here' on $PATH"],
    [['--lkmm', '/tmp', '--file', 'litmus/SB.litmus'], '--lkmm needs --herd7 PATH'],
    [['--herd7-out', '/tmp/x', '--file', 'litmus/SB.litmus'], '--herd7-out needs --herd7 PATH'],
  ])('refuses %j in one line, exit 2', async (args, message) => {
    const { code, stdout, stderr } = await litmus(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(`litmus: ${message}`);
  });

  it('refuses a model directory without linux-kernel.cfg, and herd7 output with no verdict, before running anything', async () => {
    const bin = standIn('garbage', 'Warning: something herd7 could not parse');
    const noModel = await litmus('--herd7', bin, '--lkmm', dir, '--file', 'litmus/SB.litmus');
    expect([noModel.code, noModel.stderr.split('\n')[0]]).toEqual([2, `litmus: --lkmm: no linux-kernel.cfg in '${dir}' (give --lkmm DIR, the kernel's tools/memory-model)`]);
    const garbage = await litmus('--herd7', bin, '--file', 'litmus/SB.litmus');
    expect(garbage.code).toBe(2);
    expect(garbage.stdout).toBe('');
    expect(garbage.stderr.split('\n')[0]).toBe("litmus: --herd7: litmus/SB.litmus: no Observation line in herd7's output (it begins: Warning: something herd7 could not parse)");
  });

  it("judges the run by herd7's verdict, and fails a header that disagrees with it", async () => {
    const agrees = await litmus('--herd7', standIn('sb-sometimes', SAYS('SB', 'Sometimes', 1, 3)), '--file', 'litmus/SB.litmus', '--iterations', '20000');
    expect(agrees.code, agrees.stderr).toBe(0);
    expect(agrees.stdout).toContain('herd7 (run: 7.58, stand-in): Sometimes;');
    expect(agrees.stdout).toContain('header: Result: Sometimes, as herd7 says');
    const never = await litmus('--herd7', standIn('sb-never', SAYS('SB', 'Never', 0, 3)), '--file', 'litmus/SB.litmus', '--iterations', '200000', '--herd7-out', join(dir, 'out'));
    expect(never.code).toBe(3);
    expect(never.stdout).toContain('FAILED: the header says Result: Sometimes, herd7 says Never');
    expect(existsSync(join(dir, 'out', 'SB.out'))).toBe(true);
  });

  const real = [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'herd7')), join(homedir(), '.local/herdtools7/bin/herd7')].find(existsSync);
  it.skipIf(real === undefined)('runs every test in litmus/ against herd7 itself, every header agreeing (skipped: herd7 is not installed here)', async () => {
    const { code, stdout, stderr } = await litmus('--dir', 'litmus', '--herd7', real!, '--iterations', '20000', '--quiet');
    expect(code, stderr).toBe(0);
    expect(stdout).not.toMatch(/^ *FAILED:/m);
    expect(stdout).toMatch(/, 0 FAILED\.$/m);
    expect(stdout.match(/header: Result: \w+, as herd7 says/g)?.length).toBeGreaterThanOrEqual(24);
  }, 120_000);
});
