// One report from the outputs of a run spread over machines with --shard I/N, as Playwright's
// merge-reports and herdtools7's msum7 do: a sweep's cells joined and its table and plots
// redrawn, a soak's totals added and its verdict given again, litmus results summed test by test.
// A shard missing, given twice or of another run is named, and nothing is merged.
//   npx tsx stress/merge.ts shard-1/ shard-2/ --out merged/

import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/base/atomic-write.ts';
import { option } from '../src/base/option-table.ts';
import { shardSetProblems, type ShardStamp } from '../src/base/shard.ts';
import { UsageError } from '../src/base/usage-error.ts';
import { quote } from '../src/base/value-types.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { ExitStatus } from '../src/coordinator/session.ts';
import { formatLitmus7Log } from '../src/litmus/litmus7-log.ts';
import { sumLitmusResults } from '../src/litmus/msum.ts';
import { failedResults, formatSummary, formatTable, type LitmusReport } from '../src/litmus/report.ts';
import { sumSoakTotals, type SoakTotals } from '../src/report/soak-totals.ts';
import { sweepMarkdown, writeSweepReport, type SweepReport } from '../src/report/sweep-report.ts';

/** What each command's output is called in a directory given to merge. */
const FILE_OF = { sweep: 'sweep.json', soak: 'soak.json', litmus: 'litmus.json' } as const;
type Kind = keyof typeof FILE_OF;

interface SoakReport {
  readonly host: SweepReport['host'];
  readonly config: unknown;
  readonly shard?: ShardStamp;
  readonly elapsedS: number;
  readonly success: boolean;
  readonly totals: SoakTotals;
}

type Input = { readonly name: string } & ({ readonly kind: 'sweep'; readonly report: SweepReport } | { readonly kind: 'soak'; readonly report: SoakReport } | { readonly kind: 'litmus'; readonly report: LitmusReport });

