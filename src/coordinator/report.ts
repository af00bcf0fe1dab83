// The report: the host and how oversubscribed it is, one table row per strategy, a closing
// comparison in the seed's terms, and the same facts as JSON.

import os from 'node:os';
import type { MunmapConfig } from './options.ts';
import type { StrategyRun } from './run-strategy.ts';
import { formatSize } from './sizes.ts';

export interface HostInfo {
  readonly cores: number;
  readonly arch: string;
  readonly node: string;
  readonly cpuModel: string;
}

export function hostInfo(): HostInfo {
  return { cores: os.availableParallelism(), arch: process.arch, node: process.version, cpuModel: os.cpus()[0]?.model ?? 'unknown' };
}

export interface MunmapReport {
  readonly host: HostInfo;
  readonly config: {
    readonly cpus: number;
    readonly memoryBytes: number;
    readonly thpBytes: number;
    readonly pmds: number;
    readonly seed: number;
    readonly holdUs: number;
    readonly walkRate: number;
    readonly busy: number;
    readonly warmupMs: number;
    /** Emulated CPUs per host core. */
    readonly oversubscription: number;
  };
  readonly runs: readonly StrategyRun[];
}

export function buildReport(config: MunmapConfig, runs: readonly StrategyRun[], host = hostInfo()): MunmapReport {
  return {
    host,
    config: {
      cpus: config.cpus,
      memoryBytes: config.memoryBytes,
      thpBytes: config.thpBytes,
      pmds: config.hugePages,
      seed: config.seed,
      ...config.workload,
      warmupMs: config.warmupMs,
      oversubscription: config.cpus / host.cores,
    },
    runs,
  };
}

export function formatHeader(report: MunmapReport): string {
  const { host, config } = report;
  const factor = config.oversubscription;
  const share =
    factor > 1
      ? `${factor.toFixed(1)}x oversubscribed: a CPU's thread is often not on a core, and an IPI to it waits for the host scheduler`
      : 'one host core or more per emulated CPU';
  return [
    `host: ${host.cores} cores ${host.arch} (${host.cpuModel}), Node ${host.node}`,
    `machine: ${config.cpus} emulated CPUs (CPU 0 unmaps, ${config.cpus - 1} walk) on ${host.cores} host cores, ${share}`,
    `memory: ${formatSize(config.memoryBytes)} of ${formatSize(config.thpBytes)} THPs = ${config.pmds} PMDs; ` +
      `walkers busy ${Math.round(config.busy * 100)}% of the time, ${config.holdUs} us per walk with IRQs off, seed ${config.seed}`,
  ].join('\n');
}

const COLUMNS: readonly { readonly title: string; readonly cell: (run: StrategyRun) => string }[] = [
  { title: 'strategy', cell: (r) => r.strategy + (r.safe ? '' : ' (unsafe)') },
  { title: 'PMDs', cell: (r) => `${r.pmdsUnmapped}/${r.pmds}` },
  { title: 'munmap ms', cell: (r) => fixed(r.munmapMs) },
  { title: 'us/PMD', cell: (r) => fixed((r.munmapMs * 1000) / Math.max(1, r.pmdsUnmapped)) },
  { title: 'IPIs sent', cell: (r) => `${r.ipis.sent}` },
  { title: 'acked', cell: (r) => `${r.ipis.acked}` },
  { title: 'skipped', cell: (r) => `${r.ipis.skipped}` },
  { title: 'serialize us p50/p99/max', cell: (r) => `${fixed(r.serializeUs.p50)}/${fixed(r.serializeUs.p99)}/${fixed(r.serializeUs.max)}` },
  { title: 'walks/s', cell: (r) => Math.round(r.walks.perSecond).toLocaleString('en-US') },
  { title: 'use-after-free', cell: (r) => `${r.violations.useAfterFree}` },
  { title: 'invariants', cell: (r) => (r.brokenInvariants.length === 0 ? 'held' : 'BROKEN') },
];

export function formatTable(runs: readonly StrategyRun[]): string {
  const rows = [COLUMNS.map((c) => c.title), ...runs.map((run) => COLUMNS.map((c) => c.cell(run)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: readonly string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** What went wrong, one line each, and the seed-style comparison of the fastest and slowest. */
export function formatFindings(runs: readonly StrategyRun[]): string {
  const lines: string[] = [];
  for (const run of runs) {
    for (const broken of run.brokenInvariants) lines.push(`${run.strategy}: INVARIANT BROKEN: ${broken}`);
    for (const v of run.violations.first) {
      lines.push(
        `${run.strategy}: use-after-free on CPU ${v.cpu}: frame ${v.frame} (huge page ${v.hpn}) ` +
          (v.freeOnArrival ? 'was already free when the walker reached it' : `freed while in use (generation ${v.generationSeen} -> ${v.generationNow})`),
      );
    }
  }
  const safe = runs.filter((r) => r.safe && r.pmdsUnmapped > 0);
  if (safe.length >= 2) {
    const slowest = safe.reduce((a, b) => (b.munmapMs > a.munmapMs ? b : a));
    const fastest = safe.reduce((a, b) => (b.munmapMs < a.munmapMs ? b : a));
    if (slowest !== fastest) {
      lines.push(
        `munmap of ${slowest.pmds} PMDs: ${slowest.strategy} ${seconds(slowest.munmapMs)} with ${slowest.ipis.sent} IPIs, ` +
          `${fastest.strategy} ${seconds(fastest.munmapMs)} with ${fastest.ipis.sent} IPIs: ` +
          `${(slowest.munmapMs / Math.max(fastest.munmapMs, 1e-3)).toFixed(0)}x faster`,
      );
    }
  }
  return lines.join('\n');
}

function fixed(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${fixed(ms)} ms`;
}
