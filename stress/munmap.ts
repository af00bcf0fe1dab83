// The main job: munmap (or split, or collapse) of THP memory under each strategy, on real
// worker-thread CPUs.
//   npx tsx stress/munmap.ts [--cpus 8] [--memory 1G] [--strategy all] [--op munmap] [--json -] ...

import { helpText, parseMunmapArgs } from '../src/cli/munmap-args.ts';
import { buildReport, formatFindings, formatHeader, formatTable } from '../src/report/munmap-report.ts';
import { runStrategy, type StrategyRun } from '../src/coordinator/runs.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import { Session } from '../src/coordinator/session.ts';
import { runCommand } from '../src/cli/command.ts';
import { terminalLine } from '../src/base/terminal-line.ts';
import { describeTrace, writeChromeTrace } from '../src/report/chrome-trace.ts';
import { TraceRecorder } from '../src/coordinator/trace-recorder.ts';
import { cpuStat } from '../src/shared-memory/cpu-block.ts';
import type { SharedMachine } from '../src/shared-memory/shared-machine.ts';

const COMMAND = 'npx tsx stress/munmap.ts';

async function main(argv: readonly string[]): Promise<number> {
  const command = parseMunmapArgs(argv);
  if (command === 'help') {
    process.stdout.write(helpText(COMMAND) + '\n');
    return 0;
  }
  const session = new Session('munmap', { json: command.json, onInterrupt: 'stopping the CPUs; the results so far follow, marked partial' });
  const [first] = command.runs;
  checkCpusFitMemory(first.machine.cpus + first.machine.outsideCpus);
  const runs: StrategyRun[] = [];
  const recorder = command.trace && new TraceRecorder(command.trace.options);
  session.say(formatHeader(buildReport(first, runs, session.host)) + '\n');
  await session.withCpus(first, { strategies: command.runs.map((run) => run.strategy), operation: true }, async (pool) => {
    for (const [i, spec] of command.runs.entries()) {
      if (session.interrupted) break;
      const stopProgress = showProgress(pool.machine, spec.strategy, spec.machine.hugePages);
      try {
        runs.push(await runStrategy(pool, spec, i, recorder));
      } finally {
        stopProgress();
      }
    }
  });

  if (runs.length > 0) session.say(formatTable(runs));
  const findings = formatFindings(runs);
  if (findings) session.say('\n' + findings);
  if (command.trace && recorder && recorder.runs.length > 0) {
    const report = buildReport(first, runs, session.host);
    const summary = writeChromeTrace(command.trace.file, recorder.runs, { command: [COMMAND, ...argv].join(' '), host: report.host, config: report.config });
    session.say(`\n${describeTrace(command.trace.file, summary)}`);
  }
  const { failure, interrupted } = session;
  session.writeJson({ ...buildReport(first, runs, session.host), startUp: session.startUps[0], ...(failure ? { failure } : {}), ...(interrupted ? { interrupted: true } : {}) });
  return session.finish({ broken: runs.some((run) => run.brokenInvariants.length > 0) });
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

await runCommand('munmap', COMMAND, main);