/** A path given: a directory holding one command's output, or the JSON file itself. */
function readInput(path: string): Input {
  if (!existsSync(path)) throw new UsageError(`no such file or directory ${quote(path)}`);
  let file = path;
  if (statSync(path).isDirectory()) {
    const found = Object.values(FILE_OF).filter((f) => existsSync(join(path, f)));
    if (found.length !== 1) throw new UsageError(`${quote(path)} holds ${found.length === 0 ? `none of ${Object.values(FILE_OF).join(', ')}` : `more than one of ${found.join(', ')}`}`);
    file = join(path, found[0]);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${quote(file)} is not a report: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const has = (key: string) => typeof json === 'object' && json !== null && key in json;
  if (has('cells') && has('walkers')) return { name: path, kind: 'sweep', report: json as SweepReport };
  if (has('totals') && has('success')) return { name: path, kind: 'soak', report: json as SoakReport };
  if (has('tests') && has('refused')) return { name: path, kind: 'litmus', report: json as LitmusReport };
  throw new UsageError(`${quote(file)} is not a sweep, soak or litmus report`);
}

export const merge = defineCommand({
  name: 'merge',
  invocation: 'npx tsx stress/merge.ts',
  usage: 'DIR|FILE... --out DIR [options]',
  positionals: 'DIR|FILE...',
  about:
    "Merges the outputs of one run's shards (--shard I/N of stress/sweep.ts, stress/soak.ts, stress/litmus.ts --dir) into one report: " +
    'sweep cells joined and the table and plots redrawn, soak totals added, litmus results summed as msum7 sums logs (whole runs of the same tests too). ' +
    'A shard missing, given twice or of another run is named, and nothing is written.',
  options: {
    out: option({ value: 'DIR', default: undefined, help: 'where to write the merged report (sweep.json, sweep.md and the plots; soak.json; litmus.json and litmus.log)', parse: (t: string): string | undefined => t }),
  },
  outputs: { out: 'dir' },
  exitStatus: 'Exit status: 0 merged, 2 bad usage (a shard missing, twice, or of another run), 3 the merged report is a failure (a broken invariant, SOAK: FAILURE, a FAILED litmus verdict).',
  async run(o, _given, _argv, paths) {
    if (paths.length === 0) throw new UsageError('give the shards to merge: DIR or FILE, one or more');
    if (o.out === undefined) throw new UsageError('--out DIR is needed');
    const inputs = paths.map(readInput);
    const kinds = [...new Set(inputs.map((i) => i.kind))];
    if (kinds.length > 1) throw new UsageError(`cannot merge a ${kinds.join(' with a ')}: ${inputs.map((i) => `${i.name} (${i.kind})`).join(', ')}`);
    const problems = shardSetProblems(
      inputs.map((i) => i.report.shard),
      inputs.map((i) => i.name),
    );
    if (problems.length > 0) throw new UsageError(problems.join('; '));
    mkdirSync(o.out, { recursive: true });
    const say = (text: string) => process.stdout.write(text + '\n');
    const kind = kinds[0] as Kind;
    say(`merged ${inputs.length} ${kind} report(s): ${inputs.map((i) => i.name).join(', ')}`);
    if (kind === 'sweep') return mergeSweeps(inputs.map((i) => i.report as SweepReport), o.out, say);
    if (kind === 'soak') return mergeSoaks(inputs.map((i) => i.report as SoakReport), o.out, say);
    return mergeLitmus(inputs.map((i) => i.report as LitmusReport), o.out, say);
  },
});

/** A sweep's shards: their cells in the sweep's own order, its report written as a whole sweep writes it. */
async function mergeSweeps(reports: readonly SweepReport[], out: string, say: (text: string) => void): Promise<number> {
  const { host, config } = reports[0];
  if (reports.length > 1 && reports.some((r) => r.shard === undefined)) throw new UsageError('whole sweeps have nothing to merge: give the shards of one sweep');
  const at = (list: readonly (string | number)[], value: string | number) => list.indexOf(value);
  const cells = reports
    .flatMap((r) => r.cells)
    .sort((a, b) => at(config.cpus, a.cpus) - at(config.cpus, b.cpus) || at(config.memory, a.memory) - at(config.memory, b.memory) || at(config.workload, a.workload) - at(config.workload, b.workload) || at(config.strategy, a.strategy) - at(config.strategy, b.strategy));
  const walkers = reports.flatMap((r) => r.walkers).sort((a, b) => at(config.cpus, a.cpus) - at(config.cpus, b.cpus) || at(config.strategy, a.strategy) - at(config.strategy, b.strategy));
  const merged: SweepReport = { host, config, startUps: reports.flatMap((r) => r.startUps), cells, walkers };
  const files = await writeSweepReport(out, merged);
  say(`\n${sweepMarkdown(merged)}\nwrote ${files.join(', ')}`);
  return cells.every((c) => c.invariantsHeld) ? ExitStatus.OK : ExitStatus.BROKEN;
}

/** A soak's shards: their totals added, the verdict given on the sum. */
function mergeSoaks(reports: readonly SoakReport[], out: string, say: (text: string) => void): number {
  const totals = sumSoakTotals(reports.map((r) => r.totals));
  const success = reports.every((r) => r.success) && totals.violations === 0 && totals.brokenInvariants.length === 0;
  const elapsedS = Math.max(...reports.map((r) => r.elapsedS));
  const merged = { host: reports[0].host, config: reports[0].config, shards: reports.length, elapsedS, success, totals };
  writeFileAtomic(join(out, FILE_OF.soak), JSON.stringify(merged, null, 2) + '\n');
  const pmds = Object.entries(totals.pmds).map(([op, n]) => `${n.toLocaleString('en-US')} ${op}`).join(', ');
  say(`${totals.cycles} cycles in ${reports.length} shard(s); PMDs ${pmds}; ${totals.walks.toLocaleString('en-US')} walks; IPIs ${totals.ipisSent.toLocaleString('en-US')} sent, ${totals.ipisAcked.toLocaleString('en-US')} acked`);
  for (const broken of totals.brokenInvariants.slice(0, 10)) say(`  BROKEN: ${broken}`);
  say(`SOAK: ${success ? 'SUCCESS' : 'FAILURE'} after ${elapsedS.toFixed(0)} s a shard: ${totals.violations} use-after-free under safe strategies, ${totals.brokenInvariants.length} broken invariant(s)`);
  say(`wrote ${join(out, FILE_OF.soak)}`);
  return success ? ExitStatus.OK : ExitStatus.BROKEN;
}

/** Litmus reports: every test once, the same test's runs summed (msum7); a litmus7 log of the sum beside the JSON. */
function mergeLitmus(reports: readonly LitmusReport[], out: string, say: (text: string) => void): number {
  const host = reports[0].host;
  const tests = sumLitmusResults(
    reports.flatMap((r) => r.tests),
    host.arch,
  );
  const refused = [...new Map(reports.flatMap((r) => r.refused).map((r) => [`${r.file ?? ''}|${r.name}`, r])).values()];
  const merged: LitmusReport = { host, tests, refused };
  writeFileAtomic(join(out, FILE_OF.litmus), JSON.stringify(merged, null, 2) + '\n');
  writeFileAtomic(join(out, 'litmus.log'), formatLitmus7Log('npx tsx stress/merge.ts', tests));
  say(`\n${formatTable(merged)}\n\n${formatSummary(merged)}\nwrote ${join(out, FILE_OF.litmus)}, ${join(out, 'litmus.log')}`);
  return failedResults(merged).length > 0 ? ExitStatus.BROKEN : ExitStatus.OK;
}

if (isMain(import.meta.url)) await runCommand(merge);
