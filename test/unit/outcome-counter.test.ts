import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutcomeCounter, rangesOf } from '../../src/litmus/outcomes.ts';

const sorted = (entries: { values: number[]; count: number }[]) => entries.map((e) => `${e.values.join(',')}:${e.count}`).sort();

describe('counting outcomes', () => {
  it('counts every outcome exactly, whether it falls in the expected ranges or not', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: -3, max: 300 }), { minLength: 3, maxLength: 3 }), { maxLength: 200 }), (outcomes) => {
        // Expected: values 0..2 for each name; the rest must still be counted, by text.
        const counter = new OutcomeCounter(rangesOf(3, [[0, 0, 0], [2, 2, 2]]));
        for (const values of outcomes) counter.add(values);
        const expected = new Map<string, number>();
        for (const values of outcomes) expected.set(values.join(','), (expected.get(values.join(',')) ?? 0) + 1);
        expect(sorted(counter.entries())).toEqual([...expected].map(([v, c]) => `${v}:${c}`).sort());
      }),
    );
  });

  it('takes the range of each position from the outcomes a model allows', () => {
    expect(rangesOf(2, [[0, 5], [-1, 7]])).toEqual([{ min: -1, span: 2 }, { min: 5, span: 3 }]);
    expect(rangesOf(1, [])).toEqual([{ min: 0, span: 0 }]);
  });

  it('counts outcomes with no observed value at all', () => {
    const counter = new OutcomeCounter([]);
    counter.add([]);
    counter.add([]);
    expect(counter.entries()).toEqual([{ values: [], count: 2 }]);
  });
});
