// The two words of the raw round-trip floors, each on a cache line of its own.

import { INT32_WORDS_PER_LINE, lineGroupedRecord } from '../shared-memory/layout.ts';

export const BenchWordsLayout = lineGroupedRecord([['ping'], ['pong']], INT32_WORDS_PER_LINE);
export const BenchWords = BenchWordsLayout.offset;
