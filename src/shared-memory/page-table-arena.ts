// The page-table arena: every table page of the mm (PGD, PUD, PMD, PTE levels) in one
// SharedArrayBuffer, 512 Int32 entries a page. Models the pages that pgd_alloc(),
// pud_alloc_one() and pmd_alloc_one() hand out (mm/memory.c, arch/powerpc/mm/pgtable-frag.c).
//
// Page 0 holds the allocator's header, page 1 is mm->pgd. Pages are allocated and freed only
// by the thread that holds the emulated mmap_lock (the mapper or the unmapper, never both at
// once), so the allocator itself needs no atomics. Each page also has a lifetime word
// (lifetime-word.ts), so that a walker still reading a freed page-table page is caught.

import { INT32_WORDS_PER_LINE, lineGroupedRecord } from './layout.ts';
import { deposit, poison, revive, withdraw } from './lifetime-word.ts';
import {
  PTRS_PER_TABLE,
  SUBPAGES,
  entry_pfn,
  pfn_pte,
  pgd_index,
  pmd_is_leaf,
  pmd_present,
  pud_index,
  pmd_index,
  subpage_pfn,
  table_entry,
  MAX_PFN,
} from './pgtable-entry.ts';

const Header = lineGroupedRecord([['nextUnusedPage', 'freeListHead', 'pagesInUse', 'capacity', 'ptesPerPmd']], INT32_WORDS_PER_LINE);

const HEADER_PAGE = 0;
/** Pages that hold no table: the header. */
const HEADER_PAGES = 1;
export const PGD_PAGE = 1;
const FIRST_ALLOCATABLE_PAGE = 2;
const NO_PAGE = 0;

export class ArenaFullError extends Error {}

/** The index in PageTableArena.entries of entry `index` of arena page `page`. */
export const tableSlot = (page: number, index: number): number => page * PTRS_PER_TABLE + index;

export class PageTableArena {
  /** Every entry of every page: entry `i` of page `p` is `entries[tableSlot(p, i)]`. */
  readonly entries: Int32Array;
  /** One lifetime word per page. */
  readonly lives: Int32Array;

  /** Arena pages needed to map `hugePages` consecutive THPs from huge-page number 0, plus spares (PTE pages). */
  static pagesToMap(hugePages: number, sparePages = 0): number {
    return HEADER_PAGES + PageTableArena.tablePagesMapping(hugePages) + sparePages;
  }

  /** Table pages in use (pagesInUse) once `hugePages` THPs from number 0 are mapped: PGD, PUDs, PMDs. */
  static tablePagesMapping(hugePages: number): number {
    const pmdPages = Math.ceil(hugePages / PTRS_PER_TABLE);
    const pudPages = Math.ceil(pmdPages / PTRS_PER_TABLE);
    return 1 + pudPages + pmdPages;
  }

