// A litmus test as data, in the Linux kernel memory model's own terms: what the C-litmus reader
// produces and everything else consumes. Each thread is a list of LKMM primitives as
// tools/memory-model/linux-kernel.def defines them (a load, a store, a fence, an atomic
// read-modify-write, a lock), the condition is the `exists` clause, and the expected result is
// the header's `Result:` line, herd7's verdict.

export type BinaryOp = '+' | '-' | '*' | '&' | '|' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

/** A register expression: C's integer arithmetic on constants and this thread's registers. */
export type Expr =
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'reg'; readonly name: string }
  | { readonly kind: 'not'; readonly arg: Expr }
  | { readonly kind: 'neg'; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr };

/** LKMM's annotations on an access: `once` is relaxed, `mb` fully ordered. */
export type Ordering = 'once' | 'acquire' | 'release' | 'mb';

/** `__fence{...}` in linux-kernel.def. */
export type FenceKind = 'mb' | 'rmb' | 'wmb' | 'before-atomic' | 'after-atomic' | 'after-spinlock' | 'after-unlock-lock' | 'barrier';

export type Instr =
  /** READ_ONCE(), smp_load_acquire(), atomic_read(): `into` takes the value. */
  | { readonly kind: 'load'; readonly loc: string; readonly into: string; readonly order: 'once' | 'acquire'; readonly primitive: string }
  /** WRITE_ONCE(), smp_store_release(), atomic_set(). */
  | { readonly kind: 'store'; readonly loc: string; readonly value: Expr; readonly order: 'once' | 'release'; readonly primitive: string }
  | { readonly kind: 'fence'; readonly fence: FenceKind; readonly primitive: string }
  /**
   * An atomic read-modify-write: add (atomic_add/sub/inc/dec and their _return and fetch_
   * forms), xchg, cmpxchg. `returns` is what `into` receives: nothing for the void forms.
   */
  | {
      readonly kind: 'rmw';
      readonly op: 'add' | 'xchg' | 'cmpxchg';
      readonly loc: string;
      readonly operand: Expr;
      /** cmpxchg's expected old value. */
      readonly expected?: Expr;
      readonly returns: 'nothing' | 'old' | 'new';
      readonly into?: string;
      readonly order: Ordering;
      readonly primitive: string;
    }
  | { readonly kind: 'lock' | 'unlock'; readonly loc: string; readonly primitive: string }
  /** rcu_read_lock(), rcu_read_unlock(): the thread's own read-side flag, `loc` (RCU_FLAG). */
  | { readonly kind: 'rcu-lock' | 'rcu-unlock'; readonly loc: string; readonly primitive: string }
  /** synchronize_rcu(): a grace period, which waits for every read-side critical section in progress. */
  | { readonly kind: 'rcu-sync'; readonly primitive: string }
  /** A register assignment, e.g. what `r1 = atomic_dec_and_test(v)` tests after its RMW. */
  | { readonly kind: 'assign'; readonly into: string; readonly value: Expr }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: readonly Instr[]; readonly else: readonly Instr[] };

/** Thread t's RCU read-side flag: a location of the runner's own, never a test's (names start with a letter). */
export const rcuFlag = (thread: number): string => `$rcu${thread}`;

/** A name in a condition or a `locations` clause: thread t's register, or a location's final value. */
export type Observed = { readonly kind: 'reg'; readonly thread: number; readonly name: string } | { readonly kind: 'loc'; readonly name: string };

export type Prop =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'eq'; readonly what: Observed; readonly value: number; readonly negated: boolean }
  | { readonly kind: 'not'; readonly arg: Prop }
  | { readonly kind: 'and' | 'or'; readonly args: readonly Prop[] };

export interface Condition {
  /** `exists`: the outcome in question; `~exists`: it must not happen; `forall`: it always must. */
  readonly quantifier: 'exists' | '~exists' | 'forall';
  readonly prop: Prop;
}

