// The litmus report, in litmus7's and jcstress's vocabulary: per test its condition, a histogram
// with each outcome judged under sequential consistency and x86-TSO, the Observation line, and
// the verdict against herd7's; then a summary, and for a directory a table of every test.

import type { HostInfo } from '../base/host.ts';
import { markdownTable, textTable } from '../base/text-table.ts';
import type { ShardStamp } from '../base/shard.ts';
import { MAPPING_TABLE } from './js-mapping.ts';
import type { Expectation } from './litmus-test.ts';
import type { LitmusResult } from './run-litmus.ts';

/** A test the reader refused, with the construct that stopped it. */
export interface RefusedTest {
  readonly name: string;
  readonly file?: string;
  readonly expected?: Expectation;
  readonly problem: 'unsupported' | 'syntax';
  readonly message: string;
}

export interface LitmusReport {
  readonly host: HostInfo;
  /** Present when this is one shard of a --dir run. */
  readonly shard?: ShardStamp;
  readonly tests: readonly LitmusResult[];
  readonly refused: readonly RefusedTest[];
}

/** Results that set exit status 3: a Never condition observed, or a barrier that did not hold. */
export function failedResults(report: LitmusReport): LitmusResult[] {
  return report.tests.filter((t) => t.verdict.failed || headerDisagrees(t));
}

/** herd7 ran, and its verdict is not the test's Result: header (judgelitmus.sh's "!!! Expected"). */
export const headerDisagrees = (t: LitmusResult): boolean => t.herd7 !== undefined && t.herd7.header !== undefined && t.herd7.header !== t.herd7.observation;

export function formatResult(result: LitmusResult): string {
  const from = result.file === undefined ? '' : ` (${result.file})`;
  const outcomeWidth = Math.max(22, ...result.outcomes.map((o) => o.outcome.length + 2));
  const rows = result.outcomes.map((o) => {
    const sc = o.sc ? 'allowed' : 'FORBIDDEN';
    const tso = o.tso ? 'allowed' : 'FORBIDDEN';
    return `  ${o.count.toLocaleString('en-US').padStart(12)}  ${percent(o.count, result.iterations).padStart(8)}  ${o.outcome.padEnd(outcomeWidth)}${sc.padEnd(11)}${tso}${o.satisfies ? '  <- condition' : ''}`;
  });
  const expected = result.variant === 'as-written' ? `herd7${result.herd7 ? ` (run: ${result.herd7.version})` : ''}: ${result.expected ?? 'no Result line'}; ` : '';
  const header = result.herd7 === undefined || result.variant !== 'as-written' ? [] : [headerDisagrees(result) ? `  FAILED: the header says Result: ${result.herd7.header}, herd7 says ${result.herd7.observation}` : `  header: ${result.herd7.header ? `Result: ${result.herd7.header}, as herd7 says` : 'no Result line'}`];
  return [
    `${result.id}${from}: ${result.iterations.toLocaleString('en-US')} iterations, stride ${result.stride}, ${result.seconds.toFixed(1)} s`,
    `  condition: ${result.condition}`,
    `  ${'count'.padStart(12)}  ${'freq'.padStart(8)}  ${'outcome'.padEnd(outcomeWidth)}${'SC'.padEnd(11)}x86-TSO`,
    ...rows,
    `Observation ${result.id} ${result.observation} ${result.positive} ${result.iterations - result.positive}`,
    `  ${expected}${result.verdict.kind}: ${result.verdict.text}`,
    ...header,
    ...result.verdict.warnings.map((w) => `  WARNING: ${w}`),
  ].join('\n');
}

export function formatRefused(refused: RefusedTest): string {
  return `${refused.name}${refused.file === undefined ? '' : ` (${refused.file})`}: ${refused.message}`;
}

/** The closing lines: what this host reordered, whether every barrier held, and the verdicts. */
export function formatSummary(report: LitmusReport): string {
  const asWritten = report.tests.filter((t) => t.variant === 'as-written');
  const reordered = asWritten.filter((t) => t.relaxedCount > 0);
  const variants = report.tests.filter((t) => t.variant !== 'as-written');
  const broken = variants.filter((t) => t.verdict.failed);
  const lines: string[] = [];
  if (asWritten.length > 0) {
    lines.push(
      reordered.length === 0
        ? 'As written, this host showed no non-SC outcome.'
        : `As written, this host showed non-SC outcomes in: ${reordered.map((t) => `${t.name} (${percent(t.relaxedCount, t.iterations)})`).join(', ')}.`,
    );
  }
  if (variants.length > 0) {
    lines.push(broken.length === 0 ? 'No atomics or fenced variant showed a non-SC outcome.' : `BROKEN: non-SC outcomes under ${broken.map((t) => t.id).join(', ')}.`);
  }
  if (asWritten.length > 0 || report.refused.length > 0) lines.push(verdictCounts(asWritten, report.refused));
  return lines.join('\n');
}

/** `23 tests: 15 agree, 6 not observed (x86-TSO forbids it: 5; mapping stronger: 1), 2 unsupported, 0 FAILED`. */
function verdictCounts(results: readonly LitmusResult[], refused: readonly RefusedTest[]): string {
  const count = (kind: string) => results.filter((r) => r.verdict.kind === kind).length;
  const notObserved = results.filter((r) => r.verdict.kind === 'not observed');
  const whys = [...new Set(notObserved.map((r) => r.verdict.why))].map((why) => `${why}: ${notObserved.filter((r) => r.verdict.why === why).map((r) => r.name).join(', ')}`);
  const parts = [`${count('agrees')} agree with herd7`];
  if (count('observed') > 0) parts.push(`${count('observed')} observed with no Result line`);
  parts.push(`${notObserved.length} not observed${whys.length > 0 ? ` (${whys.join('; ')})` : ''}`);
  if (refused.length > 0) parts.push(`${refused.length} not run`);
  parts.push(`${count('FAILED')} FAILED`);
  const total = results.length + refused.length;
  return `${total} test${total === 1 ? '' : 's'}: ${parts.join(', ')}.`;
}

/** One row per test run or refused: what a run over a directory ends with. */
export function formatTable(report: LitmusReport): string {
  const rows: string[][] = [
    ...report.tests.map((t) => [
      t.id,
      String(t.threads),
      t.variant === 'as-written' ? (t.expected ?? '-') : 'SC',
      `${t.positive.toLocaleString('en-US')} (${percent(t.positive, t.iterations)})`,
      t.verdict.kind === 'not observed' ? `not observed: ${t.verdict.why}` : t.verdict.kind,
    ]),
    ...report.refused.map((r) => [r.name, '-', r.expected ?? '-', '-', r.message]),
  ];
  return textTable(['test', 'threads', 'expected', 'observed', 'verdict'], rows, { align: ['left', 'right', 'left', 'right'], rule: true, freeLastColumn: true });
}

/** How each kernel primitive runs in JavaScript, as a Markdown table. */
export function formatMappingTable(): string {
  return markdownTable(
    ['LKMM', 'JavaScript', 'why it is sound', "on x86-64, against the kernel's x86 code"],
    MAPPING_TABLE.map((row) => [row.primitives.map((p) => `\`${p}\``).join(', '), row.js, row.why, row.vsKernelX86]),
  );
}

export function percent(count: number, total: number): string {
  const p = (100 * count) / total;
  return `${p >= 10 ? p.toFixed(1) : p >= 0.01 || p === 0 ? p.toFixed(2) : p.toPrecision(1)}%`;
}
