// The shared words of the benchmark's raw floors, each on a cache line of its own.

import { INT32_WORDS_PER_LINE, lineGroupedRecord, paddedRecord } from '../shared-memory/layout.ts';

/**
 * One far side of a round trip: the ping, the pong that answers it, and its control line: stop,
 * and park, which a spinning far side answers with parked before it sleeps, so that it holds no
 * host core while the bench measures the other loop of its pair.
 */
export const BenchWordsLayout = lineGroupedRecord([['ping'], ['pong'], ['stop', 'park', 'parked']], INT32_WORDS_PER_LINE);
export const BenchWords = BenchWordsLayout.offset;

/** A fresh set of BenchWords. */
export const benchWords = () => new Int32Array(new SharedArrayBuffer(BenchWordsLayout.stride * Int32Array.BYTES_PER_ELEMENT));

/** The far side, between operations: if asked to park, say so and sleep until let go. */
export function parkIfAsked(w: Int32Array): void {
  if (Atomics.load(w, BenchWords.park) === 0) return;
  // Pairs with park()'s Atomics.load of parked: once it reads 1, this side spins no more.
  Atomics.store(w, BenchWords.parked, 1);
  Atomics.notify(w, BenchWords.parked);
  while (Atomics.load(w, BenchWords.park) !== 0) Atomics.wait(w, BenchWords.park, 1);
  // Stored before this side answers again: a sender that has had an answer since unpark() sees 0.
  Atomics.store(w, BenchWords.parked, 0);
}

/** The sender: park a spinning far side, and wait until it is asleep (a dead one is an error, not a hang). */
export function park(w: Int32Array, timeoutMs = PARK_TIMEOUT_MS): void {
  Atomics.store(w, BenchWords.park, 1);
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(w, BenchWords.parked) === 0) {
    if (performance.now() > deadline) throw new Error(`the far side did not park within ${timeoutMs} ms`);
    Atomics.wait(w, BenchWords.parked, 0, 1);
  }
}

const PARK_TIMEOUT_MS = 10_000;

/** The sender: let a parked far side go (it is running again once it has answered). */
export function unpark(w: Int32Array): void {
  Atomics.store(w, BenchWords.park, 0);
  Atomics.notify(w, BenchWords.park);
}

/**
 * A raw N-thread round: the acknowledgements of the round so far, which the sender sleeps on,
 * then one line per thread: its doorbell, the number of the round it is called to (-1: stop).
 */
export const RoundWordsLayout = lineGroupedRecord([['acks']], INT32_WORDS_PER_LINE);
export const RoundWords = RoundWordsLayout.offset;
const RoundThread = paddedRecord(['doorbell'], INT32_WORDS_PER_LINE);

/** Int32 words for a round of `threads` threads. */
export const roundWords = (threads: number) => RoundWordsLayout.stride + threads * RoundThread.stride;
export const doorbellWord = (thread: number) => RoundWordsLayout.stride + thread * RoundThread.stride + RoundThread.offset.doorbell;
