// The --trace timeline, read as a viewer reads it: tracks named, slices properly nested on their
// own track, time moving forward on every track, every flow with both ends bound to slices, and
// the counts matching the run's own report.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChromeTraceEvent } from '../../src/report/chrome-trace.ts';
import { runScript } from '../helpers/run-script.ts';

const dir = mkdtempSync(join(tmpdir(), 'pgtbl-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface TraceFile {
  readonly traceEvents: ChromeTraceEvent[];
  readonly otherData: { readonly lostRecords: number; readonly unmatchedIpis: number; readonly config: { readonly cpus: number } };
}
interface ReportRun {
  readonly strategy: string;
  readonly pmdsDone: number;
  readonly ipis: { readonly sent: number };
}

/** Run the main job traced; its trace and its JSON report. */
async function traced(name: string, ...args: string[]): Promise<{ trace: TraceFile; runs: ReportRun[] }> {
  const [traceFile, jsonFile] = [join(dir, `${name}.trace.json`), join(dir, `${name}.json`)];
  const { code, stdout, stderr } = await runScript('stress/munmap.ts', '--cpus', '4', '--memory', '64M', '--warmup-ms', '20', '--trace', traceFile, '--json', jsonFile, ...args);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^trace: wrote .*, [\d,]+ events, [\d.]+ MiB; open it in ui\.perfetto\.dev/m);
  return { trace: JSON.parse(readFileSync(traceFile, 'utf8')), runs: JSON.parse(readFileSync(jsonFile, 'utf8')).runs };
}

const end = (e: ChromeTraceEvent) => (e.ts ?? 0) + (e.dur ?? 0);
/** Clock readings turned into microseconds and back can differ in the last bits. */
const EPSILON_US = 1e-3;

/** Each track's events, in file order. */
function tracks(events: readonly ChromeTraceEvent[]): Map<string, ChromeTraceEvent[]> {
  const byTrack = new Map<string, ChromeTraceEvent[]>();
  for (const e of events) {
    if (e.ph === 'M' || e.ph === 'C') continue;
    const key = `${e.pid}/${e.tid}`;
    byTrack.set(key, [...(byTrack.get(key) ?? []), e]);
  }
  return byTrack;
}

