// Litmus tests on worker threads: the classic shapes built in, or C-litmus files as the Linux
// kernel memory model writes them, judged against herd7's verdict in their headers.
//   npx tsx stress/litmus.ts [--test SB,MP] [--variant as-written] [--iterations N] [--json -]
//   npx tsx stress/litmus.ts --file litmus/SB+pgtbl-v5.litmus
//   npx tsx stress/litmus.ts --dir litmus/ --log litmus.log

import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeFileAtomic } from '../src/base/atomic-write.ts';
import { join, resolve } from 'node:path';
import { MultiBar } from 'cli-progress';
import { flag, nameList, option, type OptionValues } from '../src/base/option-table.ts';
import { inShard, parseShard, shardStamp, type ShardStamp } from '../src/base/shard.ts';
import { integer, quote } from '../src/base/value-types.ts';
import { UsageError } from '../src/base/usage-error.ts';
import { Session } from '../src/coordinator/session.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { VARIANTS, type Variant } from '../src/litmus/js-mapping.ts';
import { BUILTIN_NAMES, builtinTest, litmusFilesIn, readLitmusFile } from '../src/litmus/litmus-files.ts';
import type { LitmusTest } from '../src/litmus/litmus-test.ts';
import { formatJUnit } from '../src/litmus/junit.ts';
import { formatLitmus7Log } from '../src/litmus/litmus7-log.ts';
import { failedResults, formatMappingTable, formatRefused, formatResult, formatSummary, formatTable, type LitmusReport, type RefusedTest } from '../src/litmus/report.ts';
import { LitmusPool, type LitmusResult } from '../src/litmus/run-litmus.ts';
import { findHerd7, runHerd7, type Herd7, type Herd7Run } from '../src/litmus/run-herd7.ts';

const path = (text: string): string => text;

const OPTIONS = {
  test: option({ value: 'LIST', default: 'all', help: `built-in tests, comma-separated, or all: ${BUILTIN_NAMES.join(', ')}`, parse: nameList(BUILTIN_NAMES, 'test') }),
  file: option({ value: 'LIST', default: undefined, help: 'C-litmus files to run instead, comma-separated', parse: (text: string) => text.split(',').map((p) => p.trim()) }),
  dir: option({ value: 'DIR', default: undefined, help: 'run every .litmus file under DIR instead, with a summary table', parse: path }),
  variant: option({
    value: 'LIST',
    default: undefined,
    defaultNote: 'all for built-in tests, as-written for --file and --dir',
    help: `comma-separated variants, or all: ${VARIANTS.join(', ')}`,
    parse: nameList(VARIANTS, 'variant'),
  }),
  iterations: option({ value: 'N', default: '1000000', help: 'iterations of each test and variant', parse: integer(1, 1e9) }),
  stride: option({ value: 'N', default: '1000', help: 'iterations between two synchronisations of the threads', parse: integer(1, 1e6) }),
  log: option({ value: 'FILE', default: undefined, help: 'also write a litmus7-format log (for mcompare7) to FILE', parse: path }),
  json: option({ value: 'FILE', default: undefined, help: "also write the results as JSON to FILE ('-' for stdout)", parse: path }),
  shard: option({ value: 'I/N', default: undefined, help: "with --dir: run only shard I of N of its files (dealt in turn, in name order); stress/merge.ts joins the shards' --json outputs", parse: parseShard }),
  herd7: option({ value: 'PATH', default: undefined, help: "run herd7 (a path, or a name on $PATH) on each test first, and judge the run against herd7's own verdict, reporting any disagreement with the test's Result: header", parse: path }),
  lkmm: option({ value: 'DIR', default: undefined, defaultNote: "lkmm/ beside herd7's bin/, or $HERD7_LKMM", help: "with --herd7: the kernel's memory model (the directory holding linux-kernel.cfg)", parse: path }),
  'herd7-out': option({ value: 'DIR', default: undefined, help: "with --herd7: also write herd7's output on each test to DIR/NAME.out", parse: path }),
  junit: option({ value: 'FILE', default: undefined, help: 'also write JUnit XML to FILE: a testcase per test and variant, a failure for each FAILED, skipped for each refused', parse: path }),
  quiet: flag('no progress bar for --dir (it shows only on a terminal, and has no colour)'),
  mapping: flag('print how each kernel primitive runs in JavaScript, and exit'),
};

