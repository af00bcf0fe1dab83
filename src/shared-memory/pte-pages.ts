// The PTE pages: each maps one huge page's worth of base pages, `ptesPerPmd` ptes. With radix's
// 64K pages that is a 256-byte fragment of a page (arch/powerpc/mm/pgtable-frag.c: 32 ptes,
// RADIX_PTE_INDEX_SIZE 5); with 4K pages a whole page of 512. They are kept apart from the upper
// levels' 512-entry pages (page-table-arena.ts), at their own size, so that giving every THP
// the PTE page Linux deposits beside it costs a fragment, not a page. A PMD that points at a
// PTE page holds its number here.
//
// Every PTE page has a lifetime word (lifetime-word.ts): in use, deposited (kept beside a THP
// for a later split, holding list pointers), or free. Pages are allocated and freed only by the
// thread that holds the emulated mmap_lock (the mapper, or CPU 0), so the allocator needs no atomics.

import { INT32_WORDS_PER_LINE, lineGroupedRecord } from './layout.ts';
import { Life, lifeState, poison, revive } from './lifetime-word.ts';
import { _PAGE_PRESENT, entry_pfn, pfn_pte, subpage_pfn } from './pgtable-entry.ts';

const Header = lineGroupedRecord([['nextUnused', 'freeListHead', 'inUse', 'capacity', 'ptesPerPmd', 'bigEndian', 'listInPtes']], INT32_WORDS_PER_LINE);

/** The deposit list's two links, as list_head has them: next, then prev. */
export const NEXT = 0;
export const PREV = 1;
const LINKS = 2;

/** Where the deposit list lives and how its pointers read: the architecture's (kernel/archs.ts). */
export interface DepositLayout {
  /** The list's links are in each deposited page's first two ptes (radix), not in its struct page (generic, hash). */
  readonly listInPtes: boolean;
  /** How a list pointer stored in a pte reads: listEntry(). */
  readonly bigEndian: boolean;
}

/** Page 0 is no page: a list or a PMD that points nowhere. */
export const NO_PTE_PAGE = 0;
const FIRST_PAGE = 1;

export class PtePagesFullError extends Error {}

export class PtePages {
  /** Every pte of every page: pte `i` of page `p` is `entries[slot(p, i)]`. */
  readonly entries: Int32Array;
  /** One lifetime word per page. */
  readonly lives: Int32Array;
  private readonly header: Int32Array;
  /** Ptes a page: a THP's worth of base pages. */
  readonly ptesPerPmd: number;

  /** Each page's struct page list links (pgtable->lru), for a deposit list kept outside the ptes. */
  readonly lru: Int32Array;

  /** Room for `pages` PTE pages of `ptesPerPmd` ptes each, their deposit list laid out as `layout` says. */
  static create(pages: number, ptesPerPmd: number, layout: DepositLayout): PtePages {
    if (!(ptesPerPmd >= 1 && ptesPerPmd <= 512 && (ptesPerPmd & (ptesPerPmd - 1)) === 0)) throw new RangeError(`${ptesPerPmd} ptes per PMD`);
    const int32s = (n: number) => new SharedArrayBuffer(n * Int32Array.BYTES_PER_ELEMENT);
    const capacity = FIRST_PAGE + pages;
    const buffers = { entries: int32s(capacity * ptesPerPmd), lives: int32s(capacity), lru: int32s(capacity * LINKS), header: int32s(Header.stride) };
    const header = new Int32Array(buffers.header);
    header[Header.offset.capacity] = capacity;
    header[Header.offset.ptesPerPmd] = ptesPerPmd;
    header[Header.offset.nextUnused] = FIRST_PAGE;
    const ptePages = new PtePages(buffers);
    ptePages.setLayout(layout);
    return ptePages;
  }

  constructor(readonly buffers: { readonly entries: SharedArrayBuffer; readonly lives: SharedArrayBuffer; readonly lru: SharedArrayBuffer; readonly header: SharedArrayBuffer }) {
    this.entries = new Int32Array(buffers.entries);
    this.lives = new Int32Array(buffers.lives);
    this.lru = new Int32Array(buffers.lru);
    this.header = new Int32Array(buffers.header);
    this.ptesPerPmd = this.header[Header.offset.ptesPerPmd];
  }

  get capacity(): number {
    return this.header[Header.offset.capacity];
  }

  /** PTE pages in use or deposited. */
  get inUse(): number {
    return this.header[Header.offset.inUse];
  }

  /** The index in `entries` of pte `index` of page `page`. */
  slot(page: number, index: number): number {
    return page * this.ptesPerPmd + index;
  }

  /** Between runs, every CPU stopped (and no page deposited): where the next run's kernel keeps its deposit list, and its byte order. */
  setLayout({ listInPtes, bigEndian }: DepositLayout): void {
    this.header[Header.offset.listInPtes] = listInPtes ? 1 : 0;
    this.header[Header.offset.bigEndian] = bigEndian ? 1 : 0;
  }

