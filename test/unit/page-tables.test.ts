import { describe, expect, it } from 'vitest';
import { map_thp_range } from '../../src/kernel/map-thp.ts';
import { FrameTable } from '../../src/shared-memory/frame-table.ts';
import { Life, lifeGeneration, lifeState } from '../../src/shared-memory/lifetime-word.ts';
import { PageTableArena, ArenaFullError, tableSlot } from '../../src/shared-memory/page-table-arena.ts';
import { PtePages, PtePagesFullError } from '../../src/shared-memory/pte-pages.ts';
import { pgtable_trans_huge_withdraw } from '../../src/kernel/pgtable-deposit.ts';
import {
  MAX_PFN,
  _PAGE_INVALID,
  _PAGE_PRESENT,
  _PAGE_PTE,
  entry_pfn,
  pfn_pmd,
  pmd_is_leaf,
  pmd_mkinvalid,
  pmd_none,
  pmd_present,
  pte_frame,
  pte_present,
  SUBPAGES,
  subpage_pfn,
  table_entry,
} from '../../src/shared-memory/pgtable-entry.ts';
import { SharedMachine } from '../../src/shared-memory/shared-machine.ts';

describe('page-table entry encoding', () => {
  it('round-trips frames and pages and keeps entries non-negative', () => {
    for (const pfn of [0, 1, 511, 253_951, MAX_PFN - 1]) {
      const leaf = pfn_pmd(pfn);
      expect(leaf).toBeGreaterThan(0);
      expect(entry_pfn(leaf)).toBe(pfn);
      expect(pmd_is_leaf(leaf)).toBe(true);
      expect(pte_present(leaf)).toBe(true);
      const table = table_entry(pfn);
      expect(entry_pfn(table)).toBe(pfn);
      expect(pmd_is_leaf(table)).toBe(false);
      expect(pmd_present(table)).toBe(true);
    }
    expect(() => pfn_pmd(MAX_PFN)).toThrow(RangeError);
    expect(() => pfn_pmd(-1)).toThrow(RangeError);
  });

  it('keeps an invalidated PMD present to the mm but not to a walker, and zero is none', () => {
    const invalid = pmd_mkinvalid(pfn_pmd(42));
    expect(invalid & _PAGE_PRESENT).toBe(0);
    expect(invalid & (_PAGE_INVALID | _PAGE_PTE)).toBe(_PAGE_INVALID | _PAGE_PTE);
    expect(pmd_present(invalid)).toBe(true);
    expect(pte_present(invalid)).toBe(false);
    expect(entry_pfn(invalid)).toBe(42);
    expect(pmd_none(0)).toBe(true);
    expect(pmd_present(0)).toBe(false);
  });
});

describe('page-table arena', () => {
  it('maps 496 GiB of 2 MiB THPs (253,952 PMD leaves, each with its PTE page deposited) in about 33 MiB, each reachable by a walk', () => {
    const hugePages = (496 * 2 ** 30) / 2 ** 21;
    expect(hugePages).toBe(253_952);
    // Radix with 64K pages: a PTE page is a 256-byte fragment of 32 ptes (here 128 bytes of Int32 entries).
    const machine = SharedMachine.create({ cpus: 1, hugePages, ptesPerPmd: 32 });
    expect(machine.buffers.arena.tables.byteLength).toBeLessThan(2 * 2 ** 20);
    expect(machine.buffers.arena.pte.entries.byteLength).toBe((hugePages + 1) * 32 * 4);
    expect(machine.bytes).toBeLessThan(40 * 2 ** 20);

    map_thp_range(machine, 0, hugePages);
    // PGD + one PUD + 496 PMD pages.
    expect(machine.arena.pagesInUse).toBe(1 + 1 + 496);
    expect(PageTableArena.tablePagesMapping(hugePages)).toBe(1 + 1 + 496);
    expect(PageTableArena.pagesToMap(hugePages)).toBe(1 + 1 + 1 + 496); // and the header page
    expect(machine.arena.pte.inUse).toBe(hugePages);
    expect(machine.arena.pte.depositedCount()).toBe(hugePages);
    const frames = new Set<number>();
    let notLeaves = 0;
    for (let hpn = 0; hpn < hugePages; hpn++) {
      const pmd = machine.arena.entries[machine.arena.pmdSlot(hpn)];
      if (!pmd_is_leaf(pmd)) notLeaves++;
      frames.add(entry_pfn(pmd));
    }
    expect(notLeaves).toBe(0);
    expect(frames.size).toBe(hugePages);
    expect(machine.frames.mappedCount()).toBe(hugePages);
  });

  it('reports an unpopulated range and refuses to map a page twice', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 4 });
    expect(machine.arena.pmdSlot(0)).toBe(-1);
    map_thp_range(machine, 0, 4);
    expect(() => map_thp_range(machine, 3, 1)).toThrow(/already mapped/);
  });

  it('reuses freed pages and says when it is full', () => {
    // Room for one huge page: the header, the PGD, and two more pages (a PUD and a PMD).
    const arena = PageTableArena.create({ hugePages: 1, ptePages: 1, ptesPerPmd: 32, deposits: { listInPtes: true, bigEndian: false } });
    const a = arena.allocPage();
    const b = arena.allocPage();
    expect(() => arena.allocPage()).toThrow(ArenaFullError);
    arena.entries[tableSlot(b, 7)] = 99;
    expect(arena.freePage(b)).toBe(true);
    expect(arena.freePage(b)).toBe(false); // a double free changes nothing
    expect(lifeGeneration(arena.lives[b])).toBe(1); // poisoned: next generation
    expect(arena.allocPage()).toBe(b);
    expect(arena.entries[tableSlot(b, 7)]).toBe(0);
    expect(lifeState(arena.lives[b])).toBe(Life.IN_USE);
    expect(a).not.toBe(b);
  });
});

