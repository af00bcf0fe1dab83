// What herd7 says of a litmus test, read from its output (herdtools7 7.58): the `Test NAME
// Allowed|Required|Forbidden` line, the `States N` histogram, the `Ok`/`No` validation, the
// witnesses, and the `Observation NAME Never|Sometimes|Always P N` line that the kernel's
// tools/memory-model/scripts/judgelitmus.sh compares with a test's `Result:` header.

import type { Expectation } from './litmus-test.ts';

export interface Herd7Verdict {
  readonly test: string;
  /** Never, Sometimes or Always: the condition over every execution the model allows. */
  readonly observation: Expectation;
  /** Executions allowed in which the condition's proposition holds, and in which it does not. */
  readonly positive: number;
  readonly negative: number;
  /** The final states the model allows, as herd7 prints them (`0:r0=1; 1:r0=0;`). */
  readonly states: readonly string[];
}

const OBSERVATION = /^Observation (\S+) (Never|Sometimes|Always) (\d+) (\d+)\s*$/m;
const TEST = /^Test (\S+) (Allowed|Required|Forbidden)\s*$/m;
const STATES = /^States (\d+)\s*$/m;

/** herd7's verdict in `text`; throws, saying what is missing, when the text is not herd7's output on one test. */
export function parseHerd7Output(text: string): Herd7Verdict {
  const observation = OBSERVATION.exec(text);
  if (!observation) {
    const first = text.split('\n').find((line) => line.trim() !== '') ?? '(empty)';
    throw new Error(`no Observation line in herd7's output (it begins: ${first.trim().slice(0, 120)})`);
  }
  const test = TEST.exec(text);
  if (!test || test[1] !== observation[1]) throw new Error(`herd7's output names no test, or another than its Observation line's ${observation[1]}`);
  const statesAt = STATES.exec(text);
  const count = statesAt ? Number(statesAt[1]) : 0;
  const after = statesAt ? text.slice(statesAt.index + statesAt[0].length).split('\n').slice(1, 1 + count) : [];
  return { test: observation[1], observation: observation[2] as Expectation, positive: Number(observation[3]), negative: Number(observation[4]), states: after.map((s) => s.trim()) };
}
