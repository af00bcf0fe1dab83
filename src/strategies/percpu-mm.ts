// percpu-mm: Lance Yang's 2025-2026 proposal for tlb_remove_table_sync_one(): each CPU keeps a
// pointer to the mm it is walking, so the unmapper interrupts only the CPUs walking this mm,
// not those walking another process's tables (which the series' v6 per-CPU count, counting any
// mm's walks, interrupts too). Reported cost: about 3% more GUP-fast latency on 64 cores.
// Models the per-CPU active-walk pointer of that series (mm/mmu_gather.c, mm/gup.c).

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { Mm, cpuWord } from '../shared-memory/cpu-block.ts';
import { ipi_walking_cpus } from './ipi-walking-cpus.ts';
import { SAFE, type PgtblSyncStrategy } from './strategy.ts';

/** `other` is walking this mm's page tables. */
const walking_this_mm = (cpu: EmulatedCpu, other: number) => Atomics.load(cpu.words, cpuWord(other, 'walkingMm')) === Mm.THIS;

export const percpuMm: PgtblSyncStrategy = {
  name: 'percpu-mm',
  expect: SAFE,
  freeing: 'immediate',
  models: 'Yang 2025: per-CPU pointer to the mm walked, IPI only CPUs walking this mm',
  counts: 'cpu-walks',

  start_lockless_pgtbl_walk(cpu) {
    // Publish the mm, then the walk's loads: Atomics.store is sequentially consistent (an xchg on
    // x86-64, a full barrier). Pairs with the unmapper's smp_mb() before it reads every pointer.
    Atomics.store(cpu.words, cpuWord(cpu.id, 'walkingMm'), cpu.walkingMm);
  },

  end_lockless_pgtbl_walk(cpu) {
    // Every use of the pte happens-before the unmapper's Atomics.load that sees the pointer go.
    Atomics.store(cpu.words, cpuWord(cpu.id, 'walkingMm'), Mm.NONE);
  },

  // Reads every CPU's pointer after a barrier that pairs with the walker's Atomics.store of it.
  serialize_against_pte_lookup: (cpu) => ipi_walking_cpus(cpu, walking_this_mm),
};
