// percpu: the series' v6 (2020) and Lance Yang's 2025 proposal for tlb_remove_table_sync_one():
// each CPU counts its own walks in flight on its own cache line; the unmapper, after a full
// barrier, interrupts only the CPUs whose count is non-zero.
// Models arch/powerpc/mm/book3s64/pgtable.c of the series, v6, and mm/mmu_gather.c of the 2025 series.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { cpuWord } from '../shared-memory/cpu-block.ts';
import { ipi_walking_cpus } from './ipi-walking-cpus.ts';
import { SAFE, type PgtblSyncStrategy } from './strategy.ts';

/** A walk in flight on `other`, whatever mm it walks. */
const walks_counted = (cpu: EmulatedCpu, other: number) => Atomics.load(cpu.words, cpuWord(other, 'locklessWalks')) !== 0;

export const percpu: PgtblSyncStrategy = {
  name: 'percpu',
  expect: SAFE,
  freeing: 'immediate',
  // this_cpu_inc(): the CPU's walks, whatever mm they walk.
  counts: 'cpu-walks',
  models: 'Bras series v6 / Yang 2025: per-CPU count, IPI only CPUs walking',

  start_lockless_pgtbl_walk(cpu) {
    // this_cpu_inc() then smp_mb(): one Atomics.add on our own line is both. Pairs with the
    // unmapper's smp_mb() between its PMD clear and its reads of every CPU's count.
    Atomics.add(cpu.words, cpuWord(cpu.id, 'locklessWalks'), 1);
  },

  end_lockless_pgtbl_walk(cpu) {
    // Every use of the pte happens-before the unmapper's Atomics.load that sees the count drop.
    Atomics.sub(cpu.words, cpuWord(cpu.id, 'locklessWalks'), 1);
  },

  // Reads every CPU's count after a barrier that pairs with the walker's Atomics.add.
  serialize_against_pte_lookup: (cpu) => ipi_walking_cpus(cpu, walks_counted),
};
