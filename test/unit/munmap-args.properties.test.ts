// Property-based tests of the command line: whatever a user types, the answer is a valid
// configuration or one line naming what is wrong, never anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPTIONS, parseMunmapArgs } from '../../src/cli/munmap-args.ts';
import { UsageError } from '../../src/base/usage-error.ts';
import { formatSize } from '../../src/base/sizes.ts';
import { MAX_HUGE_PAGES, THP_SIZES, maxHugePages, type RunSpec } from '../../src/spec/run-spec.ts';
import { MAX_CPUS } from '../../src/shared-memory/mm.ts';

const NAMES = Object.keys(OPTIONS);

/** Parse, and say what came back: a config, or a usage error's message. Anything else throws. */
function outcome(argv: string[]): { config?: RunSpec; error?: string } {
  try {
    return { config: parseMunmapArgs(argv).runs[0] };
  } catch (error) {
    if (error instanceof UsageError) return { error: error.message };
    throw error;
  }
}

/** What every accepted configuration must satisfy. */
function expectConsistent(config: RunSpec): void {
  const { machine } = config;
  expect(machine.hugePages * machine.thpBytes).toBe(machine.memoryBytes);
  expect(THP_SIZES).toContain(machine.thpBytes);
  expect(machine.hugePages).toBeGreaterThan(0);
  expect(machine.hugePages).toBeLessThanOrEqual(maxHugePages(machine.ptesPerPmd));
  expect(machine.cpus + machine.outsideCpus).toBeLessThanOrEqual(MAX_CPUS);
  expect(config.workload.busy).toBeGreaterThanOrEqual(0);
  expect(config.workload.busy).toBeLessThanOrEqual(1);
  for (const cpu of Object.keys(config.faults).map(Number)) expect(cpu > 0 && cpu < machine.cpus).toBe(true);
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
        if (cpus >= 1 && cpus <= MAX_CPUS) expect(config?.machine.cpus).toBe(cpus);
        else expect(error).toContain(`'${cpus}'`);
      }),
    );
  });

  it('memory: whole numbers of huge pages up to the limit are accepted; the rest refused with the reason', () => {
    // Each THP size with an architecture that has it: 2M radix, 16M hash, both with 64K pages.
    const thp = fc.constantFrom(...THP_SIZES);
    const archOf = (thpBytes: number) => (thpBytes === 2 ** 24 ? 'ppc64-hash' : 'ppc64le-radix');
    fc.assert(
      fc.property(thp, fc.integer({ min: 1, max: 2 * MAX_HUGE_PAGES }), fc.constantFrom('munmap', 'split', 'collapse'), (thpBytes, pages, op) => {
        const { config, error } = outcome(['--arch', archOf(thpBytes), '--thp', formatSize(thpBytes), '--memory', formatSize(pages * thpBytes), '--op', op]);
        const limit = maxHugePages(thpBytes / 2 ** 16);
        if (pages <= limit) expect(config?.machine.hugePages).toBe(pages);
        else expect(error).toMatch(new RegExp(`the limit is ${limit}`));
      }),
      { numRuns: 500 },
    );
  });
});
