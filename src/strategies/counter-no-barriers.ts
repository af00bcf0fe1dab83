// counter-no-barriers: a teaching variant, not a posted version: the series' walk counter with
// no barrier on either side. The unmapper clears the PMD and reads the count with plain
// accesses (every posted version had an smp_mb() between them); the walker increments the count
// and loads the PMD with nothing between (as v1-v3 did). Each side's store can still sit in its
// store buffer when it does its load: store buffering on both sides, so both can miss the other.
// Unsafe on purpose: its use-after-frees are the demonstrated bug, not a failure.

import { smp_call_function_many } from '../kernel/ipi.ts';
import { atomic_dec_unordered, atomic_inc_unordered, running_lockless_pgtbl_walk } from './split-count.ts';
import { Expect, type PgtblSyncStrategy } from './strategy.ts';

export const counterNoBarriers: PgtblSyncStrategy = {
  name: 'counter-no-barriers',
  // Store buffering lets the unmapper miss a walker; each CPU's own count never loses an update.
  expect: { useAfterFree: Expect.INTERESTING, misread: Expect.INTERESTING, counterDrift: Expect.FORBIDDEN },
  freeing: 'immediate',
  bug: "store buffering, neither side fenced",
  showWith: '--race-window 1 --cpus 2 --memory 496G',
  models: 'teaching variant: the walk counter with no barrier on either side',

  start_lockless_pgtbl_walk: atomic_inc_unordered,
  end_lockless_pgtbl_walk: atomic_dec_unordered,

  serialize_against_pte_lookup(cpu) {
    // No smp_mb() between the PMD clear and this read: the read may pass the clear.
    if (running_lockless_pgtbl_walk(cpu) === 0) return 0;
    return smp_call_function_many(cpu, cpu.mmCpus, true);
  },
};
