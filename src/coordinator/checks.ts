// What every run must leave true, checked once every CPU has stopped, and what each outcome it
// shows means under its strategy's declared expectations (src/strategies/strategy.ts).

import type { CpuStatValues } from '../shared-memory/cpu-block.ts';
import { cpuWord } from '../shared-memory/cpu-block.ts';
import { Life } from '../shared-memory/lifetime-word.ts';
import { PageTableArena } from '../shared-memory/page-table-arena.ts';
import { entry_pfn, pmd_is_leaf, pte_frame, pte_present, subpage_pfn } from '../shared-memory/pgtable-entry.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';
import { map_alternating_range, map_pte_range, map_thp_range, teardown_range_offline } from '../kernel/map-thp.ts';
import type { PmdOp } from '../kernel/pmd-ops.ts';
import { Expect, OUTCOMES, strategyByName, type Outcome, type PgtblSyncStrategy } from '../strategies/index.ts';
import type { RunSpec } from '../spec/run-spec.ts';

/** What one operation leaves after `done` of its `pmds` PMDs (the rest left as they were mapped). */
export interface OpCounts {
  readonly framesFreed: number;
  readonly pteTablesFreed: number;
  /** PTE pages deposited beside the range's PMDs once it is done. */
  readonly deposited: number;
  /** Upper page tables handed to tlb_remove_table(): a whole munmap's PMD and PUD pages (free_pgtables()). */
  readonly tablesRemoved: number;
}

export interface OpExpectations {
  /** Map the range as the operation expects to find it. */
  readonly setup: (machine: SharedMachine, firstHpn: number, count: number) => void;
  /** The state PMD `i` of the range must be left in, in words, or undefined if it is right. */
  readonly wrongPmd: (machine: SharedMachine, pmd: number, i: number) => string | undefined;
  readonly counts: (done: number, pmds: number) => OpCounts;
}

const inUse = (machine: SharedMachine, frame: number) => machine.frames.state(frame) === Life.IN_USE;
const cleared = (pmd: number) => (pmd === 0 ? undefined : `still mapped (0x${pmd.toString(16)})`);
const collapsedInto = (machine: SharedMachine, pmd: number) => {
  if (!pte_present(pmd) || !pmd_is_leaf(pmd)) return `not a THP leaf (0x${pmd.toString(16)})`;
  return inUse(machine, entry_pfn(pmd)) ? undefined : `collapsed into frame ${entry_pfn(pmd)}, which is free`;
};

/**
 * What each operation starts from and must leave behind. Every THP is mapped with its PTE page
 * deposited beside it: munmap frees it with the THP, split withdraws it to map the small pages,
 * collapse deposits the PTE page it empties.
 */
export const OP_EXPECTATIONS: { readonly [op in PmdOp]: OpExpectations } = {
  munmap: {
    setup: map_thp_range,
    wrongPmd: (_, pmd) => cleared(pmd),
    counts: (done, pmds) => ({ framesFreed: done, pteTablesFreed: done, deposited: pmds - done, tablesRemoved: done === pmds ? PageTableArena.tablePagesMapping(pmds) - 1 : 0 }),
  },
  split: {
    setup: map_thp_range,
    wrongPmd: (machine, pmd) => {
      if (!pte_present(pmd) || pmd_is_leaf(pmd)) return `not a PTE page (0x${pmd.toString(16)})`;
      const ptes = machine.arena.pte.ptes(entry_pfn(pmd));
      const frame = pte_frame(ptes[0]);
      if (!ptes.every((pte, i) => pte_present(pte) && entry_pfn(pte) === subpage_pfn(frame, i))) return 'a PTE page that does not map one THP';
      return inUse(machine, frame) ? undefined : `split into frame ${frame}, which is free`;
    },
    counts: (done, pmds) => ({ framesFreed: 0, pteTablesFreed: 0, deposited: pmds - done, tablesRemoved: 0 }),
  },
  collapse: {
    setup: map_pte_range,
    wrongPmd: collapsedInto,
    counts: (done) => ({ framesFreed: done, pteTablesFreed: 0, deposited: done, tablesRemoved: 0 }),
  },
  // Pairs: the first PTE-mapped and collapsed, the second a THP and unmapped.
  'collapse-munmap': {
    setup: map_alternating_range,
    wrongPmd: (machine, pmd, i) => (i % 2 === 0 ? collapsedInto(machine, pmd) : cleared(pmd)),
    counts: (done, pmds) => {
      const [collapsed, unmapped] = [Math.ceil(done / 2), Math.floor(done / 2)];
      return { framesFreed: done, pteTablesFreed: unmapped, deposited: Math.floor(pmds / 2) + collapsed - unmapped, tablesRemoved: 0 };
    },
  },
  // Hypothetical: every PTE page freed at once, its small pages through the mmu_gather.
  'retract-unflushed': {
    setup: map_pte_range,
    wrongPmd: (_, pmd) => cleared(pmd),
    counts: (done) => ({ framesFreed: done, pteTablesFreed: done, deposited: 0, tablesRemoved: 0 }),
  },
};

