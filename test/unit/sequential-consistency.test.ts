import { describe, expect, it } from 'vitest';
import { scOutcomes } from '../../src/litmus/sequential-consistency.ts';
import { SHAPES, formatOutcome, shapeByName } from '../../src/litmus/shapes.ts';

const sc = (name: string) => [...scOutcomes(shapeByName(name))].sort();

describe('outcome classification under sequential consistency', () => {
  it('SB: every outcome but both loads missing', () => {
    expect(sc('SB')).toEqual(['r0=0 r1=1', 'r0=1 r1=0', 'r0=1 r1=1']);
  });

  it('MP: seeing the flag but not the data is forbidden', () => {
    expect(sc('MP')).toEqual(['r0=0 r1=0', 'r0=0 r1=1', 'r0=1 r1=1']);
  });

  it('LB: both loads seeing the later stores is forbidden', () => {
    expect(sc('LB')).toEqual(['r0=0 r1=0', 'r0=0 r1=1', 'r0=1 r1=0']);
  });

  it('S: r0=1 with x finally 2 is forbidden', () => {
    expect(sc('S')).toEqual(['r0=0 x=1', 'r0=0 x=2', 'r0=1 x=1']);
  });

  it('R: y finally 2 with r0=0 is forbidden', () => {
    expect(sc('R')).toEqual(['y=1 r0=0', 'y=1 r0=1', 'y=2 r0=1']);
  });

  it('2+2W: both first stores winning is forbidden', () => {
    expect(sc('2+2W')).toEqual(['x=1 y=2', 'x=2 y=1', 'x=2 y=2']);
  });

  it('IRIW: the two readers disagreeing on the order of the writes is forbidden', () => {
    const outcomes = sc('IRIW');
    expect(outcomes).toHaveLength(15);
    expect(outcomes).not.toContain('r0=1 r1=0 r2=1 r3=0');
  });

  it('SB+pgtbl: the unmapper missing the walker while the walker finds the old PMD is forbidden', () => {
    expect(sc('SB+pgtbl')).toEqual(['r0=0 r1=0', 'r0=1 r1=0', 'r0=1 r1=1']);
  });

  it('every shape names a non-SC outcome in its exists clause', () => {
    for (const shape of SHAPES) {
      const exists = formatOutcome(shape, shape.observe.map((name) => shape.exists[name]));
      expect(scOutcomes(shape).has(exists), shape.name).toBe(false);
    }
  });
});