/** The checks any trace must pass, whatever was traced. */
function checkStructure(trace: TraceFile): void {
  const events = trace.traceEvents;
  const names = new Map(events.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}/${e.tid}`, String(e.args?.name)]));
  const processes = new Set(events.filter((e) => e.name === 'process_name').map((e) => e.pid));
  for (const [track, list] of tracks(events)) {
    expect(names.get(track), `track ${track} is named`).toMatch(/^CPU \d+ \(.+\)$/);
    expect(processes.has(list[0].pid)).toBe(true);
    // Time moves forward on every track, and its slices nest: each one ends before the next
    // begins, or encloses it.
    const open: ChromeTraceEvent[] = [];
    list.forEach((e, i) => {
      if (i > 0) expect(e.ts!, `${track}: ${e.name} after ${list[i - 1].name}`).toBeGreaterThanOrEqual(list[i - 1].ts!);
      if (e.ph !== 'X') return;
      expect(e.dur!).toBeGreaterThanOrEqual(0);
      while (open.length > 0 && end(open[open.length - 1]) <= e.ts! + EPSILON_US) open.pop();
      const parent = open[open.length - 1];
      if (parent) expect(end(e), `${track}: ${e.name} inside ${parent.name}`).toBeLessThanOrEqual(end(parent) + EPSILON_US);
      open.push(e);
    });
  }
  // Every flow has one start and one end, the end no earlier, and bound to a slice on its track.
  const flows = new Map<number, ChromeTraceEvent[]>();
  for (const e of events) if (e.ph === 's' || e.ph === 'f') flows.set(e.id!, [...(flows.get(e.id!) ?? []), e]);
  const slices = events.filter((e) => e.ph === 'X');
  for (const [id, ends] of flows) {
    expect(ends.map((e) => e.ph).sort(), `flow ${id}`).toEqual(['f', 's']);
    const [start, finish] = [ends.find((e) => e.ph === 's')!, ends.find((e) => e.ph === 'f')!];
    expect(finish.ts!).toBeGreaterThanOrEqual(start.ts!);
    expect(finish.bp).toBe('e');
    for (const point of [start, finish]) {
      const enclosing = slices.some((x) => x.pid === point.pid && x.tid === point.tid && x.ts! <= point.ts! + EPSILON_US && point.ts! <= end(x) + EPSILON_US);
      expect(enclosing, `flow ${id} ${point.ph} on CPU ${point.tid} is inside a slice`).toBe(true);
    }
  }
  for (const e of events.filter((x) => x.ph === 'C')) for (const value of Object.values(e.args ?? {})) expect(value).toBeGreaterThanOrEqual(0);
}

describe('stress/munmap.ts --trace', () => {
  it('writes a trace a viewer can read, whose counts are the run\'s own', async () => {
    const { trace, runs } = await traced('whole', '--strategy', 'ipi-broadcast,counter,rcu-frames');
    checkStructure(trace);
    expect(trace.otherData).toMatchObject({ lostRecords: 0, unmatchedIpis: 0, config: { cpus: 4 } });
    const events = trace.traceEvents;
    const processNames = events.filter((e) => e.name === 'process_name').map((e) => e.args?.name);
    expect(processNames).toEqual(runs.map((r) => `munmap under ${r.strategy}`));
    runs.forEach((run, i) => {
      const pid = i + 1;
      const of = (e: ChromeTraceEvent) => e.pid === pid;
      // One PMD slice per PMD done, on CPU 0; one IPI flow per IPI sent, into a handler on its target.
      expect(events.filter((e) => of(e) && e.cat === 'pmd' && e.name.startsWith('munmap PMD') && e.tid === 0)).toHaveLength(run.pmdsDone);
      const sent = events.filter((e) => of(e) && e.ph === 's' && e.name === 'IPI');
      expect(sent, run.strategy).toHaveLength(run.ipis.sent);
      const handlers = events.filter((e) => of(e) && e.name === 'IPI handler');
      for (const f of events.filter((e) => of(e) && e.ph === 'f' && e.name === 'IPI')) {
        expect(f.tid).not.toBe(0);
        expect(handlers.some((h) => h.tid === f.tid && h.ts! <= f.ts! + EPSILON_US && f.ts! <= end(h) + EPSILON_US)).toBe(true);
      }
      expect(events.filter((e) => of(e) && e.ph === 's' && e.name === 'ack')).toHaveLength(run.ipis.sent);
      // Each walker's IRQ-off stretches between its markers hold exactly the walks its own
      // statistics counted meanwhile.
      for (const [track, list] of tracks(events.filter(of))) {
        const markers = list.filter((e) => e.cat === 'trace');
        for (let m = 0; m < markers.length; m += 2) {
          const [from, until] = [markers[m], markers[m + 1]];
          expect([from?.name, until?.name], track).toEqual(['walks traced from here', 'walks traced until here']);
          const walks = list
            .filter((e) => e.cat === 'irqs-off' && !e.name.includes('another mm') && e.ts! >= from.ts! && e.ts! <= until.ts!)
            .reduce((n, e) => n + Number(e.args?.walks), 0);
          expect(walks, track).toBe(Number(until.args?.walks) - Number(from.args?.walks));
          expect(walks, track).toBeGreaterThan(0);
        }
      }
    });
    // rcu-frames: its pages wait for grace periods, and all are freed by the end (its CPUs report
    // quiescent states, rcu_qs, unless they were halted, which counts as quiescent).
    const pending = events.filter((e) => e.pid === 3 && e.ph === 'C' && e.name === 'pages waiting for a grace period');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending[pending.length - 1].args?.pages).toBe(0);
  });

  it('records only the window of PMDs asked for', async () => {
    const { trace } = await traced('window', '--strategy', 'ipi-broadcast', '--trace-pmds', '3..5', '--tlb-flush', 'ipi');
    checkStructure(trace);
    const pmds = trace.traceEvents.filter((e) => e.cat === 'pmd' && e.name.startsWith('munmap PMD'));
    expect(pmds.map((e) => e.args?.hugePage)).toEqual([3, 4, 5]);
    // What the window's serialisations and flushes sent, and nothing else, flows to a handler.
    const rounds = trace.traceEvents.filter((e) => e.name === 'smp_call_function_many');
    const sent = trace.traceEvents.filter((e) => e.ph === 's' && e.name === 'IPI');
    expect(sent).toHaveLength(rounds.reduce((n, e) => n + Number(e.args?.ipis), 0));
    // One round a PMD; the flush by IPIs of the mmu_gather's one batch comes after the window.
    expect(rounds).toHaveLength(3);
  });

  it.each([
    [['--trace-pmds', '3..2', '--trace', 'x.json'], "--trace-pmds must be A..B with 0 <= A <= B, got '3..2'"],
    [['--trace-pmds', '0..32', '--trace', 'x.json'], "--trace-pmds 0..32 is past the range's last PMD (31)"],
    [['--trace-records', '100'], '--trace-records needs --trace FILE'],
    [['--trace-mode', 'wrap', '--trace', 'x.json'], "--trace-mode: unknown trace mode 'wrap' (known: overwrite, stop)"],
    [['--trace-format', 'perfetto', '--trace', 'x.json'], "--trace-format: unknown trace format 'perfetto' (known: chrome, ftrace)"],
    [['--trace-format', 'ftrace'], '--trace-format needs --trace FILE'],
  ])('refuses %j with one line', async (args, message) => {
    const { code, stderr } = await runScript('stress/munmap.ts', '--cpus', '2', '--memory', '64M', ...args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`munmap: ${message}`);
  });
});
