// A soak's totals, as its JSON holds them, and the sum of several soaks' (the shards of one, run
// on several machines, added up by stress/merge.ts).

export interface SoakTotals {
  cycles: number;
  pmds: { [op: string]: number };
  walks: number;
  ipisSent: number;
  ipisAcked: number;
  /** Use-after-frees under safe strategies: must stay 0. */
  violations: number;
  brokenInvariants: string[];
  racyRuns: number;
  racyUseAfterFree: number;
}

/** The totals of `parts` added up: counts summed, broken invariants listed in order. */
export function sumSoakTotals(parts: readonly SoakTotals[]): SoakTotals {
  const sum: SoakTotals = { cycles: 0, pmds: {}, walks: 0, ipisSent: 0, ipisAcked: 0, violations: 0, brokenInvariants: [], racyRuns: 0, racyUseAfterFree: 0 };
  for (const t of parts) {
    sum.cycles += t.cycles;
    for (const [op, n] of Object.entries(t.pmds)) sum.pmds[op] = (sum.pmds[op] ?? 0) + n;
    sum.walks += t.walks;
    sum.ipisSent += t.ipisSent;
    sum.ipisAcked += t.ipisAcked;
    sum.violations += t.violations;
    sum.brokenInvariants.push(...t.brokenInvariants);
    sum.racyRuns += t.racyRuns;
    sum.racyUseAfterFree += t.racyUseAfterFree;
  }
  return sum;
}