  /** The ptes of page `page`, as a view (a new object each call: not for a hot path, where slot() indexes `entries`). */
  ptes(page: number): Int32Array {
    return this.entries.subarray(this.slot(page, 0), this.slot(page + 1, 0));
  }

  /** Every pte of page `page` cleared. A loop, not fill(): V8 fills shared memory in its runtime, ten times slower for a page. */
  clear(page: number): void {
    const { entries } = this;
    for (let slot = this.slot(page, 0), end = this.slot(page + 1, 0); slot < end; slot++) entries[slot] = 0;
  }

  /** A zeroed page: pte_alloc_one(). */
  alloc(): number {
    let page = this.header[Header.offset.freeListHead];
    if (page !== NO_PTE_PAGE) {
      this.header[Header.offset.freeListHead] = this.entries[this.slot(page, 0)];
    } else {
      page = this.header[Header.offset.nextUnused];
      if (page >= this.capacity) throw new PtePagesFullError(`no room for another PTE page (${this.capacity - FIRST_PAGE})`);
      this.header[Header.offset.nextUnused] = page + 1;
    }
    this.clear(page);
    this.header[Header.offset.inUse]++;
    revive(this.lives, page);
    return page;
  }

  /**
   * pte_free(): poison and free a page; false, changing nothing, if it was already free (a double
   * free). Its ptes stay as they were, as the kernel leaves a freed page's contents (without
   * init_on_free) for pte_alloc_one() to zero, but for the first, which links the free list.
   */
  free(page: number): boolean {
    if (page < FIRST_PAGE || page >= this.capacity) throw new RangeError(`free of PTE page ${page}`);
    if (!poison(this.lives, page)) return false;
    this.entries[this.slot(page, 0)] = this.header[Header.offset.freeListHead];
    this.header[Header.offset.freeListHead] = page;
    this.header[Header.offset.inUse]--;
    return true;
  }

  /** Fill page `page` with the small pages of huge frame `frame`, in order (not yet published). */
  fill(page: number, frame: number): void {
    const first = this.slot(page, 0);
    for (let i = 0; i < this.ptesPerPmd; i++) this.entries[first + i] = pfn_pte(subpage_pfn(frame, i));
  }

  /** Pages deposited beside THPs now (lifeState DEPOSITED). */
  depositedCount(): number {
    let deposited = 0;
    for (let page = FIRST_PAGE; page < this.capacity; page++) if (lifeState(Atomics.load(this.lives, page)) === Life.DEPOSITED) deposited++;
    return deposited;
  }

  /**
   * What a list pointer to page `page`, stored in a pte slot, reads as to a walker that takes it
   * for a pte. book3s64's pte_t is __be64 (arch/powerpc/include/asm/pgtable-be-types.h): a
   * big-endian kernel's pointer (0xc000...) has the top bits set, _PAGE_PRESENT and _PAGE_PTE
   * among them, and reads as a present leaf; a little-endian kernel's pointer is stored low byte
   * first, and its low byte, of a page- or fragment-aligned address, is 0, where _PAGE_PRESENT
   * sits once the pte is read big-endian: not present. Either way the page it points at is
   * what entry_pfn() gives back, which is how the list is walked.
   */
  listEntry(page: number): number {
    const pointer = pfn_pte(page);
    return this.header[Header.offset.bigEndian] !== 0 ? pointer : pointer & ~_PAGE_PRESENT;
  }

  /** The page a list pointer (listEntry()) points at. */
  listPage(entry: number): number {
    return entry_pfn(entry);
  }

  /** Deposit-list link `link` (NEXT, PREV) of page `page`: the page it points at. */
  listLink(page: number, link: number): number {
    return this.header[Header.offset.listInPtes] !== 0 ? this.listPage(this.entries[this.slot(page, link)]) : this.lru[page * LINKS + link];
  }

  /** Point deposit-list link `link` of page `page` at page `to`: in its ptes (radix), or its struct page. */
  setListLink(page: number, link: number, to: number): void {
    if (this.header[Header.offset.listInPtes] !== 0) this.entries[this.slot(page, link)] = this.listEntry(to);
    else this.lru[page * LINKS + link] = to;
  }

  /** A withdrawn page's links cleared: in ptes, `*ptep = __pte(0)` for the two words the list used (radix__pgtable_trans_huge_withdraw()). */
  clearListLinks(page: number): void {
    for (let link = NEXT; link < LINKS; link++) {
      if (this.header[Header.offset.listInPtes] !== 0) this.entries[this.slot(page, link)] = 0;
      else this.lru[page * LINKS + link] = 0;
    }
  }
}
