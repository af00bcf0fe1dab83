// One answer to "how does the unmapper know no walker still uses the old PMD?": its walker side
// and its unmapper side (the kernel's PgtblSync hooks), what it models, and, as jcstress declares
// outcomes next to its actors, what each outcome a run can show means for it. The verdicts, the
// exit status and the findings are computed from that declaration, never from names.
// One file per strategy; the registry in index.ts lists them.

import type { KernelConfig } from '../kernel/kernel-config.ts';
import type { PgtblSync } from '../kernel/pgtbl-sync.ts';

/** What an outcome means for a strategy, in jcstress's words. */
export const Expect = {
  /** Must never happen: a run that shows it is BROKEN (exit status 3). */
  FORBIDDEN: 'forbidden',
  /** May happen and means nothing for this strategy, which does not claim to prevent it. */
  ACCEPTABLE: 'acceptable',
  /** The result this strategy exists to show: a run that shows it has demonstrated the bug. */
  INTERESTING: 'interesting',
} as const;
export type Expect = (typeof Expect)[keyof typeof Expect];

/**
 * The outcomes of a run that depend on the strategy. Everything else a run checks (IPIs sent ==
 * acknowledged, frames freed == PMDs unmapped, nothing leaked or freed twice, ...) is the
 * emulator's own bookkeeping and forbidden under every strategy.
 */
export interface Expectations {
  /** A walker used a page (frame or page-table page) freed under it. */
  readonly useAfterFree: Expect;
  /**
   * A walker took page-table data of another kind for its own: a table pointer as a THP leaf,
   * or a deposited PTE page's list pointers as ptes (what serialize_against_pte_lookup() and,
   * for collapse since 6.1, tlb_remove_table_sync_one() prevent).
   */
  readonly misread: Expect;
  /** The lockless-walk count was not back at 0 once every walker stopped (lost updates). */
  readonly counterDrift: Expect;
}

export type Outcome = keyof Expectations;

export interface PgtblSyncStrategy extends PgtblSync {
  readonly name: string;
  /** The kernel version or patch series it models, in a few words. */
  readonly models: string;
  readonly expect: Expectations;
  /** For a strategy with an interesting outcome: the options that amplify the race that shows it. */
  readonly showWith?: string;
  /** The bug it exists to show, in a few words, said with what it demonstrates. */
  readonly bug?: string;
  /** Part of its bug that x86-64 cannot show, said with its findings there. */
  readonly hostCannotShow?: string;
  /** What its kernel does below it, where that differs from before 5.8 (pointer walkers, batched flushes). */
  readonly kernel?: Partial<KernelConfig>;
}

/** Safe: it claims to prevent every outcome, so any of them is a failure. */
export const isSafe = (strategy: PgtblSyncStrategy): boolean => Object.values(strategy.expect).every((e) => e === Expect.FORBIDDEN);

/** What the strategies that claim to be safe declare. */
export const SAFE: Expectations = { useAfterFree: Expect.FORBIDDEN, misread: Expect.FORBIDDEN, counterDrift: Expect.FORBIDDEN };
