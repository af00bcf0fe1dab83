import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedCpu } from '../src/cpu-worker/cpu.ts';
import { LocklessWalker } from '../src/cpu-worker/lockless-walk.ts';
import { map_pte_range, map_thp_range } from '../src/coordinator/map-thp.ts';
import { cpuStat, cpuWord } from '../src/shared-memory/cpu-block.ts';
import { cpumask_set_cpu, mmWord } from '../src/shared-memory/mm.ts';
import { entry_pfn, table_entry } from '../src/shared-memory/pgtable-entry.ts';
import { SharedMachine } from '../src/shared-memory/shared-machine.ts';
import { counter } from '../src/strategies/counter.ts';
import { ipiBroadcast } from '../src/strategies/ipi-broadcast.ts';
import type { PgtblSyncStrategy } from '../src/strategies/strategy.ts';
import { eventually, startProbe, stopProbes, type Probe } from './helpers/probe.ts';

const probes: Probe[] = [];
afterEach(async () => {
  await stopProbes(probes.splice(0));
});

function mappedMachine(cpus: number, hugePages: number): SharedMachine {
  const machine = SharedMachine.create({ cpus, hugePages });
  map_thp_range(machine, 0, hugePages);
  for (let cpu = 0; cpu < cpus; cpu++) cpumask_set_cpu(machine.mm, cpu);
  return machine;
}

const frameOf = (machine: SharedMachine, hpn: number) => entry_pfn(machine.arena.entries[machine.arena.pmdSlot(hpn)]);

const FIND_PTE = [{ kind: 'find-pte', weight: 1 }];
/** A find_current_mm_pte() walker holding each page for `holdUs`. */
const walkerOn = (cpu: EmulatedCpu, strategy: PgtblSyncStrategy, holdUs: number) => new LocklessWalker(cpu, strategy, FIND_PTE, holdUs);
const at = (hpn: number) => () => hpn;

