// How each LKMM primitive runs in JavaScript: the mapping, sound by construction. Every
// primitive becomes an operation at least as strong as LKMM requires of it, and as weak as that
// allows: READ_ONCE()/WRITE_ONCE() are plain typed-array accesses (unordered in JavaScript; a
// plain mov on x86-64), every fence is a full barrier (an `Atomics` read-modify-write on the
// thread's own word: a locked instruction) but for smp_rmb(), smp_wmb() and barrier() on an
// x86-64 host, which are compiler barriers as the kernel's x86 code has them (an `Atomics.load`
// of the thread's own word: a plain mov that V8 moves no access across; x86-TSO keeps loads in
// order with loads and stores with stores, so nothing LKMM asks of them is lost), a release
// store on such a host is that barrier and a plain store (x86's own), acquire, release elsewhere
// and value-returning atomics go through `Atomics` (sequentially consistent), and a void
// atomic_inc() stays unfenced where it can do so without losing an update.
//
// The same vocabulary describes the kernel's own x86-64 instructions for each primitive, so
// that the x86-TSO model can say whether the host or the mapping kept an outcome away.

import { locations, rcuFlag, throughRegister, type Expr, type FenceKind, type Instr, type LitmusTest } from './litmus-test.ts';

/**
 * `as-written`: each primitive as the table below says. `atomics`: every access through
 * `Atomics` as well. `fenced`: a full barrier between every two accesses as well. Under the
 * last two, sequential consistency must hold: a non-SC outcome means a broken barrier.
 */
export const VARIANTS = ['as-written', 'atomics', 'fenced'] as const;
export type Variant = (typeof VARIANTS)[number];

/** One JavaScript operation (or, for the kernel's mapping, one x86 instruction) on shared memory. */
export type JsOp =
  /** `atomic`: `Atomics.load` rather than a plain load (both a mov on x86-64). */
  | { readonly op: 'load'; readonly loc: string; readonly into: string; readonly atomic: boolean }
  /** `atomic`: `Atomics.store` (an xchg on x86-64, which drains the store buffer) rather than a plain store. */
  | { readonly op: 'store'; readonly loc: string; readonly value: Expr; readonly atomic: boolean }
  /**
   * `atomic`: an `Atomics` RMW (a locked instruction). Not atomic: a plain load, add and store,
   * used only by a location's sole writer, where no other update can come in between.
   */
  | {
      readonly op: 'rmw';
      readonly rmw: 'add' | 'exchange' | 'compareExchange';
      readonly loc: string;
      readonly operand: Expr;
      readonly expected?: Expr;
      readonly returns: 'nothing' | 'old' | 'new';
      readonly into?: string;
      readonly atomic: boolean;
    }
  /** A full barrier: `Atomics.add` on the thread's own fence word (a lock xadd, or mfence). */
  | { readonly op: 'fence' }
  /** A compiler barrier: `Atomics.load` of the thread's own fence word (a plain mov on x86-64); the hardware may still pass a store with a later load. */
  | { readonly op: 'compiler-barrier' }
  /** spin_lock(): an `Atomics.compareExchange` loop. spin_unlock(): `Atomics.store` of 0. */
  | { readonly op: 'lock' | 'unlock'; readonly loc: string }
  /** A grace period's wait for one reader: spin until `Atomics.load` of its flag reads 0. */
  | { readonly op: 'await-zero'; readonly loc: string }
  | { readonly op: 'assign'; readonly into: string; readonly value: Expr }
  | { readonly op: 'if'; readonly cond: Expr; readonly then: readonly JsOp[]; readonly else: readonly JsOp[] };

