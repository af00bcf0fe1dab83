// The seed's series as v6 posted it (percpu), on its Linux 5.4/5.5 base: pointer walkers,
// batched TLB flushes. Never merged.

import { percpu } from '../percpu.ts';
import { linux54 } from './linux-5.4.ts';
import { sameAs } from './version.ts';

export const seriesV6 = sameAs({
  version: 'series-v6',
  sameAs: linux54,
  models: `the series v6 on Linux 5.4: ${percpu.models}`,
  sources: ['Leonardo Bras, the series v6 (linux-mm, Feb 2020)'],
  differences: { answer: percpu, serialize: { pmdClear: 'answer', pmdInvalidate: 'answer', collapseFlush: 'answer' } },
});
