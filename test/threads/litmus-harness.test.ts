import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARIANTS } from '../../src/litmus/js-mapping.ts';
import { BUILTIN_NAMES, LITMUS_DIR, builtinTest, litmusFilesIn, readLitmusFile } from '../../src/litmus/litmus-files.ts';
import type { LitmusTest } from '../../src/litmus/litmus-test.ts';
import { LitmusPool } from '../../src/litmus/run-litmus.ts';

const cores = os.availableParallelism();
const onX86 = process.arch === 'x64';
const FIXTURES = fileURLToPath(new URL('../fixtures/lkmm/', import.meta.url));

const supported: LitmusTest[] = [...litmusFilesIn(LITMUS_DIR), ...litmusFilesIn(FIXTURES)].flatMap((file) => {
  const read = readLitmusFile(file);
  return read.ok ? [read.test] : [];
});

describe('the litmus harness on worker threads', () => {
  let pool: LitmusPool;
  beforeAll(() => {
    pool = LitmusPool.start(4);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('counts every iteration exactly once, for every built-in shape and variant', async () => {
    for (const name of BUILTIN_NAMES) {
      for (const variant of VARIANTS) {
        const result = await pool.run(builtinTest(name), variant, 2_500, 1_000, process.arch);
        expect(result.outcomes.reduce((sum, o) => sum + o.count, 0), result.id).toBe(2_500);
      }
    }
  });

  it('never shows a non-SC outcome under atomics or fenced, over a bounded run of every built-in shape', async () => {
    for (const name of BUILTIN_NAMES) {
      for (const variant of ['atomics', 'fenced'] as const) {
        const result = await pool.run(builtinTest(name), variant, 100_000, 1_000, process.arch);
        expect(result.relaxedCount, `${result.id}: ${JSON.stringify(result.outcomes)}`).toBe(0);
        expect(result.verdict.failed).toBe(false);
      }
    }
  });

  // The check of the issue: on every supported test of the project's own and the kernel's, a
  // condition herd7 says is Never never shows, and on x86-64 no outcome the x86-TSO model
  // forbids for the threads as run ever shows either (the model the verdicts' reasons rest on).
  it('never observes a Result: Never condition, on any supported test; on x86-64, nothing x86-TSO forbids', async () => {
    expect(supported.filter((t) => t.expected === 'Never').length).toBeGreaterThanOrEqual(15);
    for (const test of supported) {
      const result = await pool.run(test, 'as-written', 40_000, 1_000, process.arch);
      expect(result.verdict.failed, `${test.name}: ${result.verdict.text}`).toBe(false);
      if (test.expected === 'Never') expect(result.positive, test.name).toBe(0);
      if (onX86) expect(result.outcomes.filter((o) => !o.tso).map((o) => o.outcome), test.name).toEqual([]);
    }
  });

  // The checks above are real only if the harness sees a relaxed outcome when the barrier is
  // gone: SB and SB+pgtbl as written are the same threads without it, SB+pgtbl-v2v3 keeps
  // the walker's atomic_inc() as weak as LKMM allows (a plain add by the count's only writer),
  // and SB+mb+rmb has x86's smp_rmb(), a compiler barrier (Lance Yang's v4, 2026).
  // Seeing it takes two threads on two cores at once; batches of 50 line them up often (the
  // unmapper's barrier soon puts it behind the walker). When other work holds a core, each
  // batch runs one thread after the other (every count a whole number of batches), and then
  // there is nothing to observe: the test says so and skips.
  it.skipIf(cores < 2 || !onX86)('shows the store-buffering outcome of SB, SB+pgtbl, SB+pgtbl-v2v3 and SB+mb+rmb as written, within 10 attempts', async (ctx) => {
    const own = (name: string) => supported.find((t) => t.name === name)!;
    for (const test of [builtinTest('SB'), builtinTest('SB+pgtbl'), own('SB+pgtbl-v2v3'), own('SB+mb+rmb')]) {
      let shown = 0;
      let attempts = 0;
      let overlapped = false;
      while (shown === 0 && attempts < 10) {
        const result = await pool.run(test, 'as-written', 100_000, 50, process.arch);
        shown = result.positive;
        overlapped ||= result.outcomes.some((o) => o.count % 50 !== 0);
        attempts++;
      }
      console.log(`${test.name}: condition shown ${shown} times in 100,000 iterations (attempt ${attempts})`);
      if (shown === 0 && !overlapped) ctx.skip(`${test.name}: in ${attempts} runs the host never ran the two threads at once (its cores were busy)`);
      expect(shown, test.name).toBeGreaterThan(0);
    }
  });

  it('runs spin_lock() critical sections to the end, every iteration counted', async () => {
    const read = readLitmusFile(join(LITMUS_DIR, 'MP+locks.litmus'));
    if (!read.ok) throw new Error(read.message);
    const result = await pool.run(read.test, 'as-written', 20_000, 500, process.arch);
    expect(result.outcomes.reduce((sum, o) => sum + o.count, 0)).toBe(20_000);
    expect(result.positive).toBe(0);
  });
});
