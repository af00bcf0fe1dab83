// Soak: map, walk, unmap / split / collapse, over and over, under every safe strategy in turn,
// with frames and page-table pages reused, every invariant checked after every cycle. Ends
// with a verdict line in rcutorture's style and the totals.
//   npx tsx stress/soak.ts --duration 1h [--include-racy] [--json FILE]

import { integer, quote, size } from '../src/base/value-types.ts';
import { option } from '../src/base/option-table.ts';
import { inShard, parseShard, shardStamp } from '../src/base/shard.ts';
import type { SoakTotals as Totals } from '../src/report/soak-totals.ts';
import { UsageError } from '../src/base/usage-error.ts';
import { formatSize } from '../src/base/sizes.ts';
import type { PmdOp } from '../src/kernel/pmd-ops.ts';
import { runSpec } from '../src/coordinator/run-spec.ts';
import { DEFAULT_RUN, type RunSpecOverrides } from '../src/spec/run-spec.ts';
import { runStrategy, type StrategyRun } from '../src/coordinator/runs.ts';
import { Session } from '../src/coordinator/session.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { TraceRecorder } from '../src/coordinator/trace-recorder.ts';
import { describeTrace, writeChromeTrace } from '../src/report/chrome-trace.ts';
import { STRATEGIES, isSafe } from '../src/strategies/index.ts';

/** The safe answers that run on the soak's machine (powerpc radix): x86's run on x86 only. */
const SAFE = STRATEGIES.filter((s) => isSafe(s) && s.arches.includes(DEFAULT_RUN.machine.arch)).map((s) => s.name);
/** The strategy whose store-buffering bug shows the detector still catches what it should. */
const RACY = 'counter-no-barriers';
/** The operations in turn, munmap twice as often: it is the one the seed is about. */
const OP_SCHEDULE: readonly PmdOp[] = ['munmap', 'split', 'munmap', 'collapse'];

/** A duration such as 90s, 10m, 1h, or plain seconds. */
const duration = (text: string, flag: string) => {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(seconds > 0) || seconds > 7 * 86_400) throw new UsageError(`${flag} must be a duration such as 90s, 10m or 1h, got ${quote(text)}`);
  return seconds;
};

const OPTIONS = {
  duration: option({ value: 'TIME', default: '60s', help: 'how long to soak: 90s, 10m, 1h', parse: duration }),
  cpus: option({ value: 'N', default: '4', help: 'emulated CPUs (CPU 0 changes the page tables, the others walk)', parse: integer(2, 64) }),
  memory: option({ value: 'SIZE', default: '8G', help: 'THP memory mapped and changed in each cycle', parse: size }),
  'include-racy': option({ value: 'N', default: '0', help: 'every N cycles, also run counter-no-barriers with race amplification (0: never)', parse: integer(0, 1_000_000) }),
  json: option({ value: 'FILE', default: undefined, help: "also write the totals as JSON to FILE ('-' for stdout)", parse: (text: string): string | undefined => text }),
  shard: option({ value: 'I/N', default: undefined, help: 'run only the cycles of shard I of N (cycle k when k mod N = I - 1: its strategy, operation and seed as in a whole soak); stress/merge.ts adds the shards up', parse: parseShard }),
  trace: option({
    value: 'FILE',
    default: undefined,
    help: "trace every cycle, each CPU's ring keeping its newest records, and write the first failing cycle's timeline to FILE (a Chrome trace)",
    parse: (text: string): string | undefined => text,
  }),
};