interface Plan {
  readonly tests: LitmusTest[];
  readonly refused: RefusedTest[];
  readonly variants: readonly Variant[];
  /** With --shard: which shard of which run this is. */
  readonly stamp?: ShardStamp;
}

function plan(o: OptionValues<typeof OPTIONS>, testGiven: boolean): Plan {
  if (o.shard !== undefined && o.dir === undefined) throw new UsageError('--shard deals out the files of --dir; give --dir DIR');
  if (o.file === undefined && o.dir === undefined) {
    return { tests: o.test.map(builtinTest), refused: [], variants: (o.variant ?? VARIANTS) as Variant[] };
  }
  if (testGiven) throw new UsageError('--test names built-in tests; with --file or --dir, the files say what runs');
  if (o.dir !== undefined && !(existsSync(o.dir) && statSync(o.dir).isDirectory())) throw new UsageError(`--dir: no such directory ${quote(o.dir)}`);
  for (const file of o.file ?? []) if (!(existsSync(file) && statSync(file).isFile())) throw new UsageError(`--file: no such file ${quote(file)}`);
  // A file named twice, or also under --dir, runs once.
  const files = [...new Map([...(o.file ?? []), ...(o.dir === undefined ? [] : litmusFilesIn(o.dir))].map((f) => [resolve(f), f])).values()];
  if (files.length === 0) throw new UsageError(`--dir: no .litmus file under ${quote(o.dir ?? '')}`);
  const variants = (o.variant ?? ['as-written']) as Variant[];
  const stamp = shardStamp(o.shard, { files, variants, iterations: o.iterations, stride: o.stride }, files.length);
  const tests: LitmusTest[] = [];
  const refused: RefusedTest[] = [];
  for (const file of files.filter((_, k) => inShard(o.shard, k))) {
    const read = readLitmusFile(file);
    if (read.ok) tests.push(read.test);
    else refused.push({ name: read.name, file, ...(read.expected === undefined ? {} : { expected: read.expected }), problem: read.problem, message: read.message });
  }
  return { tests, refused, variants, ...(stamp ? { stamp } : {}) };
}

