// Setting memory up before a run, and tearing it down after, from the coordinator while no CPU
// is running (so no walker needs serialising against), or from a test. Models the fault path of THP memory,
// mm/huge_memory.c: do_huge_pmd_anonymous_page() -> set_pmd_at(), and of small pages under a
// PTE page, with the page-table pages allocated on the way down by __pud_alloc()/__pmd_alloc().

import { entry_pfn, pfn_pmd, pmd_is_leaf, pte_frame, pte_present, table_entry } from '../shared-memory/pgtable-entry.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';

/** Map huge pages [firstHpn, firstHpn + count), each by a THP leaf in its PMD. */
export function map_thp_range(machine: SharedMachine, firstHpn: number, count: number): void {
  const { arena, frames } = machine;
  for (let hpn = firstHpn; hpn < firstHpn + count; hpn++) {
    const slot = arena.pmdSlotAlloc(hpn);
    if (arena.entries[slot] !== 0) throw new Error(`huge page ${hpn} is already mapped`);
    arena.entries[slot] = pfn_pmd(frames.alloc());
  }
}

/** Map the same range with small pages instead: each PMD points at a PTE page of 512 ptes. */
export function map_pte_range(machine: SharedMachine, firstHpn: number, count: number): void {
  const { arena, frames } = machine;
  for (let hpn = firstHpn; hpn < firstHpn + count; hpn++) {
    const slot = arena.pmdSlotAlloc(hpn);
    if (arena.entries[slot] !== 0) throw new Error(`huge page ${hpn} is already mapped`);
    const pgtable = arena.allocPage();
    arena.fillPtes(pgtable, frames.alloc());
    arena.entries[slot] = table_entry(pgtable);
  }
}

/**
 * Unmap whatever the range holds, THP leaves or PTE pages, freeing frames, PTE pages and the
 * PTE pages deposited beside THPs (zap_deposited_table()).
 */
export function teardown_range_offline(machine: SharedMachine, firstHpn: number, count: number): void {
  const { arena, frames, deposits } = machine;
  for (let hpn = firstHpn; hpn < firstHpn + count; hpn++) {
    if (deposits[hpn] !== 0) arena.freePage(deposits[hpn]);
    deposits[hpn] = 0;
    const slot = arena.pmdSlot(hpn);
    if (slot < 0) continue;
    const pmd = arena.entries[slot];
    arena.entries[slot] = 0;
    if (!pte_present(pmd)) continue;
    if (pmd_is_leaf(pmd)) {
      frames.free(entry_pfn(pmd));
    } else {
      frames.free(pte_frame(arena.ptes(entry_pfn(pmd))[0]));
      arena.freePage(entry_pfn(pmd));
    }
  }
}
