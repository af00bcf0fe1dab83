// Litmus verdicts as JUnit XML, the report CI dashboards read (Jenkins, GitLab, GitHub's test
// reporters): one <testcase> per test and variant run, a <failure> for a FAILED verdict (a Never
// condition observed, an Always one false, a non-SC outcome under atomics or fenced), <skipped>
// for a test the reader refused, with its reason. A verdict that is not a failure (agrees, not
// observed and why) is the testcase's <system-out>.

import { hostname } from 'node:os';
import type { LitmusReport } from './report.ts';

const XML_ESCAPES: { readonly [ch: string]: string } = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const xml = (text: string): string => text.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]);

/** The report as one <testsuite> named `suite`, the time in seconds. */
export function formatJUnit(report: LitmusReport, suite = 'litmus'): string {
  const cases: string[] = [];
  let failures = 0;
  let seconds = 0;
  for (const t of report.tests) {
    seconds += t.seconds;
    const attrs = `name="${xml(t.id)}" classname="${xml(t.file ?? 'built-in')}" time="${t.seconds.toFixed(3)}"`;
    const said = `${t.verdict.kind}: ${t.verdict.text} (${t.positive} of ${t.iterations} iterations; herd7: ${t.expected ?? 'no Result line'})`;
    if (t.verdict.failed) {
      failures++;
      cases.push(`  <testcase ${attrs}>\n    <failure message="${xml(t.verdict.text)}" type="${xml(t.verdict.kind)}">${xml(said)}</failure>\n  </testcase>`);
    } else {
      cases.push(`  <testcase ${attrs}>\n    <system-out>${xml(said)}</system-out>\n  </testcase>`);
    }
  }
  for (const r of report.refused) {
    cases.push(`  <testcase name="${xml(r.name)}" classname="${xml(r.file ?? 'built-in')}" time="0">\n    <skipped message="${xml(r.message)}"/>\n  </testcase>`);
  }
  const total = report.tests.length + report.refused.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${xml(suite)}" tests="${total}" failures="${failures}" errors="0" skipped="${report.refused.length}" time="${seconds.toFixed(3)}" hostname="${xml(hostname())}">`,
    ...cases,
    '</testsuite>',
    '',
  ].join('\n');
}