/** The mapping as a table, the one docs/memory-ordering.md shows (`stress/litmus.ts --mapping` prints it). */
export const MAPPING_TABLE: readonly {
  readonly primitives: readonly string[];
  readonly js: string;
  readonly why: string;
  /** On an x86-64 host, against the kernel's own x86-64 code: the same strength, stronger, or weaker (as weak as LKMM allows). */
  readonly vsKernelX86: string;
}[] = [
  { primitives: ['READ_ONCE()', 'atomic_read()'], js: 'plain load `m[x]`', why: 'LKMM orders a once access with nothing, and neither does JavaScript (a mov on x86-64)', vsKernelX86: 'the same (a mov)' },
  { primitives: ['WRITE_ONCE()', 'atomic_set()'], js: 'plain store `m[x] = v`', why: 'as above', vsKernelX86: 'the same (a mov)' },
  { primitives: ['smp_load_acquire()', 'atomic_read_acquire()'], js: '`Atomics.load`', why: 'sequentially consistent: stronger than acquire (still a mov on x86-64)', vsKernelX86: 'the same (a mov)' },
  {
    primitives: ['smp_store_release()', 'atomic_set_release()'],
    js: 'on an x86-64 host the compiler barrier below, then a plain store; elsewhere `Atomics.store`',
    why: "x86's own smp_store_release(): barrier() and a mov, x86-TSO ordering every earlier access before the store (exactly release); elsewhere sequentially consistent, stronger",
    vsKernelX86: 'the same (a mov)',
  },
  { primitives: ['smp_store_mb()'], js: 'plain store, then the full barrier below', why: 'as linux-kernel.def defines it', vsKernelX86: 'the same (a full barrier after the store)' },
  {
    primitives: ['smp_mb()', 'smp_mb__before_atomic()', 'smp_mb__after_atomic()', 'smp_mb__after_spinlock()', 'smp_mb__after_unlock_lock()'],
    js: "`Atomics.add(f, 0, 0)` on the thread's own word",
    why: "a locked read-modify-write, a full barrier; the lighter ones are full too (stronger than LKMM), since a void atomic may run as a plain add here, which the kernel's locked x86 atomics are not",
    vsKernelX86: 'smp_mb() the same; the others stronger (barrier() or nothing on x86)',
  },
  {
    primitives: ['smp_rmb()', 'smp_wmb()', 'barrier()'],
    js: "on an x86-64 host `Atomics.load(f, 0)` of the thread's own word; elsewhere the full barrier above",
    why: 'a compiler barrier, as the kernel\'s x86 code has them: a plain mov V8 moves no access across, and x86-TSO keeps loads in order with loads and stores with stores (exactly as strong as LKMM asks); on a weaker host a full barrier (stronger)',
    vsKernelX86: 'the same (a compiler barrier)',
  },
  {
    primitives: ['atomic_inc()', 'atomic_dec()', 'atomic_add()', 'atomic_sub()'],
    js: "plain load, add, store where the thread is the location's only writer; `Atomics.add` otherwise",
    why: "LKMM orders nothing around them; a sole writer loses no update (each CPU's own word in `counter-no-barriers`'s split count), a second writer would",
    vsKernelX86: 'weaker where plain (the kernel\'s is lock incl): why SB+pgtbl-v2v3 shows here',
  },
  {
    primitives: ['atomic_*_return()', 'atomic_fetch_*()', 'atomic_*_and_test()', 'atomic_add_negative()'],
    js: '`Atomics.add` (plus the operand for the _return forms)',
    why: 'a locked RMW: fully ordered, as LKMM orders the plain forms; stronger than the _relaxed, _acquire and _release ones need',
    vsKernelX86: 'the same (locked)',
  },
  { primitives: ['xchg()', 'atomic_xchg()'], js: '`Atomics.exchange`', why: 'a locked RMW: fully ordered, whatever the suffix', vsKernelX86: 'the same (locked)' },
  { primitives: ['cmpxchg()', 'atomic_cmpxchg()'], js: '`Atomics.compareExchange`', why: 'a locked RMW, fully ordered even when it fails (LKMM orders a failed one with nothing)', vsKernelX86: 'the same (locked)' },
  { primitives: ['spin_lock()', 'spin_unlock()'], js: '`Atomics.compareExchange` loop; `Atomics.store` of 0', why: 'sequentially consistent: stronger than acquire and release', vsKernelX86: 'spin_lock() the same; spin_unlock() stronger (the kernel\'s is a mov)' },
  {
    primitives: ['rcu_read_lock()', 'rcu_read_unlock()', 'synchronize_rcu()', 'synchronize_rcu_expedited()'],
    js: "`Atomics.store` of 1, then of 0, to the reader thread's own flag; a grace period is the full barrier, a spin until every other thread's flag reads 0, and the full barrier again",
    why: "a grace period then outlasts every read-side section in progress as it starts (toy RCU with sequentially consistent flags): RCU's guarantee, and stronger (it also waits for a section that began after it)",
    vsKernelX86: "stronger: a non-preemptible x86 kernel's rcu_read_lock() is barrier(), and its grace periods wait for context switches, not flags",
  },
  {
    primitives: ['spin_trylock()'],
    js: '`Atomics.compareExchange` of the lock word from 0 to 1, the result its old value == 0; the lock held only in the `if` on that result',
    why: 'a locked RMW: fully ordered, stronger than the acquire LKMM gives a successful trylock',
    vsKernelX86: 'the same (lock cmpxchg)',
  },
  {
    primitives: ['rcu_dereference()', 'rcu_assign_pointer()'],
    js: 'plain load; on an x86-64 host the compiler barrier and a plain store, elsewhere `Atomics.store` (as a once load and a release store); a pointer is a location\'s address, a number, and `*r0` the location whose address register r0 holds',
    why: "linux-kernel.def's __load{once} and __store{release}; the dereference's address dependency orders what it reads, as V8 cannot load through a pointer it has not loaded",
    vsKernelX86: 'the same (a mov each)',
  },
  { primitives: ['spin_is_locked()'], js: 'plain load `m[l]` of the lock word', why: "LKMM's __islocked orders nothing: a once load of the lock's state", vsKernelX86: 'the same (a mov)' },
  { primitives: ['if (r) on registers'], js: 'a JavaScript `if`', why: 'a store under it waits for the branch: neither V8 nor the CPU makes a store visible speculatively', vsKernelX86: 'the same' },
];

