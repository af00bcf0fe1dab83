// A grid of runs around the seed's scenario: CPUs x memory sizes x walker mixes x strategies,
// each cell run exactly as stress/munmap.ts runs it. Writes the JSON of every cell, a Markdown
// table, and SVG plots: munmap time and IPIs against CPUs, and walker throughput against CPUs.
//   npx tsx stress/sweep.ts [--cpus 2,4,8,16,32,64,128] [--strategy ...] [--out sweep-out]

import { decimal, integer, size } from '../src/base/value-types.ts';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../src/base/atomic-write.ts';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { flag, nameList, option } from '../src/base/option-table.ts';
import { formatSize } from '../src/base/sizes.ts';
import { markdownTable } from '../src/base/text-table.ts';
import { RUN_OPTIONS } from '../src/cli/run-options.ts';
import { runSpec } from '../src/coordinator/run-spec.ts';
import { walkersAloneSpec, type RunSpec } from '../src/spec/run-spec.ts';
import { runStrategy } from '../src/coordinator/runs.ts';
import { compareWalkersAlone } from '../src/coordinator/walkers-alone.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import { Session } from '../src/coordinator/session.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { MAX_CPUS } from '../src/shared-memory/mm.ts';
import { STRATEGY_NAMES } from '../src/strategies/index.ts';

const list = <T>(each: (text: string, flag: string) => T) => (text: string, flag: string) => text.split(',').map((part) => each(part.trim(), flag));

const OPTIONS = {
  cpus: option({ value: 'LIST', default: '2,4,8,16,32,64,128', help: 'CPU counts', parse: list(integer(2, MAX_CPUS)) }),
  memory: option({ value: 'LIST', default: '1G', help: 'THP memory sizes', parse: list(size) }),
  workload: option({
    value: 'LIST',
    default: 'qemu-guest',
    help: "walker mixes, ';'-separated (each as --workload takes it)",
    parse: (t: string, flag: string) => t.split(';').map((text) => ({ text, mix: RUN_OPTIONS.workload.parse(text, flag) })),
  }),
  strategy: option({ value: 'LIST', default: 'ipi-broadcast,counter,percpu,stale-tolerant', help: `strategies, or all: ${STRATEGY_NAMES.join(', ')}`, parse: nameList(STRATEGY_NAMES, 'strategy') }),
  budget: option({ value: 'S', default: '5', help: 'per cell: stop after S seconds and estimate the rest', parse: decimal(0.01, 3600) }),
  'walkers-ms': option({ value: 'MS', default: '1000', help: 'per CPU count, strategy and round: how long walkers run alone (the first half warms up, the second is measured)', parse: decimal(20, 60_000) }),
  'walkers-rounds': option({ value: 'N', default: '2', help: 'rounds of walkers-alone cells per CPU count, each taking every strategy in turn', parse: integer(1, 100) }),
  out: option({ value: 'DIR', default: 'sweep-out', help: 'where to write sweep.json, sweep.md and the plots', parse: (t: string) => t }),
  quiet: flag('no progress bar (the bar shows only on a terminal, and has no colour, so NO_COLOR holds)'),
};

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

