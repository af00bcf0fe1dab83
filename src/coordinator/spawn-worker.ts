// Starting a TypeScript worker thread with a comlink control plane, and noticing its death.

import { Worker } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

const BOOTSTRAP = new URL('../cpu-worker/bootstrap.mjs', import.meta.url);

export interface SpawnedWorker<Api> {
  readonly worker: Worker;
  readonly api: Remote<Api>;
  /** Rejects, with the text of why, when the worker throws uncaught or exits; never resolves. */
  readonly death: Promise<never>;
}

/** A worker running the TypeScript module at `entry` (a file URL), which exposes `Api` with comlink. */
export function spawnWorker<Api>(entry: URL, name: string): SpawnedWorker<Api> {
  const worker = new Worker(BOOTSTRAP, { name, workerData: { entry: entry.href } });
  const death = new Promise<never>((_, reject) => {
    worker.once('error', (error) => reject(new Error(errorText(error))));
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
  });
  death.catch(() => {}); // observed by whoever races it; never an unhandled rejection
  return { worker, api: wrap<Api>(nodeEndpoint(worker)), death };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
