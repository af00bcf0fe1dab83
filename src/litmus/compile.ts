// Each litmus thread compiled to straight-line JavaScript, so that a plain access really is a
// plain typed-array load or store (a mov on x86-64) with nothing in between, and each
// primitive is exactly what the mapping says (js-mapping.ts). For SB as written:
//   m[b + 0] = 1; $r0 = m[b + 32];
// and with `fenced`:
//   m[b + 0] = 1; Atomics.add(f, 0, 0); $r0 = m[b + 32];

import { INT32_WORDS_PER_LINE } from '../shared-memory/layout.ts';
import type { JsOp } from './js-mapping.ts';
import { ADDRESS_BASE, locations, threadRegisters, throughRegister, type Expr, type LitmusTest } from './litmus-test.ts';

/** Runs a thread on instances [0, n): shared memory, this thread's registers, its fence word. */
export type ThreadBody = (memory: Int32Array, registers: Int32Array, fence: Int32Array, n: number) => void;

/** Where things live: every location of an instance on a cache line of its own. */
export interface InstanceLayout {
  readonly offset: ReadonlyMap<string, number>;
  readonly instanceWords: number;
}

export function instanceLayout(test: LitmusTest): InstanceLayout {
  const locs = locations(test);
  return {
    offset: new Map(locs.map((loc, i) => [loc, i * INT32_WORDS_PER_LINE])),
    instanceWords: Math.max(1, locs.length) * INT32_WORDS_PER_LINE,
  };
}

/** A register's JavaScript name: `$r0`; a temporary `$1` becomes `$$1`. */
const jsRegister = (name: string) => `$${name}`;

export function threadSource(test: LitmusTest, t: number, ops: readonly JsOp[]): string {
  const layout = instanceLayout(test);
  const registers = threadRegisters(test, t);
  // Through a register (`*r0`): the offset of the location whose address it holds, from table A.
  const at = (loc: string) => {
    const via = throughRegister(loc);
    return via === undefined ? `b + ${layout.offset.get(loc)}` : `b + A[${jsRegister(via)} - ${ADDRESS_BASE}]`;
  };
  const addressTable = test.addresses.length === 0 ? [] : [`const A = [${test.addresses.map((a) => layout.offset.get(a)).join(', ')}];`];
  const init = test.initRegisters[t] ?? {};

  const statements = (list: readonly JsOp[], indent: string): string[] =>
    list.flatMap((op): string[] => {
      switch (op.op) {
        case 'load':
          return [`${indent}${jsRegister(op.into)} = ${op.atomic ? `Atomics.load(m, ${at(op.loc)})` : `m[${at(op.loc)}]`};`];
        case 'store':
          return [op.atomic ? `${indent}Atomics.store(m, ${at(op.loc)}, ${expr(op.value)});` : `${indent}m[${at(op.loc)}] = ${expr(op.value)};`];
        case 'rmw':
          return [indent + rmw(op, at(op.loc))];
        case 'fence':
          // Pairs with whatever the test's other threads do: that is the litmus test's question.
          return [`${indent}Atomics.add(f, 0, 0);`];
        case 'compiler-barrier':
          // Stops V8, not the store buffer: a plain mov on x86-64.
          return [`${indent}Atomics.load(f, 0);`];
        case 'lock':
          return [`${indent}while (Atomics.compareExchange(m, ${at(op.loc)}, 0, 1) !== 0);`];
        case 'unlock':
          return [`${indent}Atomics.store(m, ${at(op.loc)}, 0);`];
        case 'await-zero':
          // A grace period's wait for one reader's section to end.
          return [`${indent}while (Atomics.load(m, ${at(op.loc)}) !== 0);`];
        case 'assign':
          return [`${indent}${jsRegister(op.into)} = ${expr(op.value)};`];
        case 'if': {
          const inner = indent + '  ';
          const otherwise = op.else.length === 0 ? [] : [`${indent}} else {`, ...statements(op.else, inner)];
          return [`${indent}if (${expr(op.cond)} !== 0) {`, ...statements(op.then, inner), ...otherwise, `${indent}}`];
        }
      }
    });

  const declare = registers.length === 0 ? [] : [`    let ${registers.map((r) => `${jsRegister(r)} = ${init[r] ?? 0}`).join(', ')};`];
  const save = registers.map((r, k) => `    r[i * ${registers.length} + ${k}] = ${jsRegister(r)};`);
  return [...addressTable, `for (let i = 0; i < n; i++) {`, `    const b = i * ${layout.instanceWords};`, ...declare, ...statements(ops, '    '), ...save, `  }`].join('\n');
}

export function compileThread(source: string): ThreadBody {
  return new Function('m', 'r', 'f', 'n', source) as ThreadBody;
}

function rmw(op: Extract<JsOp, { op: 'rmw' }>, address: string): string {
  const into = op.into === undefined ? '' : `${jsRegister(op.into)} = `;
  const operand = expr(op.operand);
  if (op.rmw === 'exchange') return `${into}Atomics.exchange(m, ${address}, ${operand});`;
  if (op.rmw === 'compareExchange') return `${into}Atomics.compareExchange(m, ${address}, ${expr(op.expected ?? { kind: 'const', value: 0 })}, ${operand});`;
  // A sole writer's void add: plain load, add, store, unfenced; no other thread writes here.
  if (!op.atomic) return `m[${address}] = (m[${address}] + ${operand}) | 0;`;
  if (op.returns !== 'new') return `${into}Atomics.add(m, ${address}, ${operand});`;
  return `{ const v = ${operand}; ${into}(Atomics.add(m, ${address}, v) + v) | 0; }`;
}

/** A register expression as JavaScript, with C's int results (evaluate() in litmus-test.ts). */
function expr(e: Expr): string {
  switch (e.kind) {
    case 'const':
      return e.value < 0 ? `(${e.value})` : String(e.value);
    case 'reg':
      return jsRegister(e.name);
    case 'not':
      return `(${expr(e.arg)} === 0 ? 1 : 0)`;
    case 'neg':
      return `(-${expr(e.arg)} | 0)`;
    case 'binary': {
      const a = expr(e.left);
      const b = expr(e.right);
      switch (e.op) {
        case '+':
        case '-':
          return `((${a} ${e.op} ${b}) | 0)`;
        case '*':
          return `Math.imul(${a}, ${b})`;
        case '&':
        case '|':
        case '^':
          return `(${a} ${e.op} ${b})`;
        case '==':
          return `(${a} === ${b} ? 1 : 0)`;
        case '!=':
          return `(${a} !== ${b} ? 1 : 0)`;
        case '<':
        case '<=':
        case '>':
        case '>=':
          return `(${a} ${e.op} ${b} ? 1 : 0)`;
        case '&&':
          return `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`;
        case '||':
          return `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`;
      }
    }
  }
}