export const sweep = defineCommand({
  name: 'sweep',
  invocation: 'npx tsx stress/sweep.ts',
  about: 'Runs a grid of munmap runs and writes JSON, a Markdown table and SVG plots.',
  options: OPTIONS,
  outputs: { out: 'dir' },
  async run(o) {
    checkCpusFitMemory(Math.max(...o.cpus));
    const session = new Session('sweep', { onInterrupt: 'stopping; the cells so far are written', showStartUp: false });
    const cellSpec = (cpus: number, memoryBytes: number, workload: (typeof o.workload)[number], strategy?: string): RunSpec =>
      runSpec({ machine: { cpus, memoryBytes }, workload: { mix: workload.mix }, budgetMs: o.budget * 1000, strategy });
    const cellsPerCpu = o.memory.length * o.workload.length * o.strategy.length + o.strategy.length;
    const bar = process.stderr.isTTY && !o.quiet ? new SingleBar({ format: 'sweep [{bar}] {value}/{total} cells, {eta_formatted} left | {cell}', stream: process.stderr, hideCursor: true }) : undefined;
    bar?.start(o.cpus.length * cellsPerCpu, 0, { cell: 'starting' });

    const cells: SweepCell[] = [];
    const walkers: WalkerCell[] = [];
    for (const cpus of o.cpus) {
      await session.withCpus(cellSpec(cpus, Math.max(...o.memory), o.workload[0]), { strategies: o.strategy, operation: true }, async (pool) => {
        for (const memory of o.memory) {
          for (const workload of o.workload) {
            for (const [i, strategy] of o.strategy.entries()) {
              if (session.interrupted) return;
              bar?.update({ cell: `${cpus} CPUs, ${formatSize(memory)}, ${workload.text}, ${strategy}` });
              const run = await runStrategy(pool, cellSpec(cpus, memory, workload, strategy), i);
              cells.push({
                cpus,
                memory: formatSize(memory),
                workload: workload.text,
                strategy,
                opMs: run.opMs,
                estimated: run.estimated,
                pmds: run.pmds,
                pmdsDone: run.pmdsDone,
                ipisSent: run.estimated ? Math.round((run.ipis.sent * run.pmds) / Math.max(1, run.pmdsDone)) : run.ipis.sent,
                useAfterFree: run.violations.useAfterFree,
                invariantsHeld: run.brokenInvariants.length === 0,
              });
              bar?.increment();
            }
          }
        }
        if (session.interrupted) return;
        bar?.update({ cell: `${cpus} CPUs, walkers alone` });
        // As stress/walkers.ts measures it: the shortest walks, back to back, the strategies in turn.
        const alone = walkersAloneSpec(cpus, 'find-pte', 0, Math.min(...o.memory));
        const specs = o.strategy.map((strategy) => ({ ...alone, strategy: strategy }));
        for (const run of await compareWalkersAlone([{ pool, specs }], o['walkers-ms'], o['walkers-rounds'], () => session.interrupted)) {
          walkers.push({ cpus, strategy: run.strategy, walksPerSecond: run.walksPerSecond, spread: run.spread });
        }
        bar?.increment(o.strategy.length);
      });
    }
    bar?.stop();

    mkdirSync(o.out, { recursive: true });
    const { host } = session;
    const config = { ...o, memory: o.memory.map(formatSize), workload: o.workload.map((w) => w.text) };
    writeFileAtomic(join(o.out, 'sweep.json'), JSON.stringify({ host, config, startUps: session.startUps, cells, walkers }, null, 2) + '\n');
    writeFileAtomic(join(o.out, 'sweep.md'), markdown(cells, walkers, o.cpus, host.cores));
    const first = cells.filter((c) => c.memory === formatSize(o.memory[0]) && c.workload === o.workload[0].text);
    const plots = {
      'munmap-ms.svg': { title: `munmap of ${formatSize(o.memory[0])} (ms, log scale; hollow points: estimated beyond the ${o.budget} s budget)`, rows: first, y: { field: 'opMs', title: 'munmap ms', log: true }, estimatedWhen: 'estimated' },
      'ipis.svg': { title: `IPIs sent for ${formatSize(o.memory[0])} (log scale)`, rows: first.map((c) => ({ ...c, ipisSent: Math.max(1, c.ipisSent) })), y: { field: 'ipisSent', title: 'IPIs (min 1)', log: true } },
      'walkers.svg': { title: 'lockless walks per second, every CPU walking back to back, nothing unmapped', rows: walkers, y: { field: 'walksPerSecond', title: 'walks/s' } },
    };
    // vega and vega-lite load only when there is something to plot: importing the command (its --help in the docs) does not pay for them.
    const { lineChartSvg } = await import('../src/report/plots.ts');
    for (const [file, plot] of Object.entries(plots)) {
      const svg = await lineChartSvg({ ...plot, rows: plot.rows as unknown as { [field: string]: string | number }[], x: { field: 'cpus', title: 'emulated CPUs', log: true }, series: 'strategy' });
      writeFileAtomic(join(o.out, file), svg);
    }
    session.say(`${session.hostLine}\n\n${markdown(cells, walkers, o.cpus, host.cores)}\nwrote ${['sweep.json', 'sweep.md', ...Object.keys(plots)].map((f) => join(o.out, f)).join(', ')}`);
    return session.finish({ broken: !cells.every((c) => c.invariantsHeld) });
  },
});

function markdown(cells: readonly SweepCell[], walkers: readonly WalkerCell[], cpuCounts: readonly number[], cores: number): string {
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

if (isMain(import.meta.url)) await runCommand(sweep);
