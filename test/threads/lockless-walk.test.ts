import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedCpu } from '../../src/kernel/cpu.ts';
import { LocklessWalker, kindInRun } from '../../src/kernel/lockless-walk.ts';
import { map_pte_range, map_thp_range } from '../../src/kernel/map-thp.ts';
import { pgtable_trans_huge_deposit, pgtable_trans_huge_withdraw } from '../../src/kernel/pgtable-deposit.ts';
import type { WalkerStyle } from '../../src/kernel/kernel-config.ts';
import type { WalkerSide } from '../../src/kernel/pgtbl-sync.ts';
import { walkerKind } from '../../src/kernel/walker-kinds.ts';
import { cpuStat, cpuWord } from '../../src/shared-memory/cpu-block.ts';
import { entry_pfn, pte_frame, pte_present, table_entry } from '../../src/shared-memory/pgtable-entry.ts';
import { SharedMachine } from '../../src/shared-memory/shared-machine.ts';
import { ipiBroadcast } from '../../src/strategies/ipi-broadcast.ts';
import { mappedMachine } from '../helpers/machine.ts';
import { startProbe, stopProbes, type Probe } from '../helpers/probe.ts';

const probes: Probe[] = [];
afterEach(async () => {
  await stopProbes(probes.splice(0));
});


const pmdOf = (machine: SharedMachine, hpn: number) => machine.arena.entries[machine.arena.pmdSlot(hpn)];
const frameOf = (machine: SharedMachine, hpn: number) => entry_pfn(pmdOf(machine, hpn));

/** A find_current_mm_pte() walker holding each page for `holdUs`, walking with one stretch a step. */
function walkerOn(cpu: EmulatedCpu, hooks: WalkerSide, holdUs: number, style: WalkerStyle = 'value') {
  const walker = new LocklessWalker(cpu, hooks, { walkerStyle: style, gupRechecksPmd: true });
  const findPte = kindInRun(walkerKind('find-pte'), holdUs, false);
  return { step: (targets: { next(): number }) => walker.stretch(findPte, targets), violations: walker.violations };
}
const at = (hpn: number) => ({ next: () => hpn });

describe('the walker catches its own use-after-free', () => {
  it('when the PMD it loaded points at a frame that is already free', () => {
    const machine = mappedMachine(1, 4);
    // An unmapper whose clear this walker did not see: the frame is freed, the PMD still set.
    const frame = frameOf(machine, 2);
    machine.frames.free(frame);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast.walker, 0);
    const before = performance.timeOrigin + performance.now();
    walker.step(at(1));
    walker.step(at(2));
    // The whole record, as the walker reports it: which strategy it ran under is the run's to add.
    expect(walker.violations).toEqual([
      {
        cpu: 0,
        kind: 'find-pte',
        hpn: 2,
        what: 'frame',
        page: frame,
        pmd: pmdOf(machine, 2),
        generationSeen: 1,
        generationNow: 1,
        freeOnArrival: true,
        atMs: expect.any(Number),
      },
    ]);
    expect(walker.violations[0].atMs).toBeGreaterThanOrEqual(before);
    expect(walker.violations[0].atMs).toBeLessThanOrEqual(performance.timeOrigin + performance.now());
    expect(machine.cpuStats[cpuStat(0, 'useAfterFree')]).toBe(1);
    expect(machine.cpuStats[cpuStat(0, 'walks')]).toBe(2);
    expect(machine.cpuStats[cpuStat(0, 'leafWalks')]).toBe(1);
  });

  it('when another thread frees the frame while the walker holds it', async () => {
    const machine = mappedMachine(2, 1);
    probes.push(await startProbe(machine, 1));
    const frame = frameOf(machine, 0);
    const freed = probes[0].api.freeFrameAfter(frame, 50);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast.walker, 5e6);
    walker.step(at(0)); // returns as soon as it notices, long before its 5 s hold
    expect(await freed).toBe(true);
    expect(walker.violations).toEqual([
      expect.objectContaining({ hpn: 0, what: 'frame', page: frame, pmd: pmdOf(machine, 0), generationSeen: 0, generationNow: 1, freeOnArrival: false }),
    ]);
  });

  it('when the PTE page it walked through is freed under it', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 2, ptePages: 2 });
    map_pte_range(machine, 0, 2);
    const pmd = pmdOf(machine, 1);
    const table = entry_pfn(pmd);
    // A collapse whose PMD clear this walker did not see: the PTE page is freed, the PMD still set.
    expect(machine.arena.pte.free(table)).toBe(true);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast.walker, 0);
    walker.step(at(0));
    walker.step(at(1));
    expect(walker.violations).toEqual([expect.objectContaining({ hpn: 1, what: 'page-table', page: table, pmd, generationSeen: 1, generationNow: 1, freeOnArrival: true })]);
  });

  it('counts a PMD that points at a PTE page before its ptes are there: a torn split', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 1, ptePages: 2 });
    map_thp_range(machine, 0, 1);
    const slot = machine.arena.pmdSlot(0);
    machine.arena.entries[slot] = table_entry(machine.arena.pte.alloc()); // pmd_populate() first, ptes never written
    walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast.walker, 0).step(at(0));
    expect(machine.cpuStats[cpuStat(0, 'halfStates')]).toBe(1);
    expect(machine.cpuStats[cpuStat(0, 'useAfterFree')]).toBe(0);
  });

  it('walks down a PTE page to the small page it maps, and uses its frame', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 1, ptePages: 1 });
    map_pte_range(machine, 0, 1);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast.walker, 0);
    for (let i = 0; i < 4; i++) walker.step(at(0));
    expect(walker.violations).toEqual([]);
    expect(machine.cpuStats[cpuStat(0, 'leafWalks')]).toBe(4);
  });

  it('finds nothing wrong with a page that stays mapped', () => {
    const machine = mappedMachine(1, 8);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast.walker, 10);
    for (let hpn = 0; hpn < 8; hpn++) walker.step(at(hpn));
    expect(walker.violations).toHaveLength(0);
    expect(machine.cpuStats[cpuStat(0, 'leafWalks')]).toBe(8);
  });

  it('walks with IRQs off and leaves them as it found them', () => {
    const machine = mappedMachine(1, 1);
    const cpu = new EmulatedCpu(machine, 0);
    let irqDuringWalk = -1;
    const spy: WalkerSide = { ...ipiBroadcast.walker, walkStart: () => void (irqDuringWalk = machine.cpuWords[cpuWord(0, 'irqEnabled')]) };
    walkerOn(cpu, spy, 0).step(at(0));
    expect(irqDuringWalk).toBe(0);
    expect(machine.cpuWords[cpuWord(0, 'irqEnabled')]).toBe(1);
  });
});

