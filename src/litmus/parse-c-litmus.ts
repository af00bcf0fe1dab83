// The reader for C-litmus files as the Linux kernel memory model writes them
// (tools/memory-model/litmus-tests/*.litmus): the `C name` line, the header comment with its
// `Result:` line, the `{ }` initial state, `P0(int *x, ...) { ... }` threads of kernel
// primitives with `int r0;` locals and `if` on registers, an optional `locations [...]` clause,
// and the `exists` / `~exists` / `forall` condition. What it cannot run faithfully (locks
// beyond spin_lock(), RCU, pointer values, plain C accesses, loops) it names and refuses.

import { LitmusSyntaxError, tokenize, type Comment, type Token } from './c-litmus-tokens.ts';
import { PRIMITIVES, whyUnsupported, type CallContext } from './lkmm-primitives.ts';
import { ADDRESS_BASE, rcuFlag, throughRegister, type BinaryOp, type Condition, type Expectation, type Expr, type Instr, type LitmusTest, type Observed, type Prop } from './litmus-test.ts';

export type ReadLitmus =
  | { readonly ok: true; readonly test: LitmusTest }
  | {
      readonly ok: false;
      readonly name: string;
      readonly file?: string;
      /** The header's Result line, if the reader got that far or can see it. */
      readonly expected?: Expectation;
      /** Unsupported: well-formed but beyond this harness; syntax: not a test this reader can read. */
      readonly problem: 'unsupported' | 'syntax';
      /** The construct that stopped it, e.g. `spin_trylock()`. */
      readonly construct: string;
      readonly line: number;
      /** One line: what it is and why. */
      readonly message: string;
    };

/** A construct this harness does not run. */
class Unsupported extends Error {
  constructor(
    readonly construct: string,
    readonly line: number,
    readonly why: string,
  ) {
    super(`${construct} at line ${line}: ${why}`);
  }
}

/** The C expression as written, before it becomes LKMM instructions. */
type CExpr =
  | { readonly kind: 'num'; readonly value: number; readonly line: number }
  | { readonly kind: 'name'; readonly name: string; readonly line: number }
  | { readonly kind: 'deref' | 'addr'; readonly arg: CExpr; readonly line: number }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly CExpr[]; readonly line: number }
  | { readonly kind: 'unary'; readonly op: '!' | '-'; readonly arg: CExpr; readonly line: number }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: CExpr; readonly right: CExpr; readonly line: number };

const TYPE_WORDS = new Set(['int', 'unsigned', 'signed', 'long', 'short', 'char', 'atomic_t', 'spinlock_t', 'intptr_t', 'uintptr_t', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'const', 'volatile']);
const BINARY_LEVELS: readonly (readonly BinaryOp[])[] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*']];
const RESULT_LINE = /Result:\s*(Never|Sometimes|Always)\b/;

export function readCLitmus(text: string, file?: string): ReadLitmus {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => line.trim() !== '');
  const header = first < 0 ? undefined : /^\s*(\S+)\s+(\S+)/.exec(lines[first]);
  const fallbackName = file?.replace(/^.*\//, '').replace(/\.litmus$/, '') ?? 'unnamed';
  const expected = RESULT_LINE.exec(text)?.[1] as Expectation | undefined;
  const failed = (problem: 'unsupported' | 'syntax', construct: string, line: number, message: string, name = fallbackName): ReadLitmus => ({
    ok: false,
    name,
    ...(file === undefined ? {} : { file }),
    ...(expected === undefined ? {} : { expected }),
    problem,
    construct,
    line,
    message,
  });
  if (!header) return failed('syntax', 'header', 1, "cannot read: line 1: expected 'C name'");
  const [, arch, name] = header;
  if (arch !== 'C') return failed('unsupported', `${arch} test`, first + 1, `unsupported: ${arch} test at line ${first + 1}: only C (LKMM) tests run here`, name);
  try {
    const { tokens, comments } = tokenize(lines.slice(first + 1).join('\n'), first + 2);
    const test = new Reader(tokens, comments, name, text, file).read();
    return { ok: true, test };
  } catch (error) {
    if (error instanceof Unsupported) return failed('unsupported', error.construct, error.line, `unsupported: ${error.message}`, name);
    if (error instanceof LitmusSyntaxError) return failed('syntax', 'syntax', error.line, `cannot read: ${error.message}`, name);
    throw error;
  }
}

