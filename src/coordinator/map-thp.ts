// Faulting in THP memory before the run: one PMD leaf and one huge-page frame per huge page.
// Models mm/huge_memory.c: do_huge_pmd_anonymous_page() -> set_pmd_at(), with the page-table
// pages allocated on the way down by __pud_alloc()/__pmd_alloc() (mm/memory.c).

import { entry_pfn, pfn_pmd, pmd_is_leaf } from '../shared-memory/pgtable-entry.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';

/** Map huge pages [firstHpn, firstHpn + count). Runs while no CPU is running. */
export function map_thp_range(machine: SharedMachine, firstHpn: number, count: number): void {
  const { arena, frames } = machine;
  for (let hpn = firstHpn; hpn < firstHpn + count; hpn++) {
    const slot = arena.pmdSlotAlloc(hpn);
    if (arena.entries[slot] !== 0) throw new Error(`huge page ${hpn} is already mapped`);
    arena.entries[slot] = pfn_pmd(frames.alloc());
  }
}

/** Tear the mapping down from the coordinator, while no CPU is running: no walker to serialise against. */
export function zap_thp_range_offline(machine: SharedMachine, firstHpn: number, count: number): void {
  const { arena, frames } = machine;
  for (let hpn = firstHpn; hpn < firstHpn + count; hpn++) {
    const slot = arena.pmdSlot(hpn);
    if (slot < 0 || !pmd_is_leaf(arena.entries[slot])) continue;
    frames.free(entry_pfn(arena.entries[slot]));
    arena.entries[slot] = 0;
  }
}
