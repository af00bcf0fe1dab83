// Spawning probe workers from a test, and joining them.

import { spawnWorker, type SpawnedWorker } from '../../src/base/spawn-worker.ts';
import type { SharedMachine } from '../../src/shared-memory/shared-machine.ts';
import type { ProbeApi } from './probe-worker.ts';

const ENTRY = new URL('./probe-worker.ts', import.meta.url);

export type Probe = SpawnedWorker<ProbeApi>;

export async function startProbe(machine: SharedMachine, cpu: number): Promise<Probe> {
  const probe = spawnWorker<ProbeApi>(ENTRY, `probe-cpu${cpu}`);
  await Promise.race([probe.api.attach(machine.buffers, cpu), probe.death]);
  return probe;
}

export async function stopProbes(probes: readonly Probe[]): Promise<void> {
  await Promise.all(probes.map((p) => p.worker.terminate()));
}

/** Resolve once `condition` holds, polling without blocking the event loop; reject after `ms`. */
export async function eventually(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