export const litmus = defineCommand({
  name: 'litmus',
  invocation: 'npx tsx stress/litmus.ts',
  about: "Runs litmus tests on worker threads and prints what this host did, judged against herd7's verdict in each test's header.",
  options: OPTIONS,
  outputs: { log: 'file', json: 'file', junit: 'file', 'herd7-out': 'dir' },
  exitStatus:
    'Exit status: 0 done, 1 a thread failed, 2 bad usage, 3 a condition herd7 says Never was observed (or an Always one failed), or an atomics or fenced variant showed a non-SC outcome.',
  async run(o, given, argv) {
    if (o.mapping) {
      process.stdout.write(formatMappingTable() + '\n');
      return 0;
    }
    const { tests: read, refused, variants, stamp } = plan(o, given.test !== undefined);
    for (const flag of ['lkmm', 'herd7-out'] as const) if (o[flag] !== undefined && o.herd7 === undefined) throw new UsageError(`--${flag} needs --herd7 PATH`);
    // herd7 first, on every test: a verdict it cannot give stops the command before anything runs.
    const herd = o.herd7 === undefined ? undefined : findHerd7(o.herd7, o.lkmm);
    const herdRuns = herd ? read.map((test) => herd7On(herd, test)) : [];
    if (o['herd7-out'] !== undefined) {
      mkdirSync(o['herd7-out'], { recursive: true });
      herdRuns.forEach((run, i) => writeFileAtomic(join(o['herd7-out']!, `${read[i].name}.out`), run.output));
    }
    // Judged against herd7's verdict where it ran; the header's is kept beside it.
    const tests = read.map((test, i) => (herd ? { ...test, expected: herdRuns[i].verdict.observation } : test));
    const herd7Of = (test: LitmusTest) => {
      const i = tests.indexOf(test);
      return herd && i >= 0 ? { version: herd.version, observation: herdRuns[i].verdict.observation, ...(read[i].expected ? { header: read[i].expected } : {}) } : undefined;
    };
    const session = new Session('litmus', { json: o.json });
    const { host } = session;
    const runs = tests.length * variants.length;
    const bar = o.dir !== undefined && process.stderr.isTTY && !o.quiet && runs > 1 ? new MultiBar({ format: 'litmus [{bar}] {value}/{total} runs, {eta_formatted} left | {test}', stream: process.stderr, hideCursor: true, clearOnComplete: true }) : undefined;
    const progress = bar?.create(runs, 0, { test: 'starting' });
    // With the bar on the same terminal, report lines go above it rather than through it.
    const say = (text: string) => {
      if (bar && process.stdout.isTTY && o.json !== '-') {
        bar.log(text + '\n');
        bar.update();
      } else session.say(text);
    };
    say(session.hostLine + '\n');
    if (herd) say(`herd7: ${herd.bin} (${herd.version}), the kernel's model in ${herd.lkmm}\n`);
    if (stamp) say(`shard ${stamp.index}/${stamp.count}: ${stamp.units} of the ${stamp.of} files (run ${stamp.key})\n`);
    for (const r of refused) say(formatRefused(r));
    if (refused.length > 0) say('');

    const results: LitmusResult[] = [];
    const pool = tests.length === 0 ? undefined : LitmusPool.start(Math.max(...tests.map((t) => t.threads.length)));
    try {
      for (const test of tests) {
        for (const variant of variants) {
          progress?.update({ test: variant === 'as-written' ? test.name : `${test.name}/${variant}` });
          const ran = await pool!.run(test, variant, o.iterations, Math.min(o.stride, o.iterations), host.arch);
          const herd7 = herd7Of(test);
          const result = herd7 ? { ...ran, herd7 } : ran;
          results.push(result);
          say(formatResult(result) + '\n');
          progress?.increment();
        }
      }
    } catch (error) {
      session.failure = error instanceof Error ? error.message : String(error);
      return session.finish({ broken: false });
    } finally {
      bar?.stop();
      await pool?.close();
    }
    const report: LitmusReport = { host, ...(stamp ? { shard: stamp } : {}), tests: results, refused };
    if (o.dir !== undefined || results.length + refused.length > 1) session.say(formatTable(report) + '\n');
    session.say(formatSummary(report));
    if (o.log !== undefined) writeFileAtomic(o.log, formatLitmus7Log(`${litmus.invocation} ${argv.join(' ')}`, results));
    if (o.junit !== undefined) writeFileAtomic(o.junit, formatJUnit(report));
    session.writeJson(report);
    return session.finish({ broken: failedResults(report).length > 0 });
  },
});

/** herd7 on a test's file (a built-in shape's text written out first); a UsageError naming the test when herd7 gives no verdict. */
function herd7On(herd: Herd7, test: LitmusTest): Herd7Run {
  const written = test.file === undefined ? join(tmpdir(), `pgtbl-herd7-${process.pid}-${test.name}.litmus`) : undefined;
  if (written) writeFileSync(written, test.source);
  try {
    return runHerd7(herd, test.file ?? written!);
  } catch (error) {
    throw new UsageError(`--herd7: ${test.file ?? test.name}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (written) rmSync(written, { force: true });
  }
}

if (isMain(import.meta.url)) await runCommand(litmus);
