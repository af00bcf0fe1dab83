import { describe, expect, it } from 'vitest';
import { medianRange } from '../../src/base/statistics.ts';

describe('a median and its range', () => {
  it('takes the middle value, or the mean of the middle two, whatever the order given', () => {
    expect(medianRange([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(medianRange([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(medianRange([])).toEqual({ median: 0, min: 0, max: 0 });
  });
});
