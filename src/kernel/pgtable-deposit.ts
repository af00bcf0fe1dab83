// The PTE pages kept beside THPs for a later split, on a list per PMD page whose head is the
// PMD page's pmd_huge_pte(), a list_head (next, prev) threaded through the deposited pages'
// first two ptes, as radix__pgtable_trans_huge_deposit() and _withdraw() do
// (arch/powerpc/mm/book3s64/radix_pgtable.c), or through their struct pages (pgtable->lru), as
// the generic ones do (mm/pgtable-generic.c, which x86 uses), leaving the ptes alone: the
// architecture says which (PtePages.setLayout()). A withdraw takes the list's head, whichever THP of the PMD page deposited it: so when
// another THP is unmapped, the table a collapse has just deposited can be the one withdrawn and
// freed, with a walker still reading it (the first of Jann Horn's reasons for 2ba99c5e0881).
// Called with the PMD's lock held, by one thread at a time.

import { deposit, withdraw } from '../shared-memory/lifetime-word.ts';
import type { PageTableArena } from '../shared-memory/page-table-arena.ts';
import { NEXT, NO_PTE_PAGE, PREV } from '../shared-memory/pte-pages.ts';

/** pgtable_trans_huge_deposit(): keep PTE page `pgtable` on the list of the PMD page mapping `hpn`. */
export function pgtable_trans_huge_deposit(arena: PageTableArena, hpn: number, pgtable: number): void {
  const { pte } = arena;
  const pmdPage = arena.pmdPage(hpn);
  // The page stops being a table (the next generation of its lifetime word): a walker that
  // loaded it before sees the change. Its ptes are clear already: the collapse cleared each as it
  // copied it (__collapse_huge_page_copy()), or the page is new.
  deposit(pte.lives, pgtable);
  const head = arena.hugePte[pmdPage];
  if (head === NO_PTE_PAGE) {
    // INIT_LIST_HEAD(lh): both pointers at itself.
    pte.setListLink(pgtable, NEXT, pgtable);
    pte.setListLink(pgtable, PREV, pgtable);
  } else {
    // list_add(lh, head): after the head, whose next's prev and own next now point at lh.
    const next = pte.listLink(head, NEXT);
    pte.setListLink(pgtable, NEXT, next);
    pte.setListLink(pgtable, PREV, head);
    pte.setListLink(next, PREV, pgtable);
    pte.setListLink(head, NEXT, pgtable);
  }
  arena.hugePte[pmdPage] = pgtable;
}

/** pgtable_trans_huge_withdraw(): the PTE page at the head of the list of the PMD page mapping `hpn`, a cleared table again. */
export function pgtable_trans_huge_withdraw(arena: PageTableArena, hpn: number): number {
  const { pte } = arena;
  const pmdPage = arena.pmdPage(hpn);
  const pgtable = arena.hugePte[pmdPage];
  if (pgtable === NO_PTE_PAGE) throw new Error(`huge page ${hpn}: nothing deposited beside its PMD to withdraw`);
  const next = pte.listLink(pgtable, NEXT);
  if (next === pgtable) {
    arena.hugePte[pmdPage] = NO_PTE_PAGE; // list_empty(lh)
  } else {
    // list_del(lh): its neighbours point past it; the next is the new head.
    const prev = pte.listLink(pgtable, PREV);
    pte.setListLink(prev, NEXT, next);
    pte.setListLink(next, PREV, prev);
    arena.hugePte[pmdPage] = next;
  }
  pte.clearListLinks(pgtable);
  withdraw(pte.lives, pgtable);
  return pgtable;
}
