/** Layering rules for src/, from the layer table in .layers.cjs. Checked by `npm run deps` and by test/unit/imports.test.ts. */
const LAYERS = require('./.layers.cjs');

const folders = LAYERS.map((layer) => layer.folder);
const anyOf = (names) => `^src/(${names.join('|')})/`;

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
      // Every file of src/ sits in a layer of the table, so that every import is judged by a rule.
      name: 'every-folder-a-layer',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(folders) },
      to: {},
    },
    ...LAYERS.map(({ folder, mayImport }) => ({
      // What the layer may build on; everything else in src/ is above it or beside it.
      name: `${folder}-imports-${mayImport.length === 0 ? 'nothing' : 'below'}`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: anyOf([folder, ...mayImport]) },
    })),
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
