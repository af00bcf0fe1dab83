// Starting a TypeScript worker thread with a comlink control plane, and noticing its death.
//
// The worker's code is bundled once per process into one plain-JavaScript module, which every
// worker of that entry then loads with no loader at all. Registering tsx inside each worker
// instead (Node 20 does not carry the parent's loader hooks into workers) starts a module-hooks
// thread per worker, and at a hundred workers those threads take most of a small host. For the
// same reason a worker gets none of the parent's Node options: under tsx they are `--import tsx`,
// which registers that loader in every worker again (docs/measurements.md, "Many CPUs").

import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, threadId, type ResourceLimits } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { buildSync } from 'esbuild';

export interface SpawnedWorker<Api> {
  readonly worker: Worker;
  readonly api: Remote<Api>;
  /** Rejects, with the text of why, when the worker throws uncaught or exits; never resolves. */
  readonly death: Promise<never>;
}

/**
 * A worker running the TypeScript module at `entry` (a file URL), which exposes `Api` with
 * comlink; `heap` bounds its V8 heap (a worker past it dies with ERR_WORKER_OUT_OF_MEMORY).
 * `imports` are modules loaded first in the same bundle, for what they do as they load (a
 * test's answer registering itself).
 */
export function spawnWorker<Api>(entry: URL, name: string, heap?: ResourceLimits, imports: readonly URL[] = []): SpawnedWorker<Api> {
  const worker = new Worker(bundled(entry, imports), { name, execArgv: [], resourceLimits: heap });
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

const bundles = new Map<string, URL>();
/** Where bundles are written: with the installed packages, like other tools' caches. */
const BUNDLE_DIR = fileURLToPath(new URL('../../node_modules/.cache/pgtbl-emu/', import.meta.url));

/** `imports`, then `entry`, and everything they import, as one ES module file, built on first use in this process. */
function bundled(entry: URL, imports: readonly URL[]): URL {
  const key = [...imports, entry].map((url) => url.href).join(' ');
  let url = bundles.get(key);
  if (url === undefined) {
    // One module instance of everything they share: ES modules evaluate their imports in order.
    const contents = [...imports, entry].map((url) => `import ${JSON.stringify(fileURLToPath(url))};`).join('\n');
    const { outputFiles } = buildSync({
      stdin: { contents, resolveDir: dirname(fileURLToPath(entry)), sourcefile: 'worker-entry.ts', loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      // No source map: nothing prints a worker's stack (a failure is reported as its error's
      // name and message), and every worker would read it.
      write: false,
      logLevel: 'silent',
    });
    const code = outputFiles[0].text;
    // Named by its content: processes running at once write the same bytes, renamed into place whole.
    mkdirSync(BUNDLE_DIR, { recursive: true });
    const path = join(BUNDLE_DIR, `${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    const partial = `${path}.${process.pid}.${threadId}`;
    writeFileSync(partial, code);
    renameSync(partial, path);
    url = pathToFileURL(path);
    bundles.set(key, url);
  }
  return url;
}
