// What one emulated CPU's thread costs in host memory, and the check that the CPUs asked for
// fit before any of them starts: 1024 workers with Node's default heaps took 11.5 GB and more
// of a 24 GiB host, and the start never finished.

import os from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { UsageError } from '../base/usage-error.ts';

/**
 * Each CPU worker's V8 heap. A worker allocates little (counters, a few sample arrays, its
 * report); the default young generation is sized for a busy main thread, and at 1024 workers
 * those defaults are most of the host's memory. A worker past its limit dies with
 * ERR_WORKER_OUT_OF_MEMORY and is reported by CPU.
 */
export const CPU_WORKER_HEAP: ResourceLimits = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

/**
 * Host memory one CPU's thread takes, with room to run: 7.5-8.5 MiB of resident memory per CPU
 * once all have started (128 to 1024 CPUs, `npx tsx stress/start-up.ts`, Node 20, x86-64), and
 * 9.3 MiB at the peak of a whole 1024-CPU munmap run (docs/measurements.md, "Many CPUs").
 */
export const BYTES_PER_CPU = 12 * 2 ** 20;

/** Memory this process may still use: the host's free memory, or less under a cgroup limit. */
export function availableMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 ? Math.min(os.freemem(), limit) : os.freemem();
}

/**
 * Throws a usage error, naming the figures, when `cpus` CPU threads (--cpus and --outside-cpus
 * together) would not fit in `availableBytes`. Commands call it as soon as they know their
 * largest machine, so that nothing runs first; CpuPool.start() calls it again for any caller.
 */
export function checkCpusFitMemory(cpus: number, availableBytes: number = availableMemory()): void {
  const needed = cpus * BYTES_PER_CPU;
  if (needed <= availableBytes) return;
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  throw new UsageError(
    `${cpus} CPU threads need about ${gib(needed)} (${BYTES_PER_CPU / 2 ** 20} MiB each) and the host has ${gib(availableBytes)} available; ` +
      `at most ${Math.floor(availableBytes / BYTES_PER_CPU)} fit`,
  );
}
