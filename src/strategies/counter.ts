// counter: the seed's series (Leonardo Bras, 2019-2020) with the reviewers' barriers in place.
// Walkers count themselves in mm->context.lockless_pgtbl_walk_count; the unmapper skips the IPI
// when the count is zero.
// Models arch/powerpc/mm/book3s64/pgtable.c of the series, v5: start/end/running_lockless_pgtbl_walk().

import { smp_call_function_many } from '../kernel/ipi.ts';
import { mmWord } from '../shared-memory/mm.ts';
import { SAFE, type PgtblSyncStrategy } from './strategy.ts';

export const counter: PgtblSyncStrategy = {
  name: 'counter',
  expect: SAFE,
  freeing: 'immediate',
  models: 'Bras series v5: mm counter + smp_mb(), IPI only if a walk is in flight',

  start_lockless_pgtbl_walk(cpu) {
    // atomic_inc() then smp_mb(): Atomics.add is both. The increment must be visible before
    // this walker's load of the PMD; pairs with the unmapper's smp_mb() between its PMD clear
    // and its read of the counter (store-buffering: one side may miss, never both).
    Atomics.add(cpu.mm, mmWord.locklessPgtblWalkCount, 1);
  },

  end_lockless_pgtbl_walk(cpu) {
    // smp_mb() then atomic_dec(): every use of the pte happens-before the unmapper's
    // Atomics.load that sees the count drop, so the frame is not freed under us.
    Atomics.sub(cpu.mm, mmWord.locklessPgtblWalkCount, 1);
  },

  serialize_against_pte_lookup(cpu) {
    // Pairs with the Atomics.add in start_lockless_pgtbl_walk(): the PMD clear must be visible
    // before we read the counter, or a walker that incremented may still load the old PMD.
    cpu.smp_mb();
    // running_lockless_pgtbl_walk(mm)
    if (Atomics.load(cpu.mm, mmWord.locklessPgtblWalkCount) === 0) return 0;
    return smp_call_function_many(cpu, cpu.mmCpus, true);
  },
};