/** herd7's verdict on the condition's proposition, as the header's `Result:` line states it. */
export type Expectation = 'Never' | 'Sometimes' | 'Always';

export interface LitmusTest {
  readonly name: string;
  /** The file it came from, if any. */
  readonly file?: string;
  readonly expected?: Expectation;
  /** Initial values; locations not named start at 0. */
  readonly init: { readonly [loc: string]: number };
  /** Initial register values, by thread (`0:r0=1` in the init section). */
  readonly initRegisters: readonly { readonly [reg: string]: number }[];
  readonly threads: readonly (readonly Instr[])[];
  readonly condition: Condition;
  /** More names to show in each outcome (the `locations [...]` clause). */
  readonly extraObserved: readonly Observed[];
  /** The exact text the test was read from, for its litmus7 log hash. */
  readonly source: string;
  /**
   * The locations whose address the test takes (`int *y = &x`, `rcu_assign_pointer(*y, z)`,
   * `0:r0=x`): location `addresses[i]`'s address is the value ADDRESS_BASE + i.
   */
  readonly addresses: readonly string[];
}

/** The first address value: far from any integer a litmus test stores, so that the two never meet. */
export const ADDRESS_BASE = 1 << 24;

/** The location a load or store through a register reaches: `*r0` names register r0's target. */
export const throughRegister = (loc: string): string | undefined => (loc.startsWith('*') ? loc.slice(1) : undefined);

/** A value as litmus7 prints it: a location's name for its address, the number otherwise. */
export function formatValue(value: number, addresses: readonly string[]): string {
  const name = value >= ADDRESS_BASE ? addresses[value - ADDRESS_BASE] : undefined;
  return name ?? String(value);
}

export function observedName(o: Observed): string {
  return o.kind === 'reg' ? `${o.thread}:${o.name}` : o.name;
}

/** What an outcome is made of: registers by thread, then locations, as litmus7 lists them. */
export function observedNames(test: LitmusTest): Observed[] {
  const all = new Map<string, Observed>();
  const visit = (p: Prop): void => {
    if (p.kind === 'eq') all.set(observedName(p.what), p.what);
    else if (p.kind === 'not') visit(p.arg);
    else if (p.kind === 'and' || p.kind === 'or') p.args.forEach(visit);
  };
  visit(test.condition.prop);
  for (const o of test.extraObserved) all.set(observedName(o), o);
  const rank = (o: Observed) => (o.kind === 'reg' ? o.thread : Number.MAX_SAFE_INTEGER);
  return [...all.values()].sort((a, b) => rank(a) - rank(b) || observedName(a).localeCompare(observedName(b), 'en', { numeric: true }));
}

/** Every location a test touches, in order of first mention. */
export function locations(test: LitmusTest): string[] {
  const locs = new Set(Object.keys(test.init));
  const visit = (instrs: readonly Instr[]): void => {
    for (const instr of instrs) {
      if (instr.kind === 'if') {
        visit(instr.then);
        visit(instr.else);
      } else if ('loc' in instr && throughRegister(instr.loc) === undefined) locs.add(instr.loc);
    }
  };
  test.threads.forEach(visit);
  for (const o of observedNames(test)) if (o.kind === 'loc') locs.add(o.name);
  // A location reached only through a pointer is a location all the same.
  for (const a of test.addresses) locs.add(a);
  return [...locs];
}

/** An outcome as litmus7 prints it: `0:r0=0; 1:r0=1; [x]=2;`. */
export function formatOutcome(names: readonly Observed[], values: readonly number[], addresses: readonly string[] = []): string {
  return names.map((o, i) => `${o.kind === 'reg' ? observedName(o) : `[${o.name}]`}=${formatValue(values[i], addresses)};`).join(' ');
}

