// The page-table arena: the upper table pages of the mm (PGD, PUD, PMD levels) in one
// SharedArrayBuffer, 512 Int32 entries a page, and the PTE pages below them at their own size
// (pte-pages.ts). Models the pages that pgd_alloc(), pud_alloc_one() and pmd_alloc_one() hand
// out (mm/memory.c), and each PMD page's pmd_huge_pte(): the head of the list of PTE pages
// deposited beside its THPs (include/linux/mm.h, split PMD locks).
//
// Page 0 holds the allocator's header, page 1 is mm->pgd. Pages are allocated and freed only
// by the thread that holds the emulated mmap_lock (the mapper or the unmapper, never both at
// once), so the allocator itself needs no atomics. Each page also has a lifetime word
// (lifetime-word.ts), so that a walker still reading a freed page-table page is caught.

import { INT32_WORDS_PER_LINE, lineGroupedRecord } from './layout.ts';
import { poison, revive } from './lifetime-word.ts';
import { PTRS_PER_TABLE, entry_pfn, pgd_index, pmd_is_leaf, pmd_present, pud_index, pmd_index, table_entry, MAX_PFN } from './pgtable-entry.ts';
import { PtePages, type DepositLayout } from './pte-pages.ts';

const Header = lineGroupedRecord([['nextUnusedPage', 'freeListHead', 'pagesInUse', 'capacity']], INT32_WORDS_PER_LINE);

const HEADER_PAGE = 0;
/** Pages that hold no table: the header. */
const HEADER_PAGES = 1;
export const PGD_PAGE = 1;
const FIRST_ALLOCATABLE_PAGE = 2;
const NO_PAGE = 0;

export class ArenaFullError extends Error {}

/** The index in PageTableArena.entries of entry `index` of arena page `page`. */
export const tableSlot = (page: number, index: number): number => page * PTRS_PER_TABLE + index;

/** What travels to each worker: a SharedArrayBuffer is shared, not copied. */
export interface ArenaBuffers {
  readonly tables: SharedArrayBuffer;
  readonly tableLives: SharedArrayBuffer;
  readonly hugePte: SharedArrayBuffer;
  readonly pte: PtePages['buffers'];
}

/** How big an arena to make. */
export interface ArenaShape {
  /** Huge pages mapped at once, from huge-page number 0: they set the upper pages. */
  readonly hugePages: number;
  /** PTE pages it holds at once: one a THP for its deposit, or a PTE-mapped huge page's. */
  readonly ptePages: number;
  /** Ptes in a PTE page: a THP's worth of base pages (32 with radix's 64K pages, 512 with 4K). */
  readonly ptesPerPmd: number;
  /** Where the deposit list lives, and how its pointers read as ptes (PtePages.setLayout()). */
  readonly deposits: DepositLayout;
}

export class PageTableArena {
  /** Every entry of every upper page: entry `i` of page `p` is `entries[tableSlot(p, i)]`. */
  readonly entries: Int32Array;
  /** One lifetime word per upper page. */
  readonly lives: Int32Array;
  /** pmd_huge_pte() of each PMD page: the PTE page at the head of its deposit list, or 0. */
  readonly hugePte: Int32Array;
  /** The PTE pages. */
  readonly pte: PtePages;

  /** Upper pages needed to map `hugePages` consecutive THPs from huge-page number 0, the header included. */
  static pagesToMap(hugePages: number): number {
    return HEADER_PAGES + PageTableArena.tablePagesMapping(hugePages);
  }

  /** Table pages in use (pagesInUse) once `hugePages` THPs from number 0 are mapped: PGD, PUDs, PMDs. */
  static tablePagesMapping(hugePages: number): number {
    const pmdPages = Math.ceil(hugePages / PTRS_PER_TABLE);
    const pudPages = Math.ceil(pmdPages / PTRS_PER_TABLE);
    return 1 + pudPages + pmdPages;
  }

  static create({ hugePages, ptePages, ptesPerPmd, deposits }: ArenaShape): PageTableArena {
    const pages = PageTableArena.pagesToMap(hugePages);
    if (pages >= MAX_PFN) throw new RangeError(`arena of ${pages} pages`);
    const int32s = (n: number) => new SharedArrayBuffer(n * Int32Array.BYTES_PER_ELEMENT);
    const arena = new PageTableArena({ tables: int32s(pages * PTRS_PER_TABLE), tableLives: int32s(pages), hugePte: int32s(pages), pte: PtePages.create(ptePages, ptesPerPmd, deposits).buffers });
    arena.header(Header.offset.capacity, pages);
    arena.header(Header.offset.nextUnusedPage, FIRST_ALLOCATABLE_PAGE);
    revive(arena.lives, HEADER_PAGE);
    revive(arena.lives, PGD_PAGE);
    return arena;
  }

  constructor(readonly buffers: ArenaBuffers) {
    this.entries = new Int32Array(buffers.tables);
    this.lives = new Int32Array(buffers.tableLives);
    this.hugePte = new Int32Array(buffers.hugePte);
    this.pte = new PtePages(buffers.pte);
  }

  get capacity(): number {
    return this.readHeader(Header.offset.capacity);
  }

  /** Table pages in use, the PGD included. */
  get pagesInUse(): number {
    return 1 + this.readHeader(Header.offset.pagesInUse);
  }

  /** A zeroed page: pud_alloc_one()/pmd_alloc_one(). */
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

  /** The PMD page that maps huge page `hpn`, whose pmd_huge_pte() heads its deposits; 0 if not populated. */
  pmdPage(hpn: number): number {
    const slot = this.pmdSlot(hpn);
    return slot < 0 ? 0 : Math.floor(slot / PTRS_PER_TABLE);
  }

  /** The PUD page above huge page `hpn`'s PMD page; 0 if not populated. */
  pudPage(hpn: number): number {
    const pgd = this.entries[tableSlot(PGD_PAGE, pgd_index(hpn))];
    return !pmd_present(pgd) || pmd_is_leaf(pgd) ? 0 : entry_pfn(pgd);
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
