// Worker entry point. Node 20 does not apply tsx's loader hooks to a .ts worker entry, so this
// plain module registers tsx inside the worker and then loads the TypeScript entry named by
// workerData.entry (a file URL). It works the same under `npx tsx` and under vitest.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
