// Setting memory up before a run, and tearing it down after, from the coordinator while no CPU
// is running (so no walker needs serialising against), or from a test. Models the fault path of
// THP memory, mm/huge_memory.c: __do_huge_pmd_anonymous_page(), which allocates the PTE page a
// later split will need and deposits it beside the PMD (pgtable_trans_huge_deposit()) before
// set_pmd_at(); and of small pages under a PTE page; the page-table pages on the way down come
// from __pud_alloc()/__pmd_alloc().

import { entry_pfn, pfn_pmd, pmd_is_leaf, pte_frame, pte_present, table_entry } from '../shared-memory/pgtable-entry.ts';
import { NO_PTE_PAGE } from '../shared-memory/pte-pages.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';
import { pgtable_trans_huge_deposit, pgtable_trans_huge_withdraw } from './pgtable-deposit.ts';

/** Map huge pages [firstHpn, firstHpn + count), each by a THP leaf in its PMD with its PTE page deposited beside it. */
export function map_thp_range(machine: SharedMachine, firstHpn: number, count: number): void {
  for (let hpn = firstHpn; hpn < firstHpn + count; hpn++) map_thp(machine, hpn);
}

/** Map the same range with small pages instead: each PMD points at a PTE page of a huge frame's small pages. */
export function map_pte_range(machine: SharedMachine, firstHpn: number, count: number): void {
  for (let hpn = firstHpn; hpn < firstHpn + count; hpn++) map_ptes(machine, hpn);
}

/** Every other huge page by small pages (from `firstHpn`), the rest by THPs: what a collapse next to an unmap starts from. */
export function map_alternating_range(machine: SharedMachine, firstHpn: number, count: number): void {
  for (let i = 0; i < count; i++) (i % 2 === 0 ? map_ptes : map_thp)(machine, firstHpn + i);
}

function map_thp(machine: SharedMachine, hpn: number): void {
  const { arena, frames } = machine;
  const slot = arena.pmdSlotAlloc(hpn);
  if (arena.entries[slot] !== 0) throw new Error(`huge page ${hpn} is already mapped`);
  pgtable_trans_huge_deposit(arena, hpn, arena.pte.alloc());
  arena.entries[slot] = pfn_pmd(frames.alloc());
}

function map_ptes(machine: SharedMachine, hpn: number): void {
  const { arena, frames } = machine;
  const slot = arena.pmdSlotAlloc(hpn);
  if (arena.entries[slot] !== 0) throw new Error(`huge page ${hpn} is already mapped`);
  const pgtable = arena.pte.alloc();
  arena.pte.fill(pgtable, frames.alloc());
  arena.entries[slot] = table_entry(pgtable);
}

/**
 * Unmap whatever the range holds, THP leaves or PTE pages, freeing frames, PTE pages, and the
 * PTE pages deposited beside its PMD pages.
 */
export function teardown_range_offline(machine: SharedMachine, firstHpn: number, count: number): void {
  const { arena, frames } = machine;
  for (let hpn = firstHpn; hpn < firstHpn + count; hpn++) {
    const slot = arena.pmdSlot(hpn);
    if (slot < 0) continue;
    while (arena.hugePte[arena.pmdPage(hpn)] !== NO_PTE_PAGE) arena.pte.free(pgtable_trans_huge_withdraw(arena, hpn));
    const pmd = arena.entries[slot];
    arena.entries[slot] = 0;
    if (!pte_present(pmd)) continue;
    if (pmd_is_leaf(pmd)) {
      frames.free(entry_pfn(pmd));
    } else {
      frames.free(pte_frame(arena.pte.entries[arena.pte.slot(entry_pfn(pmd), 0)]));
      arena.pte.free(entry_pfn(pmd));
    }
  }
}
