// The kernel primitives the C-litmus reader knows, each as tools/memory-model/linux-kernel.def
// defines it in LKMM's terms (a load, a store, a fence, an atomic read-modify-write with its
// ordering), and the ones it knows it cannot run, with why.

import { rcuFlag, type Expr, type FenceKind, type Instr, type Ordering } from './litmus-test.ts';

/** What a primitive's builder needs from the reader: its arguments as locations or values. */
export interface CallContext {
  /** The thread the call is in. */
  readonly thread: number;
  /** The location an argument names: `x` for a pointer argument, `*x` for an lvalue. */
  location(arg: number, form: 'pointer' | 'lvalue'): string;
  /** A value argument, as a register expression. */
  value(arg: number): Expr;
}

export interface Primitive {
  readonly args: number;
  /** Whether the call has a value (a load, or an RMW that returns one). */
  readonly returns: boolean;
  /** The LKMM instructions; a value goes to register `into`. */
  build(ctx: CallContext, into: string, primitive: string): Instr[];
}

const SUFFIX_ORDER: readonly [string, Ordering][] = [
  ['', 'mb'],
  ['_relaxed', 'once'],
  ['_acquire', 'acquire'],
  ['_release', 'release'],
];

const FENCES: { readonly [name: string]: FenceKind } = {
  smp_mb: 'mb',
  smp_rmb: 'rmb',
  smp_wmb: 'wmb',
  smp_mb__before_atomic: 'before-atomic',
  smp_mb__after_atomic: 'after-atomic',
  smp_mb__after_spinlock: 'after-spinlock',
  smp_mb__after_unlock_lock: 'after-unlock-lock',
  barrier: 'barrier',
};

const ONE: Expr = { kind: 'const', value: 1 };
const negate = (e: Expr): Expr => (e.kind === 'const' ? { kind: 'const', value: -e.value | 0 } : { kind: 'neg', arg: e });
const reg = (name: string): Expr => ({ kind: 'reg', name });

