// How honest is the budget's estimate? Runs the seed's preset at a size small enough to run whole,
// alternately with a time budget (CPU 0 stops early and the rest is estimated, with an interval)
// and whole, and counts how often the whole run's time fell inside the interval the budgeted run
// before it gave. Beside it, the interval the estimate used to give (each PMD taken as independent).
//   npx tsx stress/estimate-coverage.ts [--runs 6] [--memory 16G] [--budget 1]

import { decimal, integer, oneOf, size } from '../src/base/value-types.ts';
import { option } from '../src/base/option-table.ts';
import { formatSize } from '../src/base/sizes.ts';
import { textTable } from '../src/base/text-table.ts';
import { checkCpusFitMemory } from '../src/coordinator/cpu-memory.ts';
import { runSpec } from '../src/coordinator/run-spec.ts';
import type { Estimate } from '../src/coordinator/estimate.ts';
import { runStrategy } from '../src/coordinator/runs.ts';
import { Session } from '../src/coordinator/session.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { STRATEGY_NAMES } from '../src/strategies/index.ts';

const OPTIONS = {
  runs: option({ value: 'N', default: '6', help: 'pairs of runs (budgeted, then whole)', parse: integer(1, 1000) }),
  memory: option({ value: 'SIZE', default: '16G', help: 'THP memory of each run: small enough to run whole', parse: size }),
  budget: option({ value: 'S', default: '1', help: 'the budgeted run stops after this many seconds', parse: decimal(0.001, 3600) }),
  strategy: option({ value: 'NAME', default: 'ipi-broadcast', help: 'the strategy run', parse: oneOf(STRATEGY_NAMES, 'strategy') }),
};

export const estimateCoverage = defineCommand({
  name: 'estimate-coverage',
  invocation: 'npx tsx stress/estimate-coverage.ts',
  about: "The seed's preset (128 CPUs), budgeted then whole, to check the estimate's interval.",
  options: OPTIONS,
  async run(o) {
    const whole = runSpec({ preset: 'qemu-128', machine: { memoryBytes: o.memory }, strategy: o.strategy, budgetMs: undefined });
    const budgeted = { ...whole, budgetMs: o.budget * 1000 };
    checkCpusFitMemory(whole.machine.cpus);
    const session = new Session('estimate-coverage');
    session.say(`${session.hostLine}\n${o.runs} pairs: ${o.strategy}, the qemu-128 preset with ${formatSize(o.memory)} (${whole.machine.hugePages} PMDs), a ${o.budget} s budget, then whole\n`);
    const rows: string[][] = [['pair', 'PMDs measured', 'estimate', '95% interval now', 'whole run', 'inside', 'interval before', 'inside']];
    let [covered, coveredBefore, pairs] = [0, 0, 0];
    await session.withCpus(whole, { strategies: [whole.strategy], operation: true }, async (pool) => {
      for (let i = 0; i < o.runs && !session.interrupted; i++) {
        const estimated = await runStrategy(pool, budgeted, 2 * i);
        const truth = await runStrategy(pool, whole, 2 * i + 1);
        const e = estimated.estimate;
        if (!e || truth.estimated) throw new Error(`pair ${i + 1}: the budgeted run was not estimated, or the whole run was (raise --memory or lower --budget)`);
        const before = naiveInterval(e, estimated.pmds);
        const inside = (low: number, high: number) => truth.opMs >= low && truth.opMs <= high;
        covered += inside(e.lowMs, e.highMs) ? 1 : 0;
        coveredBefore += inside(before.lowMs, before.highMs) ? 1 : 0;
        pairs++;
        rows.push([
          String(i + 1),
          String(e.measuredPmds),
          seconds(estimated.opMs),
          `${seconds(e.lowMs)} to ${seconds(e.highMs)}`,
          seconds(truth.opMs),
          inside(e.lowMs, e.highMs) ? 'yes' : 'NO',
          `${seconds(before.lowMs)} to ${seconds(before.highMs)}`,
          inside(before.lowMs, before.highMs) ? 'yes' : 'NO',
        ]);
        session.say(rows[rows.length - 1].join('  '));
      }
    });
    session.say(`\n${textTable(rows[0], rows.slice(1), { align: rows[0].map(() => 'left') })}\n\nthe whole run fell inside the interval in ${covered} of ${pairs} pairs (before: ${coveredBefore} of ${pairs})`);
    return session.finish({ broken: false });
  },
});

/** The interval the estimate gave before batch means: every PMD independent, 1.96 standard errors of the serialize times. */
function naiveInterval(e: Estimate, pmds: number): { lowMs: number; highMs: number } {
  const half = (1.96 * e.perPmdUs.sd) / Math.sqrt(e.measuredPmds);
  const left = pmds - e.measuredPmds;
  return { lowMs: e.measuredMs + (left * (e.perPmdUs.mean - half)) / 1000, highMs: e.measuredMs + (left * (e.perPmdUs.mean + half)) / 1000 };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

if (isMain(import.meta.url)) await runCommand(estimateCoverage);
