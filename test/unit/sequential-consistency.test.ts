import { describe, expect, it } from 'vitest';
import { lowerTest } from '../../src/litmus/js-mapping.ts';
import { BUILTIN_NAMES, builtinTest } from '../../src/litmus/litmus-files.ts';
import { allowedOutcomes } from '../../src/litmus/operational-models.ts';
import { readCLitmus } from '../../src/litmus/parse-c-litmus.ts';
import { someOutcomeHolds } from '../../src/litmus/verdict.ts';

const sc = (name: string) => [...allowedOutcomes(builtinTest(name), lowerTest(builtinTest(name), 'as-written'), 'sc').keys()].sort();

function inline(text: string) {
  const read = readCLitmus(text);
  if (!read.ok) throw new Error(read.message);
  return read.test;
}

describe('outcome classification under sequential consistency', () => {
  it('SB: every outcome but both loads missing', () => {
    expect(sc('SB')).toEqual(['0:r0=0; 1:r0=1;', '0:r0=1; 1:r0=0;', '0:r0=1; 1:r0=1;']);
  });

  it('MP: seeing the flag but not the data is forbidden', () => {
    expect(sc('MP')).toEqual(['1:r0=0; 1:r1=0;', '1:r0=0; 1:r1=1;', '1:r0=1; 1:r1=1;']);
  });

  it('LB: both loads seeing the later stores is forbidden', () => {
    expect(sc('LB')).toEqual(['0:r0=0; 1:r0=0;', '0:r0=0; 1:r0=1;', '0:r0=1; 1:r0=0;']);
  });

  it('S: r0=1 with x finally 2 is forbidden', () => {
    expect(sc('S')).toEqual(['1:r0=0; [x]=1;', '1:r0=0; [x]=2;', '1:r0=1; [x]=1;']);
  });

  it('R: y finally 2 with r0=0 is forbidden', () => {
    expect(sc('R')).toEqual(['1:r0=0; [y]=1;', '1:r0=1; [y]=1;', '1:r0=1; [y]=2;']);
  });

  it('2+2W: both first stores winning is forbidden', () => {
    expect(sc('2+2W')).toEqual(['[x]=1; [y]=2;', '[x]=2; [y]=1;', '[x]=2; [y]=2;']);
  });

  it('IRIW: the two readers disagreeing on the order of the writes is forbidden', () => {
    const outcomes = sc('IRIW');
    expect(outcomes).toHaveLength(15);
    expect(outcomes).not.toContain('1:r0=1; 1:r1=0; 3:r0=1; 3:r1=0;');
  });

  it('SB+pgtbl: the unmapper missing the walker while the walker finds the old PMD is forbidden', () => {
    expect(sc('SB+pgtbl')).toEqual(['0:r0=0; 1:r1=0;', '0:r0=1; 1:r1=0;', '0:r0=1; 1:r1=1;']);
  });

  it('every built-in shape asks about an outcome sequential consistency forbids', () => {
    for (const name of BUILTIN_NAMES) {
      const test = builtinTest(name);
      expect(someOutcomeHolds(test, allowedOutcomes(test, lowerTest(test, 'as-written'), 'sc')), name).toBe(false);
    }
  });

  it('follows control flow, RMW values and register arithmetic', () => {
    const test = inline(`C ctrl
{ x = 5; }
P0(int *x, atomic_t *c) { int r0; int r1; int r2;
  r0 = atomic_fetch_add(2, c);
  r1 = atomic_add_return(3, c);
  if (r1 == 5) r2 = READ_ONCE(*x) * 2 - 1; else r2 = -7;
}
exists (0:r0=0 /\\ 0:r1=5 /\\ 0:r2=9 /\\ c=5)`);
    expect([...allowedOutcomes(test, lowerTest(test, 'as-written'), 'sc').keys()]).toEqual(['0:r0=0; 0:r1=5; 0:r2=9; [c]=5;']);
  });

  it('a lock makes critical sections take turns: no interleaving inside them', () => {
    const test = inline(`C locked-increments
{}
P0(int *x, spinlock_t *l) { int r0; spin_lock(l); r0 = READ_ONCE(*x); WRITE_ONCE(*x, r0 + 1); spin_unlock(l); }
P1(int *x, spinlock_t *l) { int r0; spin_lock(l); r0 = READ_ONCE(*x); WRITE_ONCE(*x, r0 + 1); spin_unlock(l); }
exists (x=1)`);
    expect([...allowedOutcomes(test, lowerTest(test, 'as-written'), 'sc').keys()]).toEqual(['[x]=2;']);
  });
});
