/** Layering rules for src/. Checked by `npm run deps` and by test/unit/imports.test.ts. */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      // A cycle makes module load order (and worker start-up) fragile and stops the layers below from being understood alone.
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      // The emulated kernel primitives are the bottom layer (above only shared-memory), so they must not know the code built on them.
      name: 'kernel-below-strategies',
      severity: 'error',
      from: { path: '^src/kernel/' },
      to: { path: '^src/(strategies|cpu-worker|coordinator|cli|report)/' },
    },
    {
      // The shared-memory layout is the foundation every thread maps; it must depend on nothing else in src/.
      name: 'shared-memory-at-the-bottom',
      severity: 'error',
      from: { path: '^src/shared-memory/' },
      to: { path: '^src/', pathNot: '^src/shared-memory/' },
    },
    {
      // A strategy is a pure policy over kernel primitives and shared memory, so it must not reach up into the worker, runner, CLI or reports.
      name: 'strategies-import-kernel-only',
      severity: 'error',
      from: { path: '^src/strategies/' },
      to: { path: '^src/', pathNot: '^src/(strategies|kernel|shared-memory)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    // Keep `import type` edges: type-only imports are seams between layers too.
    tsPreCompilationDeps: true,
    // Lets the resolver follow the tsconfig (NodeNext + explicit `.ts` extension imports).
    tsConfig: { fileName: './tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
