// The docs' generated blocks, written from the declarations: the answers and versions tables,
// the layer map and every command's --help. Each sits between two markers in its page:
//   <!-- generated: NAME -->  ...  <!-- end: NAME -->
// `npx tsx stress/docs.ts` rewrites every block in place; test/unit/docs.test.ts fails when a
// committed block differs from what the declarations say now.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/base/atomic-write.ts';
import { flag, type OptionTable } from '../src/base/option-table.ts';
import { markdownTable } from '../src/base/text-table.ts';
import { defineCommand, helpText, isMain, runCommand, type Command } from '../src/cli/command.ts';
import { Expect, KERNELS, OUTCOMES, STRATEGIES, interestingOutcomes, isSafe, type PgtblSyncStrategy } from '../src/strategies/index.ts';
import { serializingOps, walkerPlaces, type Demonstration } from '../src/strategies/strategy.ts';
import { ARCHS, ARCH_SPECS } from '../src/kernel/archs.ts';
import { WALKER_KINDS } from '../src/kernel/walker-kinds.ts';
import { formatSize } from '../src/base/sizes.ts';
import { VERSION_ROWS } from '../src/strategies/versions/index.ts';
import type { Serialization } from '../src/strategies/versions/version.ts';
import { bench } from './bench.ts';
import { drawTrace } from './draw-trace.ts';
import { estimateCoverage } from './estimate-coverage.ts';
import { litmus } from './litmus.ts';
import { merge } from './merge.ts';
import { munmap } from './munmap.ts';
import { soak } from './soak.ts';
import { startUp } from './start-up.ts';
import { sweep } from './sweep.ts';
import { walkers } from './walkers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every command, by the name its docs page has. */
const COMMANDS: readonly Command<OptionTable>[] = [munmap, walkers, sweep, soak, litmus, merge, bench, estimateCoverage, startUp, drawTrace];

const code = (text: string) => `\`${text}\``;
const list = (items: readonly string[]) => (items.length === 0 ? '-' : items.join(', '));

const PLACE_WORDS: { readonly [place: string]: string } = {
  beforeIrqsOff: 'before IRQs off',
  walkStart: 'walk start',
  lookupEnd: 'lookup end',
  walkEnd: 'walk end',
  afterIrqsOn: 'after IRQs on',
  pmdClear: 'clear',
  pmdInvalidate: 'invalidate',
  collapseFlush: 'collapse flush',
  tableFree: 'table free',
  tableSync: 'table sync',
};

/** What the answer keeps in shared memory, by name. */
function words(strategy: PgtblSyncStrategy): string {
  const perCpu = Object.keys(strategy.words.perCpu).map((w) => `${code(w)} per CPU`);
  const perMm = Object.keys(strategy.words.perMm).map((w) => `${code(w)} per mm`);
  return list([...perCpu, ...perMm]);
}

/** Its outcomes other than the forbidden ones, and how to see the interesting ones. */
function outcomes(strategy: PgtblSyncStrategy): string {
  const allowed = OUTCOMES.filter((o) => strategy.outcomes[o].expect === Expect.ACCEPTABLE).map((o) => `${o} ACCEPTABLE`);
  const interesting = interestingOutcomes(strategy).map(({ outcome, declared }) =>
    'demonstrate' in declared
      ? `**${outcome} ACCEPTABLE_INTERESTING**: ${declared.desc} (${code(`--demonstrate ${strategy.name}`)}, fixed by ${code(declared.demonstrate.fixedBy)})`
      : `**${outcome} ACCEPTABLE_INTERESTING**: ${declared.desc}; not shown on this host: ${declared.hostCannotShow}`,
  );
  return isSafe(strategy) ? 'all FORBIDDEN' : list([...interesting, ...allowed]);
}

const answerRow = (s: PgtblSyncStrategy) => [
  code(s.name),
  s.models,
  isSafe(s) ? 'yes' : '**no**',
  words(s),
  list(walkerPlaces(s).map((p) => PLACE_WORDS[p])),
  list(serializingOps(s).map((p) => PLACE_WORDS[p])),
  s.freeing === 'rcu' ? 'after a grace period' : 'after the flush',
  outcomes(s),
];

