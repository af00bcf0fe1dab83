// Each litmus thread compiled to straight-line JavaScript for one variant, so that `plain`
// really is plain typed-array loads and stores (a mov on x86-64) with nothing in between:
//   plain   m[x] = 1; r0 = m[y]
//   atomics Atomics.store(m, x, 1); r0 = Atomics.load(m, y)       (sequentially consistent)
//   fenced  m[x] = 1; Atomics.add(f, 0, 0); r0 = m[y]             (a full barrier between)

import { INT32_WORDS_PER_LINE } from '../shared-memory/layout.ts';
import { locations, type LitmusShape } from './shapes.ts';

export const VARIANTS = ['plain', 'atomics', 'fenced'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Runs a thread's ops on instances [0, n): memory, this thread's registers, a fence word. */
export type ThreadBody = (memory: Int32Array, registers: Int32Array, fence: Int32Array, n: number) => void;

/** Where things live: every location of an instance on a cache line of its own. */
export interface InstanceLayout {
  readonly offset: ReadonlyMap<string, number>;
  readonly instanceWords: number;
}

export function instanceLayout(shape: LitmusShape): InstanceLayout {
  const locs = locations(shape);
  return {
    offset: new Map(locs.map((loc, i) => [loc, i * INT32_WORDS_PER_LINE])),
    instanceWords: locs.length * INT32_WORDS_PER_LINE,
  };
}

/** The registers thread `t` writes, in order: its register file for one instance. */
export function threadRegisters(shape: LitmusShape, t: number): string[] {
  return shape.threads[t].flatMap((op) => (op.kind === 'R' ? [op.reg] : []));
}

export function threadSource(shape: LitmusShape, t: number, variant: Variant): string {
  const layout = instanceLayout(shape);
  const registers = threadRegisters(shape, t);
  const statements = shape.threads[t].map((op) => {
    const at = `b + ${layout.offset.get(op.loc)}`;
    if (op.kind === 'W') return variant === 'atomics' ? `Atomics.store(m, ${at}, ${op.value});` : `m[${at}] = ${op.value};`;
    const into = `r[i * ${registers.length} + ${registers.indexOf(op.reg)}]`;
    return variant === 'atomics' ? `${into} = Atomics.load(m, ${at});` : `${into} = m[${at}];`;
  });
  const body = variant === 'fenced' ? statements.join('\n    Atomics.add(f, 0, 0);\n    ') : statements.join('\n    ');
  return `for (let i = 0; i < n; i++) {\n    const b = i * ${layout.instanceWords};\n    ${body}\n  }`;
}

export function compileThread(shape: LitmusShape, t: number, variant: Variant): ThreadBody {
  return new Function('m', 'r', 'f', 'n', threadSource(shape, t, variant)) as ThreadBody;
}