/** Reading tokens one at a time: what both the file's reader and each thread's share. */
class TokenCursor {
  protected pos = 0;

  constructor(protected readonly tokens: readonly Token[]) {}

  protected peek(): Token {
    return this.tokens[this.pos];
  }

  protected peekAt(ahead: number): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  protected next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  /** Take the punctuation `text` if it comes next. */
  protected accept(text: string): boolean {
    if (this.peek().kind === 'punct' && this.peek().text === text) {
      this.pos++;
      return true;
    }
    return false;
  }

  protected expect(text: string): void {
    const t = this.next();
    if (t.text !== text || t.kind === 'string') throw new LitmusSyntaxError(t.line, `expected '${text}', got '${t.text}'`);
  }

  protected ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw new LitmusSyntaxError(t.line, `expected a name, got '${t.text}'`);
    return t.text;
  }
}

class Reader extends TokenCursor {
  private readonly locations = new Set<string>();
  /** The locations whose address the test takes, in the order first taken (LitmusTest.addresses). */
  private readonly addresses: string[] = [];
  /** Location `name`'s address, as a value. */
  private readonly addressOf = (name: string): number => {
    let i = this.addresses.indexOf(name);
    if (i < 0) i = this.addresses.push(name) - 1;
    this.locations.add(name);
    return ADDRESS_BASE + i;
  };

  constructor(
    tokens: readonly Token[],
    private readonly comments: readonly Comment[],
    private readonly name: string,
    private readonly source: string,
    private readonly file: string | undefined,
  ) {
    super(tokens);
  }

  read(): LitmusTest {
    // Strings before the initial state (diy's cycle descriptions) say nothing to run.
    while (this.peek().kind === 'string') this.pos++;
    const initLine = this.peek().line;
    const { init, initRegisters } = this.readInit();
    const expected = this.expectation(initLine);

    const bodies: { index: number; params: Token[]; body: Token[] }[] = [];
    while (this.peek().kind === 'ident' && /^P\d+$/.test(this.peek().text)) bodies.push(this.readThreadShell());
    if (bodies.length === 0) throw new LitmusSyntaxError(this.peek().line, `expected a thread P0(...), got '${this.peek().text}'`);
    bodies.sort((a, b) => a.index - b.index);
    bodies.forEach((b, i) => {
      if (b.index !== i) throw new LitmusSyntaxError(b.params[0]?.line ?? 0, `threads must be P0, P1, ... in order; P${i} is missing`);
    });
    const threads = bodies.map((b) => new ThreadReader(b.body, this.locations, b.index, this.addressOf).read());

    const extraObserved: Observed[] = [];
    if (this.peek().text === 'locations') extraObserved.push(...this.readLocationsClause());
    const condition = this.readCondition(threads.length);
    while (this.peek().text === ';') this.pos++;
    if (this.peek().kind !== 'eof') throw new LitmusSyntaxError(this.peek().line, `unexpected '${this.peek().text}' after the condition`);
    for (const o of [...extraObserved, ...observedIn(condition.prop)]) {
      if (o.kind === 'loc' && !this.locations.has(o.name)) throw new LitmusSyntaxError(this.peek().line, `the condition names '${o.name}', which no thread has`);
    }
    return {
      name: this.name,
      ...(this.file === undefined ? {} : { file: this.file }),
      ...(expected === undefined ? {} : { expected }),
      init,
      initRegisters: threads.map((_, t) => initRegisters.get(t) ?? {}),
      threads,
      condition,
      extraObserved,
      source: this.source,
      addresses: this.addresses,
    };
  }

  /** The header's `Result:` line: in a comment before the initial state. */
  private expectation(initLine: number): Expectation | undefined {
    for (const c of this.comments) {
      if (c.line > initLine) break;
      const m = RESULT_LINE.exec(c.text);
      if (m) return m[1] as Expectation;
    }
    return undefined;
  }

