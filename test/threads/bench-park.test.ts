// The bench pairs a spinning far side with another loop only if parking it really stops it:
// a parked responder answers no ping, a parked emulated CPU takes no IPI, and both carry on
// once let go.

import { afterEach, describe, expect, it } from 'vitest';
import { BenchWords, benchWords, park, unpark } from '../../src/bench/bench-words.ts';
import type { BenchWorkerApi } from '../../src/bench/bench-worker.ts';
import { sleep } from '../../src/coordinator/runs.ts';
import { spawnWorker, type SpawnedWorker } from '../../src/base/spawn-worker.ts';
import { EmulatedCpu } from '../../src/kernel/cpu.ts';
import { smp_call_function_many } from '../../src/kernel/ipi.ts';
import { cpuWord } from '../../src/shared-memory/cpu-block.ts';
import { cpumask_set_cpu } from '../../src/shared-memory/mm.ts';
import { SharedMachine } from '../../src/shared-memory/shared-machine.ts';
import { eventually } from '../helpers/probe.ts';

const WORKER = new URL('../../src/bench/bench-worker.ts', import.meta.url);
const workers: SpawnedWorker<BenchWorkerApi>[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map(({ worker }) => worker.terminate()));
});

const spawn = () => {
  const spawned = spawnWorker<BenchWorkerApi>(WORKER, 'bench-park-test');
  workers.push(spawned);
  return spawned;
};
/** How long a far side that is not parked would take to answer, many times over. */
const SILENCE_MS = 100;

describe("the bench's parking of a spinning far side", () => {
  it('a parked spinning responder answers no ping until let go, then answers again', async () => {
    const words = benchWords();
    const done = spawn().api.spinResponder(words.buffer as SharedArrayBuffer);
    const ping = async (value: number) => {
      Atomics.store(words, BenchWords.ping, value);
      await eventually(() => Atomics.load(words, BenchWords.pong) === value);
    };
    await ping(1);
    park(words);
    expect(Atomics.load(words, BenchWords.parked)).toBe(1);
    Atomics.store(words, BenchWords.ping, 2);
    await sleep(SILENCE_MS);
    expect(Atomics.load(words, BenchWords.pong)).toBe(1);
    unpark(words);
    await eventually(() => Atomics.load(words, BenchWords.pong) === 2);
    expect(Atomics.load(words, BenchWords.parked)).toBe(0);
    Atomics.store(words, BenchWords.ping, -1);
    await done;
  });

  it('a parked busy emulated CPU takes no IPI until let go, then takes it', async () => {
    const machine = SharedMachine.create({ cpus: 2, hugePages: 1 });
    cpumask_set_cpu(machine.mm, 0);
    cpumask_set_cpu(machine.mm, 1);
    const control = benchWords();
    const running = spawn().api.emulatedTarget(machine.buffers, 1, false, control.buffer as SharedArrayBuffer);
    const sender = new EmulatedCpu(machine, 0);
    sender.beginRun();
    const acks = () => Atomics.load(machine.cpuWords, cpuWord(1, 'ipiAck'));
    smp_call_function_many(sender, [1], true); // the target is in its loop once it answers
    expect(acks()).toBe(1);
    park(control);
    smp_call_function_many(sender, [1], false);
    await sleep(SILENCE_MS);
    expect(acks()).toBe(1);
    unpark(control);
    await eventually(() => acks() === 2);
    Atomics.store(control, BenchWords.stop, 1);
    await running;
  });
});

describe('parking a far side that never answers', () => {
  it('is an error naming the wait, not a hang', () => {
    expect(() => park(benchWords(), 20)).toThrow('the far side did not park within 20 ms');
  });
});
