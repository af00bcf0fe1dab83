import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LITMUS_DIR, builtinTest, readLitmusFile } from '../../src/litmus/litmus-files.ts';
import type { LitmusTest } from '../../src/litmus/litmus-test.ts';
import { readCLitmus } from '../../src/litmus/parse-c-litmus.ts';
import { summarise } from '../../src/litmus/run-litmus.ts';

function ownTest(name: string): LitmusTest {
  const read = readLitmusFile(join(LITMUS_DIR, `${name}.litmus`));
  if (!read.ok) throw new Error(read.message);
  return read.test;
}

/** SB with its header's Result line replaced. */
function sbSaying(result: string): LitmusTest {
  const read = readCLitmus(builtinTest('SB').source.replace('Result: Sometimes', `Result: ${result}`));
  if (!read.ok) throw new Error(read.message);
  return read.test;
}

// SB's outcomes as [0:r0, 1:r0]: 90 runs each saw the other's store, `relaxed` saw neither.
const sbRun = (relaxed: number) => [{ values: [1, 0], count: 90 }, { values: [0, 0], count: relaxed }, { values: [0, 1], count: 10 - relaxed }];

describe('verdicts against the header', () => {
  it('a Never condition observed is a failure, with exit status 3', () => {
    const result = summarise(sbSaying('Never'), 'as-written', 100, 10, sbRun(3), 0.1, 'x64');
    expect(result.positive).toBe(3);
    expect(result.observation).toBe('Sometimes');
    expect(result.verdict).toMatchObject({ kind: 'FAILED', failed: true, text: 'observed in 3 of 100 iterations, and herd7 says Never' });
    // The model already knew: this header cannot be right for this mapping.
    expect(result.verdict.warnings).toEqual(['the header says Never, but x86-TSO allows the condition for this mapping: the mapping is too weak or the header is wrong']);
  });

  it('a Never condition not observed agrees', () => {
    const result = summarise(ownTest('SB+mbs'), 'as-written', 100, 10, sbRun(0), 0.1, 'x64');
    expect(result.verdict).toMatchObject({ kind: 'agrees', failed: false, warnings: [] });
  });

  it('an Always condition that failed once is a failure', () => {
    const result = summarise(sbSaying('Always'), 'as-written', 100, 10, sbRun(3), 0.1, 'x64');
    expect(result.verdict).toMatchObject({ kind: 'FAILED', failed: true, text: 'false in 97 of 100 iterations, and herd7 says Always' });
  });

  it('a Sometimes condition observed agrees', () => {
    expect(summarise(builtinTest('SB'), 'as-written', 100, 10, sbRun(3), 0.1, 'x64').verdict).toMatchObject({ kind: 'agrees', failed: false });
  });

  it('SB with smp_mb__after_atomic() and no atomic, Sometimes and not observed: mapping stronger', () => {
    // LKMM orders nothing with the fence alone; x86's is barrier(); here it is full.
    const read = readCLitmus(builtinTest('SB').source.replace(/WRITE_ONCE\(\*([xy]), 1\);/g, 'WRITE_ONCE(*$1, 1); smp_mb__after_atomic();'));
    if (!read.ok) throw new Error(read.message);
    const result = summarise(read.test, 'as-written', 100, 10, [], 0.1, 'x64');
    expect(result.verdict).toMatchObject({
      kind: 'not observed',
      why: 'mapping stronger',
      text: "the mapping is stronger than the kernel's x86 code (smp_mb__after_atomic() is a full barrier): x86-TSO allows it with the kernel's instructions, not with these (computed)",
    });
  });

  it.each([
    ['MP', 'x86-TSO forbids it', "x86-TSO, this host's model, forbids it (computed over every store-buffer execution)"],
    ['LB+pgtbl-end-v2v3', 'x86-TSO forbids it', "x86-TSO, this host's model, forbids it (computed over every store-buffer execution)"],
    ['SB+release+acquire', 'not in this run', 'x86-TSO allows it (computed), but this run did not show it in 100 iterations'],
    ['SB', 'not in this run', 'x86-TSO allows it (computed), but this run did not show it in 100 iterations'],
    ['pgtbl-scope-v1', 'not in this run', "sequential consistency allows it, but this run's timing did not produce it in 100 iterations"],
  ])('%s, Sometimes and not observed: %s', (name, why, text) => {
    const test = ownTest(name);
    const result = summarise(test, 'as-written', 100, 10, [], 0.1, 'x64');
    expect(result.verdict).toMatchObject({ kind: 'not observed', failed: false, why, text });
  });

  it('on a host other than x86-64 says its model is not computed', () => {
    expect(summarise(builtinTest('MP'), 'as-written', 100, 10, [], 0.1, 'arm64').verdict).toMatchObject({ why: 'host model not computed' });
  });

  it('under atomics or fenced, judges sequential consistency only: a non-SC outcome is a broken barrier', () => {
    expect(summarise(builtinTest('SB'), 'fenced', 100, 10, sbRun(3), 0.1, 'x64').verdict).toMatchObject({ kind: 'BROKEN', failed: true, text: '3 non-SC outcome(s) under fenced: its barriers do not hold' });
    expect(summarise(builtinTest('SB'), 'atomics', 100, 10, sbRun(0), 0.1, 'x64').verdict).toMatchObject({ kind: 'sequentially consistent', failed: false });
  });

  it('warns when a Never header contradicts sequential consistency itself', () => {
    const read = readCLitmus(ownTest('pgtbl-scope-v1').source.replace('Result: Sometimes', 'Result: Never'));
    if (!read.ok) throw new Error(read.message);
    expect(summarise(read.test, 'as-written', 100, 10, [], 0.1, 'x64').verdict.warnings).toEqual(['the header says Never, but sequential consistency alone allows the condition']);
  });

  it('classifies each outcome under SC and x86-TSO, and counts those where the condition holds', () => {
    const result = summarise(builtinTest('SB'), 'as-written', 100, 10, sbRun(4), 0.1, 'x64');
    expect(result.outcomes.map((o) => [o.outcome, o.count, o.sc, o.tso, o.satisfies])).toEqual([
      ['0:r0=1; 1:r0=0;', 90, true, true, false],
      ['0:r0=0; 1:r0=1;', 6, true, true, false],
      ['0:r0=0; 1:r0=0;', 4, false, true, true],
    ]);
    expect(result.relaxedCount).toBe(4);
  });
});
