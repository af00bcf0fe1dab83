// The CPU time of the calling thread, in milliseconds: what a worker has really run, whatever
// the host's scheduler did meanwhile. The JIT warm-up divides a CPU's walks by it, so that a
// walker's speed is told apart from its share of a core (128 CPU threads on 2 cores each get a
// sixty-fourth of one, and their wall-clock rates say nothing about their code).

import { closeSync, openSync, readSync } from 'node:fs';

/** process.threadCpuUsage(), in Node 24 and recent Node 22 releases; Node 20 and its types lack it. */
type ThreadCpuUsage = () => NodeJS.CpuUsage;

/** A clock of this thread's CPU time (ms), and where it comes from. */
export interface ThreadClock {
  readonly source: 'threadCpuUsage' | 'schedstat' | 'wall';
  now(): number;
  close(): void;
}

/**
 * The best thread clock this Node and host give: process.threadCpuUsage() (Node 24, recent 22),
 * else Linux's /proc/thread-self/schedstat, whose first field is the thread's run time in
 * nanoseconds (Node 20), else the wall clock, which is honest only while the thread has a core.
 */
export function threadClock(): ThreadClock {
  const usage = (process as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage;
  if (typeof usage === 'function') {
    return { source: 'threadCpuUsage', now: () => cpuUsageMs(usage.call(process)), close: () => {} };
  }
  const fd = openSchedstat();
  if (fd !== undefined) {
    // The file descriptor stays bound to the thread that opened it: one pread a reading.
    const text = Buffer.alloc(96);
    return {
      source: 'schedstat',
      now: () => Number.parseInt(text.toString('latin1', 0, readSync(fd, text, 0, text.length, 0)), 10) / 1e6,
      close: () => closeSync(fd),
    };
  }
  return { source: 'wall', now: () => performance.now(), close: () => {} };
}

const cpuUsageMs = ({ user, system }: NodeJS.CpuUsage): number => (user + system) / 1000;

function openSchedstat(): number | undefined {
  try {
    return openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return undefined;
  }
}
