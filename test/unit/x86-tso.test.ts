import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lowerForKernelX86, lowerTest, VARIANTS } from '../../src/litmus/js-mapping.ts';
import { LITMUS_DIR, litmusFilesIn, readLitmusFile } from '../../src/litmus/litmus-files.ts';
import type { LitmusTest } from '../../src/litmus/litmus-test.ts';
import { allowedOutcomes } from '../../src/litmus/operational-models.ts';
import { someOutcomeHolds } from '../../src/litmus/verdict.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/lkmm/', import.meta.url));

function ownTest(name: string): LitmusTest {
  const read = readLitmusFile(join(LITMUS_DIR, `${name}.litmus`));
  if (!read.ok) throw new Error(read.message);
  return read.test;
}

const supported = [...litmusFilesIn(LITMUS_DIR), ...litmusFilesIn(FIXTURES)].flatMap((file) => {
  const read = readLitmusFile(file);
  return read.ok ? [read.test] : [];
});

/** Whether x86-TSO lets the condition hold for the threads as this harness runs them. */
const tsoAllows = (test: LitmusTest) => someOutcomeHolds(test, allowedOutcomes(test, lowerTest(test, 'as-written'), 'x86-tso'));
const kernelTsoAllows = (test: LitmusTest) => someOutcomeHolds(test, allowedOutcomes(test, lowerForKernelX86(test), 'x86-tso'));

describe('the x86-TSO model', () => {
  it('allows exactly the store-buffering shapes among the classic ones', () => {
    const allowed = ['SB', 'MP', 'LB', 'S', 'R', '2+2W', 'IRIW', 'SB+pgtbl'].filter((name) => tsoAllows(ownTest(name)));
    expect(allowed).toEqual(['SB', 'R', 'SB+pgtbl']);
  });

  it("lets the one-sided barrier of series v2-v3 show with this mapping's unfenced atomic_inc(), not with the kernel's locked one", () => {
    const test = ownTest('SB+pgtbl-v2v3');
    expect(tsoAllows(test)).toBe(true);
    expect(kernelTsoAllows(test)).toBe(false);
  });

  it("allows SB with release and acquire for the kernel's movs and this mapping on x86-64, and forbids it with another host's xchg", () => {
    const test = ownTest('SB+release+acquire');
    const allows = (hostArch: string) => someOutcomeHolds(test, allowedOutcomes(test, lowerTest(test, 'as-written', hostArch), 'x86-tso'));
    expect(kernelTsoAllows(test)).toBe(true);
    expect(allows('x64')).toBe(true);
    expect(allows('arm64')).toBe(false);
  });

  it('allows every outcome sequential consistency allows, for every test and variant', () => {
    for (const test of supported) {
      for (const variant of VARIANTS) {
        const threads = lowerTest(test, variant);
        const tso = allowedOutcomes(test, threads, 'x86-tso');
        for (const outcome of allowedOutcomes(test, threads, 'sc').keys()) expect(tso.has(outcome), `${test.name}/${variant}: ${outcome}`).toBe(true);
      }
    }
  });

  it('under the atomics and fenced variants allows only what sequential consistency allows', () => {
    for (const test of supported) {
      for (const variant of ['atomics', 'fenced'] as const) {
        const threads = lowerTest(test, variant);
        expect([...allowedOutcomes(test, threads, 'x86-tso').keys()].sort(), `${test.name}/${variant}`).toEqual([...allowedOutcomes(test, threads, 'sc').keys()].sort());
      }
    }
  });

  // The mapping's soundness, checked on the host's own model: a condition herd7 says is Never
  // must be unreachable for the threads exactly as they run here.
  it('forbids the condition of every Result: Never test, for the threads as this harness runs them', () => {
    const never = supported.filter((t) => t.expected === 'Never');
    expect(never.length).toBeGreaterThanOrEqual(14);
    for (const test of never) expect(tsoAllows(test), test.name).toBe(false);
  });
});