/** The fences that are compiler barriers only on x86-64, in the kernel's code and (on such a host) here. */
const COMPILER_ONLY_ON_X86: ReadonlySet<FenceKind> = new Set(['rmb', 'wmb', 'barrier']);

/** Whether fence `fence` runs as a compiler barrier on a host of `hostArch` (process.arch). */
export const compilerOnly = (fence: FenceKind, hostArch: string): boolean => hostArch === 'x64' && COMPILER_ONLY_ON_X86.has(fence);

/** The threads as JavaScript runs them under `variant`, on a host of `hostArch` (process.arch). */
export function lowerTest(test: LitmusTest, variant: Variant, hostArch: string = process.arch): JsOp[][] {
  const soleWriters = soleWriterOf(test);
  const readers = locations(test).filter((loc) => test.threads.some((_, t) => loc === rcuFlag(t)));
  return test.threads.map((instrs, t) => {
    const others = readers.filter((flag) => flag !== rcuFlag(t));
    const ops = lowerInstrs(instrs, (instr) =>
      instr.kind === 'rcu-sync' ? [{ op: 'fence' }, ...others.map((loc): JsOp => ({ op: 'await-zero', loc })), { op: 'fence' }] : lowerAsWritten(instr, 'loc' in instr && soleWriters.get(instr.loc) === t, hostArch),
    );
    if (variant === 'atomics') return ops.map(allAtomic);
    if (variant === 'fenced') return withFences(ops, true);
    return ops;
  });
}

