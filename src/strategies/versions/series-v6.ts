// The seed's series as v6 posted it (percpu), rebased on Linux 5.5: pointer walkers,
// batched TLB flushes. Never merged.

import { percpu } from '../percpu.ts';
import { linux54 } from './linux-5.4.ts';
import { sameAs } from './version.ts';

export const seriesV6 = sameAs({
  version: 'series-v6',
  sameAs: linux54,
  models: `the series v6 on Linux 5.4: ${percpu.models}`,
  sources: ['Leonardo Bras, "[PATCH v6 00/11] Introduces new functions for tracking lockless pagetable walks" (6 Feb 2020, 20200206030900.147032-1-leonardo@linux.ibm.com)'],
  differences: { answer: percpu, serialize: { pmdClear: 'answer', pmdInvalidate: 'answer', collapseFlush: 'answer' } },
});