  private readInit(): { init: { [loc: string]: number }; initRegisters: Map<number, { [reg: string]: number }> } {
    const init: { [loc: string]: number } = {};
    const initRegisters = new Map<number, { [reg: string]: number }>();
    this.expect('{');
    while (!this.accept('}')) {
      if (this.accept(';')) continue;
      let typed = false;
      while (this.peek().kind === 'ident' && TYPE_WORDS.has(this.peek().text)) {
        this.pos++;
        typed = true;
      }
      // `int *y = &x;`: y holds a pointer.
      while (typed && this.accept('*'));
      let target: { thread: number; reg: string } | string;
      if (this.peek().kind === 'number' && this.peekAt(1).text === ':') {
        const thread = Number(this.next().text);
        this.expect(':');
        target = { thread, reg: this.ident() };
      } else if (this.accept('[')) {
        target = this.ident();
        this.expect(']');
      } else target = this.ident();
      if (this.peek().text === '[') throw new Unsupported('an array', this.peek().line, 'arrays are not emulated');
      let value = 0;
      if (this.accept('=')) value = this.initValue();
      else if (!typed) throw new LitmusSyntaxError(this.peek().line, `expected '=' after '${typeof target === 'string' ? target : target.reg}'`);
      if (typeof target === 'string') {
        init[target] = value;
        this.locations.add(target);
      } else {
        const regs = initRegisters.get(target.thread) ?? {};
        regs[target.reg] = value;
        initRegisters.set(target.thread, regs);
      }
      if (this.peek().text !== '}') this.expect(';');
    }
    return { init, initRegisters };
  }

  private initValue(): number {
    const token = this.peek();
    if (token.text === 'ATOMIC_INIT') {
      this.pos++;
      this.expect('(');
      const value = this.signedNumber();
      this.expect(')');
      return value;
    }
    // A pointer: `&x`, or herd's `y=x;`.
    if (this.accept('&') || token.kind === 'ident') return this.addressOf(this.ident());
    return this.signedNumber();
  }

  /** `P0(int *x, ...) { ... }`: the parameters declare locations; the body is read later. */
  private readThreadShell(): { index: number; params: Token[]; body: Token[] } {
    const head = this.next();
    const index = Number(head.text.slice(1));
    this.expect('(');
    const params: Token[] = [];
    while (!this.accept(')')) {
      let stars = 0;
      let last: Token | undefined;
      while (this.peek().text !== ',' && this.peek().text !== ')') {
        const t = this.next();
        if (t.kind === 'eof') throw new LitmusSyntaxError(t.line, `unterminated parameter list of ${head.text}`);
        if (t.text === '*') stars++;
        else last = t;
      }
      if (!last || last.kind !== 'ident') throw new LitmusSyntaxError(head.line, `bad parameter in ${head.text}`);
      // `int *x` is a location; `int **y` a location holding a pointer.
      if (stars >= 1) this.locations.add(last.text);
      params.push(last);
      this.accept(',');
    }
    const start = this.pos;
    this.skipBalanced('{', '}');
    return { index, params, body: [...this.tokens.slice(start, this.pos), { kind: 'eof', text: `end of ${head.text}`, line: this.tokens[this.pos - 1].line }] };
  }

  private readLocationsClause(): Observed[] {
    this.pos++;
    this.expect('[');
    const names: Observed[] = [];
    while (!this.accept(']')) {
      if (this.accept(';')) continue;
      names.push(this.observed());
    }
    return names;
  }

  private readCondition(threads: number): Condition {
    const token = this.peek();
    let quantifier: Condition['quantifier'];
    if (this.accept('~')) {
      this.expectIdent('exists');
      quantifier = '~exists';
    } else if (token.text === 'exists' || token.text === 'forall') {
      this.pos++;
      quantifier = token.text;
    } else if (token.text === 'filter') {
      throw new Unsupported('filter clause', token.line, 'filtered conditions are not emulated');
    } else throw new LitmusSyntaxError(token.line, `expected exists, ~exists or forall, got '${token.text}'`);
    const prop = this.disjunction();
    for (const o of observedIn(prop)) {
      if (o.kind === 'reg' && o.thread >= threads) throw new LitmusSyntaxError(token.line, `the condition names thread ${o.thread}, which does not exist`);
    }
    return { quantifier, prop };
  }

