import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../../src/base/sizes.ts';

describe('sizes', () => {
  it('parses binary suffixes and prints the shortest exact form', () => {
    expect(parseSize('496G')).toBe(496 * 2 ** 30);
    expect(parseSize('2M')).toBe(2 ** 21);
    expect(parseSize('16MiB')).toBe(2 ** 24);
    expect(parseSize('1t')).toBe(2 ** 40);
    expect(parseSize('4096')).toBe(4096);
    for (const bad of ['1X', '', 'G', '-1G', '1.5.2M']) expect(parseSize(bad)).toBeUndefined();
    expect(formatSize(496 * 2 ** 30)).toBe('496G');
    expect(formatSize(3 * 2 ** 20)).toBe('3M');
  });
});

describe('sizes, for any input', () => {
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
