// targeted-sync-v4: Lance Yang's v4 patches 1-2/3 as posted (2 Feb 2026,
// 20260202074557.16544-1-lance.yang@linux.dev): khugepaged's collapse, hugetlb's unshare and
// __tlb_remove_table_one() call tlb_remove_table_sync_mm(mm), whose smp_rmb() was to pair with
// the walker's smp_mb(). Peter Zijlstra (20260202125146.GC1395266@noisy.programming.kicks-ass.net):
// "No it doesn't; this is not how memory barriers work": the freer's page-table store and its
// load of a pointer, against the walker's pointer store and page-table load, are store
// buffering, and on x86 smp_rmb() is only a compiler barrier. In every x86 caller a locked
// instruction sits between the two anyway (pmdp_huge_get_and_clear()'s xchg, the flush's
// inc_mm_tlb_gen()); a caller without one (the hypothetical --op retract-unflushed) shows it.
// Models mm/mmu_gather.c and mm/khugepaged.c of v4's patches 1/3 and 2/3, on Linux 6.15.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { Expect, defineStrategy } from './strategy.ts';
import { TRACKER_WORDS, pt_walk_lockless_end, pt_walk_lockless_start, tlb_remove_table_sync_mm } from './lockless-walk-tracker.ts';
import { linuxX86615 } from './versions/linux-x86-6.15.ts';
import { kernelOfRow } from './versions/version.ts';

const sync_mm_rmb = (cpu: EmulatedCpu) => tlb_remove_table_sync_mm(cpu, 'smp_rmb');

export const targetedSyncV4 = defineStrategy({
  name: 'targeted-sync-v4',
  models: 'Lance Yang v4 (2 Feb 2026): per-CPU walk mm, table sync IPIs only its walkers; smp_rmb() before the scan',
  sources: [
    'Lance Yang, "[PATCH v4 1/3] mm: use targeted IPIs for TLB sync with lockless page table walkers" and "[PATCH v4 2/3] mm: switch callers to tlb_remove_table_sync_mm()" (2 Feb 2026, 20260202074557.16544-2-lance.yang@linux.dev, -3-)',
    'Peter Zijlstra: "No it doesn\'t; this is not how memory barriers work." (2 Feb 2026, 20260202125146.GC1395266@noisy.programming.kicks-ass.net); xchg() on the walker side suggested in 20260202094245.GD2995752@noisy.programming.kicks-ass.net',
  ],
  outcomes: {
    useAfterFree: {
      expect: Expect.ACCEPTABLE_INTERESTING,
      desc: "store buffering under smp_rmb(): the sync read a walker's pointer as NULL while its own PMD clear still sat in its store buffer, and the walker, pointer published, loaded the old PMD; the table was freed under it",
      // Walks paced, not back to back: a walker's NULL and its next walk's pointer otherwise drain
      // from its store buffer together, at that walk's smp_mb(), and the scan never sees it idle.
      demonstrate: {
        spec: { op: 'retract-unflushed', machine: { arch: 'x86', cpus: 2, memoryBytes: 64 * 2 ** 30 }, workload: { raceWindow: 1, walkRate: 1_000_000, busy: 1 } },
        attempts: 10,
        fixedBy: 'targeted-sync',
      },
    },
    misread: { expect: Expect.ACCEPTABLE, desc: 'a walker the sync missed may read a table in any state' },
    counterDrift: { expect: Expect.FORBIDDEN, desc: "each CPU's pointer is back at NULL once it stops walking" },
  },
  words: TRACKER_WORDS,
  walker: { walkStart: pt_walk_lockless_start, walkEnd: pt_walk_lockless_end },
  serialize: { tableSync: sync_mm_rmb, tableFree: sync_mm_rmb },
  kernel: kernelOfRow(linuxX86615),
  arches: ['x86'],
});
