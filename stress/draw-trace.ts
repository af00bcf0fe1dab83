// One IPI round of a --trace file drawn as an SVG timeline: every CPU's track around it, the
// IPIs going out, the handlers, the acknowledgements coming back. For a picture where there is
// no browser; the trace itself opens in ui.perfetto.dev.
//   npx tsx stress/draw-trace.ts --trace run.json [--process ipi-broadcast] [--round median] [--out round.svg]

import { existsSync, readFileSync } from 'node:fs';
import { option } from '../src/base/option-table.ts';
import { quote } from '../src/base/value-types.ts';
import { UsageError } from '../src/base/usage-error.ts';
import { writeFileAtomic } from '../src/base/atomic-write.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import type { ChromeTraceEvent } from '../src/report/chrome-trace.ts';
import { timelineSvg } from '../src/report/trace-svg.ts';

const OPTIONS = {
  trace: option({ value: 'FILE', default: undefined, help: 'a trace written by stress/munmap.ts --trace', parse: (text: string) => text }),
  process: option({ value: 'STRATEGY', default: 'ipi-broadcast', defaultNote: 'else the first', help: 'the strategy whose run to draw', parse: (text: string) => text }),
  round: option({ value: 'N', default: 'median', help: "which of CPU 0's IPI rounds: its number (1 is the first), or median (the round of median length)", parse: (text: string, flag: string) => roundChoice(text, flag) }),
  out: option({ value: 'FILE', default: 'round.svg', help: 'where the SVG goes', parse: (text: string) => text }),
};

function roundChoice(text: string, flag: string): number | 'median' {
  if (text === 'median') return 'median';
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`${flag} must be median or a round number from 1, got ${quote(text)}`);
  return Number(text);
}

export const drawTrace = defineCommand({
  name: 'draw-trace',
  invocation: 'npx tsx stress/draw-trace.ts',
  usage: '--trace FILE [options]',
  about: 'Draws one IPI round of a trace written by stress/munmap.ts --trace as an SVG timeline.',
  options: OPTIONS,
  outputs: { out: 'file' },
  async run(o, given) {
    if (o.trace === undefined) throw new UsageError('--trace FILE is required');
    if (!existsSync(o.trace)) throw new UsageError(`--trace: no such file ${quote(o.trace)}`);
    let events: ChromeTraceEvent[];
    try {
      events = (JSON.parse(readFileSync(o.trace, 'utf8')) as { traceEvents: ChromeTraceEvent[] }).traceEvents;
    } catch {
      throw new UsageError(`--trace: ${quote(o.trace)} is not a trace written by --trace`);
    }
    const processes = events.filter((e) => e.name === 'process_name');
    const chosen = processes.find((e) => String(e.args?.name).endsWith(` under ${o.process}`)) ?? (given.process === undefined ? processes[0] : undefined);
    if (!chosen) throw new UsageError(`--process: no run of ${quote(o.process)} in the trace (${processes.map((e) => String(e.args?.name)).join('; ')})`);
    const pid = chosen.pid;
    const rounds = events.filter((e) => e.pid === pid && e.tid === 0 && e.name === 'smp_call_function_many');
    if (rounds.length === 0) throw new UsageError(`--process: the run '${chosen.args?.name}' sent no IPI round in the trace`);
    const byLength = [...rounds].sort((a, b) => a.dur! - b.dur!);
    const round = o.round === 'median' ? byLength[byLength.length >> 1] : rounds[o.round - 1];
    if (!round) throw new UsageError(`--round ${o.round}: the run has ${rounds.length} rounds`);
    const pad = Math.max(round.dur! * 0.15, 5);
    const number = rounds.indexOf(round) + 1;
    const title = `${chosen.args?.name}: IPI round ${number} of ${rounds.length} (${round.args?.ipis} IPIs, ${(round.dur! / 1000).toFixed(2)} ms), from ${o.trace}`;
    writeFileAtomic(o.out, timelineSvg(events, { pid, fromUs: round.ts! - pad, toUs: round.ts! + round.dur! + pad, title }));
    process.stdout.write(`wrote ${o.out}: ${title}\n`);
    return 0;
  },
});

if (isMain(import.meta.url)) await runCommand(drawTrace);
