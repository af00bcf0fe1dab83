// A sweep's report: its JSON (every cell), the Markdown table and the SVG plots, from the cells
// alone, so that a sweep run whole and one merged from its shards (stress/merge.ts) write the
// same files from the same cells.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/atomic-write.ts';
import type { HostInfo } from '../base/host.ts';
import type { ShardStamp } from '../base/shard.ts';
import { markdownTable } from '../base/text-table.ts';

export interface SweepCell {
  readonly cpus: number;
  readonly memory: string;
  readonly workload: string;
  readonly strategy: string;
  readonly opMs: number;
  readonly estimated: boolean;
  readonly pmds: number;
  readonly pmdsDone: number;
  readonly ipisSent: number;
  readonly useAfterFree: number;
  readonly invariantsHeld: boolean;
}

export interface WalkerCell {
  readonly cpus: number;
  readonly strategy: string;
  /** The median of the cell's measured intervals, and their lowest and highest rates. */
  readonly walksPerSecond: number;
  readonly spread: { readonly min: number; readonly max: number };
}

/** What a sweep's config records: enough to redraw its report, and to tell its shards from another run's. */
export interface SweepConfig {
  readonly cpus: readonly number[];
  readonly memory: readonly string[];
  readonly workload: readonly string[];
  readonly strategy: readonly string[];
  readonly budget: number;
  readonly 'walkers-ms': number;
  readonly 'walkers-rounds': number;
}

/** sweep.json. */
export interface SweepReport {
  readonly host: HostInfo;
  readonly config: SweepConfig;
  /** Present when this is one shard of a sweep. */
  readonly shard?: ShardStamp;
  readonly startUps: readonly unknown[];
  readonly cells: readonly SweepCell[];
  readonly walkers: readonly WalkerCell[];
}

/** The report's table, as sweep.md holds it. */
export const sweepMarkdown = (report: SweepReport): string => markdownOf(report.cells, report.walkers, report.config.cpus, report.host.cores);

/** Write sweep.json, sweep.md and the plots to `out`; returns the files written. */
export async function writeSweepReport(out: string, report: SweepReport): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, 'sweep.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(out, 'sweep.md'), sweepMarkdown(report));
  const { config, cells, walkers } = report;
  const [memory, workload] = [config.memory[0], config.workload[0]];
  const first = cells.filter((c) => c.memory === memory && c.workload === workload);
  const plots = {
    'munmap-ms.svg': { title: `munmap of ${memory} (ms, log scale; hollow points: estimated beyond the ${config.budget} s budget)`, rows: first, y: { field: 'opMs', title: 'munmap ms', log: true }, estimatedWhen: 'estimated' },
    'ipis.svg': { title: `IPIs sent for ${memory} (log scale)`, rows: first.map((c) => ({ ...c, ipisSent: Math.max(1, c.ipisSent) })), y: { field: 'ipisSent', title: 'IPIs (min 1)', log: true } },
    'walkers.svg': { title: 'lockless walks per second, every CPU walking back to back, nothing unmapped', rows: walkers, y: { field: 'walksPerSecond', title: 'walks/s' } },
  };
  // vega and vega-lite load only when there is something to plot: importing the command (its --help in the docs) does not pay for them.
  const { lineChartSvg } = await import('./plots.ts');
  for (const [file, plot] of Object.entries(plots)) {
    const svg = await lineChartSvg({ ...plot, rows: plot.rows as unknown as { [field: string]: string | number }[], x: { field: 'cpus', title: 'emulated CPUs', log: true }, series: 'strategy' });
    writeFileAtomic(join(out, file), svg);
  }
  return ['sweep.json', 'sweep.md', ...Object.keys(plots)].map((f) => join(out, f));
}

function markdownOf(cells: readonly SweepCell[], walkers: readonly WalkerCell[], cpuCounts: readonly number[], cores: number): string {
  const head = ['strategy', 'memory', 'workload', ...cpuCounts.map((c) => `${c} CPUs${c > cores ? ` (${(c / cores).toFixed(0)}x over)` : ''}`)];
  const keys = [...new Set(cells.map((c) => `${c.strategy}|${c.memory}|${c.workload}`))];
  const ms = (c: SweepCell | undefined) => (c ? `${c.estimated ? '~' : ''}${c.opMs >= 100 ? c.opMs.toFixed(0) : c.opMs.toFixed(2)} ms${c.invariantsHeld ? '' : ' BROKEN'}` : '-');
  const rows = keys.map((key) => {
    const [strategy, memory, workload] = key.split('|');
    return [strategy, memory, workload, ...cpuCounts.map((cpus) => ms(cells.find((c) => c.cpus === cpus && `${c.strategy}|${c.memory}|${c.workload}` === key)))];
  });
  const walkerRows = [...new Set(walkers.map((w) => w.strategy))].map((strategy) => [
    strategy,
    ...cpuCounts.map((cpus) => {
      const w = walkers.find((x) => x.cpus === cpus && x.strategy === strategy);
      return w ? `${(w.walksPerSecond / 1e6).toFixed(2)}M` : '-';
    }),
  ]);
  return (
    `munmap time ('~' = estimated beyond the budget):\n\n${markdownTable(head, rows)}\n\n` +
    `walks per second, walkers alone:\n\n${markdownTable(['strategy', ...head.slice(3)], walkerRows)}\n`
  );
}