describe('PTE pages', () => {
  it('fills a PTE page with the small pages of one huge frame, in order, and reads them back as a view', () => {
    const pte = PtePages.create(1, SUBPAGES, { listInPtes: true, bigEndian: false });
    const page = pte.alloc();
    pte.fill(page, 5);
    const ptes = pte.ptes(page);
    expect(ptes.length).toBe(SUBPAGES);
    ptes.forEach((entry, i) => {
      expect(pte_present(entry)).toBe(true);
      expect(pte_frame(entry)).toBe(5);
      expect(entry_pfn(entry)).toBe(subpage_pfn(5, i));
    });
    expect(ptes[3]).toBe(pte.entries[pte.slot(page, 3)]);
    expect(() => pte.alloc()).toThrow(PtePagesFullError);
    expect(pte.free(page)).toBe(true);
    expect(pte.free(page)).toBe(false);
    expect(pte.alloc()).toBe(page);
  });

  it('reads a list pointer as a present pte on a big-endian kernel, and as not present on a little-endian one', () => {
    for (const [bigEndian, present] of [[true, true], [false, false]] as const) {
      const pte = PtePages.create(2, 32, { listInPtes: true, bigEndian });
      const page = pte.alloc();
      expect(pte_present(pte.listEntry(page))).toBe(present);
      expect(pte.listPage(pte.listEntry(page))).toBe(page);
    }
  });
});

describe('deposits beside THPs', () => {
  it('keeps a list per PMD page, withdrawn last in first out, its pointers in the deposited pages', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 4, ptesPerPmd: 32, deposits: { listInPtes: true, bigEndian: true } });
    map_thp_range(machine, 0, 4);
    const { arena } = machine;
    // Four THPs under one PMD page: four deposits, the last at the head.
    expect(arena.pte.depositedCount()).toBe(4);
    const head = arena.hugePte[arena.pmdPage(0)];
    expect(lifeState(arena.pte.lives[head])).toBe(Life.DEPOSITED);
    // Its list pointers read, on a big-endian kernel, as present ptes; the rest of the page is clear.
    const ptes = arena.pte.ptes(head);
    expect(pte_present(ptes[0]) && pte_present(ptes[1])).toBe(true);
    expect(ptes.slice(2).every((entry) => entry === 0)).toBe(true);
    // Withdrawn for any THP of the PMD page, the head comes first, a cleared table again.
    const withdrawn = pgtable_trans_huge_withdraw(arena, 3);
    expect(withdrawn).toBe(head);
    expect(lifeState(arena.pte.lives[withdrawn])).toBe(Life.IN_USE);
    expect(arena.pte.ptes(withdrawn).every((entry) => entry === 0)).toBe(true);
    const rest = [1, 2, 3].map(() => pgtable_trans_huge_withdraw(arena, 0));
    expect(new Set([withdrawn, ...rest]).size).toBe(4);
    expect(arena.hugePte[arena.pmdPage(0)]).toBe(0);
    expect(() => pgtable_trans_huge_withdraw(arena, 0)).toThrow(/nothing deposited/);
  });

  it('keeps the same list in the pages\' struct pages where the architecture does (generic, x86), the ptes left clear', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 4, ptesPerPmd: 512, deposits: { listInPtes: false, bigEndian: false } });
    map_thp_range(machine, 0, 4);
    const { arena } = machine;
    expect(arena.pte.depositedCount()).toBe(4);
    const head = arena.hugePte[arena.pmdPage(0)];
    expect(lifeState(arena.pte.lives[head])).toBe(Life.DEPOSITED);
    // Nothing of the list is in the table: a walker still reading it finds no pte at all.
    expect(arena.pte.ptes(head).every((entry) => entry === 0)).toBe(true);
    const order = [0, 1, 2, 3].map(() => pgtable_trans_huge_withdraw(arena, 0));
    expect(order[0]).toBe(head);
    expect(new Set(order).size).toBe(4);
    expect(arena.hugePte[arena.pmdPage(0)]).toBe(0);
    expect(arena.pte.lru.every((link) => link === 0)).toBe(true);
  });
});

describe('frame table', () => {
  it('poisons a freed frame (FREE, next generation) and refuses a double free', () => {
    const frames = FrameTable.create(2);
    const frame = frames.alloc();
    expect(frames.state(frame)).toBe(Life.IN_USE);
    const generation = frames.generation(frame);
    expect(frames.free(frame)).toBe(true);
    expect(frames.state(frame)).toBe(Life.FREE);
    expect(frames.generation(frame)).toBe(generation + 1);
    expect(frames.free(frame)).toBe(false);
    expect(frames.generation(frame)).toBe(generation + 1);
  });

  it('reuses freed frames for later mappings, under a new generation', () => {
    const frames = FrameTable.create(2);
    const first = [frames.alloc(), frames.alloc()];
    expect(() => frames.alloc()).toThrow(/all 2 huge-page frames/);
    for (const f of first) frames.free(f);
    const again = [frames.alloc(), frames.alloc()].sort();
    expect(again).toEqual([...first].sort());
    for (const f of again) expect(frames.generation(f)).toBe(1);
    expect(frames.mappedCount()).toBe(2);
  });
});