function formatProp(p: Prop, addresses: readonly string[], top = true): string {
  switch (p.kind) {
    case 'true':
    case 'false':
      return p.kind;
    case 'eq':
      return `${observedName(p.what)}${p.negated ? '!=' : '='}${formatValue(p.value, addresses)}`;
    case 'not':
      return `~${formatProp(p.arg, addresses, false)}`;
    case 'and':
    case 'or': {
      const text = p.args.map((a) => formatProp(a, addresses, false)).join(p.kind === 'and' ? ' /\\ ' : ' \\/ ');
      return top ? text : `(${text})`;
    }
  }
}

/** The condition as litmus7 prints it: `exists (0:r0=0 /\ 1:r0=0)`. */
export function formatCondition(c: Condition, addresses: readonly string[] = []): string {
  return `${c.quantifier} (${formatProp(c.prop, addresses)})`;
}

/** Whether the condition's proposition holds for these values of `observedNames(test)`. */
export function propHolds(p: Prop, valueOf: (o: Observed) => number): boolean {
  switch (p.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'eq':
      return (valueOf(p.what) === p.value) !== p.negated;
    case 'not':
      return !propHolds(p.arg, valueOf);
    case 'and':
      return p.args.every((a) => propHolds(a, valueOf));
    case 'or':
      return p.args.some((a) => propHolds(a, valueOf));
  }
}

/** The registers thread `t` writes or reads, in order of first mention. */
export function threadRegisters(test: LitmusTest, t: number): string[] {
  const regs = new Set(Object.keys(test.initRegisters[t] ?? {}));
  const expr = (e: Expr | undefined): void => {
    if (!e) return;
    if (e.kind === 'reg') regs.add(e.name);
    else if (e.kind === 'not' || e.kind === 'neg') expr(e.arg);
    else if (e.kind === 'binary') {
      expr(e.left);
      expr(e.right);
    }
  };
  const visit = (instrs: readonly Instr[]): void => {
    for (const instr of instrs) {
      switch (instr.kind) {
        case 'load':
          regs.add(instr.into);
          break;
        case 'store':
          expr(instr.value);
          break;
        case 'rmw':
          expr(instr.operand);
          expr(instr.expected);
          if (instr.into !== undefined) regs.add(instr.into);
          break;
        case 'assign':
          expr(instr.value);
          regs.add(instr.into);
          break;
        case 'if':
          expr(instr.cond);
          visit(instr.then);
          visit(instr.else);
          break;
        default:
          break;
      }
    }
  };
  visit(test.threads[t]);
  for (const o of observedNames(test)) if (o.kind === 'reg' && o.thread === t) regs.add(o.name);
  return [...regs];
}

/** C's int arithmetic on 32-bit values; comparisons and logic give 0 or 1. */
export function evaluate(e: Expr, reg: (name: string) => number): number {
  switch (e.kind) {
    case 'const':
      return e.value | 0;
    case 'reg':
      return reg(e.name);
    case 'not':
      return evaluate(e.arg, reg) === 0 ? 1 : 0;
    case 'neg':
      return -evaluate(e.arg, reg) | 0;
    case 'binary': {
      const a = evaluate(e.left, reg);
      const b = evaluate(e.right, reg);
      switch (e.op) {
        case '+':
          return (a + b) | 0;
        case '-':
          return (a - b) | 0;
        case '*':
          return Math.imul(a, b);
        case '&':
          return a & b;
        case '|':
          return a | b;
        case '^':
          return a ^ b;
        case '==':
          return a === b ? 1 : 0;
        case '!=':
          return a !== b ? 1 : 0;
        case '<':
          return a < b ? 1 : 0;
        case '<=':
          return a <= b ? 1 : 0;
        case '>':
          return a > b ? 1 : 0;
        case '>=':
          return a >= b ? 1 : 0;
        case '&&':
          return a !== 0 && b !== 0 ? 1 : 0;
        case '||':
          return a !== 0 || b !== 0 ? 1 : 0;
      }
    }
  }
}
