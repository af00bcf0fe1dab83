// One litmus thread. Runs its compiled body over a batch of fresh instances, meets the other
// threads at a barrier before and after each batch, and, as thread 0, tallies the outcomes of
// the batch and resets its instances for the next.

import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Barrier } from './barrier.ts';
import { compileThread, instanceLayout, threadRegisters, type Variant } from './compile.ts';
import { outcomeKey, shapeValues } from './outcomes.ts';
import { shapeByName, type LitmusShape } from './shapes.ts';

export interface LitmusJob {
  readonly shape: string;
  readonly variant: Variant;
  readonly thread: number;
  readonly iterations: number;
  /** Instances per batch: iterations between two synchronisations. */
  readonly stride: number;
  readonly memory: SharedArrayBuffer;
  /** One register file per thread. */
  readonly registers: readonly SharedArrayBuffer[];
  readonly barrier: SharedArrayBuffer;
  /** Float64 counts by outcome key; thread 0 writes it. */
  readonly histogram: SharedArrayBuffer;
}

const api = {
  run(job: LitmusJob): void {
    const shape = shapeByName(job.shape);
    const body = compileThread(shape, job.thread, job.variant);
    const memory = new Int32Array(job.memory);
    const registers = new Int32Array(job.registers[job.thread]);
    const fence = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const barrier = new Barrier(new Int32Array(job.barrier), shape.threads.length);
    const tally = job.thread === 0 ? tallier(shape, job) : undefined;
    for (let done = 0; done < job.iterations; done += job.stride) {
      const n = Math.min(job.stride, job.iterations - done);
      barrier.arrive();
      body(memory, registers, fence, n);
      barrier.arrive();
      tally?.(n);
    }
  },
};

export type LitmusWorkerApi = typeof api;

/** Thread 0's end of batch: count each instance's outcome, then put its locations back to init. */
function tallier(shape: LitmusShape, job: LitmusJob): (n: number) => void {
  const layout = instanceLayout(shape);
  const memory = new Int32Array(job.memory);
  const histogram = new Float64Array(job.histogram);
  const registerFiles = job.registers.map((buffer) => new Int32Array(buffer));
  const base = Math.max(...shapeValues(shape)) + 1;
  // Where each observed name is read from: a thread's register, or a location's final value.
  const sources = shape.observe.map((name) => {
    for (let t = 0; t < shape.threads.length; t++) {
      const regs = threadRegisters(shape, t);
      if (regs.includes(name)) return { file: registerFiles[t], index: regs.indexOf(name), stride: regs.length };
    }
    return { file: memory, index: layout.offset.get(name)!, stride: layout.instanceWords };
  });
  const inits = [...layout.offset].map(([loc, offset]) => [offset, shape.init[loc] ?? 0] as const);
  const values = new Array<number>(sources.length);
  return (n) => {
    for (let i = 0; i < n; i++) {
      sources.forEach((s, k) => (values[k] = s.file[i * s.stride + s.index]));
      histogram[outcomeKey(values, base)]++;
      for (const [offset, value] of inits) memory[i * layout.instanceWords + offset] = value;
    }
  };
}

expose(api, nodeEndpoint(parentPort!));
