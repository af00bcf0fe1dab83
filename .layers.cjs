/**
 * The layers of src/, bottom first: each folder, what it is, and the folders it may import.
 * Nothing imports upward. Read by .dependency-cruiser.cjs (npm run deps, test/unit/imports.test.ts)
 * and by the docs' layer map (docs/architecture.md, checked by test/unit/docs.test.ts).
 */
module.exports = [
  { folder: 'types', is: 'declarations for modules that ship none', mayImport: [] },
  { folder: 'base', is: 'the ground floor: statistics, host, sizes, terminal line, usage errors, option and text tables, worker spawning', mayImport: [] },
  { folder: 'shared-memory', is: 'the layouts every thread maps: page tables, frames, per-CPU and per-mm words, trace rings', mayImport: ['base'] },
  { folder: 'kernel', is: "the emulated kernel: CPUs, IPIs, the lockless walk, PMD operations, mmu_gather, TLB flushes, RCU", mayImport: ['shared-memory', 'base'] },
  { folder: 'spec', is: 'a run as a typed value: its fields, defaults, presets and checks', mayImport: ['kernel', 'shared-memory', 'base'] },
  { folder: 'strategies', is: 'the answers, one file each, and their registry', mayImport: ['spec', 'kernel', 'shared-memory', 'base'] },
  { folder: 'cpu-worker', is: "one emulated CPU's thread: its run loop and workload", mayImport: ['strategies', 'spec', 'kernel', 'shared-memory', 'base'] },
  { folder: 'coordinator', is: 'the main thread: runs, the CPU pool, checks, warm-up, sessions', mayImport: ['cpu-worker', 'strategies', 'spec', 'kernel', 'shared-memory', 'base'] },
  { folder: 'litmus', is: 'litmus tests: the C-litmus reader, the JavaScript mapping, the runner and its verdicts', mayImport: ['shared-memory', 'base'] },
  { folder: 'report', is: "what commands print and write: tables, findings, traces, plots", mayImport: ['coordinator', 'cpu-worker', 'strategies', 'spec', 'kernel', 'shared-memory', 'base'] },
  { folder: 'bench', is: "the bench's measuring kit: its loops, workers and words", mayImport: ['coordinator', 'cpu-worker', 'strategies', 'spec', 'kernel', 'shared-memory', 'base'] },
  { folder: 'cli', is: 'command lines: options mapped to fields, usage', mayImport: ['report', 'coordinator', 'cpu-worker', 'strategies', 'spec', 'kernel', 'shared-memory', 'base'] },
];