  private disjunction(): Prop {
    const args = [this.conjunction()];
    while (this.accept('\\/')) args.push(this.conjunction());
    return args.length === 1 ? args[0] : { kind: 'or', args };
  }

  private conjunction(): Prop {
    const args = [this.negation()];
    while (this.accept('/\\')) args.push(this.negation());
    return args.length === 1 ? args[0] : { kind: 'and', args };
  }

  private negation(): Prop {
    if (this.accept('~')) return { kind: 'not', arg: this.negation() };
    if (this.accept('(')) {
      const p = this.disjunction();
      this.expect(')');
      return p;
    }
    if (this.peek().text === 'true' || this.peek().text === 'false') return { kind: this.next().text as 'true' | 'false' };
    const what = this.observed();
    const op = this.next();
    if (op.text !== '=' && op.text !== '==' && op.text !== '!=') throw new LitmusSyntaxError(op.line, `expected '=' in the condition, got '${op.text}'`);
    // `0:r0=x`: the register holds x's address.
    const value = this.peek().kind === 'ident' ? this.addressOf(this.ident()) : this.signedNumber();
    return { kind: 'eq', what, value, negated: op.text === '!=' };
  }

  /** `0:r0`, `x` or `[x]`. */
  private observed(): Observed {
    if (this.peek().kind === 'number') {
      const thread = Number(this.next().text);
      this.expect(':');
      return { kind: 'reg', thread, name: this.ident() };
    }
    if (this.accept('[')) {
      const name = this.ident();
      this.expect(']');
      return { kind: 'loc', name };
    }
    return { kind: 'loc', name: this.ident() };
  }

  private skipBalanced(open: string, close: string): void {
    this.expect(open);
    for (let depth = 1; depth > 0; ) {
      const t = this.next();
      if (t.kind === 'eof') throw new LitmusSyntaxError(t.line, `unbalanced '${open}'`);
      if (t.text === open) depth++;
      else if (t.text === close) depth--;
    }
  }

  private signedNumber(): number {
    const negative = this.accept('-');
    const t = this.next();
    if (t.kind !== 'number') throw new LitmusSyntaxError(t.line, `expected a number, got '${t.text}'`);
    return (negative ? -Number(t.text) : Number(t.text)) | 0;
  }

  private expectIdent(word: string): void {
    const t = this.next();
    if (t.text !== word) throw new LitmusSyntaxError(t.line, `expected '${word}', got '${t.text}'`);
  }
}

function observedIn(p: Prop): Observed[] {
  if (p.kind === 'eq') return [p.what];
  if (p.kind === 'not') return observedIn(p.arg);
  if (p.kind === 'and' || p.kind === 'or') return p.args.flatMap(observedIn);
  return [];
}

/** One thread's body: statements in, LKMM instructions out. */
class ThreadReader extends TokenCursor {
  private temps = 0;
  /** Locks held at this point of the body, to refuse a test that would deadlock its own run. */
  private readonly held = new Set<string>();
  /** Registers holding spin_trylock()'s result, and the lock each says was taken: held inside `if (r)`. */
  private readonly tried = new Map<string, string>();

  constructor(
    tokens: readonly Token[],
    private readonly locations: ReadonlySet<string>,
    private readonly index: number,
    private readonly addressOf: (name: string) => number,
  ) {
    super(tokens);
  }

  read(): Instr[] {
    const body = this.block();
    if (this.peek().kind !== 'eof') throw new LitmusSyntaxError(this.peek().line, `unexpected '${this.peek().text}' after P${this.index}`);
    const stillHeld = [...this.held];
    if (stillHeld.length > 0) {
      const last = this.peek().line;
      if (stillHeld[0] === rcuFlag(this.index)) throw new Unsupported('rcu_read_lock()', last, `P${this.index} ends inside it`);
      throw new Unsupported(`spin_lock(${stillHeld[0]})`, last, `P${this.index} ends holding it, and the next iteration would wait for it forever`);
    }
    return body;
  }

  private block(): Instr[] {
    this.expect('{');
    const out: Instr[] = [];
    while (!this.accept('}')) out.push(...this.statement());
    return out;
  }

