// A grid of runs around the seed's scenario: CPUs x memory sizes x walker mixes x strategies,
// each cell run exactly as stress/munmap.ts runs it. Writes the JSON of every cell, a Markdown
// table, and SVG plots: munmap time and IPIs against CPUs, and walker throughput against CPUs.
//   npx tsx stress/sweep.ts [--cpus 2,4,8,16,32,64,128] [--strategy ...] [--out sweep-out]

import { decimal, integer, size } from '../src/base/value-types.ts';
import { inShard, parseShard, shardStamp } from '../src/base/shard.ts';
import { SingleBar } from 'cli-progress';
import { flag, nameList, option } from '../src/base/option-table.ts';
import { formatSize } from '../src/base/sizes.ts';
import { RUN_OPTIONS } from '../src/cli/run-options.ts';
import { runSpec } from '../src/coordinator/run-spec.ts';
import { DEFAULT_RUN, walkersAloneSpec, type RunSpec } from '../src/spec/run-spec.ts';
import { runStrategy } from '../src/coordinator/runs.ts';
import { compareWalkersAlone } from '../src/coordinator/walkers-alone.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import { Session } from '../src/coordinator/session.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { onArch } from '../src/cli/answers-on-arch.ts';
import { MAX_CPUS } from '../src/shared-memory/mm.ts';
import { STRATEGY_NAMES } from '../src/strategies/index.ts';
import { sweepMarkdown, writeSweepReport, type SweepCell, type SweepConfig, type SweepReport, type WalkerCell } from '../src/report/sweep-report.ts';

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
  shard: option({ value: 'I/N', default: undefined, help: "run only shard I of N of the sweep's cells (dealt in turn); stress/merge.ts joins the shards' outputs", parse: parseShard }),
  quiet: flag('no progress bar (the bar shows only on a terminal, and has no colour, so NO_COLOR holds)'),
};

export const sweep = defineCommand({
  name: 'sweep',
  invocation: 'npx tsx stress/sweep.ts',
  about: 'Runs a grid of munmap runs and writes JSON, a Markdown table and SVG plots.',
  options: OPTIONS,
  outputs: { out: 'dir' },
  async run(o, given) {
    const strategies = onArch(o.strategy, given.strategy, DEFAULT_RUN.machine.arch, `the sweep's ${DEFAULT_RUN.machine.arch}`);
    checkCpusFitMemory(Math.max(...o.cpus));
    const session = new Session('sweep', { onInterrupt: 'stopping; the cells so far are written', showStartUp: false });
    const cellSpec = (cpus: number, memoryBytes: number, workload: (typeof o.workload)[number], strategy?: string): RunSpec =>
      runSpec({ machine: { cpus, memoryBytes }, workload: { mix: workload.mix }, budgetMs: o.budget * 1000, strategy });
    const config: SweepConfig = {
      cpus: o.cpus,
      memory: o.memory.map(formatSize),
      workload: o.workload.map((w) => w.text),
      strategy: strategies,
      budget: o.budget,
      'walkers-ms': o['walkers-ms'],
      'walkers-rounds': o['walkers-rounds'],
    };
    // The units of work in their one order: each CPU count's cells, then its walkers-alone cell.
    const units = o.cpus.flatMap((cpus) => [
      ...o.memory.flatMap((memory) => o.workload.flatMap((workload) => strategies.map((strategy, i) => ({ cpus, cell: { memory, workload, strategy, i } })))),
      { cpus, cell: undefined },
    ]);
    const mine = units.filter((_, k) => inShard(o.shard, k));
    const stamp = shardStamp(o.shard, config, units.length);
    if (stamp) session.say(`shard ${stamp.index}/${stamp.count}: ${stamp.units} of the sweep's ${stamp.of} cells (run ${stamp.key})`);
    const bar = process.stderr.isTTY && !o.quiet ? new SingleBar({ format: 'sweep [{bar}] {value}/{total} cells, {eta_formatted} left | {cell}', stream: process.stderr, hideCursor: true }) : undefined;
    bar?.start(mine.length, 0, { cell: 'starting' });

    const cells: SweepCell[] = [];
    const walkers: WalkerCell[] = [];
    for (const cpus of o.cpus) {
      const here = mine.filter((u) => u.cpus === cpus);
      if (here.length === 0) continue;
      await session.withCpus(cellSpec(cpus, Math.max(...o.memory), o.workload[0]), { strategies: strategies, operation: true }, async (pool) => {
        for (const { cell } of here) {
          if (session.interrupted) return;
          if (cell === undefined) {
            bar?.update({ cell: `${cpus} CPUs, walkers alone` });
            // As stress/walkers.ts measures it: the shortest walks, back to back, the strategies in turn.
            const alone = walkersAloneSpec(cpus, 'find-pte', 0, Math.min(...o.memory));
            const specs = strategies.map((strategy) => ({ ...alone, strategy: strategy }));
            for (const run of await compareWalkersAlone([{ pool, specs }], o['walkers-ms'], o['walkers-rounds'], () => session.interrupted)) {
              walkers.push({ cpus, strategy: run.strategy, walksPerSecond: run.walksPerSecond, spread: run.spread });
            }
          } else {
            const { memory, workload, strategy, i } = cell;
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
          }
          bar?.increment();
        }
      });
    }
    bar?.stop();

    const { host } = session;
    const report: SweepReport = { host, config, ...(stamp ? { shard: stamp } : {}), startUps: session.startUps, cells, walkers };
    const files = await writeSweepReport(o.out, report);
    session.say(`${session.hostLine}\n\n${sweepMarkdown(report)}\nwrote ${files.join(', ')}`);
    return session.finish({ broken: !cells.every((c) => c.invariantsHeld) });
  },
});

if (isMain(import.meta.url)) await runCommand(sweep);