const SERIALIZATION_WORDS: { readonly [how in Serialization]: string } = { none: '-', 'mm-ipi': 'IPI to `mm_cpumask`', 'online-ipi': 'IPI to every online CPU', answer: "the series'" };

const ARCH_COUNT = ARCHS.length;

/** A demonstration's run, in the options that give it. */
function demonstrationRun(spec: Demonstration['spec']): string {
  const m = spec.machine ?? {};
  const w = spec.workload ?? {};
  const parts = [
    `--op ${spec.op ?? 'munmap'}`,
    m.arch ? `--arch ${m.arch}` : '',
    m.cpus ? `--cpus ${m.cpus}` : '',
    m.memoryBytes ? `--memory ${formatSize(m.memoryBytes)}` : '',
    m.vcpuPreempt ? `--vcpu-preempt ${m.vcpuPreempt}` : '',
    spec.kernel?.paravirt && spec.kernel.paravirt !== 'none' ? `--pv ${spec.kernel.paravirt}` : '',
    w.raceWindow ? `--race-window ${w.raceWindow}` : '',
    w.busy !== undefined ? `--busy ${w.busy}` : '',
    w.walkRate !== undefined ? `--walk-rate ${w.walkRate}` : '',
    w.mix ? `--workload ${w.mix.map(({ kind }) => kind).join(',')}` : '',
  ];
  return code(parts.filter(Boolean).join(' '));
}

/** The generated blocks, by name. */
export const BLOCKS: { readonly [name: string]: () => string } = {
  answers: () =>
    markdownTable(
      ['answer', 'models', 'safe', 'keeps', 'walker side at', 'serialises at', 'frees', 'outcomes it allows or exists to show'],
      STRATEGIES.map(answerRow),
    ),
  demonstrations: () =>
    markdownTable(
      ['`--demonstrate`', 'shows', 'its run', 'attempts', 'beside its fix'],
      [...STRATEGIES, ...KERNELS].flatMap((s) =>
        interestingOutcomes(s).map(({ outcome, declared }) =>
          'demonstrate' in declared
            ? [code(s.name), outcome, demonstrationRun(declared.demonstrate.spec), String(declared.demonstrate.attempts), code(declared.demonstrate.fixedBy)]
            : [code(s.name), outcome, `not on this host: ${declared.hostCannotShow}`, '-', '-'],
        ),
      ),
    ),
  'answer-sources': () =>
    markdownTable(
      ['answer', 'runs on', 'posted, merged or said, by name'],
      STRATEGIES.map((s) => [code(s.name), s.arches.length === ARCH_COUNT ? 'any' : s.arches.join(', '), s.sources.length > 0 ? s.sources.join('; ') : 'no posting: the floor, or a teaching variant']),
    ),
  versions: () =>
    markdownTable(
      [
        '`--kernel`',
        'runs on',
        'what it did',
        'PMD clear',
        'invalidate (split)',
        'collapse flush',
        'table sync after collapse',
        'walkers',
        'guards',
        'GUP-fast re-checks the PMD',
        '`mm_cpumask`',
        "munmap's TLB flush",
        'page tables freed',
        'a table with no batch page',
        'sources',
      ],
      VERSION_ROWS.map((row) => [
        code(row.version),
        row.arches.join(', '),
        row.models,
        SERIALIZATION_WORDS[row.serialize.pmdClear],
        SERIALIZATION_WORDS[row.serialize.pmdInvalidate],
        SERIALIZATION_WORDS[row.serialize.collapseFlush],
        row.serialize.tableSync === 'online-ipi' && row.rcuTableFree === 'if-paravirt' ? 'IPI to every online CPU, with `--pv` only' : SERIALIZATION_WORDS[row.serialize.tableSync],
        row.walkerStyle,
        row.walkerGuards ? "each caller's (5.8)" : 'IRQs off',
        row.gupRechecksPmd ? 'from a pte too (6.0)' : 'from a leaf only',
        row.mmCpumask,
        row.tlbFlushEachPmd ? 'per PMD' : 'per mmu_gather batch',
        row.rcuTableFree === 'always' ? 'through RCU' : 'through RCU with `--pv` (PARAVIRT); else after the shootdown',
        row.tableRemoveOne === 'rcu' ? 'waits for a grace period' : 'IPI to every online CPU',
        row.sources.join('; '),
      ]),
    ),
  'version-outcomes': () =>
    markdownTable(
      ['version', 'safe', 'outcomes it allows or exists to show'],
      KERNELS.map((k) => [code(k.name), isSafe(k) ? 'yes' : '**no**', outcomes(k)]),
    ),
  'walker-kinds': () =>
    markdownTable(
      ['kind', 'models', 'arch', 'hold (us, IRQs off)', 'walks per IRQ-off stretch', 'guard before 5.8', 'guard since 5.8'],
      WALKER_KINDS.map((k) => [code(k.name), k.models, k.arch === 'any' ? 'any' : 'powerpc', String(k.holdUs), String(k.walksPerIrqOff), k.guard.before58, k.guard.since58]),
      ['left', 'left', 'left', 'right', 'right'],
    ),
  archs: () =>
    markdownTable(
      ['`--arch`', 'what it is', 'base pages', 'THPs', 'TLB flush', 'deposit list', 'lazy-TLB CPUs skipped', '`--pv`', 'walkers'],
      ARCHS.map((name) => {
        const a = ARCH_SPECS[name];
        return [
          code(name),
          a.models,
          list(a.basePages.map(formatSize)),
          list(a.thpSizes.map(formatSize)),
          list([...a.tlbFlushes]),
          a.depositList === 'ptes' ? `in the ptes (${a.bigEndian ? 'big' : 'little'}-endian)` : 'outside the ptes',
          a.lazyTlb ? 'yes' : 'no',
          list([...a.paravirt]),
          a.walkers === 'generic' ? 'gup-fast' : 'powerpc\'s',
        ];
      }),
    ),
  layers: () => {
    const layers = createRequire(import.meta.url)('../.layers.cjs') as readonly { folder: string; is: string; mayImport: readonly string[] }[];
    return markdownTable(
      ['`src/` folder', 'what it is', 'may import'],
      [...layers].reverse().map((l) => [code(l.folder), l.is, list(l.mayImport.map(code))]),
    );
  },
  ...Object.fromEntries([...COMMANDS, undefined].map((c) => [`help:${c?.name ?? 'docs'}`, () => helpBlock(c ?? docs)])),
};

