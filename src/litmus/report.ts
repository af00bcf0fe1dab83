// The litmus report, in litmus7's and jcstress's vocabulary: a histogram per test and variant,
// each outcome judged against sequential consistency, then the Observation line and what it
// means on this host.

import type { HostInfo } from '../report/host.ts';
import type { LitmusResult } from './run-litmus.ts';
import { shapeByName } from './shapes.ts';

export interface LitmusReport {
  readonly host: HostInfo;
  readonly tests: readonly LitmusResult[];
}

/** Variants that must never show a non-SC outcome: a broken barrier if they do. */
export function brokenResults(report: LitmusReport): LitmusResult[] {
  return report.tests.filter((t) => t.variant !== 'plain' && t.relaxedCount > 0);
}

export function formatResult(result: LitmusResult, host: HostInfo): string {
  const shape = shapeByName(result.name);
  const id = `${result.name}/${result.variant}`;
  const rows = result.outcomes.map((o) => {
    const verdict = o.sc ? 'allowed' : 'FORBIDDEN';
    return `  ${o.count.toLocaleString('en-US').padStart(12)}  ${percent(o.count, result.iterations).padStart(8)}  ${o.outcome.padEnd(22)}${verdict}${o.exists ? '  <- exists' : ''}`;
  });
  return [
    `${id}: ${shape.title}, ${result.iterations.toLocaleString('en-US')} iterations, stride ${result.stride}`,
    `  ${'count'.padStart(12)}  ${'freq'.padStart(8)}  ${'outcome'.padEnd(22)}under SC`,
    ...rows,
    `Observation ${id} ${result.observation} ${result.existsCount} ${result.iterations - result.existsCount}`,
    `  ${meaning(result, host)}`,
  ].join('\n');
}

function meaning(result: LitmusResult, host: HostInfo): string {
  const shape = shapeByName(result.name);
  const exists = result.outcomes.find((o) => o.exists)?.outcome ?? Object.entries(shape.exists).map(([k, v]) => `${k}=${v}`).join(' ');
  if (result.variant !== 'plain') {
    return result.relaxedCount === 0
      ? `${result.variant === 'atomics' ? 'Atomics accesses are sequentially consistent' : 'A full barrier between the accesses'}: no non-SC outcome, as required.`
      : `BROKEN: ${result.relaxedCount} non-SC outcome(s) under ${result.variant}; its barriers do not hold.`;
  }
  const onX86 = host.arch === 'x64';
  if (result.relaxedCount > 0) {
    const shown = `shown in ${percent(result.relaxedCount, result.iterations)} of iterations`;
    return onX86 && shape.onX86 === 'allowed'
      ? `x86-64 (TSO) allows ${exists}: ${shape.why}; ${shown}.`
      : `${exists} ${shown}: plain accesses are unordered in JavaScript, and the compiler or this ${host.arch} host reordered them.`;
  }
  return onX86
    ? `JavaScript allows ${exists} for plain accesses; this x86-64 host did not show it: ${shape.onX86 === 'forbidden' ? shape.why : `TSO allows it (${shape.why}), but not in this run`}.`
    : `JavaScript allows ${exists} for plain accesses; this ${host.arch} host did not show it in this run.`;
}

export function formatSummary(report: LitmusReport): string {
  const shown = report.tests.filter((t) => t.variant === 'plain' && t.relaxedCount > 0);
  const lines = [
    shown.length === 0
      ? 'This host showed no non-SC outcome for plain accesses.'
      : `This host showed non-SC outcomes for plain accesses in: ${shown.map((t) => `${t.name} (${percent(t.relaxedCount, t.iterations)})`).join(', ')}.`,
  ];
  const broken = brokenResults(report);
  lines.push(
    broken.length === 0
      ? 'No atomics or fenced variant showed a non-SC outcome.'
      : `BROKEN: non-SC outcomes under ${broken.map((t) => `${t.name}/${t.variant}`).join(', ')}.`,
  );
  return lines.join('\n');
}

function percent(count: number, total: number): string {
  const p = (100 * count) / total;
  return `${p >= 10 ? p.toFixed(1) : p >= 0.01 || p === 0 ? p.toFixed(2) : p.toPrecision(1)}%`;
}
