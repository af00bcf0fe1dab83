// Worker entry point. Node 20 does not apply tsx's loader hooks to a .ts worker entry, so this
// plain module registers tsx inside the worker and then loads the TypeScript entry. It works
// the same under `npx tsx` and under vitest.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
