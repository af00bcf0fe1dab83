// Running one litmus test in one variant on worker threads, and what it found: each outcome
// with its count, judged under sequential consistency and x86-TSO, and the verdict.

import { createHash } from 'node:crypto';
import { spawnWorker, type SpawnedWorker } from '../base/spawn-worker.ts';
import { Barrier } from './barrier.ts';
import { instanceLayout, threadSource } from './compile.ts';
import { lowerTest, type Variant } from './js-mapping.ts';
import { formatCondition, formatOutcome, locations, observedName, observedNames, propHolds, threadRegisters, type Expectation, type LitmusTest } from './litmus-test.ts';
import type { CountedOutcome, LitmusJob, LitmusWorkerApi, TallyPlan } from './litmus-worker.ts';
import { rangesOf, type ValueRange } from './outcomes.ts';
import { judge, modelsFor, type Models, type Verdict } from './verdict.ts';

export interface LitmusOutcome {
  /** As litmus7 prints it: `0:r0=0; 1:r0=1;`. */
  readonly outcome: string;
  readonly count: number;
  /** Whether sequential consistency allows this outcome. */
  readonly sc: boolean;
  /** Whether x86-TSO allows it for the threads as this variant runs them. */
  readonly tso: boolean;
  /** Whether the condition's proposition holds for it. */
  readonly satisfies: boolean;
}

export interface LitmusResult {
  readonly name: string;
  readonly file?: string;
  readonly variant: Variant;
  /** The test's name as written, `NAME/variant` otherwise: its name in the litmus7 log. */
  readonly id: string;
  readonly condition: string;
  readonly quantifier: LitmusTest['condition']['quantifier'];
  readonly expected?: Expectation;
  readonly threads: number;
  /** Of the test's text and variant, as litmus7's Hash= line identifies a test's code. */
  readonly hash: string;
  readonly iterations: number;
  readonly stride: number;
  readonly seconds: number;
  /** Most frequent first. */
  readonly outcomes: readonly LitmusOutcome[];
  /** Iterations whose outcome sequential consistency forbids. */
  readonly relaxedCount: number;
  /** Iterations where the condition's proposition held. */
  readonly positive: number;
  /** litmus7's word for `positive`: Never, Sometimes or Always. */
  readonly observation: 'Never' | 'Sometimes' | 'Always';
  readonly verdict: Verdict;
  /** With --herd7: what herd7 said, by which it was judged, and the header's Result beside it. */
  readonly herd7?: { readonly version: string; readonly observation: Expectation; readonly header?: Expectation };
}

const LITMUS_ENTRY = new URL('./litmus-worker.ts', import.meta.url);

function resultId(name: string, variant: Variant): string {
  return variant === 'as-written' ? name : `${name}/${variant}`;
}

export class LitmusPool {
  private constructor(private readonly threads: readonly SpawnedWorker<LitmusWorkerApi>[]) {}

  /** Enough threads for the widest test. */
  static start(threads: number): LitmusPool {
    return new LitmusPool(Array.from({ length: threads }, (_, t) => spawnWorker<LitmusWorkerApi>(LITMUS_ENTRY, `litmus${t}`)));
  }

  get size(): number {
    return this.threads.length;
  }

  async run(test: LitmusTest, variant: Variant, iterations: number, stride: number, hostArch: string): Promise<LitmusResult> {
    if (test.threads.length > this.threads.length) throw new RangeError(`${test.name} needs ${test.threads.length} threads`);
    const models = modelsFor(test, variant);
    const started = performance.now();
    const counted = await this.count(test, variant, iterations, stride, rangesOf(observedNames(test).length, [...models.sc.values(), ...models.tso.values()]));
    return summarise(test, variant, iterations, stride, counted, (performance.now() - started) / 1000, hostArch, models);
  }

