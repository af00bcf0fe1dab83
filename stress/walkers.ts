// The walkers' side of the bill: lockless-walk throughput alone, no munmap, as CPUs are added,
// so that the cost of one shared counter against per-CPU counters shows.
//   npx tsx stress/walkers.ts [--cpus 1,2,4,8] [--strategy none,counter,percpu] [--json -]

import { writeFileSync } from 'node:fs';
import { decimal, formatOptions, integer, nameList, oneOf, option, parseOptions, readOptions, runCommand } from '../src/cli/option-table.ts';
import { CpuPool } from '../src/coordinator/cpu-pool.ts';
import { hostInfo } from '../src/coordinator/report.ts';
import { createMachine, runWalkersOnly, walkersAloneConfig, warmUpJit, type WalkersOnlyRun } from '../src/coordinator/run-strategy.ts';
import { WALKER_KIND_NAMES } from '../src/cpu-worker/walker-kinds.ts';
import { MAX_CPUS } from '../src/shared-memory/mm.ts';
import { STRATEGY_NAMES } from '../src/strategies/index.ts';

const COMMAND = 'npx tsx stress/walkers.ts';

const cpuList = (text: string, flag: string) => text.split(',').map((n) => integer(1, MAX_CPUS)(n, flag));

const OPTIONS = {
  cpus: option({ value: 'LIST', default: '1,2,4,8', help: 'CPU counts to measure, all of them walking', parse: cpuList }),
  strategy: option({ value: 'LIST', default: 'none,counter,percpu,rcu-free', help: `strategies, or all: ${STRATEGY_NAMES.join(', ')}`, parse: nameList(STRATEGY_NAMES, 'strategy') }),
  kind: option({ value: 'KIND', default: 'find-pte', help: `walker kind: ${WALKER_KIND_NAMES.join(', ')}`, parse: oneOf(WALKER_KIND_NAMES, 'walker kind') }),
  'hold-us': option({ value: 'US', default: '0', help: 'microseconds each walk holds its page (short walks show counter costs)', parse: decimal(0, 1e6) }),
  'duration-ms': option({ value: 'MS', default: '400', help: 'how long each cell runs; its second half is measured', parse: decimal(20, 600_000) }),
  json: option({ value: 'FILE', default: undefined, help: "also write the results as JSON to FILE ('-' for stdout)", parse: (text: string): string | undefined => text }),
};

async function main(argv: readonly string[]): Promise<number> {
  const { given, help } = readOptions(argv, OPTIONS);
  if (help) {
    process.stdout.write(`usage: ${COMMAND} [options]\n\nMeasures lockless-walk throughput with every CPU walking and nothing unmapped.\n\n${formatOptions(OPTIONS)}\n`);
    return 0;
  }
  const o = parseOptions(OPTIONS, given);
  const say = (line: string) => (o.json === '-' ? process.stderr : process.stdout).write(line + '\n');
  const host = hostInfo();
  say(`host: ${host.cores} cores ${host.arch} (${host.cpuModel}), Node ${host.node}`);
  say(`walkers: ${o.kind}, ${o['hold-us']} us hold, busy 100%, ${o['duration-ms']} ms per cell (second half measured)\n`);

  const results: WalkersOnlyRun[] = [];
  for (const cpus of o.cpus) {
    const config = walkersAloneConfig(cpus, o.kind, o['hold-us']);
    const pool = await CpuPool.start(createMachine(config));
    try {
      await warmUpJit(pool, config);
      for (const [i, strategy] of o.strategy.entries()) results.push(await runWalkersOnly(pool, config, strategy, i, o['duration-ms']));
    } finally {
      await pool.close();
    }
  }

  say(formatScaling(results, o.cpus, o.strategy, host.cores));
  if (o.json) {
    const json = JSON.stringify({ host, config: { kind: o.kind, holdUs: o['hold-us'], durationMs: o['duration-ms'] }, results }, null, 2) + '\n';
    if (o.json === '-') process.stdout.write(json);
    else writeFileSync(o.json, json);
  }
  return 0;
}

/** Rows: strategies; columns: CPU counts; cells: walks/s, and the ratio to none's at that count. */
function formatScaling(results: readonly WalkersOnlyRun[], cpuCounts: readonly number[], strategies: readonly string[], cores: number): string {
  const cell = (strategy: string, cpus: number) => {
    const run = results.find((r) => r.strategy === strategy && r.cpus === cpus)!;
    const none = results.find((r) => r.strategy === 'none' && r.cpus === cpus);
    const ratio = none && strategy !== 'none' ? ` (${(run.walksPerSecond / none.walksPerSecond).toFixed(2)}x)` : '';
    return `${(run.walksPerSecond / 1e6).toFixed(2)}M${ratio}`;
  };
  const header = ['walks/s', ...cpuCounts.map((c) => `${c} CPU${c > 1 ? 's' : ''}${c > cores ? ` (${(c / cores).toFixed(0)}x over)` : ''}`)];
  const rows = [header, ...strategies.map((s) => [s, ...cpuCounts.map((c) => cell(s, c))])];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

await runCommand('walkers', COMMAND, main);