describe('the walker catches its own use-after-free', () => {
  it('when the PMD it loaded points at a frame that is already free', () => {
    const machine = mappedMachine(1, 4);
    // An unmapper whose clear this walker did not see: the frame is freed, the PMD still set.
    machine.frames.free(frameOf(machine, 2));
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast, 0);
    walker.step(at(1));
    walker.step(at(2));
    expect(walker.violations).toHaveLength(1);
    expect(walker.violations[0]).toMatchObject({ cpu: 0, strategy: 'ipi-broadcast', kind: 'find-pte', hpn: 2, what: 'frame', page: frameOf(machine, 2), freeOnArrival: true });
    expect(machine.cpuStats[cpuStat(0, 'useAfterFree')]).toBe(1);
    expect(machine.cpuStats[cpuStat(0, 'walks')]).toBe(2);
    expect(machine.cpuStats[cpuStat(0, 'leafWalks')]).toBe(1);
  });

  it('when another thread frees the frame while the walker holds it', async () => {
    const machine = mappedMachine(2, 1);
    probes.push(await startProbe(machine, 1));
    const frame = frameOf(machine, 0);
    const freed = probes[0].api.freeFrameAfter(frame, 50);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast, 5e6);
    walker.step(at(0)); // returns as soon as it notices, long before its 5 s hold
    expect(await freed).toBe(true);
    expect(walker.violations).toEqual([
      expect.objectContaining({ hpn: 0, what: 'frame', page: frame, generationSeen: 0, generationNow: 1, freeOnArrival: false }),
    ]);
  });

  it('when the PTE page it walked through is freed under it', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 2, ptePages: 2 });
    map_pte_range(machine, 0, 2);
    const table = entry_pfn(machine.arena.entries[machine.arena.pmdSlot(1)]);
    // A collapse whose PMD clear this walker did not see: the PTE page is freed, the PMD still set.
    expect(machine.arena.freePage(table)).toBe(true);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast, 0);
    walker.step(at(0));
    walker.step(at(1));
    expect(walker.violations).toEqual([expect.objectContaining({ hpn: 1, what: 'page-table', page: table, generationSeen: 1, generationNow: 1, freeOnArrival: true })]);
  });

  it('counts a PMD that points at a PTE page before its ptes are there: a torn split', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 1, ptePages: 1 });
    map_thp_range(machine, 0, 1);
    const slot = machine.arena.pmdSlot(0);
    machine.arena.entries[slot] = table_entry(machine.arena.allocPage()); // pmd_populate() first, ptes never written
    walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast, 0).step(at(0));
    expect(machine.cpuStats[cpuStat(0, 'halfStates')]).toBe(1);
    expect(machine.cpuStats[cpuStat(0, 'useAfterFree')]).toBe(0);
  });

  it('walks down a PTE page to the small page it maps, and uses its frame', () => {
    const machine = SharedMachine.create({ cpus: 1, hugePages: 1, ptePages: 1 });
    map_pte_range(machine, 0, 1);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast, 0);
    for (let i = 0; i < 4; i++) walker.step(at(0));
    expect(walker.violations).toEqual([]);
    expect(machine.cpuStats[cpuStat(0, 'leafWalks')]).toBe(4);
  });

  it('finds nothing wrong with a page that stays mapped', () => {
    const machine = mappedMachine(1, 8);
    const walker = walkerOn(new EmulatedCpu(machine, 0), ipiBroadcast, 10);
    for (let hpn = 0; hpn < 8; hpn++) walker.step(at(hpn));
    expect(walker.violations).toHaveLength(0);
    expect(machine.cpuStats[cpuStat(0, 'leafWalks')]).toBe(8);
  });

  it('walks with IRQs off and leaves them as it found them', () => {
    const machine = mappedMachine(1, 1);
    const cpu = new EmulatedCpu(machine, 0);
    let irqDuringWalk = -1;
    const spy = { ...ipiBroadcast, start_lockless_pgtbl_walk: () => (irqDuringWalk = machine.cpuWords[cpuWord(0, 'irqEnabled')]) };
    walkerOn(cpu, spy, 0).step(at(0));
    expect(irqDuringWalk).toBe(0);
    expect(machine.cpuWords[cpuWord(0, 'irqEnabled')]).toBe(1);
  });
});

describe('the counter strategy', () => {
  it('counts walks in flight and sends no IPI when none is', () => {
    const machine = mappedMachine(2, 1);
    const walkerCpu = new EmulatedCpu(machine, 1);
    const unmapper = new EmulatedCpu(machine, 0);
    unmapper.beginRun(counter);
    const count = () => Atomics.load(machine.mm, mmWord.locklessPgtblWalkCount);
    counter.start_lockless_pgtbl_walk(walkerCpu);
    counter.start_lockless_pgtbl_walk(walkerCpu);
    expect(count()).toBe(2);
    counter.end_lockless_pgtbl_walk(walkerCpu);
    counter.end_lockless_pgtbl_walk(walkerCpu);
    expect(count()).toBe(0);
    expect(counter.serialize_against_pte_lookup(unmapper)).toBe(0);
    expect(Atomics.load(machine.cpuWords, cpuWord(1, 'ipiRequest'))).toBe(0);
  });

  it('sends the IPI to every CPU of the mm while a walk is in flight', async () => {
    const machine = mappedMachine(3, 1);
    probes.push(await startProbe(machine, 1), await startProbe(machine, 2));
    const idling = probes.map((p) => p.api.idle(30_000));
    await eventually(() => [1, 2].every((cpu) => Atomics.load(machine.cpuWords, cpuWord(cpu, 'halted')) === 1));
    const unmapper = new EmulatedCpu(machine, 0);
    unmapper.beginRun(counter);
    Atomics.add(machine.mm, mmWord.locklessPgtblWalkCount, 1); // a walk some CPU has in flight
    expect(counter.serialize_against_pte_lookup(unmapper)).toBe(2);
    for (const cpu of [1, 2]) expect(Atomics.load(machine.cpuWords, cpuWord(cpu, 'ipiAck'))).toBe(1);
    void idling;
  });
});