  private statement(): Instr[] {
    const t = this.peek();
    if (this.accept(';')) return [];
    if (t.text === '{') return this.block();
    if (t.kind === 'ident' && ['while', 'for', 'do', 'goto', 'switch', 'return', 'break', 'continue'].includes(t.text)) {
      throw new Unsupported(`'${t.text}'`, t.line, 'loops and jumps are not emulated');
    }
    if (t.text === 'if') return this.ifStatement();
    if (t.kind === 'ident' && TYPE_WORDS.has(t.text)) return this.declaration();
    if (t.text === '*') throw new Unsupported(`plain C access '*${this.peekAt(1).text} = ...'`, t.line, "LKMM's plain accesses (data-race semantics) are not emulated; use WRITE_ONCE()");
    if (t.kind === 'ident' && this.peekAt(1).text === '=' && this.locations.has(t.text)) {
      throw new Unsupported(`assignment to '${t.text}'`, t.line, `'${t.text}' is a pointer to a location; pointer values are not emulated`);
    }
    if (t.kind === 'ident' && this.peekAt(1).text === '=') {
      this.pos += 2;
      const instrs = this.assignment(t.text);
      this.expect(';');
      return instrs;
    }
    // A call for its effect, possibly cast to (void).
    if (t.text === '(' && this.peekAt(1).text === 'void' && this.peekAt(2).text === ')') this.pos += 3;
    const e = this.expression();
    this.expect(';');
    if (e.kind !== 'call') throw new LitmusSyntaxError(t.line, 'a statement must be a call, an assignment to a register, or an if');
    return this.call(e, undefined, false);
  }

  private declaration(): Instr[] {
    while (this.peek().kind === 'ident' && TYPE_WORDS.has(this.peek().text)) this.pos++;
    const out: Instr[] = [];
    for (;;) {
      const t = this.peek();
      // `int *r0;`: a register that holds a pointer.
      while (this.accept('*'));
      const name = this.ident();
      if (this.locations.has(name)) throw new LitmusSyntaxError(t.line, `'${name}' is a location of P${this.index}; it cannot be a register too`);
      if (this.accept('=')) out.push(...this.assignment(name));
      if (this.accept(';')) return out;
      this.expect(',');
    }
  }

  private assignment(into: string): Instr[] {
    const e = this.expression();
    if (e.kind === 'call') return this.call(e, into, true);
    const out: Instr[] = [];
    const value = this.lower(e, out);
    out.push({ kind: 'assign', into, value });
    return out;
  }

  private ifStatement(): Instr[] {
    const line = this.next().line;
    this.expect('(');
    const out: Instr[] = [];
    const cond = this.lower(this.expression(), out);
    this.expect(')');
    // A lock may be taken in a branch only if the same branch releases it: whichever way the
    // branch goes, the thread then ends holding nothing.
    const before = [...this.held];
    const balanced = () => this.held.size === before.length && before.every((loc) => this.held.has(loc));
    // `if (r)` on spin_trylock()'s result: its branch holds the lock, and must release it.
    const taken = cond.kind === 'reg' ? this.tried.get(cond.name) : undefined;
    if (taken !== undefined && this.held.has(taken)) throw new Unsupported(`spin_trylock(${taken})`, line, `P${this.index} already holds it`);
    if (taken !== undefined) this.held.add(taken);
    const then = this.statement();
    if (taken !== undefined && this.held.has(taken)) throw new Unsupported(`spin_trylock(${taken})`, line, 'a lock taken by spin_trylock() and not released in its if branch is not emulated');
    if (!balanced()) throw new Unsupported('spin_lock() or rcu_read_lock() under if', line, 'a lock or read-side section not ended in the branch that began it is not emulated');
    const otherwise = this.peek().text === 'else' ? (this.pos++, this.statement()) : [];
    if (!balanced()) throw new Unsupported('spin_lock() or rcu_read_lock() under else', line, 'a lock or read-side section not ended in the branch that began it is not emulated');
    if (then.length === 0 && otherwise.length === 0) throw new LitmusSyntaxError(line, 'an if with nothing in it');
    out.push({ kind: 'if', cond, then, else: otherwise });
    return out;
  }

