// Litmus results summed as herdtools7's msum7 sums litmus7 logs: the same test (and variant) run
// in several places becomes one result whose histogram is the sum of theirs, its iterations and
// time added, and its verdict judged again on the sum (a Never condition observed once anywhere
// is observed). Tests run in one place only are kept as they are.

import { builtinTest, readLitmusFile } from './litmus-files.ts';
import type { LitmusTest } from './litmus-test.ts';
import { ADDRESS_BASE, observedName, observedNames } from './litmus-test.ts';
import { summarise, type LitmusResult } from './run-litmus.ts';

/** The test a result came from: its file read again, or the built-in shape of that name. */
function testOf(result: LitmusResult): LitmusTest {
  if (result.file === undefined) return builtinTest(result.name);
  const read = readLitmusFile(result.file);
  if (!read.ok) throw new Error(`${result.file}: ${read.message}`);
  return read.test;
}

/** `0:r0=0; 1:r0=1;` as the values of the test's observed names, in their order. */
function valuesOf(test: LitmusTest, outcome: string): number[] {
  const bound = new Map(
    outcome
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, value] = part.split('=').map((x) => x.trim());
        // A location's name is its address (formatValue()).
        const address = test.addresses.indexOf(value);
        return [name, address >= 0 ? ADDRESS_BASE + address : Number(value)] as const;
      }),
  );
  return observedNames(test).map((o) => {
    const value = bound.get(observedName(o));
    if (value === undefined) throw new Error(`${test.name}: outcome '${outcome}' has no value for ${observedName(o)}`);
    return value;
  });
}

/** Every test of `results` once, those that came more than once summed; in first-seen order. */
export function sumLitmusResults(results: readonly LitmusResult[], hostArch: string): LitmusResult[] {
  const byId = new Map<string, LitmusResult[]>();
  for (const r of results) byId.set(`${r.file ?? ''}|${r.id}`, [...(byId.get(`${r.file ?? ''}|${r.id}`) ?? []), r]);
  return [...byId.values()].map((same) => {
    if (same.length === 1) return same[0];
    const test = testOf(same[0]);
    const counts = new Map<string, number>();
    for (const r of same) for (const o of r.outcomes) counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + o.count);
    const counted = [...counts].map(([outcome, count]) => ({ values: valuesOf(test, outcome), count }));
    const sum = (f: (r: LitmusResult) => number) => same.reduce((s, r) => s + f(r), 0);
    return summarise(test, same[0].variant, sum((r) => r.iterations), same[0].stride, counted, sum((r) => r.seconds), hostArch);
  });
}
