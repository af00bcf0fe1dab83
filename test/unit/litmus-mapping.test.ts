import { describe, expect, it } from 'vitest';
import { compileThread, instanceLayout, threadSource } from '../../src/litmus/compile.ts';
import { MAPPING_TABLE, lowerTest, type Variant } from '../../src/litmus/js-mapping.ts';
import { builtinTest } from '../../src/litmus/litmus-files.ts';
import { threadRegisters, type LitmusTest } from '../../src/litmus/litmus-test.ts';
import { allowedOutcomes } from '../../src/litmus/operational-models.ts';
import { PRIMITIVES } from '../../src/litmus/lkmm-primitives.ts';
import { readCLitmus } from '../../src/litmus/parse-c-litmus.ts';

function read(text: string): LitmusTest {
  const result = readCLitmus(text);
  if (!result.ok) throw new Error(result.message);
  return result.test;
}

const source = (test: LitmusTest, t: number, variant: Variant = 'as-written') => threadSource(test, t, lowerTest(test, variant)[t]);
/** Where a location of an instance is, as the compiled code writes it. */
const at = (test: LitmusTest, loc: string) => `b + ${instanceLayout(test).offset.get(loc)}`;

/** A two-thread test: P0 runs `body`, P1 runs `other`. */
const twoThreads = (body: string, other = 'int r9; r9 = READ_ONCE(*x);') => read(`C t\n{}\nP0(int *x, atomic_t *c) { ${body} }\nP1(int *x, atomic_t *c) { ${other} }\nexists (x=1)`);

