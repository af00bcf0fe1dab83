// The litmus7 log format, written and read back. Written: for each test the block litmus7
// prints (`Test NAME Allowed`, `Histogram (N states)`, a line per outcome with its count and `*>`
// where the condition holds, `Ok`/`No`, the witnesses, the condition, `Hash=`, `Observation`,
// `Time`), so that herdtools7's mcompare7 and friends can read it. Read: the same grammar as
// herdtools7's log lexer (tools/lexLog_tools.mll), so that the suite checks what is written.

import type { LitmusResult } from './run-litmus.ts';

const KIND_BY_QUANTIFIER = { exists: 'Allowed', '~exists': 'Forbidden', forall: 'Required' } as const;

/** One test's block, as litmus7 writes it. */
export function formatLitmus7Test(result: LitmusResult): string {
  const negative = result.iterations - result.positive;
  const ok = result.quantifier === 'exists' ? result.positive > 0 : result.quantifier === '~exists' ? result.positive === 0 : negative === 0;
  // litmus7 counts ~exists' witnesses the other way round: positive are the runs that validate it.
  const [witnessesPositive, witnessesNegative] = result.quantifier === '~exists' ? [negative, result.positive] : [result.positive, negative];
  const states = [...result.outcomes].sort((a, b) => a.outcome.localeCompare(b.outcome, 'en', { numeric: true }));
  const banner = `% Results for ${result.file ?? result.name} (${result.variant}) %`;
  return [
    '%'.repeat(banner.length),
    banner,
    '%'.repeat(banner.length),
    `Test ${result.id} ${KIND_BY_QUANTIFIER[result.quantifier]}`,
    `Histogram (${states.length} states)`,
    ...states.map((o) => `${String(o.count).padEnd(6)}${o.satisfies ? '*' : ':'}>${o.outcome}`),
    ok ? 'Ok' : 'No',
    '',
    'Witnesses',
    `Positive: ${witnessesPositive}, Negative: ${witnessesNegative}`,
    `Condition ${result.condition} is ${ok ? '' : 'NOT '}validated`,
    `Hash=${result.hash}`,
    `Observation ${result.id} ${result.observation} ${result.positive} ${negative}`,
    `Time ${result.id} ${result.seconds.toFixed(2)}`,
    '',
  ].join('\n');
}

export function formatLitmus7Log(commandLine: string, results: readonly LitmusResult[]): string {
  return [`Command line: ${commandLine}`, '', ...results.map(formatLitmus7Test)].join('\n');
}

export interface Litmus7LogTest {
  readonly name: string;
  readonly kind: string;
  readonly states: readonly { readonly count: number; readonly witness: boolean; readonly bindings: Readonly<Record<string, number>> }[];
  readonly validation: string;
  readonly witnesses?: { readonly positive: number; readonly negative: number };
  readonly condition?: string;
  readonly hash?: string;
  readonly observation?: { readonly result: string; readonly positive: number; readonly negative: number };
  readonly time?: number;
}

// The lexer's own definitions.
const TESTNAME = String.raw`[A-Za-z0-9_/.\-+\[\]]+`;
const NAME = String.raw`[A-Za-z][A-Za-z0-9_.]*`;
const KINDS = new Set(['Allow', 'Allowed', 'Require', 'Required', 'Forbid', 'Forbidden', '', 'Unknown', '???', '---', 'Undefined']);
const TEST_LINE = new RegExp(`^Test[ \\t]+(${TESTNAME})(?:[ \\t]+(${NAME}))?$`);
const HISTOGRAM_LINE = /^(?:Histogram(?:[ \t]+\((\d+)[ \t]+states[ \t]*\))?|States(?:[ \t]+\d+)?)$/;
const STATE_PREFIX = /^(\d+)[ \t]*(:>|\*>)/;
const BINDING = new RegExp(`^[ \\t]*(\\d+:${NAME}|\\[?${NAME}\\]?)[ \\t]*=[ \\t]*(-?(?:0x[0-9a-fA-F]+|\\d+))[ \\t]*;`);
const VALIDATION_LINE = /^(?:Loop[ \t]+)?(Undef|Succeeded|Failed|Ok|No|\?\?)/;
const WITNESS_COUNTS = /^Positive:[ \t]*(\d+),?[ \t]*Negative:[ \t]*(\d+)[ \t]*$/;
const CONDITION_LINE = /^Condition[ \t]+(.+?)(?:[ \t]+is.*validated)?$/;

