// The litmus tests, as data: each thread a list of writes and reads, the outcome in question
// (the `exists` clause) and what x86-TSO says of it. Names and shapes as in herd/litmus7 and the
// kernel's tools/memory-model/litmus-tests.

export type Op =
  | { readonly kind: 'W'; readonly loc: string; readonly value: number }
  | { readonly kind: 'R'; readonly loc: string; readonly reg: string };

export interface LitmusShape {
  readonly name: string;
  /** The pattern, in a few words. */
  readonly title: string;
  /** Initial values; locations not named start at 0. */
  readonly init: { readonly [loc: string]: number };
  readonly threads: readonly (readonly Op[])[];
  /** Registers, and locations read after every thread is done, that make up an outcome. */
  readonly observe: readonly string[];
  /** The outcome in question: sequential consistency forbids it for every shape here. */
  readonly exists: { readonly [name: string]: number };
  /** Whether x86-TSO allows the `exists` outcome for plain accesses, and why. */
  readonly onX86: 'allowed' | 'forbidden';
  readonly why: string;
}

/** One thread, written as `W x 1` (store 1 to x) and `R y r0` (load y into r0). */
function thread(...ops: string[]): Op[] {
  return ops.map((text) => {
    const [kind, loc, arg] = text.split(' ');
    if (kind === 'W') return { kind, loc, value: Number(arg) };
    if (kind === 'R') return { kind, loc, reg: arg };
    throw new Error(`bad litmus op '${text}'`);
  });
}

export const SHAPES: readonly LitmusShape[] = [
  {
    name: 'SB',
    title: 'store buffering',
    init: {},
    threads: [thread('W x 1', 'R y r0'), thread('W y 1', 'R x r1')],
    observe: ['r0', 'r1'],
    exists: { r0: 0, r1: 0 },
    onX86: 'allowed',
    why: 'each store waits in its CPU store buffer while the later load of the other location runs',
  },
  {
    name: 'MP',
    title: 'message passing',
    init: {},
    threads: [thread('W x 1', 'W y 1'), thread('R y r0', 'R x r1')],
    observe: ['r0', 'r1'],
    exists: { r0: 1, r1: 0 },
    onX86: 'forbidden',
    why: 'TSO keeps stores in order and loads in order',
  },
  {
    name: 'LB',
    title: 'load buffering',
    init: {},
    threads: [thread('R x r0', 'W y 1'), thread('R y r1', 'W x 1')],
    observe: ['r0', 'r1'],
    exists: { r0: 1, r1: 1 },
    onX86: 'forbidden',
    why: 'TSO never lets a store pass an earlier load',
  },
  {
    name: 'S',
    title: 'store then load-store',
    init: {},
    threads: [thread('W x 2', 'W y 1'), thread('R y r0', 'W x 1')],
    observe: ['r0', 'x'],
    exists: { r0: 1, x: 2 },
    onX86: 'forbidden',
    why: 'TSO keeps stores in order and never lets a store pass an earlier load',
  },
  {
    name: 'R',
    title: 'store-store then store-load',
    init: {},
    threads: [thread('W x 1', 'W y 1'), thread('W y 2', 'R x r0')],
    observe: ['y', 'r0'],
    exists: { y: 2, r0: 0 },
    onX86: 'allowed',
    why: "the second thread's load passes its own buffered store, as in SB",
  },
  {
    name: '2+2W',
    title: 'two writers, two locations',
    init: {},
    threads: [thread('W x 1', 'W y 2'), thread('W y 1', 'W x 2')],
    observe: ['x', 'y'],
    exists: { x: 1, y: 1 },
    onX86: 'forbidden',
    why: 'each store buffer drains in program order',
  },
  {
    name: 'IRIW',
    title: 'independent reads of independent writes',
    init: {},
    threads: [thread('W x 1'), thread('W y 1'), thread('R x r0', 'R y r1'), thread('R y r2', 'R x r3')],
    observe: ['r0', 'r1', 'r2', 'r3'],
    exists: { r0: 1, r1: 0, r2: 1, r3: 0 },
    onX86: 'forbidden',
    why: 'an x86 store becomes visible to every other CPU at once (multi-copy atomicity)',
  },
  {
    name: 'SB+pgtbl',
    title: 'the unmapper and the walker of counter-racy',
    init: { pmd: 1 },
    // Thread 0 is the unmapper: clear the PMD, read the walk count. Thread 1 is the walker:
    // increment the count, read the PMD.
    threads: [thread('W pmd 0', 'R count r0'), thread('W count 1', 'R pmd r1')],
    observe: ['r0', 'r1'],
    exists: { r0: 0, r1: 1 },
    onX86: 'allowed',
    why: 'store buffering: the unmapper sees no walker and frees the page the walker has just found',
  },
];

export const SHAPE_NAMES: readonly string[] = SHAPES.map((s) => s.name);

export function shapeByName(name: string): LitmusShape {
  const shape = SHAPES.find((s) => s.name === name);
  if (!shape) throw new RangeError(`unknown litmus test '${name}'`);
  return shape;
}

/** Every location a shape touches, in order of first mention. */
export function locations(shape: LitmusShape): string[] {
  return [...new Set([...Object.keys(shape.init), ...shape.threads.flat().map((op) => op.loc)])];
}

/** An outcome as text: `r0=0 r1=1`, in the order of `observe`. */
export function formatOutcome(shape: LitmusShape, values: readonly number[]): string {
  return shape.observe.map((name, i) => `${name}=${values[i]}`).join(' ');
}
