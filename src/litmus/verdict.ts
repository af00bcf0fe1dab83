// What a run of a test means, judged against herd7's verdict in its header and against the
// models computed for it: agrees; FAILED (a `Result: Never` condition observed, or an `Always`
// one contradicted); not observed, and why (x86-TSO, the host's own model, forbids it; or the
// mapping is stronger than the kernel's x86 code; or only this run's timing); or, under the
// `atomics` and `fenced` variants, BROKEN when sequential consistency did not hold.

import { lowerForKernelX86, lowerTest, strongerThanKernelX86, type Variant } from './js-mapping.ts';
import { observedName, observedNames, propHolds, type LitmusTest } from './litmus-test.ts';
import { allowedOutcomes, type OutcomeSet } from './operational-models.ts';

export interface Models {
  /** What sequential consistency allows: LKMM allows at least these. */
  readonly sc: OutcomeSet;
  /** What x86-TSO allows for the threads as this variant runs them. */
  readonly tso: OutcomeSet;
  /** What x86-TSO allows for the kernel's own x86-64 instructions. */
  readonly kernelTso: OutcomeSet;
}

export function modelsFor(test: LitmusTest, variant: Variant): Models {
  const asRun = lowerTest(test, variant);
  return { sc: allowedOutcomes(test, asRun, 'sc'), tso: allowedOutcomes(test, asRun, 'x86-tso'), kernelTso: allowedOutcomes(test, lowerForKernelX86(test), 'x86-tso') };
}

export type VerdictKind = 'agrees' | 'FAILED' | 'observed' | 'not observed' | 'sequentially consistent' | 'BROKEN';

/** Why a condition was not observed. */
export type NotObservedWhy = 'x86-TSO forbids it' | 'mapping stronger' | 'not in this run' | 'host model not computed';

export interface Verdict {
  readonly kind: VerdictKind;
  /** Exit status 3. */
  readonly failed: boolean;
  readonly why?: NotObservedWhy;
  /** One line for the report. */
  readonly text: string;
  /** The header disagrees with what is computed for the test. */
  readonly warnings: readonly string[];
}

export interface RunFigures {
  readonly iterations: number;
  /** Iterations where the condition's proposition held. */
  readonly positive: number;
  /** Iterations whose outcome sequential consistency forbids. */
  readonly relaxed: number;
}

/** Whether some outcome of `set` satisfies the test's proposition. */
export function someOutcomeHolds(test: LitmusTest, set: OutcomeSet, wanted = true): boolean {
  const names = observedNames(test).map(observedName);
  for (const values of set.values()) {
    if (propHolds(test.condition.prop, (o) => values[names.indexOf(observedName(o))]) === wanted) return true;
  }
  return false;
}

export function judge(test: LitmusTest, variant: Variant, run: RunFigures, models: Models, hostArch: string): Verdict {
  const warnings = headerWarnings(test, models);
  if (variant !== 'as-written') {
    return run.relaxed === 0
      ? { kind: 'sequentially consistent', failed: false, text: `no non-SC outcome under ${variant}, as required`, warnings }
      : { kind: 'BROKEN', failed: true, text: `${run.relaxed} non-SC outcome(s) under ${variant}: its barriers do not hold`, warnings };
  }
  const { iterations, positive } = run;
  const seen = `${positive.toLocaleString('en-US')} of ${iterations.toLocaleString('en-US')} iterations`;
  switch (test.expected) {
    case 'Never':
      return positive > 0
        ? { kind: 'FAILED', failed: true, text: `observed in ${seen}, and herd7 says Never`, warnings }
        : { kind: 'agrees', failed: false, text: 'never observed, as herd7 says', warnings };
    case 'Always':
      return positive < iterations
        ? { kind: 'FAILED', failed: true, text: `false in ${(iterations - positive).toLocaleString('en-US')} of ${iterations.toLocaleString('en-US')} iterations, and herd7 says Always`, warnings }
        : { kind: 'agrees', failed: false, text: 'held in every iteration, as herd7 says', warnings };
    case 'Sometimes':
      if (positive > 0) return { kind: 'agrees', failed: false, text: `observed in ${seen}, as herd7 allows`, warnings };
      break;
    case undefined:
      if (positive > 0) return { kind: 'observed', failed: false, text: `observed in ${seen} (no Result line to judge it by)`, warnings };
      break;
  }
  const { why, text } = whyNotObserved(test, models, hostArch, iterations);
  return { kind: 'not observed', failed: false, why, text, warnings };
}

function whyNotObserved(test: LitmusTest, models: Models, hostArch: string, iterations: number): { why: NotObservedWhy; text: string } {
  const inRun = `in ${iterations.toLocaleString('en-US')} iterations`;
  if (someOutcomeHolds(test, models.sc)) return { why: 'not in this run', text: `sequential consistency allows it, but this run's timing did not produce it ${inRun}` };
  if (hostArch !== 'x64') return { why: 'host model not computed', text: `not shown on this ${hostArch} host ${inRun}; only x86-TSO is computed here` };
  if (someOutcomeHolds(test, models.tso)) return { why: 'not in this run', text: `x86-TSO allows it (computed), but this run did not show it ${inRun}` };
  if (someOutcomeHolds(test, models.kernelTso)) {
    return { why: 'mapping stronger', text: `the mapping is stronger than the kernel's x86 code (${strongerThanKernelX86(test, hostArch).join('; ')}): x86-TSO allows it with the kernel's instructions, not with these (computed)` };
  }
  return { why: 'x86-TSO forbids it', text: 'x86-TSO, this host\'s model, forbids it (computed over every store-buffer execution)' };
}

/** Where the header's Result line contradicts what is computed for the test. */
function headerWarnings(test: LitmusTest, models: Models): string[] {
  const warnings: string[] = [];
  if (test.expected === 'Never') {
    if (someOutcomeHolds(test, models.sc)) warnings.push('the header says Never, but sequential consistency alone allows the condition');
    else if (someOutcomeHolds(test, models.tso)) warnings.push('the header says Never, but x86-TSO allows the condition for this mapping: the mapping is too weak or the header is wrong');
  }
  if (test.expected === 'Always') {
    if (someOutcomeHolds(test, models.sc, false)) warnings.push('the header says Always, but sequential consistency alone allows the condition to fail');
    else if (someOutcomeHolds(test, models.tso, false)) warnings.push('the header says Always, but x86-TSO lets the condition fail for this mapping: the mapping is too weak or the header is wrong');
  }
  return warnings;
}
