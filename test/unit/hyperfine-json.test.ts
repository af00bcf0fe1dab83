import { describe, expect, it } from 'vitest';
import { hyperfineResult } from '../../src/bench/hyperfine-json.ts';
import type { Figure } from '../../src/bench/measure.ts';

const figure: Figure = { name: 'emulator round trip', unit: 'us', times: [2, 4, 3], median: 3, min: 2, max: 4 };

describe("the bench's figures in hyperfine's --export-json shape", () => {
  it("has hyperfine's fields, in seconds, from the figure's own repeats", () => {
    const result = hyperfineResult(figure);
    expect(Object.keys(result)).toEqual(['command', 'mean', 'stddev', 'median', 'min', 'max', 'times', 'exit_codes', 'unit']);
    expect(result.command).toBe('emulator round trip');
    expect(result.times).toEqual([2e-6, 4e-6, 3e-6]);
    expect(result.mean).toBeCloseTo(3e-6, 15);
    expect(result.stddev).toBeCloseTo(1e-6, 15);
    expect([result.median, result.min, result.max]).toEqual([3e-6, 2e-6, 4e-6]);
    expect(result.exit_codes).toEqual([0, 0, 0]);
  });

  it('converts nanoseconds too, and carries the ratio to its floor beside them', () => {
    const result = hyperfineResult({ ...figure, unit: 'ns', times: [5], median: 5, min: 5, max: 5 }, { median: 1.2, min: 1.1, max: 1.3, against: 'raw', paired: true });
    expect(result.times).toEqual([5e-9]);
    expect(result.stddev).toBe(0);
    expect(result.ratio).toEqual({ median: 1.2, min: 1.1, max: 1.3, against: 'raw', paired: true });
  });
});
