// One litmus thread. Runs its compiled body over a batch of fresh instances, meets the other
// threads at a barrier before and after each batch, then counts the outcomes of its share of
// the batch's instances and resets them for the next. Every thread takes an equal share, so
// that they all reach the next barrier together: a thread left waiting there long falls
// asleep, wakes late, and runs its batch after the others have finished theirs.

import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Barrier } from './barrier.ts';
import { compileThread } from './compile.ts';
import { OutcomeCounter, type ValueRange } from './outcomes.ts';

/** Where thread 0 reads each observed value, and what an instance's locations start at. */
export interface TallyPlan {
  readonly sources: readonly ({ readonly kind: 'register'; readonly thread: number; readonly index: number; readonly stride: number } | { readonly kind: 'memory'; readonly offset: number })[];
  /** The values each is expected to take, for the counter's flat table. */
  readonly ranges: readonly ValueRange[];
  readonly instanceWords: number;
  /** [offset in an instance, initial value] of every location. */
  readonly inits: readonly (readonly [number, number])[];
}

export interface LitmusJob {
  /** The thread's compiled body (compile.ts). */
  readonly source: string;
  readonly threads: number;
  readonly thread: number;
  readonly iterations: number;
  /** Instances per batch: iterations between two synchronisations. */
  readonly stride: number;
  readonly memory: SharedArrayBuffer;
  /** One register file per thread. */
  readonly registers: readonly SharedArrayBuffer[];
  readonly barrier: SharedArrayBuffer;
  readonly tally: TallyPlan;
}

export interface CountedOutcome {
  readonly values: number[];
  readonly count: number;
}

const api = {
  /** The outcomes of this thread's share of every batch, counted. */
  run(job: LitmusJob): CountedOutcome[] {
    const body = compileThread(job.source);
    const memory = new Int32Array(job.memory);
    const registers = new Int32Array(job.registers[job.thread]);
    const fence = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const barrier = new Barrier(new Int32Array(job.barrier), job.threads);
    const counter = new OutcomeCounter(job.tally.ranges);
    const tally = tallier(job.tally, job, counter);
    for (let done = 0; done < job.iterations; done += job.stride) {
      const n = Math.min(job.stride, job.iterations - done);
      barrier.arrive();
      body(memory, registers, fence, n);
      barrier.arrive();
      tally(Math.floor((n * job.thread) / job.threads), Math.floor((n * (job.thread + 1)) / job.threads));
    }
    return counter.entries();
  },
};

export type LitmusWorkerApi = typeof api;

/** The end of a batch: count the outcome of each instance in [from, to), then put its locations back to init. */
function tallier(plan: TallyPlan, job: LitmusJob, counter: OutcomeCounter): (from: number, to: number) => void {
  const memory = new Int32Array(job.memory);
  const registerFiles = job.registers.map((buffer) => new Int32Array(buffer));
  // Each observed value as file[i * stride + index]: a register file, or shared memory.
  const files = plan.sources.map((s) => (s.kind === 'memory' ? memory : registerFiles[s.thread]));
  const strides = plan.sources.map((s) => (s.kind === 'memory' ? plan.instanceWords : s.stride));
  const indexes = plan.sources.map((s) => (s.kind === 'memory' ? s.offset : s.index));
  const values = new Int32Array(plan.sources.length);
  return (from, to) => {
    for (let i = from; i < to; i++) {
      for (let k = 0; k < values.length; k++) values[k] = files[k][i * strides[k] + indexes[k]];
      counter.add(values);
      const base = i * plan.instanceWords;
      for (const [offset, value] of plan.inits) memory[base + offset] = value;
    }
  };
}

expose(api, nodeEndpoint(parentPort!));
