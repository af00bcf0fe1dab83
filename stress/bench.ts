// The emulator against the host's floors: how much its machinery costs next to the rawest
// thing the host can do for the same job. Each figure is the median of several repeats, with
// the spread, and a ratio to its floor. The measuring kit is src/bench/.
//   npm run bench

import { hostInfo, hostLine } from '../src/base/host.ts';
import type { MedianRange } from '../src/base/statistics.ts';
import { textTable } from '../src/base/text-table.ts';
import { defineCommand, isMain, runCommand } from '../src/cli/command.ts';
import { munmaps, walks } from '../src/bench/loops.ts';
import { REPEATS, type Figure, type Pair } from '../src/bench/measure.ts';
import { BROADCAST_TARGETS, broadcastRound, roundTrip } from '../src/bench/round-trips.ts';

/** A line of the table: a figure, and what it is compared with (itself: a floor), paired or not. */
interface Row {
  readonly figure: Figure;
  readonly against: Figure;
  readonly ratio?: MedianRange;
}

export const bench = defineCommand({
  name: 'bench',
  invocation: 'npm run bench --',
  about: "Measures the emulator's IPIs, broadcast rounds, lockless walk and munmap per PMD against the host's raw floors for the same jobs.",
  options: {},
  run: () => main(),
});

async function main(): Promise<number> {
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
  return 0;
}

if (isMain(import.meta.url)) await runCommand(bench);