/** Every CPU's IPIs received, by reason, summed: what /proc/interrupts would add up to. */
function receivedIpis(machine: SharedMachine): number {
  let sum = 0;
  for (let cpu = 0; cpu < machine.cpus; cpu++) {
    for (const word of ['irqSerialize', 'irqTlbFlush', 'irqTableSync'] as const) sum += Atomics.load(machine.cpuWords, cpuWord(cpu, word));
  }
  return sum;
}

/** What a run did, as the checks need it: the CPUs' statistics summed, and the unmapper's count. */
export interface RunTotals {
  readonly stats: CpuStatValues;
  readonly pmds: number;
  readonly pmdsDone: number;
  /** The budget ran out: PMDs after pmdsDone were left as they were. */
  readonly estimated: boolean;
  /** lockless_pgtbl_walk_count after every walker stopped. */
  readonly counterDrift: number;
}

/** The outcomes a run showed that depend on the strategy, by name. */
export function outcomesShown(totals: Pick<RunTotals, 'counterDrift'> & { readonly useAfterFree: number; readonly misreads: number }): { readonly [outcome in Outcome]: boolean } {
  return { useAfterFree: totals.useAfterFree > 0, misread: totals.misreads > 0, counterDrift: totals.counterDrift !== 0 };
}

/**
 * Tear the range down (from the coordinator, every CPU stopped), then check everything a run must
 * leave true: the emulator's own bookkeeping under every strategy, and the strategy-dependent
 * outcomes as its expectations say. Broken: what must not happen did; demonstrated: what the
 * strategy allows, or exists to show, did.
 */