  /**
   * An arena of `pages` table pages, whose PTE pages hold `ptesPerPmd` ptes: a THP's worth of
   * base pages (32 with radix's 64K pages, in a 256-byte PTE fragment; 512 with 4K pages).
   */
  static create(pages: number, ptesPerPmd = PTRS_PER_TABLE): PageTableArena {
    if (pages < FIRST_ALLOCATABLE_PAGE || pages >= MAX_PFN) throw new RangeError(`arena of ${pages} pages`);
    if (!(ptesPerPmd >= 1 && ptesPerPmd <= SUBPAGES && (ptesPerPmd & (ptesPerPmd - 1)) === 0)) throw new RangeError(`${ptesPerPmd} ptes per PMD`);
    const arena = new PageTableArena(
      new SharedArrayBuffer(pages * PTRS_PER_TABLE * Int32Array.BYTES_PER_ELEMENT),
      new SharedArrayBuffer(pages * Int32Array.BYTES_PER_ELEMENT),
    );
    arena.header(Header.offset.capacity, pages);
    arena.header(Header.offset.ptesPerPmd, ptesPerPmd);
    arena.header(Header.offset.nextUnusedPage, FIRST_ALLOCATABLE_PAGE);
    revive(arena.lives, HEADER_PAGE);
    revive(arena.lives, PGD_PAGE);
    return arena;
  }

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly livesBuffer: SharedArrayBuffer,
  ) {
    this.entries = new Int32Array(buffer);
    this.lives = new Int32Array(livesBuffer);
  }

  get capacity(): number {
    return this.readHeader(Header.offset.capacity);
  }

  /** Ptes in a PTE page: a THP's worth of base pages. */
  get ptesPerPmd(): number {
    return this.readHeader(Header.offset.ptesPerPmd);
  }

  /** Table pages in use, the PGD included. */
  get pagesInUse(): number {
    return 1 + this.readHeader(Header.offset.pagesInUse);
  }

  /** A zeroed page: pte_alloc_one()/pmd_alloc_one(). */
  allocPage(): number {
    let page = this.readHeader(Header.offset.freeListHead);
    if (page !== NO_PAGE) {
      this.header(Header.offset.freeListHead, this.entries[tableSlot(page, 0)]);
    } else {
      page = this.readHeader(Header.offset.nextUnusedPage);
      if (page >= this.capacity) throw new ArenaFullError(`page-table arena full (${this.capacity} pages)`);
      this.header(Header.offset.nextUnusedPage, page + 1);
    }
    this.entries.fill(0, tableSlot(page, 0), tableSlot(page + 1, 0));
    this.header(Header.offset.pagesInUse, this.readHeader(Header.offset.pagesInUse) + 1);
    revive(this.lives, page);
    return page;
  }

  /** Poison and free a page; false, changing nothing, if it was already free (a double free). */
  freePage(page: number): boolean {
    if (page < FIRST_ALLOCATABLE_PAGE || page >= this.capacity) throw new RangeError(`free of arena page ${page}`);
    if (!poison(this.lives, page)) return false;
    this.entries.fill(0, tableSlot(page, 0), tableSlot(page + 1, 0));
    this.entries[tableSlot(page, 0)] = this.readHeader(Header.offset.freeListHead);
    this.header(Header.offset.freeListHead, page);
    this.header(Header.offset.pagesInUse, this.readHeader(Header.offset.pagesInUse) - 1);
    return true;
  }

  /**
   * The index in `entries` of the PMD entry that maps huge page `hpn`, or -1 when an upper
   * level is not populated. Every load is plain (READ_ONCE), as in __find_linux_pte().
   */
  pmdSlot(hpn: number): number {
    const e = this.entries;
    const pgd = e[tableSlot(PGD_PAGE, pgd_index(hpn))];
    if (!pmd_present(pgd) || pmd_is_leaf(pgd)) return -1;
    const pud = e[tableSlot(entry_pfn(pgd), pud_index(hpn))];
    if (!pmd_present(pud) || pmd_is_leaf(pud)) return -1;
    return tableSlot(entry_pfn(pud), pmd_index(hpn));
  }

  /** Fill PTE page `page` with the small pages of huge frame `frame`, in order (not yet published). */
  fillPtes(page: number, frame: number): void {
    for (let i = 0, n = this.ptesPerPmd; i < n; i++) this.entries[tableSlot(page, i)] = pfn_pte(subpage_pfn(frame, i));
  }

  /**
   * pgtable_trans_huge_deposit(): keep PTE page `page` for a later split. It stops being a
   * table: its ptes are cleared and, as radix__pgtable_trans_huge_deposit() does with its
   * list_head (INIT_LIST_HEAD: both pointers at the page itself), its first two entries hold
   * pointers that a walker still reading the page would take for present ptes.
   */
  depositPage(page: number): void {
    deposit(this.lives, page);
    const ptes = this.ptes(page);
    ptes.fill(0);
    ptes[0] = ptes[1] = pfn_pte(page);
  }

  /** pgtable_trans_huge_withdraw(): a deposited page becomes a (cleared) table again. */
  withdrawPage(page: number): void {
    withdraw(this.lives, page);
    this.ptes(page).fill(0);
  }

  /** The ptes of PTE page `page`, as a view. */
  ptes(page: number): Int32Array {
    return this.entries.subarray(tableSlot(page, 0), tableSlot(page, this.ptesPerPmd));
  }

  /** Like pmdSlot(), but allocates the missing PUD and PMD pages: pud_alloc(), pmd_alloc(). */
  pmdSlotAlloc(hpn: number): number {
    const pudPage = this.childPage(PGD_PAGE, pgd_index(hpn));
    const pmdPage = this.childPage(pudPage, pud_index(hpn));
    return tableSlot(pmdPage, pmd_index(hpn));
  }

  private childPage(page: number, index: number): number {
    const slot = tableSlot(page, index);
    // Publish the zeroed page with a sequentially consistent store (smp_wmb() in
    // pmd_populate()): pairs with the walker's dependent plain loads through this entry.
    if (this.entries[slot] === 0) Atomics.store(this.entries, slot, table_entry(this.allocPage()));
    return entry_pfn(this.entries[slot]);
  }

  private readHeader(word: number): number {
    return this.entries[tableSlot(HEADER_PAGE, word)];
  }

  private header(word: number, value: number): void {
    this.entries[tableSlot(HEADER_PAGE, word)] = value;
  }
}