describe('each primitive compiled as the mapping says', () => {
  const sb = builtinTest('SB');

  it('READ_ONCE and WRITE_ONCE: plain typed-array accesses and nothing else', () => {
    const code = source(sb, 0);
    expect(code).toContain('m[b + 0] = 1;');
    expect(code).toContain('$r0 = m[b + 32];');
    expect(code).not.toContain('Atomics');
  });

  it('atomics: every access through Atomics', () => {
    const code = source(sb, 0, 'atomics');
    expect(code).toContain('Atomics.store(m, b + 0, 1);');
    expect(code).toContain('$r0 = Atomics.load(m, b + 32);');
  });

  it('fenced: a full barrier between each pair of accesses, none after the last', () => {
    const code = source(sb, 0, 'fenced');
    expect(code).toMatch(/m\[b \+ 0\] = 1;\s+Atomics\.add\(f, 0, 0\);\s+\$r0 = m\[b \+ 32\];\s+r\[/);
    expect(code.match(/Atomics\.add\(f/g)).toHaveLength(1);
  });

  it('every fence a full barrier on the thread’s own word on a weak host; acquire and release through Atomics', () => {
    const test = twoThreads('int r0; smp_rmb(); smp_wmb(); smp_mb__before_atomic(); barrier(); r0 = smp_load_acquire(x); smp_store_release(x, 2);');
    const code = threadSource(test, 0, lowerTest(test, 'as-written', 'arm64')[0]);
    expect(code.match(/Atomics\.add\(f, 0, 0\);/g)).toHaveLength(4);
    expect(code).not.toContain('Atomics.load(f');
    expect(code).toContain('$r0 = Atomics.load(m, b + 0);');
    expect(code).toContain('Atomics.store(m, b + 0, 2);');
  });

  it("on an x86-64 host smp_rmb(), smp_wmb() and barrier() are compiler barriers, as the kernel's x86 code has them; smp_mb__before_atomic() stays full", () => {
    const test = twoThreads('int r0; smp_rmb(); smp_wmb(); smp_mb__before_atomic(); barrier(); r0 = READ_ONCE(*x);');
    const code = threadSource(test, 0, lowerTest(test, 'as-written', 'x64')[0]);
    expect(code.match(/Atomics\.load\(f, 0\);/g)).toHaveLength(3);
    expect(code.match(/Atomics\.add\(f, 0, 0\);/g)).toHaveLength(1);
  });

  it("on an x86-64 host a release store is x86's own: the compiler barrier, then a plain store", () => {
    const test = twoThreads('smp_store_release(x, 2);');
    expect(threadSource(test, 0, lowerTest(test, 'as-written', 'x64')[0])).toMatch(/Atomics\.load\(f, 0\);\s+m\[b \+ 0\] = 2;/);
  });

  it('SB+mb+rmb: x86-TSO allows its condition with the compiler barrier, SB+mbs forbids it', () => {
    const rmb = read('C SB+mb+rmb\n{ y = 1; }\nP0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); smp_mb(); r0 = READ_ONCE(*y); }\nP1(int *x, int *y) { int r1; WRITE_ONCE(*y, 0); smp_rmb(); r1 = READ_ONCE(*x); }\nexists (0:r0=1 /\\ 1:r1=0)');
    const outcomes = (test: LitmusTest) => [...allowedOutcomes(test, lowerTest(test, 'as-written', 'x64'), 'x86-tso').keys()];
    expect(outcomes(rmb)).toContain('0:r0=1; 1:r1=0;');
    const mbs = read('C SB+mbs\n{ y = 1; }\nP0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); smp_mb(); r0 = READ_ONCE(*y); }\nP1(int *x, int *y) { int r1; WRITE_ONCE(*y, 0); smp_mb(); r1 = READ_ONCE(*x); }\nexists (0:r0=1 /\\ 1:r1=0)');
    expect(outcomes(mbs)).not.toContain('0:r0=1; 1:r1=0;');
  });

  it("a void atomic_inc() by a location's only writer: a plain load, add and store, unfenced", () => {
    const test = twoThreads('atomic_inc(c);', 'int r9; r9 = atomic_read(c);');
    const code = source(test, 0);
    expect(code).toContain(`m[${at(test, 'c')}] = (m[${at(test, 'c')}] + 1) | 0;`);
    expect(code).not.toContain('Atomics');
  });

  it('a void atomic_inc() with a second writer: Atomics.add, so that no update is lost', () => {
    const test = twoThreads('atomic_inc(c);', 'atomic_dec(c);');
    expect(source(test, 0)).toContain(`Atomics.add(m, ${at(test, 'c')}, 1);`);
  });

  it('value-returning atomics through Atomics RMWs, even for a sole writer', () => {
    const test = twoThreads('int r0; int r1; int r2; r0 = atomic_inc_return_relaxed(c); r1 = xchg(x, 3); r2 = cmpxchg(x, 3, 4);');
    const code = source(test, 0);
    expect(code).toContain(`{ const v = 1; $r0 = (Atomics.add(m, ${at(test, 'c')}, v) + v) | 0; }`);
    expect(code).toContain(`$r1 = Atomics.exchange(m, ${at(test, 'x')}, 3);`);
    expect(code).toContain(`$r2 = Atomics.compareExchange(m, ${at(test, 'x')}, 3, 4);`);
  });

  it('spin_lock() and spin_unlock() as an Atomics.compareExchange loop and an Atomics.store', () => {
    const test = twoThreads('spin_lock(c); WRITE_ONCE(*x, 1); spin_unlock(c);');
    const code = source(test, 0);
    expect(code).toContain(`while (Atomics.compareExchange(m, ${at(test, 'c')}, 0, 1) !== 0);`);
    expect(code).toContain(`Atomics.store(m, ${at(test, 'c')}, 0);`);
  });

  it('every location on a cache line of its own', () => {
    expect([...instanceLayout(builtinTest('IRIW')).offset.values()]).toEqual([0, 32]);
  });
});

describe('compiled threads compute what the model computes', () => {
  // One thread run once, in this thread: the compiled code and the SC model must agree on
  // every register, whatever the arithmetic, the comparisons and the branches.
  it.each([
    ['arithmetic and comparisons', 'r1 = (r0 + 3) * 2 == 16 && !(r0 - 5); r2 = r0 - 9 < 0; r3 = -r0 ^ 6 | 1 & 3;'],
    ['branches on registers', 'if (r0 == 5) { r1 = 1; r2 = READ_ONCE(*y); } else r1 = 2; if (!r1) r3 = 9; else { r3 = r1 || 0; }'],
    ['RMW values', 'r1 = atomic_fetch_add(r0, y); r2 = atomic_sub_return(2, y); r3 = xchg(y, 7) + cmpxchg(y, 7, r0);'],
  ])('%s', (_, body) => {
    const test = read(`C t\n{ x = 5; y = 11; }\nP0(int *x, int *y) { int r0; int r1; int r2; int r3; r0 = READ_ONCE(*x); ${body} }\nexists (0:r0=0 /\\ 0:r1=0 /\\ 0:r2=0 /\\ 0:r3=0 /\\ y=0)`);
    const [modelOutcome] = [...allowedOutcomes(test, lowerTest(test, 'as-written'), 'sc').values()];
    const layout = instanceLayout(test);
    const memory = new Int32Array(layout.instanceWords);
    memory[layout.offset.get('x')!] = 5;
    memory[layout.offset.get('y')!] = 11;
    const registers = new Int32Array(threadRegisters(test, 0).length);
    compileThread(source(test, 0))(memory, registers, new Int32Array(1), 1);
    const names = threadRegisters(test, 0);
    expect([...['r0', 'r1', 'r2', 'r3'].map((r) => registers[names.indexOf(r)]), memory[layout.offset.get('y')!]]).toEqual(modelOutcome);
  });
});

describe('the mapping table', () => {
  it('names every primitive the reader runs, suffixed forms by their base name', () => {
    const patterns = MAPPING_TABLE.flatMap((row) => row.primitives).map((p) => new RegExp(`^${p.replace('()', '').replace(/\*/g, '[a-z]+')}$`));
    const named = (name: string) => patterns.some((p) => p.test(name));
    const missing = [...PRIMITIVES.keys()].filter((name) => !named(name) && !named(name.replace(/_(relaxed|acquire|release)$/, '')));
    expect(missing).toEqual([]);
  });
});
