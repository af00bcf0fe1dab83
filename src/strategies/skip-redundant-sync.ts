// skip-redundant-sync: Lance Yang's "skip redundant sync IPIs when TLB flush sent them", v5 (2 Mar
// 2026, 20260302063048.9479-1-lance.yang@linux.dev) to v10 (24 Apr 2026; carried in -mm's
// mm-everything in May 2026, not found in mainline). tlb_remove_table_sync_one() and
// tlb_remove_table_sync_rcu() return at once when tlb_table_flush_implies_ipi_broadcast(): on
// native x86 without INVLPGB the TLB flush that came before already interrupted every CPU that
// could be walking (lazy ones too, tables being freed or unshared), so its IPIs were the sync.
// False for paravirt flushes since v5: "preempted vCPUs cannot be assumed safe (per Sean)".
// Peter Zijlstra on v10: "there is nothing that guarantees there is [a preceding TLB flush]" --
// the hypothetical --op retract-unflushed is such a caller. Models mm/mmu_gather.c and
// arch/x86/include/asm/tlb.h of v10, on Linux 7.1.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import type { SerializeHook } from '../kernel/pgtbl-sync.ts';
import { tlb_remove_table_one_wait, tlb_remove_table_sync_one } from '../kernel/serialize.ts';
import { SAFE, defineStrategy } from './strategy.ts';
import { linuxX8671 } from './versions/linux-x86-7.1.ts';
import { kernelOfRow } from './versions/version.ts';

/** tlb_table_flush_implies_ipi_broadcast(), as a version of the series decides it for this CPU's kernel. */
export type FlushImpliesIpi = (cpu: EmulatedCpu) => boolean;

/** `sync`, skipped when the flush before it implied it (the early return at its top). */
export const unlessFlushImpliedIt =
  (implied: FlushImpliesIpi, sync: SerializeHook): SerializeHook =>
  (cpu) =>
    implied(cpu) ? 0 : sync(cpu);

/** v5+: native_flush_tlb_multi() without INVLPGB (not modelled: never here); a paravirt flush never. */
const nativeFlush: FlushImpliesIpi = (cpu) => !cpu.paravirtFlush;

export const skipRedundantSync = defineStrategy({
  name: 'skip-redundant-sync',
  models: 'Lance Yang v5-v10 (Mar-Apr 2026): no table sync when a native flush already IPIed; kept under paravirt',
  sources: [
    'Lance Yang, "[PATCH v5 0/2] skip redundant sync IPIs when TLB flush sent them" (2 Mar 2026, 20260302063048.9479-1-lance.yang@linux.dev) to "[PATCH 7.2 v10 1/2] mm/mmu_gather: prepare to skip redundant sync IPIs" (24 Apr 2026)',
    'Peter Zijlstra on v10: "there is nothing that guarantees there is [a preceding TLB flush] ... This thing is incredibly fragile." (24 Apr 2026)',
    'in akpm/mm mm-everything on 27 May 2026 (f9068d0538dd, 2e3ae457ddbf); not found in mainline',
  ],
  outcomes: SAFE,
  serialize: { tableSync: unlessFlushImpliedIt(nativeFlush, tlb_remove_table_sync_one), tableFree: unlessFlushImpliedIt(nativeFlush, tlb_remove_table_one_wait) },
  kernel: kernelOfRow(linuxX8671),
  arches: ['x86'],
});