/**
 * The threads as the kernel compiles them for x86-64: READ_ONCE, WRITE_ONCE, acquire, release
 * and spin_unlock() are plain movs; smp_mb() is a locked instruction (or mfence); smp_rmb(),
 * smp_wmb() and smp_mb__{before,after}_atomic() only stop the compiler (x86 keeps loads and
 * stores in order, and its atomics are locked); every atomic RMW is locked. For the x86-TSO
 * model's comparison only: it never runs.
 */
export function lowerForKernelX86(test: LitmusTest): JsOp[][] {
  return test.threads.map((instrs) =>
    lowerInstrs(instrs, (instr): JsOp[] => {
      switch (instr.kind) {
        case 'load':
          return [{ op: 'load', loc: instr.loc, into: instr.into, atomic: false }];
        case 'store':
          return [{ op: 'store', loc: instr.loc, value: instr.value, atomic: false }];
        case 'fence':
          // Only smp_mb() is an instruction on x86-64; smp_mb__after_unlock_lock() is smp_mb()
          // only under CONFIG_ARCH_WEAK_RELEASE_ACQUIRE (powerpc), else empty (include/linux/rcupdate.h).
          return instr.fence === 'mb' ? [{ op: 'fence' }] : [];
        case 'rmw':
          return [rmwOp(instr, true)];
        case 'lock':
          return [{ op: 'lock', loc: instr.loc }];
        case 'unlock':
          return [{ op: 'store', loc: instr.loc, value: { kind: 'const', value: 0 }, atomic: false }];
        case 'rcu-lock':
        case 'rcu-unlock':
          // preempt_disable()/enable() in a non-preemptible kernel: barrier() only.
          return [];
        case 'rcu-sync':
          // Its smp_mb()s; its wait for every CPU's context switch has no instruction here.
          return [{ op: 'fence' }];
      }
    }),
  );
}

/**
 * The primitives of a test that this mapping makes stronger than the kernel's x86-64 code. An
 * acquire load is not among them: `Atomics.load` is a plain mov on x86-64, as READ_ONCE() is.
 */
export function strongerThanKernelX86(test: LitmusTest, hostArch: string = process.arch): string[] {
  const stronger = new Set<string>();
  const visit = (instrs: readonly Instr[]) => {
    for (const instr of instrs) {
      if (instr.kind === 'if') {
        visit(instr.then);
        visit(instr.else);
      } else if (instr.kind === 'store' && instr.order === 'release' && hostArch !== 'x64') stronger.add(`${instr.primitive}() is an Atomics.store (an xchg)`);
      else if (instr.kind === 'fence' && instr.fence !== 'mb' && !compilerOnly(instr.fence, hostArch)) stronger.add(`${instr.primitive}() is a full barrier`);
      else if (instr.kind === 'unlock') stronger.add(`${instr.primitive}() is an Atomics.store (an xchg)`);
      else if (instr.kind === 'rcu-lock' || instr.kind === 'rcu-unlock' || instr.kind === 'rcu-sync') stronger.add('RCU runs as per-thread flags a grace period waits for, fenced');
    }
  };
  test.threads.forEach(visit);
  return [...stronger];
}

/** For each location written by exactly one thread, that thread. */
function soleWriterOf(test: LitmusTest): Map<string, number> {
  const writers = new Map<string, Set<number>>(locations(test).map((loc) => [loc, new Set<number>()]));
  const visit = (instrs: readonly Instr[], t: number) => {
    for (const instr of instrs) {
      if (instr.kind === 'if') {
        visit(instr.then, t);
        visit(instr.else, t);
      } else if (instr.kind === 'store' && throughRegister(instr.loc) !== undefined) {
        // A store through a pointer may write any location whose address the test takes.
        for (const a of test.addresses) writers.get(a)?.add(t);
      } else if (instr.kind === 'store' || instr.kind === 'rmw' || instr.kind === 'lock' || instr.kind === 'unlock') writers.get(instr.loc)?.add(t);
    }
  };
  test.threads.forEach(visit);
  return new Map([...writers].flatMap(([loc, ts]) => (ts.size === 1 ? [[loc, [...ts][0]] as [string, number]] : [])));
}

