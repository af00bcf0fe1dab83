// The walkers' side of the bill: lockless-walk throughput alone, no munmap, as CPUs are added,
// so that the cost of one shared counter against per-CPU counters shows.
//   npx tsx stress/walkers.ts [--cpus 1,2,4,8] [--strategy none,counter,percpu] [--json -]

import { nameList, option } from '../src/base/option-table.ts';
import { decimal, integer, oneOf, quote } from '../src/base/value-types.ts';
import { UsageError } from '../src/base/usage-error.ts';
import { ARCHS, archSpec } from '../src/kernel/archs.ts';
import { WALKER_KIND_NAMES, walkerKind } from '../src/kernel/walker-kinds.ts';
import { walkersAloneSpec } from '../src/spec/run-spec.ts';
import { WALKER_INTERVALS } from '../src/coordinator/runs.ts';
import { compareWalkersAlone, type WalkersAloneResult } from '../src/coordinator/walkers-alone.ts';
import { Session } from '../src/coordinator/session.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import { MAX_CPUS } from '../src/shared-memory/mm.ts';
import { STRATEGY_NAMES } from '../src/strategies/index.ts';
import { onArch } from '../src/cli/answers-on-arch.ts';
import type { MedianRange } from '../src/base/statistics.ts';
import { textTable } from '../src/base/text-table.ts';

/** CPU counts, each named once: every count gets a pool of its own for the whole run. */
const cpuList = (text: string, flag: string) => {
  const counts = text.split(',').map((n) => integer(1, MAX_CPUS)(n.trim(), flag));
  const twice = counts.find((count, i) => counts.indexOf(count) !== i);
  if (twice !== undefined) throw new UsageError(`${flag} names ${twice} twice, in ${quote(text)}`);
  return counts;
};

const OPTIONS = {
  cpus: option({ value: 'LIST', default: '1,2,4,8', help: 'CPU counts to measure, all of them walking', parse: cpuList }),
  strategy: option({ value: 'LIST', default: 'none,counter,percpu,stale-tolerant', help: `strategies, or all: ${STRATEGY_NAMES.join(', ')}`, parse: nameList(STRATEGY_NAMES, 'strategy') }),
  arch: option({ value: 'ARCH', default: 'ppc64le-radix', help: `the kernel's architecture: ${ARCHS.join(', ')}`, parse: oneOf(ARCHS, 'architecture') }),
  kind: option({ value: 'KIND', default: undefined, defaultNote: "find-pte; gup-fast on x86", help: `walker kind: ${WALKER_KIND_NAMES.join(', ')}`, parse: oneOf(WALKER_KIND_NAMES, 'walker kind') }),
  'hold-us': option({ value: 'US', default: '0', help: 'microseconds each walk holds its page (short walks show counter costs)', parse: decimal(0, 1e6) }),
  'duration-ms': option({ value: 'MS', default: '600', help: 'how long each cell runs; its first half warms up, its second is measured', parse: decimal(20, 600_000) }),
  rounds: option({ value: 'N', default: '5', help: 'rounds of cells, each taking every CPU count and strategy in turn (in another order each round)', parse: integer(1, 100) }),
  json: option({ value: 'FILE', default: undefined, help: "also write the results as JSON to FILE ('-' for stdout)", parse: (text: string): string | undefined => text }),
};

export const walkers = defineCommand({
  name: 'walkers',
  invocation: 'npx tsx stress/walkers.ts',
  about: 'Measures lockless-walk throughput with every CPU walking and nothing unmapped.',
  options: OPTIONS,
  outputs: { json: 'file' },
  async run(o, given) {
    // Every CPU count's threads live at once (the others asleep while one walks), so that the
    // rounds can take the CPU counts in turn.
    const kind = o.kind ?? (archSpec(o.arch).walkers === 'powerpc' ? 'find-pte' : 'gup-fast');
    if (archSpec(o.arch).walkers !== 'powerpc' && walkerKind(kind).arch !== 'any') throw new UsageError(`--kind ${kind} is a powerpc walker, not of --arch ${o.arch}`);
    const strategies = onArch(o.strategy, given.strategy, o.arch);
    checkCpusFitMemory(o.cpus.reduce((sum, cpus) => sum + cpus, 0));
    const session = new Session('walkers', { json: o.json });
    session.say(session.hostLine);
    session.say(
      `walkers: ${kind} on ${o.arch}, ${o['hold-us']} us hold, busy 100%; ${o.rounds} round(s) of a ${o['duration-ms']} ms cell for each CPU count and strategy, all of them in turn. ` +
        `walks/s: the median of the ${o.rounds * WALKER_INTERVALS} intervals of the cells' second halves, ± half their range; (x): the median of the rounds' ratios, ± half their range\n`,
    );

    const results: WalkersAloneResult[] = [];
    const specs = o.cpus.map((cpus) => walkersAloneSpec(cpus, kind, o['hold-us'], undefined, o.arch));
    await session.withCpusEach(specs, { strategies, operation: false }, async (pools) => {
      const machines = pools.map((pool, m) => ({ pool, specs: strategies.map((strategy) => ({ ...specs[m], strategy })) }));
      results.push(...(await compareWalkersAlone(machines, o['duration-ms'], o.rounds, () => session.interrupted)));
    });

    session.say(formatScaling(results, o.cpus, strategies, session.host.cores));
    session.writeJson({ host: session.host, config: { arch: o.arch, kind, holdUs: o['hold-us'], durationMs: o['duration-ms'], rounds: o.rounds }, startUps: session.startUps, results });
    return session.finish({ broken: false });
  },
});

/**
 * Rows: strategies; columns: CPU counts; cells: walks/s and the ratio to none's at that count;
 * then, with more than one count, each cell's ratio to the same strategy's at the fewest CPUs.
 */
function formatScaling(results: readonly WalkersAloneResult[], cpuCounts: readonly number[], strategies: readonly string[], cores: number): string {
  // A median, and half the range around it as a share of it.
  const halfRange = (median: number, { min, max }: { readonly min: number; readonly max: number }) => `±${(((max - min) / 2 / median) * 100).toFixed(0)}%`;
  const ratio = (r: MedianRange) => `${r.median.toFixed(2)}x ${halfRange(r.median, r)}`;
  const find = (strategy: string, cpus: number) => results.find((r) => r.strategy === strategy && r.cpus === cpus);
  const fewest = Math.min(...cpuCounts);
  const cpusLabel = (c: number) => `${c} CPU${c > 1 ? 's' : ''}`;
  const header = cpuCounts.map((c) => `${cpusLabel(c)}${c > cores ? ` (${(c / cores).toFixed(0)}x over)` : ''}`);
  // '-': interrupted before that cell
  const walksCell = (s: string, c: number) => {
    const run = find(s, c);
    return run ? `${(run.walksPerSecond / 1e6).toFixed(2)}M ${halfRange(run.walksPerSecond, run.spread)}${run.vsFloor ? ` (${ratio(run.vsFloor)})` : ''}` : '-';
  };
  const scalingCell = (s: string, c: number) => {
    const vs = find(s, c)?.vsFewestCpus;
    return c === fewest ? '1' : vs ? ratio(vs) : '-';
  };
  const walks = textTable(['walks/s', ...header], strategies.map((s) => [s, ...cpuCounts.map((c) => walksCell(s, c))]));
  if (cpuCounts.length < 2) return walks;
  return `${walks}\n\n${textTable([`vs ${cpusLabel(fewest)}`, ...header], strategies.map((s) => [s, ...cpuCounts.map((c) => scalingCell(s, c))]))}`;
}

if (isMain(import.meta.url)) await runCommand(walkers);
