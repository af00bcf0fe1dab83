// Which outcomes sequential consistency allows: run every interleaving of the threads' ops
// against one memory. Computed, never written by hand, so the verdict on each observed outcome
// follows from the test itself.

import { formatOutcome, type LitmusShape } from './shapes.ts';

export function scOutcomes(shape: LitmusShape): Set<string> {
  const outcomes = new Set<string>();
  const memory = new Map<string, number>(Object.entries(shape.init));
  const registers = new Map<string, number>();
  const next = shape.threads.map(() => 0);

  const explore = () => {
    let finished = true;
    shape.threads.forEach((ops, t) => {
      if (next[t] === ops.length) return;
      finished = false;
      const op = ops[next[t]++];
      if (op.kind === 'W') {
        const before = memory.get(op.loc);
        memory.set(op.loc, op.value);
        explore();
        if (before === undefined) memory.delete(op.loc);
        else memory.set(op.loc, before);
      } else {
        registers.set(op.reg, memory.get(op.loc) ?? 0);
        explore();
        registers.delete(op.reg);
      }
      next[t]--;
    });
    if (finished) outcomes.add(formatOutcome(shape, shape.observe.map((name) => registers.get(name) ?? memory.get(name) ?? 0)));
  };
  explore();
  return outcomes;
}
