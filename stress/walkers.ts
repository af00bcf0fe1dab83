// The walkers' side of the bill: lockless-walk throughput alone, no munmap, as CPUs are added,
// so that the cost of one shared counter against per-CPU counters shows.
//   npx tsx stress/walkers.ts [--cpus 1,2,4,8] [--strategy none,counter,percpu] [--json -]

import { decimal, formatOptions, integer, nameList, oneOf, option, parseOptions, readOptions } from '../src/cli/option-table.ts';
import { WALKER_KIND_NAMES } from '../src/kernel/walker-kinds.ts';
import { walkersAloneSpec } from '../src/coordinator/run-spec.ts';
import { WALKER_INTERVALS, runWalkersOnly, type WalkersOnlyRun } from '../src/coordinator/runs.ts';
import { Session, runCommand } from '../src/coordinator/session.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import { MAX_CPUS } from '../src/shared-memory/mm.ts';
import { FLOOR, STRATEGY_NAMES, strategyByName } from '../src/strategies/index.ts';

const COMMAND = 'npx tsx stress/walkers.ts';

const cpuList = (text: string, flag: string) => text.split(',').map((n) => integer(1, MAX_CPUS)(n, flag));

const OPTIONS = {
  cpus: option({ value: 'LIST', default: '1,2,4,8', help: 'CPU counts to measure, all of them walking', parse: cpuList }),
  strategy: option({ value: 'LIST', default: 'none,counter,percpu,stale-tolerant', help: `strategies, or all: ${STRATEGY_NAMES.join(', ')}`, parse: nameList(STRATEGY_NAMES, 'strategy') }),
  kind: option({ value: 'KIND', default: 'find-pte', help: `walker kind: ${WALKER_KIND_NAMES.join(', ')}`, parse: oneOf(WALKER_KIND_NAMES, 'walker kind') }),
  'hold-us': option({ value: 'US', default: '0', help: 'microseconds each walk holds its page (short walks show counter costs)', parse: decimal(0, 1e6) }),
  'duration-ms': option({ value: 'MS', default: '2000', help: 'how long each cell runs; its first half warms up, its second is measured', parse: decimal(20, 600_000) }),
  json: option({ value: 'FILE', default: undefined, help: "also write the results as JSON to FILE ('-' for stdout)", parse: (text: string): string | undefined => text }),
};

async function main(argv: readonly string[]): Promise<number> {
  const { given, help } = readOptions(argv, OPTIONS);
  if (help) {
    process.stdout.write(`usage: ${COMMAND} [options]\n\nMeasures lockless-walk throughput with every CPU walking and nothing unmapped.\n\n${formatOptions(OPTIONS)}\n`);
    return 0;
  }
  const o = parseOptions(OPTIONS, given);
  checkCpusFitMemory(Math.max(...o.cpus));
  const session = new Session('walkers', { json: o.json });
  session.say(session.hostLine);
  session.say(`walkers: ${o.kind}, ${o['hold-us']} us hold, busy 100%, ${o['duration-ms']} ms per cell: the median of ${WALKER_INTERVALS} intervals of its second half, ± half their range\n`);

  const results: WalkersOnlyRun[] = [];
  for (const cpus of o.cpus) {
    const spec = walkersAloneSpec(cpus, o.kind, o['hold-us']);
    await session.withCpus(spec, { strategies: o.strategy.map(strategyByName), operation: false }, async (pool) => {
      for (const [i, strategy] of o.strategy.entries()) {
        if (!session.interrupted) results.push(await runWalkersOnly(pool, { ...spec, strategy: strategyByName(strategy) }, i, o['duration-ms']));
      }
    });
  }

  session.say(formatScaling(results, o.cpus, o.strategy, session.host.cores));
  session.writeJson({ host: session.host, config: { kind: o.kind, holdUs: o['hold-us'], durationMs: o['duration-ms'] }, results });
  return session.finish({ broken: false });
}

/** Rows: strategies; columns: CPU counts; cells: walks/s, and the ratio to none's at that count. */
function formatScaling(results: readonly WalkersOnlyRun[], cpuCounts: readonly number[], strategies: readonly string[], cores: number): string {
  const cell = (strategy: string, cpus: number) => {
    const run = results.find((r) => r.strategy === strategy && r.cpus === cpus);
    if (!run) return '-'; // interrupted before it
    const none = results.find((r) => r.strategy === FLOOR.name && r.cpus === cpus);
    const ratio = none && strategy !== FLOOR.name ? ` (${(run.walksPerSecond / none.walksPerSecond).toFixed(2)}x)` : '';
    // The median interval, and half the range of the intervals as a share of it.
    const spread = (run.spread.max - run.spread.min) / 2 / run.walksPerSecond;
    return `${(run.walksPerSecond / 1e6).toFixed(2)}M ±${(spread * 100).toFixed(0)}%${ratio}`;
  };
  const header = ['walks/s', ...cpuCounts.map((c) => `${c} CPU${c > 1 ? 's' : ''}${c > cores ? ` (${(c / cores).toFixed(0)}x over)` : ''}`)];
  const rows = [header, ...strategies.map((s) => [s, ...cpuCounts.map((c) => cell(s, c))])];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

await runCommand('walkers', COMMAND, main);
