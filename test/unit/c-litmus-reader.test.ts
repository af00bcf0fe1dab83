import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { litmusFilesIn, readLitmusFile } from '../../src/litmus/litmus-files.ts';
import { ADDRESS_BASE, formatCondition, observedNames, observedName, type LitmusTest } from '../../src/litmus/litmus-test.ts';
import { readCLitmus, type ReadLitmus } from '../../src/litmus/parse-c-litmus.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/lkmm/', import.meta.url));

function read(text: string): LitmusTest {
  const result = readCLitmus(text);
  if (!result.ok) throw new Error(result.message);
  return result.test;
}

function refused(text: string): Extract<ReadLitmus, { ok: false }> {
  const result = readCLitmus(text);
  if (result.ok) throw new Error('read a test it should have refused');
  return result;
}

/** A one-thread test around `body`. */
const oneThread = (body: string, params = 'int *x, int *y') => `C t\n{}\nP0(${params})\n{\n${body}\n}\nexists (x=1)\n`;

describe('reading the kernel’s own litmus files', () => {
  it('reads SB+fencembonceonces into LKMM instructions, with its header verdict', () => {
    const test = read(readFileSync(`${FIXTURES}SB+fencembonceonces.litmus`, 'utf8'));
    expect(test.name).toBe('SB+fencembonceonces');
    expect(test.expected).toBe('Never');
    expect(test.threads[0]).toEqual([
      { kind: 'store', loc: 'x', value: { kind: 'const', value: 1 }, order: 'once', primitive: 'WRITE_ONCE' },
      { kind: 'fence', fence: 'mb', primitive: 'smp_mb' },
      { kind: 'load', loc: 'y', into: 'r0', order: 'once', primitive: 'READ_ONCE' },
    ]);
    expect(formatCondition(test.condition)).toBe('exists (0:r0=0 /\\ 1:r0=0)');
  });

  it('reads every fixture but the one with plain C accesses, which it refuses naming the access', () => {
    const results = litmusFilesIn(FIXTURES).map(readLitmusFile);
    expect(results.filter((r) => r.ok).map((r) => r.ok && r.test.name)).toEqual(expect.arrayContaining(['RCU+sync+read', 'RCU+sync+free']));
    const refused = results.filter((r) => !r.ok);
    expect(refused.map((r) => !r.ok && r.name)).toEqual(['dep+plain']);
    expect(refused[0]).toMatchObject({ problem: 'unsupported', expected: 'Never' });
    expect(refused[0] && !refused[0].ok && refused[0].message).toMatch(/^unsupported: plain C access .* at line \d+: LKMM's plain accesses \(data-race semantics\) are not emulated; use WRITE_ONCE\(\)$/);
  });

  it("reads pointers as addresses: the initial pointer, rcu_dereference() into a register, a load through it, a condition on one", () => {
    const test = read(readFileSync(`${FIXTURES}RCU+sync+free.litmus`, 'utf8'));
    expect(test.addresses).toEqual(['x', 'z']);
    expect(test.init).toMatchObject({ x: 1, y: ADDRESS_BASE, z: 1 });
    expect(test.threads[0].map((i) => ('loc' in i ? `${i.kind} ${i.loc}` : i.kind))).toEqual(['rcu-lock $rcu0', 'load y', 'load *r0', 'rcu-unlock $rcu0']);
    expect(test.threads[1][0]).toMatchObject({ kind: 'store', loc: 'y', value: { kind: 'const', value: ADDRESS_BASE + 1 }, order: 'release' });
    expect(formatCondition(test.condition, test.addresses)).toBe('exists (0:r0=x /\\ 0:r1=0)');
  });

  it("reads RCU's read-side sections and grace periods as the runner's own instructions", () => {
    const test = read(readFileSync(`${FIXTURES}RCU+sync+read.litmus`, 'utf8'));
    expect(test.threads[0].map((i) => i.kind)).toEqual(['rcu-lock', 'store', 'store', 'rcu-unlock']);
    expect(test.threads[1].map((i) => i.kind)).toEqual(['load', 'rcu-sync', 'load']);
  });

  it('takes a locations clause with a herd comment after it, and shows those names too', () => {
    const test = read(readFileSync(`${FIXTURES}SB+rfionceonce-poonceonces.litmus`, 'utf8'));
    expect(observedNames(test).map(observedName)).toEqual(['0:r1', '0:r2', '1:r3', '1:r4', 'x', 'y']);
    expect(test.expected).toBe('Sometimes');
  });

  it('takes registers used without a declaration, as herd does (cmpxchg-fail-ordered-2)', () => {
    const test = read(readFileSync(`${FIXTURES}cmpxchg-fail-ordered-2.litmus`, 'utf8'));
    expect(test.threads[1][0]).toMatchObject({ kind: 'rmw', op: 'cmpxchg', loc: 'y', into: 'r1', order: 'mb' });
  });

  it('takes typed initial values, ATOMIC_INIT and register initial values', () => {
    const test = read('C init\n{\n\tint x = 3;\n\tatomic_t v = ATOMIC_INIT(-1);\n\ty=2;\n\t0:r1=7;\n}\nP0(int *x, atomic_t *v, int *y)\n{\n\tint r0;\n\tr0 = atomic_read(v);\n}\nexists (0:r0=-1 /\\ 0:r1=7)\n');
    expect(test.init).toEqual({ x: 3, v: -1, y: 2 });
    expect(test.initRegisters).toEqual([{ r1: 7 }]);
    expect(test.expected).toBeUndefined();
  });

  it('reads ~exists, forall, disjunction, negation, != and [x]', () => {
    const base = 'C c\n{}\nP0(int *x) { int r0; r0 = READ_ONCE(*x); }\n';
    expect(formatCondition(read(`${base}~exists (0:r0=1 \\/ ~[x]=0)`).condition)).toBe('~exists (0:r0=1 \\/ ~x=0)');
    expect(formatCondition(read(`${base}forall (0:r0=0 /\\ (x=0 \\/ x!=1))`).condition)).toBe('forall (0:r0=0 /\\ (x=0 \\/ x!=1))');
  });

  it('puts each atomic’s arguments where the kernel does: the value first for atomic_add(i, v)', () => {
    const test = read(oneThread('\tint r0;\n\tatomic_add(5, y);\n\tr0 = atomic_sub_return_relaxed(2, x);\n\tr0 = atomic_dec_and_test(x);'));
    expect(test.threads[0]).toEqual([
      { kind: 'rmw', op: 'add', loc: 'y', operand: { kind: 'const', value: 5 }, returns: 'nothing', order: 'once', primitive: 'atomic_add' },
      { kind: 'rmw', op: 'add', loc: 'x', operand: { kind: 'const', value: -2 }, returns: 'new', into: 'r0', order: 'once', primitive: 'atomic_sub_return_relaxed' },
      { kind: 'rmw', op: 'add', loc: 'x', operand: { kind: 'const', value: -1 }, returns: 'new', into: 'r0', order: 'mb', primitive: 'atomic_dec_and_test' },
      { kind: 'assign', into: 'r0', value: { kind: 'binary', op: '==', left: { kind: 'reg', name: 'r0' }, right: { kind: 'const', value: 0 } } },
    ]);
  });

  it('runs a primitive inside an expression first, into a temporary register', () => {
    const test = read(oneThread('\tWRITE_ONCE(*y, READ_ONCE(*x) + 1);'));
    expect(test.threads[0]).toEqual([
      { kind: 'load', loc: 'x', into: '$0', order: 'once', primitive: 'READ_ONCE' },
      { kind: 'store', loc: 'y', value: { kind: 'binary', op: '+', left: { kind: 'reg', name: '$0' }, right: { kind: 'const', value: 1 } }, order: 'once', primitive: 'WRITE_ONCE' },
    ]);
  });
});

describe('what the reader refuses, naming the construct', () => {
  it.each([
    ['an RCU read-side section left open', oneThread('\trcu_read_lock();'), 'rcu_read_lock()', 'P0 ends inside it'],
    ['a grace period inside a read-side section', oneThread('\trcu_read_lock();\n\tsynchronize_rcu();\n\trcu_read_unlock();'), 'synchronize_rcu()', 'P0 is inside rcu_read_lock() and would wait for itself'],
    ['nested read-side sections', oneThread('\trcu_read_lock();\n\trcu_read_lock();'), 'nested rcu_read_lock()', 'nested RCU read-side critical sections are not emulated'],
    ['an atomic through a pointer register', oneThread('\tint *r0;\n\tr0 = READ_ONCE(*x);\n\tatomic_inc(r0);'), 'atomic_inc(r0)', "'r0' is not a location of this test"],
    ['the address of a register', oneThread('\tint r0;\n\tWRITE_ONCE(*x, &r0);'), "'&r0'", 'pointer values are only the addresses of locations here'],
    ['SRCU', oneThread('\tsynchronize_srcu(x);'), 'synchronize_srcu()', 'SRCU is not emulated'],
    ['a spin_trylock() whose if does not release it', oneThread('\tint r0;\n\tr0 = spin_trylock(x);\n\tif (r0) WRITE_ONCE(*y, 1);'), 'spin_trylock(x)', 'a lock taken by spin_trylock() and not released in its if branch is not emulated'],
    ['a spin_trylock() released outside its if', oneThread('\tint r0;\n\tr0 = spin_trylock(x);\n\tspin_unlock(x);'), 'spin_unlock(x)', 'P0 does not hold it'],
    ['an unknown primitive', oneThread('\t(void)atomic_add_unless(x, 1, 0);'), 'atomic_add_unless()', 'not a primitive this reader knows'],
    ['a plain C store (dep+plain)', oneThread('\tint a = READ_ONCE(*x);\n\t*y = a;'), "plain C access '*y = ...'", "LKMM's plain accesses (data-race semantics) are not emulated; use WRITE_ONCE()"],
    ['a plain C load', oneThread('\tint r0;\n\tr0 = *x;'), "plain C access '*x'", "LKMM's plain accesses (data-race semantics) are not emulated; use READ_ONCE()"],
    ['a loop', oneThread('\twhile (1) WRITE_ONCE(*x, 1);'), "'while'", 'loops and jumps are not emulated'],
    ['an assignment to a location', oneThread('\tx = 1;'), "assignment to 'x'", "'x' is a pointer to a location; pointer values are not emulated"],
    ['a lock never released', oneThread('\tspin_lock(x);'), 'spin_lock(x)', 'P0 ends holding it, and the next iteration would wait for it forever'],
    ['a lock under if, released outside it', oneThread('\tint r0;\n\tr0 = READ_ONCE(*y);\n\tif (r0) spin_lock(x);\n\tspin_unlock(x);'), 'spin_lock() or rcu_read_lock() under if', 'a lock or read-side section not ended in the branch that began it is not emulated'],
    ['a filter clause', 'C f\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nfilter (x=1)\nexists (x=1)', 'filter clause', 'filtered conditions are not emulated'],
    ['an X86 test', 'X86 SB\n{ x=0; }\n P0 ;\n', 'X86 test', 'only C (LKMM) tests run here'],
  ])('%s', (_, text, construct, why) => {
    const result = refused(text);
    expect(result.problem).toBe('unsupported');
    expect(result.construct).toBe(construct);
    expect(result.message).toBe(`unsupported: ${construct} at line ${result.line}: ${why}`);
  });

  it('says on which line a file stops making sense', () => {
    const result = refused('C bad\n\n{}\n\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1)\n}\n\nexists (x=1)\n');
    expect(result).toMatchObject({ problem: 'syntax', line: 8, message: "cannot read: line 8: expected ';', got '}'" });
  });

  it('reads every test of the project’s own litmus/ folder', () => {
    const results = litmusFilesIn(fileURLToPath(new URL('../../litmus/', import.meta.url))).map(readLitmusFile);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(20);
  });
});