  /** The outcomes of `iterations` instances, counted; `ranges` are the values expected of each observed name. */
  private async count(test: LitmusTest, variant: Variant, iterations: number, stride: number, ranges: readonly ValueRange[]): Promise<CountedOutcome[]> {
    const layout = instanceLayout(test);
    const int32s = (words: number) => new SharedArrayBuffer(words * Int32Array.BYTES_PER_ELEMENT);
    const memory = int32s(stride * layout.instanceWords);
    const words = new Int32Array(memory);
    const inits = locations(test).map((loc) => [layout.offset.get(loc)!, test.init[loc] ?? 0] as const);
    for (let i = 0; i < stride; i++) for (const [offset, value] of inits) words[i * layout.instanceWords + offset] = value;
    const registerNames = test.threads.map((_, t) => threadRegisters(test, t));
    const tally: TallyPlan = {
      sources: observedNames(test).map((o) =>
        o.kind === 'loc'
          ? { kind: 'memory', offset: layout.offset.get(o.name)! }
          : { kind: 'register', thread: o.thread, index: registerNames[o.thread].indexOf(o.name), stride: Math.max(1, registerNames[o.thread].length) },
      ),
      ranges,
      instanceWords: layout.instanceWords,
      inits,
    };
    const ops = lowerTest(test, variant);
    const job = {
      threads: test.threads.length,
      iterations,
      stride,
      memory,
      registers: registerNames.map((names) => int32s(stride * Math.max(1, names.length))),
      barrier: Barrier.buffer(),
    };
    const counts = await Promise.all(
      test.threads.map((_, t) => {
        const { api, death } = this.threads[t];
        const threadJob: LitmusJob = { ...job, thread: t, source: threadSource(test, t, ops[t]), tally };
        return Promise.race([api.run(threadJob), death]).catch((error: Error) => {
          throw new Error(`litmus thread ${t} of ${resultId(test.name, variant)} failed: ${error.message}`);
        });
      }),
    );
    // Each thread counted its share of every batch.
    const merged = new Map<string, CountedOutcome>();
    for (const { values, count } of counts.flat()) {
      const key = values.join(',');
      merged.set(key, { values, count: (merged.get(key)?.count ?? 0) + count });
    }
    return [...merged.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

export function summarise(
  test: LitmusTest,
  variant: Variant,
  iterations: number,
  stride: number,
  counted: readonly CountedOutcome[],
  seconds: number,
  hostArch: string,
  models: Models = modelsFor(test, variant),
): LitmusResult {
  const names = observedNames(test);
  const keys = names.map(observedName);
  const outcomes = counted
    .map(({ values, count }): LitmusOutcome => {
      const outcome = formatOutcome(names, values, test.addresses);
      return { outcome, count, sc: models.sc.has(outcome), tso: models.tso.has(outcome), satisfies: propHolds(test.condition.prop, (o) => values[keys.indexOf(observedName(o))]) };
    })
    .sort((a, b) => b.count - a.count);
  const relaxedCount = outcomes.filter((o) => !o.sc).reduce((sum, o) => sum + o.count, 0);
  const positive = outcomes.filter((o) => o.satisfies).reduce((sum, o) => sum + o.count, 0);
  const observation = positive === 0 ? 'Never' : positive === iterations ? 'Always' : 'Sometimes';
  return {
    name: test.name,
    ...(test.file === undefined ? {} : { file: test.file }),
    variant,
    id: resultId(test.name, variant),
    condition: formatCondition(test.condition, test.addresses),
    quantifier: test.condition.quantifier,
    ...(test.expected === undefined ? {} : { expected: test.expected }),
    threads: test.threads.length,
    hash: createHash('md5').update(variant === 'as-written' ? test.source : `${variant}\n${test.source}`).digest('hex'),
    iterations,
    stride,
    seconds,
    outcomes,
    relaxedCount,
    positive,
    observation,
    verdict: judge(test, variant, { iterations, positive, relaxed: relaxedCount }, models, hostArch),
  };
}
