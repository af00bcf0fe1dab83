// Outcomes as small integers, for a histogram indexed by outcome: each observed value is a
// digit in base (largest value in the test + 1).

import type { LitmusShape } from './shapes.ts';

/** Every value a test can produce: its initial values, the values it writes, and 0. */
export function shapeValues(shape: LitmusShape): number[] {
  return [0, ...Object.values(shape.init), ...shape.threads.flat().flatMap((op) => (op.kind === 'W' ? [op.value] : []))];
}

export function outcomeKey(values: readonly number[], base: number): number {
  let key = 0;
  for (let k = values.length - 1; k >= 0; k--) key = key * base + values[k];
  return key;
}

export function outcomeValues(key: number, base: number, count: number): number[] {
  const values: number[] = [];
  for (let k = 0; k < count; k++, key = Math.floor(key / base)) values.push(key % base);
  return values;
}

export function histogramSize(shape: LitmusShape): number {
  return (Math.max(...shapeValues(shape)) + 1) ** shape.observe.length;
}
