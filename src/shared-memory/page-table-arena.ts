// The page-table arena: every table page of the mm (PGD, PUD, PMD, PTE levels) in one
// SharedArrayBuffer, 512 Int32 entries a page. Models the pages that pgd_alloc(),
// pud_alloc_one() and pmd_alloc_one() hand out (mm/memory.c, arch/powerpc/mm/pgtable-frag.c).
//
// Page 0 holds the allocator's header, page 1 is mm->pgd. Pages are allocated and freed only
// by the thread that holds the emulated mmap_lock (the mapper or the unmapper, never both at
// once), so the allocator itself needs no atomics. Each page also has a lifetime word
// (lifetime-word.ts), so that a walker still reading a freed page-table page is caught.

import { INT32_WORDS_PER_LINE, lineGroupedRecord } from './layout.ts';
import { poison, revive } from './lifetime-word.ts';
import {
  PTRS_PER_TABLE,
  entry_pfn,
  pgd_index,
  pmd_is_leaf,
  pmd_present,
  pud_index,
  pmd_index,
  table_entry,
  MAX_PFN,
} from './pgtable-entry.ts';

const Header = lineGroupedRecord([['nextUnusedPage', 'freeListHead', 'pagesInUse', 'capacity']], INT32_WORDS_PER_LINE);

const HEADER_PAGE = 0;
export const PGD_PAGE = 1;
const FIRST_ALLOCATABLE_PAGE = 2;
const NO_PAGE = 0;

export class ArenaFullError extends Error {}

export class PageTableArena {
  /** Every entry of every page: entry `i` of page `p` is `entries[p * PTRS_PER_TABLE + i]`. */
  readonly entries: Int32Array;
  /** One lifetime word per page. */
  readonly lives: Int32Array;

  /** Table pages needed to map `hugePages` consecutive THPs from huge-page number 0, plus spares (PTE pages). */
  static pagesToMap(hugePages: number, sparePages = 0): number {
    const pmdPages = Math.ceil(hugePages / PTRS_PER_TABLE);
    const pudPages = Math.ceil(pmdPages / PTRS_PER_TABLE);
    return FIRST_ALLOCATABLE_PAGE + pudPages + pmdPages + sparePages;
  }

  static create(pages: number): PageTableArena {
    if (pages < FIRST_ALLOCATABLE_PAGE || pages >= MAX_PFN) throw new RangeError(`arena of ${pages} pages`);
    const arena = new PageTableArena(
      new SharedArrayBuffer(pages * PTRS_PER_TABLE * Int32Array.BYTES_PER_ELEMENT),
      new SharedArrayBuffer(pages * Int32Array.BYTES_PER_ELEMENT),
    );
    arena.header(Header.offset.capacity, pages);
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

  /** Table pages in use, the PGD included. */
  get pagesInUse(): number {
    return 1 + this.readHeader(Header.offset.pagesInUse);
  }

  /** A zeroed page: pte_alloc_one()/pmd_alloc_one(). */
  allocPage(): number {
    let page = this.readHeader(Header.offset.freeListHead);
    if (page !== NO_PAGE) {
      this.header(Header.offset.freeListHead, this.entries[page * PTRS_PER_TABLE]);
    } else {
      page = this.readHeader(Header.offset.nextUnusedPage);
      if (page >= this.capacity) throw new ArenaFullError(`page-table arena full (${this.capacity} pages)`);
      this.header(Header.offset.nextUnusedPage, page + 1);
    }
    this.entries.fill(0, page * PTRS_PER_TABLE, (page + 1) * PTRS_PER_TABLE);
    this.header(Header.offset.pagesInUse, this.readHeader(Header.offset.pagesInUse) + 1);
    revive(this.lives, page);
    return page;
  }

  /** Poison and free a page; false, changing nothing, if it was already free (a double free). */
  freePage(page: number): boolean {
    if (page < FIRST_ALLOCATABLE_PAGE || page >= this.capacity) throw new RangeError(`free of arena page ${page}`);
    if (!poison(this.lives, page)) return false;
    this.entries.fill(0, page * PTRS_PER_TABLE, (page + 1) * PTRS_PER_TABLE);
    this.entries[page * PTRS_PER_TABLE] = this.readHeader(Header.offset.freeListHead);
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
    const pgd = e[PGD_PAGE * PTRS_PER_TABLE + pgd_index(hpn)];
    if (!pmd_present(pgd) || pmd_is_leaf(pgd)) return -1;
    const pud = e[entry_pfn(pgd) * PTRS_PER_TABLE + pud_index(hpn)];
    if (!pmd_present(pud) || pmd_is_leaf(pud)) return -1;
    return entry_pfn(pud) * PTRS_PER_TABLE + pmd_index(hpn);
  }

  /** Like pmdSlot(), but allocates the missing PUD and PMD pages: pud_alloc(), pmd_alloc(). */
  pmdSlotAlloc(hpn: number): number {
    const pudPage = this.childPage(PGD_PAGE, pgd_index(hpn));
    const pmdPage = this.childPage(pudPage, pud_index(hpn));
    return pmdPage * PTRS_PER_TABLE + pmd_index(hpn);
  }

  private childPage(page: number, index: number): number {
    const slot = page * PTRS_PER_TABLE + index;
    // Publish the zeroed page with a sequentially consistent store (smp_wmb() in
    // pmd_populate()): pairs with the walker's dependent plain loads through this entry.
    if (this.entries[slot] === 0) Atomics.store(this.entries, slot, table_entry(this.allocPage()));
    return entry_pfn(this.entries[slot]);
  }

  private readHeader(word: number): number {
    return this.entries[HEADER_PAGE * PTRS_PER_TABLE + word];
  }

  private header(word: number, value: number): void {
    this.entries[HEADER_PAGE * PTRS_PER_TABLE + word] = value;
  }
}
