// The seed's series as v5 posted it (counter), on its Linux 5.4 base: pointer walkers, batched
// TLB flushes. Never merged.

import { counter } from '../counter.ts';
import { linux54 } from './linux-5.4.ts';
import { sameAs } from './version.ts';

export const seriesV5 = sameAs({
  version: 'series-v5',
  sameAs: linux54,
  models: `the series v5 on Linux 5.4: ${counter.models}`,
  sources: ['Leonardo Bras, "[PATCH v5 00/11] Introduces new count-based method for tracking lockless pagetable walks" (3 Oct 2019, 20191003013325.2614-1-leonardo@linux.ibm.com)'],
  differences: { answer: counter, serialize: { pmdClear: 'answer', pmdInvalidate: 'answer', collapseFlush: 'answer' } },
});
