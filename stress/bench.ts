// The emulator against the host's floors: how much its machinery costs next to the rawest
// thing the host can do for the same job. Each figure is the median of several repeats, with
// the spread, and a ratio to its floor. The measuring kit is src/bench/.
//   npm run bench

import { writeFileAtomic } from '../src/base/atomic-write.ts';
import { hostInfo, hostLine } from '../src/base/host.ts';
import { option } from '../src/base/option-table.ts';
import type { MedianRange } from '../src/base/statistics.ts';
import { textTable } from '../src/base/text-table.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { munmaps, walks } from '../src/bench/loops.ts';
import { hyperfineResult, type HyperfineExport } from '../src/bench/hyperfine-json.ts';
import { REPEATS, type Figure, type Pair } from '../src/bench/measure.ts';
import { BROADCAST_TARGETS, broadcastRound, roundTrip } from '../src/bench/round-trips.ts';

/** A line of the table: a figure, and what it is compared with (itself: a floor), paired or not. */
interface Row {
  readonly figure: Figure;
  readonly against: Figure;
  readonly ratio?: MedianRange;
}

const OPTIONS = {
  'export-json': option({
    value: 'FILE',
    default: undefined,
    help: "also write every figure as hyperfine's --export-json does (results[]: command, mean, stddev, median, min, max, times, in seconds), each with its ratio to its floor",
    parse: (text: string): string | undefined => text,
  }),
};

export const bench = defineCommand({
  name: 'bench',
  invocation: 'npm run bench --',
  about: "Measures the emulator's IPIs, broadcast rounds, lockless walk and munmap per PMD against the host's raw floors for the same jobs.",
  options: OPTIONS,
  outputs: { 'export-json': 'file' },
  run: (o) => main(o['export-json']),
});

async function main(exportJson: string | undefined): Promise<number> {
  process.stdout.write(`${hostLine(hostInfo())}; median of ${REPEATS}, [min..max]; x: the ratio of medians, or of pairs measured turn about (paired)\n\n`);
  const rows: Row[] = [];
  const paired = ({ figure, floor: against, ratio }: Pair, floorToo = true): Row[] => [
    ...(floorToo ? [{ figure: against, against }] : []),
    { figure, against, ratio },
  ];
  for (const halted of [false, true]) rows.push(...paired(await roundTrip(halted)));
  for (const n of BROADCAST_TARGETS) rows.push(...paired(await broadcastRound(n)));
  const w = walks();
  const m = munmaps();
  // munmap's floor is the line above it: its kernel steps, themselves against the barest loop.
  rows.push(...paired(w.walk), ...paired(m.kernelSteps), ...paired(m.munmap, false));
  rows.push({ figure: w.traced(), against: w.walk.figure }, { figure: m.traced(), against: m.munmap.figure });
  const cell = (f: Figure) => `${f.median.toFixed(f.median < 10 ? 2 : 1)} ${f.unit} [${f.min.toFixed(2)}..${f.max.toFixed(2)}]`;
  const x = ({ figure, against, ratio }: Row) =>
    figure === against ? 'floor' : `${ratio ? `${ratio.median.toFixed(2)}x [${ratio.min.toFixed(2)}..${ratio.max.toFixed(2)}] paired, ` : `${(figure.median / against.median).toFixed(2)}x `}${against.name}`;
  const table = textTable(['figure', 'median [min..max]', 'against its floor'], rows.map((row) => [row.figure.name, cell(row.figure), x(row)]), { align: ['left', 'left'], rule: true, freeLastColumn: true });
  process.stdout.write(table + '\n');
  if (exportJson !== undefined) {
    const results = rows.map(({ figure, against, ratio }) =>
      hyperfineResult(figure, figure === against ? undefined : { ...(ratio ?? ratioOfMedians(figure, against)), against: against.name, paired: ratio !== undefined }),
    );
    writeFileAtomic(exportJson, JSON.stringify({ results } satisfies HyperfineExport, null, 2) + '\n');
  }
  return 0;
}

/** An unpaired figure's ratio: of the medians, and of the extremes the other way about. */
const ratioOfMedians = (figure: Figure, against: Figure): MedianRange => ({ median: figure.median / against.median, min: figure.min / against.max, max: figure.max / against.min });

if (isMain(import.meta.url)) await runCommand(bench);