/** Every test block of a litmus7 log; throws, naming the line, where mcompare7's lexer would. */
export function parseLitmus7Log(text: string): Litmus7LogTest[] {
  const lines = text.split(/\r?\n/);
  const tests: Litmus7LogTest[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`line ${i + 1}: ${why}: '${lines[i] ?? ''}'`);
  };
  while (i < lines.length) {
    const test = TEST_LINE.exec(lines[i++]);
    if (!test) continue;
    const [, name, kind = ''] = test;
    if (!KINDS.has(kind)) fail(`unknown kind '${kind}'`);
    while (i < lines.length && !HISTOGRAM_LINE.test(lines[i])) {
      if (/^Fatal[: ]/.test(lines[i])) break;
      i++;
    }
    if (i >= lines.length || !HISTOGRAM_LINE.test(lines[i])) continue;
    i++;
    const states: { count: number; witness: boolean; bindings: Record<string, number> }[] = [];
    let validation: string | undefined;
    while (i < lines.length) {
      const line = lines[i];
      const v = VALIDATION_LINE.exec(line);
      if (v) {
        validation = v[1];
        i++;
        break;
      }
      if (line.trim() === '') {
        i++;
        continue;
      }
      const prefix = STATE_PREFIX.exec(line);
      let rest = prefix ? line.slice(prefix[0].length) : line;
      const bindings: Record<string, number> = {};
      for (let b = BINDING.exec(rest); b; b = BINDING.exec(rest)) {
        bindings[b[1].replace(/^\[(.*)\]$/, '$1')] = Number(b[2]);
        rest = rest.slice(b[0].length);
      }
      if (!/^[ \t]*(#.*)?$/.test(rest)) fail('bad state line');
      states.push({ count: prefix ? Number(prefix[1]) : 1, witness: prefix?.[2] === '*>', bindings });
      i++;
    }
    if (validation === undefined) fail('histogram without a validation line');
    while (i < lines.length && lines[i].trim() === '') i++;
    let witnesses: { positive: number; negative: number } | undefined;
    if (lines[i]?.trim() === 'Witnesses') {
      const counts = WITNESS_COUNTS.exec(lines[i + 1] ?? '');
      if (!counts) {
        i++;
        fail('bad witness counts');
      } else {
        witnesses = { positive: Number(counts[1]), negative: Number(counts[2]) };
        i += 2;
      }
    }
    while (i < lines.length && (lines[i].trim() === '' || /^(Bad executions|Flag )/.test(lines[i]))) i++;
    const condition = CONDITION_LINE.exec(lines[i] ?? '');
    if (condition) i++;
    while (i < lines.length && lines[i].trim() === '') i++;
    let hash: string | undefined;
    let observation: Litmus7LogTest['observation'];
    let time: number | undefined;
    for (; i < lines.length; i++) {
      const line = lines[i];
      const h = /^hash[ \t]*=[ \t]*(\S+)[ \t]*$/i.exec(line);
      const t = new RegExp(`^Time[ \\t]+${TESTNAME}[ \\t]+(\\d+\\.\\d+)[ \\t]*$`).exec(line);
      const o = new RegExp(`^Observation[ \\t]+(${TESTNAME})[ \\t]+(Never|Sometimes|Always)[ \\t]+(\\d+)[ \\t]+(\\d+)[ \\t]*$`).exec(line);
      if (h) hash = h[1];
      else if (t) time = Number(t[1]);
      else if (o) observation = { result: o[2], positive: Number(o[3]), negative: Number(o[4]) };
      else if (!/^[A-Za-z]+[ \t]*=/.test(line) && !new RegExp(`^[A-Za-z]+[ \\t]+${TESTNAME}[ \\t]+`).test(line) && !/^Topology[ \t]/.test(line)) break;
    }
    tests.push({
      name: name.replace(/\.litmus$/, ''),
      kind,
      states,
      validation: validation!,
      ...(witnesses ? { witnesses } : {}),
      ...(condition ? { condition: condition[1] } : {}),
      ...(hash === undefined ? {} : { hash }),
      ...(observation ? { observation } : {}),
      ...(time === undefined ? {} : { time }),
    });
  }
  return tests;
}
