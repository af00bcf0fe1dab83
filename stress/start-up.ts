// What starting many CPU threads costs: for each CPU count, in a fresh process of its own (so
// one count's freed heaps do not inflate the next's memory), the time until every CPU has
// attached to the shared machine and the process's resident memory then.
//   npx tsx stress/start-up.ts [--cpus 128,256,512,1024]

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { option } from '../src/base/option-table.ts';
import { integer } from '../src/base/value-types.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import { CpuPool } from '../src/coordinator/cpu-pool.ts';
import { runSpec } from '../src/coordinator/run-spec.ts';
import { createMachine } from '../src/coordinator/runs.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { hostInfo, hostLine } from '../src/base/host.ts';
import { MAX_CPUS } from '../src/shared-memory/mm.ts';

const OPTIONS = {
  cpus: option({ value: 'LIST', default: '128,256,512,1024', help: 'CPU counts to start, each in its own process', parse: (text: string, flag: string) => text.split(',').map((n) => integer(1, MAX_CPUS)(n, flag)) }),
  one: option({ value: 'N', default: undefined, help: 'start N CPUs in this process and print their row (what each count runs in its own process)', parse: integer(1, MAX_CPUS) }),
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

export const startUp = defineCommand({
  name: 'start-up',
  invocation: 'npx tsx stress/start-up.ts',
  about: 'Starts CPU threads and says how long it took and the memory they hold.',
  options: OPTIONS,
  async run(o) {
    if (o.one !== undefined) {
      await measure(o.one);
      return 0;
    }
    checkCpusFitMemory(Math.max(...o.cpus));
    process.stdout.write(`${hostLine(hostInfo())}\n\n| CPUs | start | per CPU | resident memory | per CPU |\n|---:|---:|---:|---:|---:|\n`);
    for (const cpus of o.cpus) {
      const { status, signal } = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--one', String(cpus)], { stdio: 'inherit' });
      if (signal) return 128 + os.constants.signals[signal];
      if (status !== 0) return status ?? 1;
    }
    return 0;
  },
});

if (isMain(import.meta.url)) await runCommand(startUp);
