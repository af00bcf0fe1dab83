// The shared words of the benchmark's raw floors, each on a cache line of its own.

import { INT32_WORDS_PER_LINE, lineGroupedRecord, paddedRecord } from '../shared-memory/layout.ts';

/** One round trip: the ping, and the pong that answers it. */
export const BenchWordsLayout = lineGroupedRecord([['ping'], ['pong']], INT32_WORDS_PER_LINE);
export const BenchWords = BenchWordsLayout.offset;

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