export function tearDownAndCheck(machine: SharedMachine, spec: RunSpec, totals: RunTotals): { brokenInvariants: string[]; demonstrated: string[] } {
  const { stats, pmds, pmdsDone } = totals;
  const brokenInvariants: string[] = wrongPmds(machine, spec.op, 0, pmdsDone);
  const deposited = machine.arena.pte.depositedCount();
  teardown_range_offline(machine, 0, spec.machine.hugePages);
  const demonstrated: string[] = [];
  const expect = (holds: boolean, what: string) => holds || brokenInvariants.push(what);
  const expected = OP_EXPECTATIONS[spec.op].counts(pmdsDone, pmds);
  expect(stats.ipisSent === stats.ipisHandled, `IPIs sent (${stats.ipisSent}) != IPIs acknowledged (${stats.ipisHandled})`);
  expect(pmdsDone === pmds || totals.estimated, `PMDs done (${pmdsDone}) != PMDs mapped (${pmds})`);
  const counted = (what: string, seen: number, wanted: number) => expect(seen === wanted, `${what} (${seen}) != the ${wanted} that ${spec.op} of ${pmdsDone} of ${pmds} PMDs leaves`);
  counted('frames freed', stats.framesFreed, expected.framesFreed);
  counted('PTE pages freed', stats.pteTablesFreed, expected.pteTablesFreed);
  counted('PTE pages deposited', deposited, expected.deposited);
  counted('page tables removed', stats.tablesRemoved, expected.tablesRemoved);
  const byReason = stats.ipisSerialize + stats.ipisTlbFlush + stats.ipisTableSync;
  expect(byReason === stats.ipisSent, `IPIs by reason (${byReason}) != IPIs sent (${stats.ipisSent})`);
  const received = receivedIpis(machine);
  expect(received === stats.ipisSent, `IPIs counted as received (${received}) != IPIs sent (${stats.ipisSent})`);
  expect(stats.doubleFrees === 0, `${stats.doubleFrees} page(s) freed twice`);
  expect(stats.freedBeforeFlush === 0, `${stats.freedBeforeFlush} frame(s) freed before the TLB flush that covers them`);
  expect(stats.halfStates === 0, `${stats.halfStates} walk(s) followed a PMD into a PTE page whose ptes were not there yet`);
  const leaked = machine.frames.mappedCount();
  expect(leaked === 0, `${leaked} frame(s) still mapped after the range was torn down`);
  const tablePages = PageTableArena.tablePagesMapping(spec.machine.hugePages);
  expect(machine.arena.pagesInUse === tablePages, `${machine.arena.pagesInUse - tablePages} page-table page(s) leaked`);
  expect(machine.arena.pte.inUse === 0, `${machine.arena.pte.inUse} PTE page(s) leaked`);
  for (let cpu = 0; cpu < machine.cpus; cpu++) {
    const pending = (Atomics.load(machine.cpuWords, cpuWord(cpu, 'ipiRequest')) - Atomics.load(machine.cpuWords, cpuWord(cpu, 'ipiAck'))) | 0;
    expect(pending === 0, `CPU ${cpu} has ${pending} IPI(s) never acknowledged`);
  }
  const shown = outcomesShown({ useAfterFree: stats.useAfterFree, misreads: stats.misreads, counterDrift: totals.counterDrift });
  const said: { readonly [outcome in Outcome]: string } = {
    counterDrift: `lockless-walk count is ${totals.counterDrift} after every walker stopped (lost updates)`,
    useAfterFree: `${stats.useAfterFree} use-after-free`,
    misread: `${stats.misreads} misread(s): a walker took page-table data of another kind for its own`,
  };
  const { outcomes } = strategyByName(spec.strategy);
  for (const outcome of ['counterDrift', 'useAfterFree', 'misread'] as const) {
    if (shown[outcome]) (outcomes[outcome].expect === Expect.FORBIDDEN ? brokenInvariants : demonstrated).push(said[outcome]);
  }
  return { brokenInvariants, demonstrated };
}

/** A run's verdict in one word, for the table. */
export function verdict(
  strategy: PgtblSyncStrategy,
  run: { readonly partial: boolean; readonly brokenInvariants: readonly string[]; readonly counterDrift: number; readonly violations: { readonly useAfterFree: number; readonly misreads: number } },
): 'not checked' | 'BROKEN' | 'bug shown' | 'allowed' | 'held' {
  if (run.partial) return 'not checked';
  if (run.brokenInvariants.length > 0) return 'BROKEN';
  const shown = outcomesShown({ useAfterFree: run.violations.useAfterFree, misreads: run.violations.misreads, counterDrift: run.counterDrift });
  const expected = OUTCOMES.filter((outcome) => shown[outcome]).map((outcome) => strategy.outcomes[outcome].expect);
  if (expected.includes(Expect.ACCEPTABLE_INTERESTING)) return 'bug shown';
  return expected.length > 0 ? 'allowed' : 'held';
}

/** Every PMD of the range left wrong, described; at most `limit` of them. */
function wrongPmds(machine: SharedMachine, op: PmdOp, firstHpn: number, count: number, limit = 3): string[] {
  const wrong: string[] = [];
  for (let hpn = firstHpn; hpn < firstHpn + count && wrong.length < limit; hpn++) {
    const slot = machine.arena.pmdSlot(hpn);
    const why = OP_EXPECTATIONS[op].wrongPmd(machine, slot < 0 ? 0 : machine.arena.entries[slot], hpn - firstHpn);
    if (why !== undefined) wrong.push(`after ${op}, huge page ${hpn} is ${why}`);
  }
  return wrong;
}

/**
 * Walks still counted in flight once every walker has stopped: the sum of the answer's words,
 * every CPU's and every mm's, which describe walks in flight and must all be back at 0.
 */
export function walksStillCounted(machine: SharedMachine): number {
  let counted = 0;
  for (const words of [machine.answerCpuWords, machine.answerMmWords]) for (let i = 0; i < words.length; i++) counted += Atomics.load(words, i);
  return counted;
}
