// Page-table entry encoding and radix geometry.
// Models arch/powerpc/include/asm/book3s/64/pgtable.h (_PAGE_PRESENT, _PAGE_PTE, _PAGE_INVALID).
//
// An entry is one Int32 word: three flag bits, then a 28-bit page number. For a leaf (a THP
// mapped by the PMD itself) the number is a huge-page frame; for a table entry it is the arena
// page holding the next level. Zero is pmd_none(). Entries stay non-negative, so a plain
// Int32Array load is the whole READ_ONCE().

/** The hardware may use this entry. */
export const _PAGE_PRESENT = 1 << 0;
/** The entry is a leaf (a pte), not a pointer to a lower table: a THP when found in a PMD. */
export const _PAGE_PTE = 1 << 1;
/** pmdp_invalidate() clears _PAGE_PRESENT but sets this, so pmd_present() stays true. */
export const _PAGE_INVALID = 1 << 2;

const PFN_SHIFT = 3;
/** Page numbers (frames or arena pages) must stay below this. */
export const MAX_PFN = 1 << (31 - PFN_SHIFT);

/** Entries per table page at every level, as with 4K pages on x86-64 and radix powerpc. */
export const PTRS_PER_TABLE = 512;
const INDEX_BITS = 9;
const INDEX_MASK = PTRS_PER_TABLE - 1;

/**
 * Addresses are kept as huge-page numbers (address >> PMD_SHIFT): with three levels of 512
 * above the PMD entry they fit in 27 bits, and every index below is a 32-bit shift.
 */
export const MAX_HUGE_PAGE_NUMBER = PTRS_PER_TABLE ** 3;

export const pgd_index = (hpn: number): number => (hpn >>> (2 * INDEX_BITS)) & INDEX_MASK;
export const pud_index = (hpn: number): number => (hpn >>> INDEX_BITS) & INDEX_MASK;
export const pmd_index = (hpn: number): number => hpn & INDEX_MASK;

/** A THP leaf: pmd_mkhuge(pfn_pmd(pfn, prot)). */
export function pfn_pmd(pfn: number): number {
  checkPageNumber(pfn);
  return (pfn << PFN_SHIFT) | _PAGE_PTE | _PAGE_PRESENT;
}

/** A small-page leaf in a PTE page: pfn_pte(pfn, prot). */
export const pfn_pte = pfn_pmd;

/** Small pages in a huge page: a PTE page maps one THP's worth. */
export const SUBPAGES = PTRS_PER_TABLE;
const SUBPAGE_BITS = 9;
/** The pfn of small page `index` of huge frame `frame`. */
export const subpage_pfn = (frame: number, index: number): number => (frame << SUBPAGE_BITS) | index;
/** The huge frame a small-page PTE belongs to. */
export const pte_frame = (pte: number): number => entry_pfn(pte) >>> SUBPAGE_BITS;
/** Huge frames that a PTE page can map: their small-page pfns must stay below MAX_PFN. */
export const MAX_PTE_MAPPED_FRAMES = MAX_PFN >>> SUBPAGE_BITS;

/** A table entry pointing at arena page `page`: what pgd_populate()/pud_populate() write. */
export function table_entry(page: number): number {
  checkPageNumber(page);
  return (page << PFN_SHIFT) | _PAGE_PRESENT;
}

/** The frame (leaf) or arena page (table entry) an entry points at. */
export const entry_pfn = (entry: number): number => entry >>> PFN_SHIFT;

export const pmd_none = (entry: number): boolean => entry === 0;
export const pmd_present = (entry: number): boolean => (entry & (_PAGE_PRESENT | _PAGE_INVALID)) !== 0;
export const pmd_is_leaf = (entry: number): boolean => (entry & _PAGE_PTE) !== 0;
/** What a lockless walker checks once it treats the PMD as a pte. */
export const pte_present = (entry: number): boolean => (entry & _PAGE_PRESENT) !== 0;
/** pmdp_invalidate(): not usable by the hardware, but still present to the mm. */
export const pmd_mkinvalid = (entry: number): number => (entry & ~_PAGE_PRESENT) | _PAGE_INVALID;

function checkPageNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n >= MAX_PFN) {
    throw new RangeError(`page number ${n} outside 0..${MAX_PFN - 1}`);
  }
}
