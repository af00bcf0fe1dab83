import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHerd7Output } from '../../src/litmus/herd7-output.ts';
import { LITMUS_DIR, litmusFilesIn, readLitmusFile } from '../../src/litmus/litmus-files.ts';

const HERD7_DIR = join(LITMUS_DIR, 'herd7');

describe("every litmus/ test's header, held to herd7's committed word", () => {
  const files = litmusFilesIn(LITMUS_DIR).filter((f) => !f.startsWith(HERD7_DIR));

  it('covers every test', () => {
    expect(files.length).toBeGreaterThanOrEqual(24);
  });

  for (const file of files) {
    const name = basename(file, '.litmus');
    it(`${name}: has herd7's output, and its Result: is herd7's Observation`, () => {
      const out = join(HERD7_DIR, `${name}.out`);
      expect(existsSync(out), `no ${out}: run stress/litmus.ts --herd7 --herd7-out litmus/herd7 and commit it`).toBe(true);
      const herd7 = parseHerd7Output(readFileSync(out, 'utf8'));
      const read = readLitmusFile(file);
      const [test, expected] = read.ok ? [read.test.name, read.test.expected] : [read.name, read.expected];
      expect(herd7.test).toBe(test);
      expect(expected, `${file} has no Result: line`).toBeDefined();
      expect(herd7.observation, `${file} says Result: ${expected}`).toBe(expected);
    });
  }
});

describe("herd7's output, read", () => {
  const SB = ['Test SB Allowed', 'States 2', '0:r0=0; 1:r0=0;', '0:r0=1; 1:r0=1;', 'Ok', 'Witnesses', 'Positive: 1 Negative: 1', 'Condition exists (0:r0=0 /\\ 1:r0=0)', 'Observation SB Sometimes 1 1', ''].join('\n');

  it('gives the Observation, the witnesses and the states', () => {
    expect(parseHerd7Output(SB)).toEqual({ test: 'SB', observation: 'Sometimes', positive: 1, negative: 1, states: ['0:r0=0; 1:r0=0;', '0:r0=1; 1:r0=1;'] });
  });

  it('says what is missing from what is not its output', () => {
    expect(() => parseHerd7Output('Warning: File "x.litmus", line 12: unexpected \'lock\' (in prog) (User error)\n')).toThrow(
      "no Observation line in herd7's output (it begins: Warning: File \"x.litmus\", line 12: unexpected 'lock' (in prog) (User error))",
    );
    expect(() => parseHerd7Output('')).toThrow('(it begins: (empty))');
    expect(() => parseHerd7Output(SB.replace('Test SB', 'Test MP'))).toThrow("names no test, or another than its Observation line's SB");
  });
});