function buildTable(): Map<string, Primitive> {
  const table = new Map<string, Primitive>();
  const add = (name: string, p: Primitive) => table.set(name, p);

  add('READ_ONCE', { args: 1, returns: true, build: (c, into, primitive) => [{ kind: 'load', loc: c.location(0, 'lvalue'), into, order: 'once', primitive }] });
  add('WRITE_ONCE', { args: 2, returns: false, build: (c, _, primitive) => [{ kind: 'store', loc: c.location(0, 'lvalue'), value: c.value(1), order: 'once', primitive }] });
  add('smp_load_acquire', { args: 1, returns: true, build: (c, into, primitive) => [{ kind: 'load', loc: c.location(0, 'pointer'), into, order: 'acquire', primitive }] });
  add('smp_store_release', { args: 2, returns: false, build: (c, _, primitive) => [{ kind: 'store', loc: c.location(0, 'pointer'), value: c.value(1), order: 'release', primitive }] });
  add('smp_store_mb', {
    args: 2,
    returns: false,
    build: (c, _, primitive) => [
      { kind: 'store', loc: c.location(0, 'lvalue'), value: c.value(1), order: 'once', primitive },
      { kind: 'fence', fence: 'mb', primitive },
    ],
  });
  for (const [name, fence] of Object.entries(FENCES)) add(name, { args: 0, returns: false, build: (_, __, primitive) => [{ kind: 'fence', fence, primitive }] });

  add('atomic_read', { args: 1, returns: true, build: (c, into, primitive) => [{ kind: 'load', loc: c.location(0, 'pointer'), into, order: 'once', primitive }] });
  add('atomic_read_acquire', { args: 1, returns: true, build: (c, into, primitive) => [{ kind: 'load', loc: c.location(0, 'pointer'), into, order: 'acquire', primitive }] });
  add('atomic_set', { args: 2, returns: false, build: (c, _, primitive) => [{ kind: 'store', loc: c.location(0, 'pointer'), value: c.value(1), order: 'once', primitive }] });
  add('atomic_set_release', { args: 2, returns: false, build: (c, _, primitive) => [{ kind: 'store', loc: c.location(0, 'pointer'), value: c.value(1), order: 'release', primitive }] });

  // The void forms order nothing (LKMM's __atomic_op): atomic_add(V, X), atomic_inc(X), ...
  const voidAdd = (amount: (c: CallContext) => Expr, ptr: number, args: number): Primitive => ({
    args,
    returns: false,
    build: (c, _, primitive) => [{ kind: 'rmw', op: 'add', loc: c.location(ptr, 'pointer'), operand: amount(c), returns: 'nothing', order: 'once', primitive }],
  });
  add('atomic_add', voidAdd((c) => c.value(0), 1, 2));
  add('atomic_sub', voidAdd((c) => negate(c.value(0)), 1, 2));
  add('atomic_inc', voidAdd(() => ONE, 0, 1));
  add('atomic_dec', voidAdd(() => negate(ONE), 0, 1));

  const returning = (amount: (c: CallContext) => Expr, ptr: number, args: number, returns: 'old' | 'new', order: Ordering): Primitive => ({
    args,
    returns: true,
    build: (c, into, primitive) => [{ kind: 'rmw', op: 'add', loc: c.location(ptr, 'pointer'), operand: amount(c), returns, into, order, primitive }],
  });
  for (const [suffix, order] of SUFFIX_ORDER) {
    add(`atomic_add_return${suffix}`, returning((c) => c.value(0), 1, 2, 'new', order));
    add(`atomic_sub_return${suffix}`, returning((c) => negate(c.value(0)), 1, 2, 'new', order));
    add(`atomic_inc_return${suffix}`, returning(() => ONE, 0, 1, 'new', order));
    add(`atomic_dec_return${suffix}`, returning(() => negate(ONE), 0, 1, 'new', order));
    add(`atomic_fetch_add${suffix}`, returning((c) => c.value(0), 1, 2, 'old', order));
    add(`atomic_fetch_sub${suffix}`, returning((c) => negate(c.value(0)), 1, 2, 'old', order));
    add(`atomic_fetch_inc${suffix}`, returning(() => ONE, 0, 1, 'old', order));
    add(`atomic_fetch_dec${suffix}`, returning(() => negate(ONE), 0, 1, 'old', order));
    for (const prefix of ['', 'atomic_']) {
      add(`${prefix}xchg${suffix}`, {
        args: 2,
        returns: true,
        build: (c, into, primitive) => [{ kind: 'rmw', op: 'xchg', loc: c.location(0, 'pointer'), operand: c.value(1), returns: 'old', into, order, primitive }],
      });
      add(`${prefix}cmpxchg${suffix}`, {
        args: 3,
        returns: true,
        build: (c, into, primitive) => [
          { kind: 'rmw', op: 'cmpxchg', loc: c.location(0, 'pointer'), expected: c.value(1), operand: c.value(2), returns: 'old', into, order, primitive },
        ],
      });
    }
  }
  // Fully ordered RMWs whose value is a test of the new value.
  const testing = (amount: (c: CallContext) => Expr, ptr: number, args: number, test: (value: Expr) => Expr): Primitive => ({
    args,
    returns: true,
    build: (c, into, primitive) => [
      { kind: 'rmw', op: 'add', loc: c.location(ptr, 'pointer'), operand: amount(c), returns: 'new', into, order: 'mb', primitive },
      { kind: 'assign', into, value: test(reg(into)) },
    ],
  });
  const isZero = (v: Expr): Expr => ({ kind: 'binary', op: '==', left: v, right: { kind: 'const', value: 0 } });
  add('atomic_sub_and_test', testing((c) => negate(c.value(0)), 1, 2, isZero));
  add('atomic_dec_and_test', testing(() => negate(ONE), 0, 1, isZero));
  add('atomic_inc_and_test', testing(() => ONE, 0, 1, isZero));
  add('atomic_add_negative', testing((c) => c.value(0), 1, 2, (v) => ({ kind: 'binary', op: '<', left: v, right: { kind: 'const', value: 0 } })));

  add('spin_lock', { args: 1, returns: false, build: (c, _, primitive) => [{ kind: 'lock', loc: c.location(0, 'pointer'), primitive }] });
  add('spin_unlock', { args: 1, returns: false, build: (c, _, primitive) => [{ kind: 'unlock', loc: c.location(0, 'pointer'), primitive }] });
  // __trylock(X): take the lock if it is free; 1 if it was taken. A cmpxchg of its word from 0
  // to 1 (fully ordered: stronger than the acquire LKMM gives a success), then its old value tested.
  add('spin_trylock', {
    args: 1,
    returns: true,
    build: (c, into, primitive) => {
      const old = `${into}$old`;
      const zero: Expr = { kind: 'const', value: 0 };
      return [
        { kind: 'rmw', op: 'cmpxchg', loc: c.location(0, 'pointer'), expected: zero, operand: ONE, returns: 'old', into: old, order: 'mb', primitive },
        { kind: 'assign', into, value: { kind: 'binary', op: '==', left: reg(old), right: zero } },
      ];
    },
  });
  // __islocked(X): whether the lock is held, a load of its word (1 held, 0 free).
  add('spin_is_locked', { args: 1, returns: true, build: (c, into, primitive) => [{ kind: 'load', loc: c.location(0, 'pointer'), into, order: 'once', primitive }] });
  // rcu_dereference(X) is __load{once}(X), its ordering the address dependency of what uses it;
  // rcu_assign_pointer(X, V) is __store{release}(X, V) (linux-kernel.def).
  add('rcu_dereference', { args: 1, returns: true, build: (c, into, primitive) => [{ kind: 'load', loc: c.location(0, 'lvalue'), into, order: 'once', primitive }] });
  add('rcu_assign_pointer', { args: 2, returns: false, build: (c, _, primitive) => [{ kind: 'store', loc: c.location(0, 'lvalue'), value: c.value(1), order: 'release', primitive }] });
  add('rcu_read_lock', { args: 0, returns: false, build: (c, _, primitive) => [{ kind: 'rcu-lock', loc: rcuFlag(c.thread), primitive }] });
  add('rcu_read_unlock', { args: 0, returns: false, build: (c, _, primitive) => [{ kind: 'rcu-unlock', loc: rcuFlag(c.thread), primitive }] });
  for (const name of ['synchronize_rcu', 'synchronize_rcu_expedited']) add(name, { args: 0, returns: false, build: (_, __, primitive) => [{ kind: 'rcu-sync', primitive }] });
  return table;
}

export const PRIMITIVES: ReadonlyMap<string, Primitive> = buildTable();

/** Primitives of linux-kernel.def this harness does not run, and why. */
const UNSUPPORTED: readonly [RegExp, string][] = [
  [/^(srcu_read_lock|srcu_read_unlock|synchronize_srcu|synchronize_srcu_expedited|smp_mb__after_srcu_read_unlock)$/, 'SRCU is not emulated'],
];

/** Why a call this reader does not run is unsupported, in a few words. */
export function whyUnsupported(name: string): string {
  for (const [pattern, why] of UNSUPPORTED) if (pattern.test(name)) return why;
  return 'not a primitive this reader knows';
}
