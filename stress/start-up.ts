// What starting many CPU threads costs: for each CPU count, in a fresh process of its own (so
// one count's freed heaps do not inflate the next's memory), the time until every CPU has
// attached to the shared machine and the process's resident memory then.
//   npx tsx stress/start-up.ts [--cpus 128,256,512,1024]

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatOptions, option, parseOptions, readOptions } from '../src/base/option-table.ts';
import { integer } from '../src/base/value-types.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import { CpuPool } from '../src/coordinator/cpu-pool.ts';
import { runSpec } from '../src/coordinator/run-spec.ts';
import { createMachine } from '../src/coordinator/runs.ts';
import { runCommand } from '../src/cli/command.ts';
import { hostInfo, hostLine } from '../src/base/host.ts';
import { MAX_CPUS } from '../src/shared-memory/mm.ts';

const COMMAND = 'npx tsx stress/start-up.ts';

const OPTIONS = {
  cpus: option({ value: 'LIST', default: '128,256,512,1024', help: 'CPU counts to start, each in its own process', parse: (text: string, flag: string) => text.split(',').map((n) => integer(1, MAX_CPUS)(n, flag)) }),
};

/** One count, in this process: start, measure, join. */
async function measure(cpus: number): Promise<void> {
  const startedAt = performance.now();
  const pool = await CpuPool.start(createMachine(runSpec({ machine: { cpus, memoryBytes: 2 ** 21 } })));
  const ms = performance.now() - startedAt;
  const rss = process.memoryUsage().rss;
  await pool.close();
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  process.stdout.write(`| ${cpus} | ${(ms / 1000).toFixed(1)} s | ${(ms / cpus).toFixed(0)} ms | ${mib(rss)} MiB | ${(rss / cpus / 2 ** 20).toFixed(1)} MiB |\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--one') {
    await measure(integer(1, MAX_CPUS)(argv[1] ?? '', '--one'));
    return 0;
  }
  const { given, help } = readOptions(argv, OPTIONS);
  if (help) {
    process.stdout.write(`usage: ${COMMAND} [options]\n\nStarts CPU threads and says how long it took and the memory they hold.\n\n${formatOptions(OPTIONS)}\n`);
    return 0;
  }
  const o = parseOptions(OPTIONS, given);
  checkCpusFitMemory(Math.max(...o.cpus));
  process.stdout.write(`${hostLine(hostInfo())}\n\n| CPUs | start | per CPU | resident memory | per CPU |\n|---:|---:|---:|---:|---:|\n`);
  for (const cpus of o.cpus) {
    const { status, signal } = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--one', String(cpus)], { stdio: 'inherit' });
    if (signal) return 128 + os.constants.signals[signal];
    if (status !== 0) return status ?? 1;
  }
  return 0;
}

await runCommand('start-up', COMMAND, main);