  /** A kernel primitive: its instructions, with its value (if any) in register `into`, or a temporary. */
  private call(e: Extract<CExpr, { kind: 'call' }>, into: string | undefined, wantValue: boolean): Instr[] {
    const primitive = PRIMITIVES.get(e.name);
    if (!primitive) throw new Unsupported(`${e.name}()`, e.line, whyUnsupported(e.name));
    const target = into ?? (primitive.returns ? `$${this.temps++}` : '');
    if (e.args.length !== primitive.args) throw new LitmusSyntaxError(e.line, `${e.name}() takes ${primitive.args} argument(s), got ${e.args.length}`);
    if (wantValue && !primitive.returns) throw new LitmusSyntaxError(e.line, `${e.name}() has no value to assign`);
    const hoisted: Instr[] = [];
    const ctx: CallContext = {
      thread: this.index,
      location: (i, form) => this.location(e, i, form),
      value: (i) => this.lower(e.args[i], hoisted),
    };
    const instrs = primitive.build(ctx, target, e.name);
    for (const instr of instrs) {
      if ('loc' in instr && throughRegister(instr.loc) !== undefined && instr.kind !== 'load' && instr.kind !== 'store') {
        throw new Unsupported(`${e.name}(${instr.loc})`, e.line, 'only loads and stores go through a pointer register here');
      }
    }
    if (e.name === 'spin_trylock') {
      const loc = this.location(e, 0, 'pointer');
      if (this.held.has(loc)) throw new Unsupported(`${e.name}(${loc})`, e.line, `P${this.index} already holds it`);
      this.tried.set(target, loc);
    }
    for (const instr of instrs) {
      // An RCU read-side section is held as a lock is: balanced in every branch, never nested,
      // and no grace period waited for inside it (it would wait for itself).
      if (instr.kind === 'rcu-sync' && this.held.has(rcuFlag(this.index))) throw new Unsupported(`${e.name}()`, e.line, `P${this.index} is inside rcu_read_lock() and would wait for itself`);
      if (instr.kind === 'rcu-lock' && this.held.has(instr.loc)) throw new Unsupported(`nested ${e.name}()`, e.line, 'nested RCU read-side critical sections are not emulated');
      if (instr.kind === 'rcu-unlock' && !this.held.has(instr.loc)) throw new Unsupported(`${e.name}()`, e.line, `P${this.index} is not inside rcu_read_lock()`);
      if (instr.kind !== 'lock' && instr.kind !== 'unlock' && instr.kind !== 'rcu-lock' && instr.kind !== 'rcu-unlock') continue;
      if (instr.kind === 'lock' && this.held.has(instr.loc)) throw new Unsupported(`${e.name}(${instr.loc})`, e.line, `P${this.index} already holds it and would wait for itself`);
      if (instr.kind === 'unlock' && !this.held.has(instr.loc)) throw new Unsupported(`${e.name}(${instr.loc})`, e.line, `P${this.index} does not hold it`);
      if (instr.kind === 'lock' || instr.kind === 'rcu-lock') this.held.add(instr.loc);
      else this.held.delete(instr.loc);
    }
    return [...hoisted, ...instrs];
  }

  private location(e: Extract<CExpr, { kind: 'call' }>, i: number, form: 'pointer' | 'lvalue'): string {
    const arg = e.args[i];
    const named = form === 'lvalue' ? (arg.kind === 'deref' ? arg.arg : undefined) : arg;
    if (named?.kind === 'name' && this.locations.has(named.name)) return named.name;
    // `*r0`: the location register r0 holds the address of.
    if (form === 'lvalue' && named?.kind === 'name') return `*${named.name}`;
    if (named?.kind === 'name' || (form === 'lvalue' && arg.kind === 'name')) {
      throw new Unsupported(`${e.name}(${describe(arg)})`, e.line, form === 'lvalue' ? `it wants *x for a location x; pointer values are not emulated` : `'${describe(arg)}' is not a location of this test`);
    }
    throw new LitmusSyntaxError(e.line, `${e.name}() wants ${form === 'lvalue' ? '*x' : 'x'} for a location x, got '${describe(arg)}'`);
  }

