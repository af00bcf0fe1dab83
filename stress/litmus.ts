// Classic litmus shapes on worker threads, to show which reorderings this host really makes.
//   npx tsx stress/litmus.ts [--test SB,MP] [--variant plain] [--iterations N] [--json -]

import { formatOptions, integer, nameList, option, parseOptions, readOptions } from '../src/cli/option-table.ts';
import { Session, runCommand } from '../src/run/session.ts';
import { VARIANTS, type Variant } from '../src/litmus/compile.ts';
import { brokenResults, formatResult, formatSummary, type LitmusReport } from '../src/litmus/report.ts';
import { LitmusPool, type LitmusResult } from '../src/litmus/run-litmus.ts';
import { SHAPE_NAMES, shapeByName } from '../src/litmus/shapes.ts';

const COMMAND = 'npx tsx stress/litmus.ts';

const OPTIONS = {
  test: option({ value: 'LIST', default: 'all', help: `comma-separated tests, or all: ${SHAPE_NAMES.join(', ')}`, parse: nameList(SHAPE_NAMES, 'test') }),
  variant: option({ value: 'LIST', default: 'all', help: `comma-separated variants, or all: ${VARIANTS.join(', ')}`, parse: nameList(VARIANTS, 'variant') }),
  iterations: option({ value: 'N', default: '1000000', help: 'iterations of each test and variant', parse: integer(1, 1e9) }),
  stride: option({ value: 'N', default: '1000', help: 'iterations between two synchronisations of the threads', parse: integer(1, 1e6) }),
  json: option({ value: 'FILE', default: undefined, help: "also write the results as JSON to FILE ('-' for stdout)", parse: (text: string): string | undefined => text }),
};

async function main(argv: readonly string[]): Promise<number> {
  const { given, help } = readOptions(argv, OPTIONS);
  if (help) {
    process.stdout.write(`usage: ${COMMAND} [options]\n\nRuns litmus tests on worker threads and prints what this host did.\n\n${formatOptions(OPTIONS)}\n\n` +
      'Exit status: 0 done, 1 a thread failed, 2 bad usage, 3 an atomics or fenced variant showed a non-SC outcome.\n');
    return 0;
  }
  const o = parseOptions(OPTIONS, given);
  const session = new Session('litmus', { json: o.json });
  const say = (line: string) => session.say(line);
  const { host } = session;
  say(session.hostLine + '\n');

  const shapes = o.test.map(shapeByName);
  const pool = LitmusPool.start(Math.max(...shapes.map((s) => s.threads.length)));
  const tests: LitmusResult[] = [];
  try {
    for (const shape of shapes) {
      for (const variant of o.variant as Variant[]) {
        const result = await pool.run(shape, variant, o.iterations, Math.min(o.stride, o.iterations));
        tests.push(result);
        say(formatResult(result, host) + '\n');
      }
    }
  } catch (error) {
    session.failure = error instanceof Error ? error.message : String(error);
    return session.finish({ broken: false });
  } finally {
    await pool.close();
  }
  const report: LitmusReport = { host, tests };
  say(formatSummary(report));
  session.writeJson(report);
  return session.finish({ broken: brokenResults(report).length > 0 });
}

await runCommand('litmus', COMMAND, main);
