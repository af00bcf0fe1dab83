// Property-based tests of the command line: whatever a user types, the answer is a valid
// configuration or one line naming what is wrong, never anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HUGE_PAGES, MAX_PTE_MAPPED_HUGE_PAGES, OPTIONS, THP_SIZES, UsageError, parseMunmapArgs, type MunmapConfig } from '../src/coordinator/options.ts';
import { formatSize, parseSize } from '../src/coordinator/sizes.ts';
import { MAX_CPUS } from '../src/shared-memory/mm.ts';

const NAMES = Object.keys(OPTIONS);

/** Parse, and say what came back: a config, or a usage error's message. Anything else throws. */
function outcome(argv: string[]): { config?: MunmapConfig; error?: string } {
  try {
    const result = parseMunmapArgs(argv);
    return result === 'help' ? {} : { config: result };
  } catch (error) {
    if (error instanceof UsageError) return { error: error.message };
    throw error;
  }
}

/** What every accepted configuration must satisfy. */
function expectConsistent(config: MunmapConfig): void {
  expect(config.hugePages * config.thpBytes).toBe(config.memoryBytes);
  expect(THP_SIZES).toContain(config.thpBytes);
  expect(config.hugePages).toBeGreaterThan(0);
  expect(config.hugePages).toBeLessThanOrEqual(config.op === 'munmap' ? MAX_HUGE_PAGES : MAX_PTE_MAPPED_HUGE_PAGES);
  expect(config.cpus + config.outsideCpus).toBeLessThanOrEqual(MAX_CPUS);
  expect(config.workload.busy).toBeGreaterThanOrEqual(0);
  expect(config.workload.busy).toBeLessThanOrEqual(1);
  for (const cpu of Object.keys(config.faults).map(Number)) expect(cpu > 0 && cpu < config.cpus).toBe(true);
}

describe('the command line, for any input', () => {
  it('any value of any option: a consistent config, or one line naming the option', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), fc.string({ unit: 'binary' }), (name, value) => {
        const { config, error } = outcome([`--${name}=${value}`]);
        if (config) expectConsistent(config);
        else {
          expect(error).not.toMatch(/[\n\r]/);
          expect(error).toContain(`--${name}`);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('any argument list at all: never anything but a config or a one-line usage error', () => {
    const arg = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom(...NAMES.map((n) => `--${n}`), '--help', '-h', '--'), fc.nat().map(String));
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 8 }), (argv) => {
        const { config, error } = outcome(argv);
        if (config) expectConsistent(config);
        if (error !== undefined) {
          expect(error).not.toMatch(/[\n\r]/);
          expect(error.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('numbers in range are accepted, and out of range are refused naming the value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: MAX_CPUS + 5 }), (cpus) => {
        const { config, error } = outcome(['--cpus', String(cpus)]);
        if (cpus >= 1 && cpus <= MAX_CPUS) expect(config?.cpus).toBe(cpus);
        else expect(error).toContain(`'${cpus}'`);
      }),
    );
  });

  it('memory: whole numbers of huge pages up to the limit are accepted; the rest refused with the reason', () => {
    const thp = fc.constantFrom(...THP_SIZES);
    fc.assert(
      fc.property(thp, fc.integer({ min: 1, max: 2 * MAX_HUGE_PAGES }), fc.constantFrom('munmap', 'split', 'collapse'), (thpBytes, pages, op) => {
        const { config, error } = outcome(['--thp', formatSize(thpBytes), '--memory', formatSize(pages * thpBytes), '--op', op]);
        const limit = op === 'munmap' ? MAX_HUGE_PAGES : MAX_PTE_MAPPED_HUGE_PAGES;
        if (pages <= limit) expect(config?.hugePages).toBe(pages);
        else expect(error).toMatch(new RegExp(`the limit is ${limit}`));
      }),
      { numRuns: 500 },
    );
  });
});

describe('sizes', () => {
  it('every size prints to a form that parses back to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.constantFrom(1, 2 ** 10, 2 ** 20, 2 ** 30), (n, unit) => {
        const bytes = n * unit;
        if (!Number.isSafeInteger(bytes)) return;
        expect(parseSize(formatSize(bytes))).toBe(bytes);
      }),
    );
  });

  it('any text parses to a positive safe integer or to nothing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const bytes = parseSize(text);
        if (bytes !== undefined) expect(Number.isSafeInteger(bytes) && bytes >= 0).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });
});