function helpBlock(command: Command<OptionTable>): string {
  return ['```', `$ ${command.invocation} --help`, helpText(command), '```'].join('\n');
}

const BLOCK = /<!-- generated: ([\w:.-]+) -->\n[\s\S]*?<!-- end: \1 -->/g;

/** `text` with every generated block written afresh; throws on a block no declaration makes. */
export function regenerate(text: string): string {
  return text.replace(BLOCK, (_, name: string) => {
    const make = BLOCKS[name];
    if (!make) throw new Error(`no generated block named '${name}'`);
    return `<!-- generated: ${name} -->\n${make()}\n<!-- end: ${name} -->`;
  });
}

/** Every page of the docs, by its path from the repository's root. */
export function docPages(): string[] {
  const pages = ['README.md', 'CONTRIBUTING.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk('docs');
  return pages.filter((page) => existsSync(join(ROOT, page)));
}

export const docs = defineCommand({
  name: 'docs',
  invocation: 'npx tsx stress/docs.ts',
  about: "Writes the docs' generated blocks (answers and versions tables, the layer map, every command's --help) from the declarations.",
  options: { check: flag('only say which pages differ from the declarations, and exit 1 if any does') },
  async run(o) {
    const stale: string[] = [];
    for (const page of docPages()) {
      const path = join(ROOT, page);
      const text = readFileSync(path, 'utf8');
      const fresh = regenerate(text);
      if (fresh === text) continue;
      stale.push(page);
      if (!o.check) writeFileAtomic(path, fresh);
    }
    process.stdout.write(stale.length === 0 ? 'every generated block is up to date\n' : `${o.check ? 'out of date' : 'rewrote'}: ${stale.join(', ')}\n`);
    return o.check && stale.length > 0 ? 1 : 0;
  },
});

if (isMain(import.meta.url)) await runCommand(docs);
