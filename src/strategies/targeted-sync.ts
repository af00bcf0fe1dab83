// targeted-sync: v4's targeted table sync with the barrier Peter Zijlstra asked for, a full
// smp_mb() between the freer's page-table store and its reads of the per-CPU pointers ("Sync:
// [W]page-tables -> MB -> [L]active_lockless_pt_walk_mm", Lance Yang's reply). Either the sync
// sees a walker's pointer, or that walker's page-table load sees the change. Not posted as such:
// v5 dropped the tracker for the skip of skip-redundant-sync.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { SAFE, defineStrategy } from './strategy.ts';
import { TRACKER_WORDS, pt_walk_lockless_end, pt_walk_lockless_start, tlb_remove_table_sync_mm } from './lockless-walk-tracker.ts';
import { linuxX86615 } from './versions/linux-x86-6.15.ts';
import { kernelOfRow } from './versions/version.ts';

const sync_mm_mb = (cpu: EmulatedCpu) => tlb_remove_table_sync_mm(cpu, 'smp_mb');

export const targetedSync = defineStrategy({
  name: 'targeted-sync',
  models: "v4's targeted table sync with smp_mb() before the scan, as Peter Zijlstra asked",
  sources: ['Lance Yang\'s reply to Peter Zijlstra on v4 1/3: "we need MB rather than RMB on the sync side" (2 Feb 2026, reply to 20260202125146.GC1395266@noisy.programming.kicks-ass.net); not posted as such'],
  outcomes: SAFE,
  words: TRACKER_WORDS,
  walker: { walkStart: pt_walk_lockless_start, walkEnd: pt_walk_lockless_end },
  serialize: { tableSync: sync_mm_mb, tableFree: sync_mm_mb },
  kernel: kernelOfRow(linuxX86615),
  arches: ['x86'],
});
