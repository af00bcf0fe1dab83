// The main job: munmap (or split, or collapse) of THP memory under each strategy, on real
// worker-thread CPUs.
//   npx tsx stress/munmap.ts [--cpus 8] [--memory 1G] [--strategy all] [--op munmap] [--json -] ...

import { writeFileSync } from 'node:fs';
import { runCommand } from '../src/cli/option-table.ts';
import { CpuFailure, CpuPool, CpusStuck, IpiStuck, RunInterrupted } from '../src/coordinator/cpu-pool.ts';
import { catchCtrlC } from '../src/coordinator/ctrl-c.ts';
import { describeWatchdog } from '../src/coordinator/ipi-watchdog.ts';
import { helpText, parseMunmapArgs } from '../src/coordinator/options.ts';
import { buildReport, formatFindings, formatHeader, formatTable } from '../src/coordinator/report.ts';
import { createMachine, runStrategy, warmUpJit, type StrategyRun } from '../src/coordinator/run-strategy.ts';
import { cpuStat } from '../src/shared-memory/cpu-block.ts';
import type { SharedMachine } from '../src/shared-memory/shared-machine.ts';

const COMMAND = 'npx tsx stress/munmap.ts';

async function main(argv: readonly string[]): Promise<number> {
  const config = parseMunmapArgs(argv);
  if (config === 'help') {
    process.stdout.write(helpText(COMMAND) + '\n');
    return 0;
  }

  // With --json - the JSON owns stdout and the human report moves to stderr.
  const say = (text: string) => (config.json === '-' ? process.stderr : process.stdout).write(text + '\n');
  const machine = createMachine(config);
  const pool = await CpuPool.start(machine);
  // Under --on-stuck abort the report ends the run and is printed as its failure.
  if (config.watchdog.onStuck === 'wait') pool.onWatchdog = (report) => process.stderr.write(describeWatchdog(report) + '\n');
  const ctrlC = catchCtrlC(pool, 'stopping the CPUs; the results so far follow, marked partial');
  const runs: StrategyRun[] = [];
  let failure: string | undefined;
  try {
    say(formatHeader(buildReport(config, runs)) + '\n');
    await warmUpJit(pool, config);
    for (const [i, strategy] of config.strategies.entries()) {
      if (ctrlC.pressed()) break;
      const stopProgress = showProgress(machine, strategy, config.hugePages);
      try {
        runs.push(await runStrategy(pool, config, strategy, i));
      } finally {
        stopProgress();
      }
    }
  } catch (error) {
    if (!(error instanceof CpuFailure || error instanceof CpusStuck || error instanceof IpiStuck || error instanceof RunInterrupted)) throw error;
    if (!(error instanceof RunInterrupted)) failure = error.message;
  } finally {
    ctrlC.release();
    await pool.close();
  }

  const interrupted = ctrlC.pressed();
  const report = { ...buildReport(config, runs), ...(failure ? { failure } : {}), ...(interrupted ? { interrupted: true } : {}) };
  if (runs.length > 0) say(formatTable(runs));
  const findings = formatFindings(runs);
  if (findings) say('\n' + findings);
  if (failure) process.stderr.write(`munmap: ${failure}\n`);
  if (config.json) {
    const json = JSON.stringify(report, null, 2) + '\n';
    if (config.json === '-') process.stdout.write(json);
    else writeFileSync(config.json, json);
  }
  if (interrupted) return 130;
  if (failure) return 1;
  return runs.some((run) => run.brokenInvariants.length > 0) ? 3 : 0;
}

/** On a terminal, a line on stderr with CPU 0's progress, redrawn a few times a second. */
function showProgress(machine: SharedMachine, strategy: string, pmds: number): () => void {
  if (!process.stderr.isTTY) return () => {};
  const draw = () => {
    const done = machine.cpuStats[cpuStat(0, 'pmdsDone')];
    process.stderr.write(`\r${strategy}: ${done}/${pmds} PMDs done`);
  };
  const timer = setInterval(draw, 250);
  return () => {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  };
}

await runCommand('munmap', COMMAND, main);
