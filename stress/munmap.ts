// The main job: munmap (or split, or collapse) of THP memory under each answer, on real
// worker-thread CPUs.
//   npx tsx stress/munmap.ts [--cpus 8] [--memory 1G] [--strategy all] [--op munmap] [--json -] ...
//   npx tsx stress/munmap.ts --demonstrate counter-v1

import { OPTIONS, munmapCommandFrom, type MunmapCommand } from '../src/cli/munmap-args.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { describeDemonstration, judgeDemonstration, shows } from '../src/coordinator/conformance.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import type { CpuPool } from '../src/coordinator/cpu-pool.ts';
import { runStrategy, type StrategyRun } from '../src/coordinator/runs.ts';
import { Session } from '../src/coordinator/session.ts';
import { TraceRecorder } from '../src/coordinator/trace-recorder.ts';
import { terminalLine } from '../src/base/terminal-line.ts';
import { describeTrace, writeChromeTrace } from '../src/report/chrome-trace.ts';
import { writeFtraceText } from '../src/report/ftrace-text.ts';
import { buildReport, formatFindings, formatHeader, formatTable } from '../src/report/run-report.ts';
import { cpuStat } from '../src/shared-memory/cpu-block.ts';
import type { SharedMachine } from '../src/shared-memory/shared-machine.ts';

export const munmap = defineCommand({
  name: 'munmap',
  invocation: 'npx tsx stress/munmap.ts',
  about: [
    'Maps THP memory, starts one worker thread per emulated CPU walking the page tables',
    'locklessly, then munmaps it all from CPU 0 under each strategy, measuring and checking.',
  ].join('\n'),
  options: OPTIONS,
  outputs: { json: 'file', trace: 'file' },
  exitStatus: [
    "Exit status: 0 all invariants held (an unsafe strategy's failures are what it shows),",
    '1 internal failure (a crashed or stuck CPU), 2 bad usage, 3 a safe strategy used a freed',
    'page or an invariant broke.',
  ].join('\n'),
  async run(_options, given, argv) {
    const command = munmapCommandFrom(given);
    const [first] = command.runs;
    checkCpusFitMemory(first.machine.cpus + first.machine.outsideCpus);
    const session = new Session('munmap', { json: command.json, onInterrupt: 'stopping the CPUs; the results so far follow, marked partial' });
    const runs: StrategyRun[] = [];
    const recorder = command.trace && new TraceRecorder(command.trace.options);
    session.say(formatHeader(buildReport(first, runs, session.host)) + '\n');
    let demonstrated: string | undefined;
    await session.withCpus(first, { strategies: command.runs.map((run) => run.strategy), operation: true }, async (pool) => {
      if (command.demonstrating) demonstrated = await demonstrate(command, pool, session, runs, recorder);
      else for (const [i, spec] of command.runs.entries()) if (!session.interrupted) runs.push(await runWithProgress(pool, spec, i, recorder));
    });

    if (runs.length > 0) session.say(formatTable(runs));
    const findings = formatFindings(runs);
    if (findings) session.say('\n' + findings);
    if (demonstrated) session.say(`\ndemonstration: ${demonstrated}`);
    if (command.trace && recorder && recorder.runs.length > 0) {
      const report = buildReport(first, runs, session.host);
      if (command.trace.format === 'ftrace') {
        const { lines, bytes } = writeFtraceText(command.trace.file, recorder.runs);
        session.say(`\ntrace: wrote ${command.trace.file}, ${lines.toLocaleString('en-US')} lines, ${(bytes / 2 ** 20).toFixed(1)} MiB, as the kernel's trace file (ftrace text)`);
      } else {
        const summary = writeChromeTrace(command.trace.file, recorder.runs, { command: [munmap.invocation, ...argv].join(' '), host: report.host, config: report.config });
        session.say(`\n${describeTrace(command.trace.file, summary)}`);
      }
    }
    const { failure, interrupted } = session;
    session.writeJson({ ...buildReport(first, runs, session.host), startUp: session.startUps[0], ...(failure ? { failure } : {}), ...(interrupted ? { interrupted: true } : {}) });
    return session.finish({ broken: runs.some((run) => run.brokenInvariants.length > 0) });
  },
});

/**
 * --demonstrate: the answer's runs until one shows its outcome, up to its declared attempts (each
 * said as it ends), then its fix as many times; the table keeps the last of each. Returns the
 * rate, in words.
 */
async function demonstrate(command: MunmapCommand, pool: CpuPool, session: Session, runs: StrategyRun[], recorder: TraceRecorder | undefined): Promise<string> {
  const { strategy, outcome, demonstration } = command.demonstrating!;
  const [spec, fixSpec] = command.runs;
  const tries: StrategyRun[] = [];
  while (tries.length < demonstration.attempts && !session.interrupted && !tries.some((run) => shows(run, outcome))) {
    tries.push(await runWithProgress(pool, spec, tries.length, recorder));
    const last = tries[tries.length - 1];
    session.say(`attempt ${tries.length} of ${demonstration.attempts}: ${strategy} ${shows(last, outcome) ? 'showed' : 'did not show'} its ${outcome}`);
  }
  const fixes: StrategyRun[] = [];
  for (let i = 0; i < tries.length && !session.interrupted; i++) fixes.push(await runWithProgress(pool, fixSpec, tries.length + i, recorder));
  runs.push(...tries.slice(-1), ...fixes.slice(-1));
  session.say('');
  return describeDemonstration(judgeDemonstration(strategy, outcome, demonstration, tries, fixes));
}

async function runWithProgress(pool: CpuPool, spec: MunmapCommand['runs'][number], i: number, recorder: TraceRecorder | undefined): Promise<StrategyRun> {
  const stopProgress = showProgress(pool.machine, spec.strategy, spec.machine.hugePages);
  try {
    return await runStrategy(pool, spec, i, recorder);
  } finally {
    stopProgress();
  }
}

/** On a terminal, a line on stderr with CPU 0's progress, redrawn a few times a second. */
function showProgress(machine: SharedMachine, strategy: string, pmds: number): () => void {
  const line = terminalLine();
  if (!line.enabled) return () => {};
  const timer = setInterval(() => line.draw(`${strategy}: ${machine.cpuStats[cpuStat(0, 'pmdsDone')]}/${pmds} PMDs done`), 250);
  return () => {
    clearInterval(timer);
    line.clear();
  };
}

if (isMain(import.meta.url)) await runCommand(munmap);