export const soak = defineCommand({
  name: 'soak',
  invocation: 'npx tsx stress/soak.ts',
  about: 'Repeats every operation under every safe strategy, checking every invariant, until the time is up.',
  options: OPTIONS,
  outputs: { json: 'file', trace: 'file' },
  exitStatus: 'Exit status: 0 SOAK: SUCCESS, 1 a CPU failed, 2 bad usage, 3 SOAK: FAILURE.',
  async run(o, _given, argv) {
    // Ctrl-C or SIGTERM: stop the cycle in progress, then the totals so far and the verdict on them.
    const session = new Session('soak', { json: o.json, onInterrupt: 'stopping; the totals so far follow' });
    const say = (line: string) => session.say(line);
    // Walkers back to back, so every cycle's walks and changes really meet.
    const specFor = (op: PmdOp, extra: RunSpecOverrides = {}) =>
      runSpec({ ...extra, op, machine: { cpus: o.cpus, memoryBytes: o.memory }, workload: { busy: 1, walkRate: 0, ...extra.workload }, warmupMs: 10 });
    const totals: Totals = { cycles: 0, pmds: {}, walks: 0, ipisSent: 0, ipisAcked: 0, violations: 0, brokenInvariants: [], racyRuns: 0, racyUseAfterFree: 0 };
    say(`${session.hostLine}; soaking ${o.duration} s with ${o.cpus} CPUs, ${formatSize(o.memory)} a cycle, strategies ${SAFE.join(', ')}, operations ${[...new Set(OP_SCHEDULE)].join(', ')}`);
    if (o.shard) say(`shard ${o.shard.index}/${o.shard.count}: the cycles k with k mod ${o.shard.count} = ${o.shard.index - 1}`);

    const started = performance.now();
    const deadline = started + o.duration * 1000;
    let lastProgress = started;
    // Sized for the widest operation, collapse: every cycle reuses the same frames and pages.
    await session.withCpus(specFor('collapse'), undefined, async (pool) => {
      for (let cycle = 0; performance.now() < deadline && totals.brokenInvariants.length === 0 && !session.interrupted; cycle++) {
        if (!inShard(o.shard, cycle)) continue;
        const strategy = SAFE[cycle % SAFE.length];
        const op = OP_SCHEDULE[Math.floor(cycle / SAFE.length) % OP_SCHEDULE.length];
        // A flight recorder: what led up to a failure is what the rings keep.
        const recorder = o.trace === undefined ? undefined : new TraceRecorder({ pmds: undefined, recordsPerCpu: undefined, mode: 'overwrite' });
        const run = await runStrategy(pool, specFor(op, { strategy, seed: cycle }), cycle, recorder);
        if (run.partial) break; // interrupted part way: its figures are not a cycle's
        add(totals, run);
        if (recorder && o.trace !== undefined && (run.violations.useAfterFree > 0 || run.brokenInvariants.length > 0)) {
          const summary = writeChromeTrace(o.trace, recorder.runs, { command: [soak.invocation, ...argv].join(' '), host: session.host, cycle, strategy, op });
          say(`cycle ${cycle} (${strategy}, ${op}) failed: ${describeTrace(o.trace, summary)}`);
        }
        if (o['include-racy'] > 0 && cycle % o['include-racy'] === 0) {
          const racy = await runStrategy(pool, specFor('munmap', { strategy: RACY, seed: cycle, workload: { raceWindow: 1 } }), cycle);
          totals.racyRuns++;
          totals.racyUseAfterFree += racy.violations.useAfterFree;
          totals.brokenInvariants.push(...racy.brokenInvariants.map((b) => `${RACY} cycle ${cycle}: ${b}`));
        }
        totals.cycles++;
        if (performance.now() - lastProgress > 60_000) {
          lastProgress = performance.now();
          say(progressLine(totals, (lastProgress - started) / 1000));
        }
      }
    });
    const interrupted = session.interrupted;

    const elapsedS = (performance.now() - started) / 1000;
    say(progressLine(totals, elapsedS));
    const racyMissed = o['include-racy'] > 0 && totals.racyRuns > 0 && totals.racyUseAfterFree === 0;
    const success = totals.brokenInvariants.length === 0 && totals.violations === 0 && !racyMissed;
    for (const broken of totals.brokenInvariants.slice(0, 10)) say(`  BROKEN: ${broken}`);
    if (racyMissed) say(`  ${RACY} ran ${totals.racyRuns} time(s) with race amplification and never showed its bug`);
    say(
      `SOAK: ${success ? (interrupted ? 'SUCCESS (interrupted)' : 'SUCCESS') : 'FAILURE'} after ${elapsedS.toFixed(0)} s: ${totals.violations} use-after-free under safe strategies, ` +
        `${totals.brokenInvariants.length} broken invariant(s)` +
        (totals.racyRuns > 0 ? `; ${RACY} found ${totals.racyUseAfterFree} use-after-free in ${totals.racyRuns} run(s)` : ''),
    );
    const config = { durationS: o.duration, cpus: o.cpus, memory: formatSize(o.memory), includeRacy: o['include-racy'] };
    const stamp = shardStamp(o.shard, config);
    session.writeJson({ host: session.host, config, ...(stamp ? { shard: stamp } : {}), elapsedS, success, totals });
    return session.finish({ broken: !success });
  },
});

function add(totals: Totals, run: StrategyRun): void {
  totals.pmds[run.op] = (totals.pmds[run.op] ?? 0) + run.pmdsDone;
  totals.walks += run.walks.completed;
  totals.ipisSent += run.ipis.sent;
  totals.ipisAcked += run.ipis.acked;
  totals.violations += run.violations.useAfterFree;
  totals.brokenInvariants.push(...run.brokenInvariants.map((b) => `${run.strategy} ${run.op}: ${b}`));
}

function progressLine(t: Totals, seconds: number): string {
  const pmds = Object.entries(t.pmds).map(([op, n]) => `${n.toLocaleString('en-US')} ${op}`).join(', ');
  return (
    `${seconds.toFixed(0)} s: ${t.cycles} cycles; PMDs ${pmds}; ${t.walks.toLocaleString('en-US')} walks; ` +
    `IPIs ${t.ipisSent.toLocaleString('en-US')} sent, ${t.ipisAcked.toLocaleString('en-US')} acked; ${t.violations} use-after-free`
  );
}

if (isMain(import.meta.url)) await runCommand(soak);
