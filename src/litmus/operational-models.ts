// Which outcomes a test can have, computed rather than written by hand: run every execution of
// its threads on an abstract machine. Under sequential consistency that is every interleaving
// against one memory. Under x86-TSO each CPU also has a FIFO store buffer: a plain store waits
// in it, a load reads its own CPU's newest buffered store to that location or else memory, the
// buffers drain into memory one store at a time in any interleaving, and a locked instruction
// (an `Atomics` store or RMW, a fence, a lock) runs only once its CPU's buffer is empty. That is
// the x86-TSO model of Owens, Sarkar and Sewell, and what a plain mov and a lock-prefixed
// instruction do on an x86-64 host.

import type { JsOp } from './js-mapping.ts';
import { ADDRESS_BASE, evaluate, formatOutcome, locations, observedNames, threadRegisters, throughRegister, type Expr, type LitmusTest } from './litmus-test.ts';

export type MemoryModel = 'sc' | 'x86-tso';

/** Outcome text (as formatOutcome() writes it) to the values it is made of. */
export type OutcomeSet = ReadonlyMap<string, readonly number[]>;

type Step = Exclude<JsOp, { op: 'if' }> | { readonly op: 'unless'; readonly cond: Expr; to: number } | { readonly op: 'jump'; to: number };

interface State {
  readonly pcs: number[];
  readonly registers: number[][];
  readonly memory: number[];
  /** Each thread's store buffer, oldest first: [location index, value]. */
  readonly buffers: [number, number][][];
}

/** Every outcome `threads` (a test's threads as lowered, e.g. by lowerTest()) can have under `model`. */
export function allowedOutcomes(test: LitmusTest, threads: readonly (readonly JsOp[])[], model: MemoryModel): OutcomeSet {
  const locs = locations(test);
  const locIndex = new Map(locs.map((loc, i) => [loc, i]));
  const registerNames = threads.map((_, t) => threadRegisters(test, t));
  const registerIndex = registerNames.map((names) => new Map(names.map((name, i) => [name, i])));
  const programs = threads.map(flatten);
  const names = observedNames(test);
  const outcomes = new Map<string, number[]>();
  const seen = new Set<string>();
  const buffered = model === 'x86-tso';

  const readLoc = (s: State, t: number, loc: number): number => {
    const buffer = s.buffers[t];
    for (let k = buffer.length - 1; k >= 0; k--) if (buffer[k][0] === loc) return buffer[k][1];
    return s.memory[loc];
  };
  const clone = (s: State): State => ({ pcs: [...s.pcs], registers: s.registers.map((r) => [...r]), memory: [...s.memory], buffers: s.buffers.map((b) => b.map((e) => [e[0], e[1]] as [number, number])) });

  /** Thread t's next step from s, or undefined when it cannot take one now. */
  const step = (s: State, t: number): State | undefined => {
    const program = programs[t];
    const instr = program[s.pcs[t]];
    const reg = (name: string) => s.registers[t][registerIndex[t].get(name)!];
    const empty = s.buffers[t].length === 0;
    const next = clone(s);
    const set = (name: string, value: number) => (next.registers[t][registerIndex[t].get(name)!] = value | 0);
    next.pcs[t]++;
    // A location named, or the one a register holds the address of (`*r0`).
    const where = (loc: string): number => {
      const via = throughRegister(loc);
      return via === undefined ? locIndex.get(loc)! : locIndex.get(test.addresses[reg(via) - ADDRESS_BASE])!;
    };
    switch (instr.op) {
      case 'load':
        set(instr.into, readLoc(s, t, where(instr.loc)));
        return next;
      case 'store': {
        const loc = where(instr.loc);
        const value = evaluate(instr.value, reg);
        if (!buffered) next.memory[loc] = value;
        else if (!instr.atomic) next.buffers[t].push([loc, value]);
        else if (!empty) return undefined;
        else next.memory[loc] = value;
        return next;
      }
      case 'rmw': {
        const loc = locIndex.get(instr.loc)!;
        if (buffered && instr.atomic && !empty) return undefined;
        const old = readLoc(s, t, loc);
        const operand = evaluate(instr.operand, reg);
        const value = instr.rmw === 'add' ? (old + operand) | 0 : instr.rmw === 'exchange' ? operand : old === evaluate(instr.expected!, reg) ? operand : old;
        if (buffered && !instr.atomic) next.buffers[t].push([loc, value]);
        else next.memory[loc] = value;
        if (instr.into !== undefined) set(instr.into, instr.returns === 'new' ? value : old);
        return next;
      }
      case 'fence':
        return buffered && !empty ? undefined : next;
      case 'compiler-barrier':
        return next;
      case 'lock': {
        const loc = locIndex.get(instr.loc)!;
        if ((buffered && !empty) || s.memory[loc] !== 0) return undefined;
        next.memory[loc] = 1;
        return next;
      }
      case 'await-zero':
        // Enabled once the reader's flag reads 0 (from this thread's own view of memory).
        return readLoc(s, t, locIndex.get(instr.loc)!) === 0 ? next : undefined;
      case 'unlock':
        if (buffered && !empty) return undefined;
        next.memory[locIndex.get(instr.loc)!] = 0;
        return next;
      case 'assign':
        set(instr.into, evaluate(instr.value, reg));
        return next;
      case 'unless':
        if (evaluate(instr.cond, reg) === 0) next.pcs[t] = instr.to;
        return next;
      case 'jump':
        next.pcs[t] = instr.to;
        return next;
    }
  };

  const explore = (s: State): void => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return;
    seen.add(key);
    let finished = true;
    for (let t = 0; t < programs.length; t++) {
      if (s.pcs[t] < programs[t].length) {
        finished = false;
        const next = step(s, t);
        if (next) explore(next);
      }
      if (s.buffers[t].length > 0) {
        finished = false;
        const drained = clone(s);
        const [loc, value] = drained.buffers[t].shift()!;
        drained.memory[loc] = value;
        explore(drained);
      }
    }
    if (!finished) return;
    const values = names.map((o) => (o.kind === 'loc' ? s.memory[locIndex.get(o.name)!] : (s.registers[o.thread]?.[registerIndex[o.thread].get(o.name) ?? -1] ?? test.initRegisters[o.thread]?.[o.name] ?? 0)));
    outcomes.set(formatOutcome(names, values, test.addresses), values);
  };

  explore({
    pcs: programs.map(() => 0),
    registers: registerNames.map((regs, t) => regs.map((r) => test.initRegisters[t]?.[r] ?? 0)),
    memory: locs.map((loc) => test.init[loc] ?? 0),
    buffers: programs.map(() => []),
  });
  return outcomes;
}

/** A thread's operations with each `if` turned into a conditional jump over its branch. */
function flatten(ops: readonly JsOp[]): Step[] {
  const out: Step[] = [];
  const emit = (list: readonly JsOp[]) => {
    for (const op of list) {
      if (op.op !== 'if') {
        out.push(op);
        continue;
      }
      const skip: Step & { op: 'unless' } = { op: 'unless', cond: op.cond, to: -1 };
      out.push(skip);
      emit(op.then);
      if (op.else.length === 0) {
        skip.to = out.length;
        continue;
      }
      const over: Step & { op: 'jump' } = { op: 'jump', to: -1 };
      out.push(over);
      skip.to = out.length;
      emit(op.else);
      over.to = out.length;
    }
  };
  emit(ops);
  return out;
}
