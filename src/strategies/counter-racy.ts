// counter-racy: the seed's series as first posted (v1-v3), before review: no barrier on either
// side. The unmapper clears the PMD and reads the walk count with plain accesses; the walker
// increments the count and loads the PMD with plain accesses. Each side's store can still sit
// in its store buffer when it does its load: the store-buffering pattern, so both can miss the
// other. Unsafe on purpose: its use-after-frees are the demonstrated bug, not a failure.
// Models arch/powerpc/mm/book3s64/pgtable.c of the series, v1-v3: running_lockless_pgtbl_walk().
//
// powerpc's atomic_inc() is atomic but orders nothing. JavaScript has no such operation on
// x86-64: every Atomics read-modify-write is a locked instruction, a full fence. So the count is
// split into one word per CPU, each written only by its own CPU with a plain store: an increment
// that is never lost and never fenced, as on powerpc. running_lockless_pgtbl_walk() sums them.

import { smp_call_function_many } from '../kernel/ipi.ts';
import type { EmulatedCpu } from '../kernel/cpu.ts';
import { cpuWord } from '../shared-memory/cpu-block.ts';
import { Expect, type PgtblSyncStrategy } from './strategy.ts';

/** running_lockless_pgtbl_walk(mm), with plain loads: it may not see a store still buffered. */
function running_lockless_pgtbl_walk(cpu: EmulatedCpu): number {
  let running = 0;
  for (const other of cpu.mmCpus) running += cpu.words[cpuWord(other, 'locklessWalks')];
  return running;
}

export const counterRacy: PgtblSyncStrategy = {
  name: 'counter-racy',
  // Store buffering lets the unmapper miss a walker; each CPU's own count never loses an update.
  expect: { useAfterFree: Expect.INTERESTING, misread: Expect.INTERESTING, counterDrift: Expect.FORBIDDEN },
  freeing: 'immediate',
  showWith: '--race-window 1 --cpus 2 --memory 496G',
  models: 'Bras series v1-v3: walk counter with no barriers (powerpc atomic_inc())',

  start_lockless_pgtbl_walk(cpu) {
    // atomic_inc() without smp_mb(): our PMD load below may pass this store.
    cpu.words[cpuWord(cpu.id, 'locklessWalks')]++;
  },

  end_lockless_pgtbl_walk(cpu) {
    cpu.words[cpuWord(cpu.id, 'locklessWalks')]--;
  },

  serialize_against_pte_lookup(cpu) {
    // No smp_mb() between the PMD clear and this read: the read may pass the clear.
    if (running_lockless_pgtbl_walk(cpu) === 0) return 0;
    return smp_call_function_many(cpu, cpu.mmCpus, true);
  },
};
