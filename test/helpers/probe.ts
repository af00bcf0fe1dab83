// Spawning probe workers from a test, and joining them.

import { Worker } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { SharedMachine } from '../../src/shared-memory/shared-machine.ts';
import type { ProbeApi } from './probe-worker.ts';

const BOOTSTRAP = new URL('../../src/cpu-worker/bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./probe-worker.ts', import.meta.url).href;

export interface Probe {
  readonly api: Remote<ProbeApi>;
  readonly worker: Worker;
}

export async function startProbe(machine: SharedMachine, cpu: number): Promise<Probe> {
  const worker = new Worker(BOOTSTRAP, { workerData: { entry: ENTRY } });
  const api = wrap<ProbeApi>(nodeEndpoint(worker));
  await api.attach(machine.buffers, cpu);
  return { api, worker };
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