type Leaf = Exclude<Instr, { kind: 'if' } | { kind: 'assign' }>;

function lowerInstrs(instrs: readonly Instr[], leaf: (instr: Leaf) => JsOp[]): JsOp[] {
  return instrs.flatMap((instr): JsOp[] => {
    if (instr.kind === 'if') return [{ op: 'if', cond: instr.cond, then: lowerInstrs(instr.then, leaf), else: lowerInstrs(instr.else, leaf) }];
    if (instr.kind === 'assign') return [{ op: 'assign', into: instr.into, value: instr.value }];
    return leaf(instr);
  });
}

function lowerAsWritten(instr: Leaf, soleWriter: boolean, hostArch: string): JsOp[] {
  switch (instr.kind) {
    case 'load':
      return [{ op: 'load', loc: instr.loc, into: instr.into, atomic: instr.order === 'acquire' }];
    case 'store':
      // x86-64's smp_store_release(): barrier(), then a plain mov.
      if (instr.order === 'release' && hostArch === 'x64') return [{ op: 'compiler-barrier' }, { op: 'store', loc: instr.loc, value: instr.value, atomic: false }];
      return [{ op: 'store', loc: instr.loc, value: instr.value, atomic: instr.order === 'release' }];
    case 'fence':
      return [compilerOnly(instr.fence, hostArch) ? { op: 'compiler-barrier' } : { op: 'fence' }];
    case 'rmw':
      // Only the void forms may stay plain (LKMM orders nothing around them), and only for a
      // sole writer: a second writer's update could fall between the load and the store.
      return [rmwOp(instr, !(instr.returns === 'nothing' && soleWriter))];
    case 'lock':
    case 'unlock':
      return [{ op: instr.kind, loc: instr.loc }];
    case 'rcu-lock':
    case 'rcu-unlock':
      // Sequentially consistent: the flag is seen before the section's accesses, and after them.
      return [{ op: 'store', loc: instr.loc, value: { kind: 'const', value: instr.kind === 'rcu-lock' ? 1 : 0 }, atomic: true }];
    case 'rcu-sync':
      throw new Error('synchronize_rcu() is lowered with the test');
  }
}

function rmwOp(instr: Extract<Instr, { kind: 'rmw' }>, atomic: boolean): JsOp {
  const rmw = instr.op === 'add' ? 'add' : instr.op === 'xchg' ? 'exchange' : 'compareExchange';
  return {
    op: 'rmw',
    rmw,
    loc: instr.loc,
    operand: instr.operand,
    ...(instr.expected === undefined ? {} : { expected: instr.expected }),
    returns: instr.returns,
    ...(instr.into === undefined || instr.returns === 'nothing' ? {} : { into: instr.into }),
    atomic,
  };
}

function allAtomic(op: JsOp): JsOp {
  if (op.op === 'load' || op.op === 'store' || op.op === 'rmw') return { ...op, atomic: true };
  if (op.op === 'if') return { ...op, then: op.then.map(allAtomic), else: op.else.map(allAtomic) };
  return op;
}

/** A full barrier after every access but the thread's last. */
function withFences(ops: readonly JsOp[], top: boolean): JsOp[] {
  const out: JsOp[] = [];
  ops.forEach((op, k) => {
    if (op.op === 'if') out.push({ ...op, then: withFences(op.then, false), else: withFences(op.else, false) });
    else out.push(op);
    const access = op.op !== 'assign' && op.op !== 'fence' && op.op !== 'compiler-barrier' && op.op !== 'if';
    if (access && ops[k + 1]?.op !== 'fence') out.push({ op: 'fence' });
  });
  if (top) {
    // Between each pair, not after the last: drop fences that only trail.
    while (out.length > 0 && out[out.length - 1].op === 'fence' && !ops.some((op) => op === out[out.length - 1])) out.pop();
  }
  return out;
}