  /** A C expression as a register expression; calls in it run first, into temporaries. */
  private lower(e: CExpr, hoisted: Instr[]): Expr {
    switch (e.kind) {
      case 'num':
        return { kind: 'const', value: e.value };
      case 'name':
        // A location's name as a value is its address (`rcu_assign_pointer(*y, z)`).
        if (this.locations.has(e.name)) return { kind: 'const', value: this.addressOf(e.name) };
        return { kind: 'reg', name: e.name };
      case 'deref':
        throw new Unsupported(`plain C access '${describe(e)}'`, e.line, "LKMM's plain accesses (data-race semantics) are not emulated; use READ_ONCE()");
      case 'addr':
        if (e.arg.kind === 'name' && this.locations.has(e.arg.name)) return { kind: 'const', value: this.addressOf(e.arg.name) };
        throw new Unsupported(`'${describe(e)}'`, e.line, 'pointer values are only the addresses of locations here');
      case 'call': {
        const into = `$${this.temps++}`;
        hoisted.push(...this.call(e, into, true));
        return { kind: 'reg', name: into };
      }
      case 'unary':
        return { kind: e.op === '!' ? 'not' : 'neg', arg: this.lower(e.arg, hoisted) };
      case 'binary': {
        if ((e.op === '&&' || e.op === '||') && containsCall(e.right)) {
          throw new Unsupported(`a primitive on the right of '${e.op}'`, e.line, 'it would run whatever the left side is');
        }
        return { kind: 'binary', op: e.op, left: this.lower(e.left, hoisted), right: this.lower(e.right, hoisted) };
      }
    }
  }

  private expression(level = 0): CExpr {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.expression(level + 1);
    for (;;) {
      const t = this.peek();
      const op = BINARY_LEVELS[level].find((o) => o === t.text && t.kind === 'punct');
      if (!op) return left;
      this.pos++;
      left = { kind: 'binary', op, left, right: this.expression(level + 1), line: t.line };
    }
  }

  private unary(): CExpr {
    const t = this.peek();
    if (this.accept('!')) return { kind: 'unary', op: '!', arg: this.unary(), line: t.line };
    if (this.accept('-')) return { kind: 'unary', op: '-', arg: this.unary(), line: t.line };
    if (this.accept('*')) return { kind: 'deref', arg: this.unary(), line: t.line };
    if (this.accept('&')) return { kind: 'addr', arg: this.unary(), line: t.line };
    if (this.accept('~')) throw new Unsupported("'~' in an expression", t.line, 'bitwise not is not emulated');
    if (this.accept('(')) {
      // A cast to an integer type changes nothing here.
      if (this.peek().kind === 'ident' && TYPE_WORDS.has(this.peek().text)) {
        while (this.peek().kind === 'ident' && TYPE_WORDS.has(this.peek().text)) this.pos++;
        if (this.peek().text === '*') throw new Unsupported('a pointer cast', t.line, 'pointer values are not emulated');
        this.expect(')');
        return this.unary();
      }
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    const next = this.next();
    if (next.kind === 'number') return { kind: 'num', value: Number(next.text) | 0, line: next.line };
    if (next.kind !== 'ident') throw new LitmusSyntaxError(next.line, `expected an expression, got '${next.text}'`);
    if (!this.accept('(')) return { kind: 'name', name: next.text, line: next.line };
    const args: CExpr[] = [];
    while (!this.accept(')')) {
      args.push(this.expression());
      if (this.peek().text !== ')') this.expect(',');
    }
    return { kind: 'call', name: next.text, args, line: next.line };
  }
}

function containsCall(e: CExpr): boolean {
  if (e.kind === 'call') return true;
  if (e.kind === 'deref' || e.kind === 'addr' || e.kind === 'unary') return containsCall(e.arg);
  if (e.kind === 'binary') return containsCall(e.left) || containsCall(e.right);
  return false;
}

/** A C expression as a short text, for messages. */
function describe(e: CExpr): string {
  switch (e.kind) {
    case 'num':
      return String(e.value);
    case 'name':
      return e.name;
    case 'deref':
      return `*${describe(e.arg)}`;
    case 'addr':
      return `&${describe(e.arg)}`;
    case 'call':
      return `${e.name}(${e.args.map(describe).join(', ')})`;
    case 'unary':
      return `${e.op}${describe(e.arg)}`;
    case 'binary':
      return `${describe(e.left)} ${e.op} ${describe(e.right)}`;
  }
}
