// The main job: munmap of THP memory under each strategy, on real worker-thread CPUs.
//   npx tsx stress/munmap.ts [--cpus 8] [--memory 1G] [--strategy all] [--json -] ...

import { writeFileSync } from 'node:fs';
import { CpuFailure, CpuPool, CpusStuck } from '../src/coordinator/cpu-pool.ts';
import { runCommand } from '../src/cli/option-table.ts';
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
  const runs: StrategyRun[] = [];
  try {
    say(formatHeader(buildReport(config, runs)) + '\n');
    await warmUpJit(pool, config);
    for (const [i, strategy] of config.strategies.entries()) {
      const stopProgress = showProgress(machine, strategy, config.hugePages);
      try {
        runs.push(await runStrategy(pool, config, strategy, i));
      } finally {
        stopProgress();
      }
    }
  } catch (error) {
    if (!(error instanceof CpuFailure || error instanceof CpusStuck)) throw error;
    process.stderr.write(`munmap: ${error.message}\n`);
    return 1;
  } finally {
    await pool.close();
  }

  const report = buildReport(config, runs);
  say(formatTable(runs));
  const findings = formatFindings(runs);
  if (findings) say('\n' + findings);
  if (config.json) {
    const json = JSON.stringify(report, null, 2) + '\n';
    if (config.json === '-') process.stdout.write(json);
    else writeFileSync(config.json, json);
  }
  return runs.some((run) => run.brokenInvariants.length > 0) ? 3 : 0;
}

/** On a terminal, a line on stderr with the unmapper's progress, redrawn a few times a second. */
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