describe('the walker catches its misreads: page-table data of another kind taken for its own', () => {
  const styled = (machine: SharedMachine, style: WalkerStyle, holdUs: number) => walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast.walker, holdUs, style);

  it.each([
    ['pointer', 1],
    ['value', 0],
  ] as const)('a %s walker whose THP is split under it: %i misread(s) of the table pointer as a leaf', async (style, misreads) => {
    const machine = SharedMachine.create({ cpus: 2, hugePages: 1, ptePages: 1 });
    map_thp_range(machine, 0, 1);
    probes.push(await startProbe(machine, 1));
    const slot = machine.arena.pmdSlot(0);
    const leaf = pmdOf(machine, 0);
    const table = pgtable_trans_huge_withdraw(machine.arena, 0);
    machine.arena.pte.fill(table, entry_pfn(leaf));
    // While the walker holds the THP, its PMD becomes a pointer to a PTE page, as a split leaves it.
    const split = probes[0].api.storeEntryAfter(slot, table_entry(table), 30);
    const walker = styled(machine, style, 200_000);
    walker.step(at(0));
    await split;
    expect(machine.cpuStats[cpuStat(0, 'misreads')]).toBe(misreads);
    expect(machine.cpuStats[cpuStat(0, 'useAfterFree')]).toBe(0);
    if (misreads > 0) expect(walker.violations).toEqual([expect.objectContaining({ hpn: 0, what: 'table-as-leaf', page: table, pmd: leaf })]);
  });

  it('reading a deposited PTE page: its list pointers look like present ptes, and are caught', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 1, ptePages: 1, deposits: { listInPtes: true, bigEndian: true } });
    map_pte_range(machine, 0, 1);
    const pmd = pmdOf(machine, 0);
    const table = entry_pfn(pmd);
    // Collapsed under the walker: the PMD it loads still points at the page, now deposited.
    machine.arena.pte.ptes(table).fill(0);
    pgtable_trans_huge_deposit(machine.arena, 0, table);
    expect(pte_present(machine.arena.pte.ptes(table)[1])).toBe(true); // a big-endian kernel's pointer
    const walker = styled(machine, 'value', 0);
    walker.step(at(0)); // the first walk reads pte 0, one of the two list pointers
    expect(machine.cpuStats[cpuStat(0, 'misreads')]).toBe(1);
    expect(machine.cpuStats[cpuStat(0, 'leafWalks')]).toBe(0); // it used nothing it read
    expect(walker.violations).toEqual([expect.objectContaining({ hpn: 0, what: 'deposited-table', page: table, pmd })]);
  });

  it('a deposited page withdrawn for a split is a cleared table again, then filled and used', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 1, ptePages: 1 });
    map_pte_range(machine, 0, 1);
    const table = entry_pfn(pmdOf(machine, 0));
    const frame = pte_frame(machine.arena.pte.ptes(table)[0]);
    machine.arena.pte.ptes(table).fill(0); // as the collapse's copy clears each pte
    pgtable_trans_huge_deposit(machine.arena, 0, table);
    expect(pgtable_trans_huge_withdraw(machine.arena, 0)).toBe(table);
    expect(machine.arena.pte.ptes(table).every((pte) => pte === 0)).toBe(true);
    machine.arena.pte.fill(table, frame);
    const walker = styled(machine, 'value', 0);
    walker.step(at(0));
    expect(machine.cpuStats[cpuStat(0, 'misreads')]).toBe(0);
    expect(machine.cpuStats[cpuStat(0, 'leafWalks')]).toBe(1);
  });
});
