// Running one litmus test in one variant on worker threads, and what it found.

import { spawnWorker, type SpawnedWorker } from '../run/spawn-worker.ts';
import { Barrier } from './barrier.ts';
import { instanceLayout, threadRegisters, type Variant } from './compile.ts';
import type { LitmusJob, LitmusWorkerApi } from './litmus-worker.ts';
import { histogramSize, outcomeValues, shapeValues } from './outcomes.ts';
import { scOutcomes } from './sequential-consistency.ts';
import { formatOutcome, type LitmusShape } from './shapes.ts';

export interface LitmusOutcome {
  readonly outcome: string;
  readonly count: number;
  /** Whether sequential consistency allows this outcome. */
  readonly sc: boolean;
  /** Whether this is the outcome the test's exists clause asks about. */
  readonly exists: boolean;
}

export interface LitmusResult {
  readonly name: string;
  readonly variant: Variant;
  readonly iterations: number;
  readonly stride: number;
  /** Most frequent first. */
  readonly outcomes: readonly LitmusOutcome[];
  /** Iterations whose outcome sequential consistency forbids. */
  readonly relaxedCount: number;
  /** Iterations that satisfied the exists clause. */
  readonly existsCount: number;
  /** litmus7's verdict on the exists clause. */
  readonly observation: 'Never' | 'Sometimes' | 'Always';
}

const LITMUS_ENTRY = new URL('./litmus-worker.ts', import.meta.url);

export class LitmusPool {
  private constructor(private readonly threads: readonly SpawnedWorker<LitmusWorkerApi>[]) {}

  /** Enough threads for the widest test. */
  static start(threads: number): LitmusPool {
    return new LitmusPool(Array.from({ length: threads }, (_, t) => spawnWorker<LitmusWorkerApi>(LITMUS_ENTRY, `litmus${t}`)));
  }

  async run(shape: LitmusShape, variant: Variant, iterations: number, stride: number): Promise<LitmusResult> {
    if (shape.threads.length > this.threads.length) throw new RangeError(`${shape.name} needs ${shape.threads.length} threads`);
    const layout = instanceLayout(shape);
    const int32s = (words: number) => new SharedArrayBuffer(words * Int32Array.BYTES_PER_ELEMENT);
    const memory = int32s(stride * layout.instanceWords);
    const words = new Int32Array(memory);
    for (let i = 0; i < stride; i++) {
      for (const [loc, value] of Object.entries(shape.init)) words[i * layout.instanceWords + layout.offset.get(loc)!] = value;
    }
    const histogram = new SharedArrayBuffer(histogramSize(shape) * Float64Array.BYTES_PER_ELEMENT);
    const job = {
      shape: shape.name,
      variant,
      iterations,
      stride,
      memory,
      registers: shape.threads.map((_, t) => int32s(stride * Math.max(1, threadRegisters(shape, t).length))),
      barrier: Barrier.buffer(),
      histogram,
    };
    await Promise.all(
      shape.threads.map((_, t) => {
        const { api, death } = this.threads[t];
        return Promise.race([api.run({ ...job, thread: t } satisfies LitmusJob), death]).catch((error: Error) => {
          throw new Error(`litmus thread ${t} of ${shape.name}/${variant} failed: ${error.message}`);
        });
      }),
    );
    return summarise(shape, variant, iterations, stride, new Float64Array(histogram));
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

function summarise(shape: LitmusShape, variant: Variant, iterations: number, stride: number, histogram: Float64Array): LitmusResult {
  const base = Math.max(...shapeValues(shape)) + 1;
  const allowed = scOutcomes(shape);
  const exists = formatOutcome(shape, shape.observe.map((name) => shape.exists[name]));
  const outcomes: LitmusOutcome[] = [];
  histogram.forEach((count, key) => {
    if (count === 0) return;
    const outcome = formatOutcome(shape, outcomeValues(key, base, shape.observe.length));
    outcomes.push({ outcome, count, sc: allowed.has(outcome), exists: outcome === exists });
  });
  outcomes.sort((a, b) => b.count - a.count);
  const relaxedCount = outcomes.filter((o) => !o.sc).reduce((sum, o) => sum + o.count, 0);
  const existsCount = outcomes.find((o) => o.exists)?.count ?? 0;
  const observation = existsCount === 0 ? 'Never' : existsCount === iterations ? 'Always' : 'Sometimes';
  return { name: shape.name, variant, iterations, stride, outcomes, relaxedCount, existsCount, observation };
}
