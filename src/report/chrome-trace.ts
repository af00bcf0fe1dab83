// A traced run as the Chrome trace event format (JSON), which Perfetto's UI and chrome://tracing
// open as they are: one process per strategy's run, one track per emulated CPU, a slice for each
// IRQ-off stretch, IPI handler, halt, PMD operation, serialisation, IPI round and wait, flow
// arrows from each IPI sent to its handler and from the handler back to the sender's wait, and
// counters for the walks in flight and the pages waiting for a grace period.
// Format: "Trace Event Format" (Google, the catapult project's docs); timestamps in microseconds.

import { writeStreamAtomic } from '../base/atomic-write.ts';
import { TraceEvent, VIOLATION_KINDS } from '../kernel/ftrace.ts';
import { WALKER_KINDS } from '../kernel/walker-kinds.ts';
import type { TraceEntry } from '../shared-memory/trace-ring.ts';
import type { TracedRun } from '../coordinator/trace-recorder.ts';

/** One event of the format; only the fields this writer uses. */
export interface ChromeTraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'i' | 'C' | 'M' | 's' | 'f';
  readonly pid: number;
  readonly tid?: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: number;
  /** Flow ends bind to the slice enclosing them. */
  readonly bp?: 'e';
  /** Instants: scoped to their thread. */
  readonly s?: 't';
  readonly args?: { readonly [name: string]: string | number };
}

/** What the file holds, counted as it is written. */
export interface TraceSummary {
  readonly events: number;
  readonly bytes: number;
  /** IPIs whose handler (or whose sender's wait) is not in the trace: outside the window, or lost from a full ring. */
  readonly unmatchedIpis: number;
  /** Records the rings dropped (stop when full) or overwrote (overwrite oldest). */
  readonly lostRecords: number;
}

/** Write `runs` to `path` as a Chrome trace, with `metadata` (the run's config and host) beside the events. */
export function writeChromeTrace(path: string, runs: readonly TracedRun[], metadata: { readonly [key: string]: unknown }): TraceSummary {
  let events = 0;
  let unmatchedIpis = 0;
  let lostRecords = 0;
  const bytes = writeStreamAtomic(path, (write) => {
    let pending: string[] = [];
    let pendingLength = 0;
    const flush = () => {
      write(pending.join(''));
      [pending, pendingLength] = [[], 0];
    };
    const put = (text: string) => {
      pending.push(text);
      pendingLength += text.length;
      if (pendingLength > 1 << 20) flush();
    };
    put('{"displayTimeUnit":"ns","traceEvents":[\n');
    for (const [i, run] of runs.entries()) {
      const converted = runEvents(run, i + 1);
      unmatchedIpis += converted.unmatchedIpis;
      for (const event of converted.events) put((events++ === 0 ? '' : ',\n') + JSON.stringify(event));
    }
    lostRecords = runs.reduce((sum, run) => sum + run.rings.reduce((n, ring) => n + ring.lost, 0), 0);
    put(`\n],\n"otherData":${JSON.stringify({ ...metadata, lostRecords, unmatchedIpis })}}\n`);
    flush();
  });
  return { events, bytes, unmatchedIpis, lostRecords };
}

/** What CPU 0 is, by operation, as its track names it. */
const OPERATOR_LABEL: { readonly [op: string]: string } = { munmap: 'the unmapper', split: 'splitting THPs', collapse: 'khugepaged' };

/** One run's events, as process `pid`: metadata first, then each track's events in time order. */
export function runEvents(run: TracedRun, pid: number): { events: ChromeTraceEvent[]; unmatchedIpis: number } {
  const events: ChromeTraceEvent[] = [
    { name: 'process_name', ph: 'M', pid, args: { name: `${run.op} under ${run.strategy}` } },
    { name: 'process_sort_index', ph: 'M', pid, args: { sort_index: pid } },
  ];
  run.rings.forEach((ring, cpu) => {
    events.push({ name: 'thread_name', ph: 'M', pid, tid: cpu, args: { name: `CPU ${cpu} (${trackRole(run, cpu, ring.entries)})` } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid, tid: cpu, args: { sort_index: cpu } });
  });
  const timed: ChromeTraceEvent[] = [];
  run.rings.forEach((ring, cpu) => {
    for (const entry of ring.entries) {
      const event = entryEvent(run, pid, cpu, entry);
      if (event) timed.push(event);
    }
  });
  const flows = ipiFlows(run, pid);
  // Per track in time order; a slice before the slices it encloses (same start, longer first).
  const ordered = timed.concat(flows.events, counters(run, pid));
  ordered.sort((a, b) => (a.tid ?? -1) - (b.tid ?? -1) || (a.ts ?? 0) - (b.ts ?? 0) || (b.dur ?? 0) - (a.dur ?? 0));
  return { events: events.concat(ordered), unmatchedIpis: flows.unmatched };
}

/** A track's name after its number: what the CPU did in this run, and for a walker the kinds it walked, most first. */
function trackRole(run: TracedRun, cpu: number, entries: readonly TraceEntry[]): string {
  const role = run.roles[cpu];
  if (role === 'operator') return `${run.op}: ${OPERATOR_LABEL[run.op] ?? 'the operation'}`;
  if (role === 'outsider') return 'outside the mm';
  const byKind = new Map<string, number>();
  for (const e of entries) if (e.event === TraceEvent.IRQS_OFF) byKind.set(kindName(e.a), (byKind.get(kindName(e.a)) ?? 0) + 1);
  const kinds = [...byKind.entries()].sort((a, b) => b[1] - a[1]).map(([kind]) => kind);
  return kinds.length > 0 ? kinds.join(', ') : 'walker';
}

const kindName = (index: number) => WALKER_KINDS[index]?.name ?? `kind ${index}`;

/**
 * Microseconds to the nanosecond, which is all the clock gives and keeps the file small. Start
 * and end are rounded, not the duration, so that a slice inside another stays inside it.
 */
const ns = (us: number) => Math.round(us * 1000) / 1000;

function entryEvent(run: TracedRun, pid: number, tid: number, e: TraceEntry): ChromeTraceEvent | undefined {
  const [ts, dur] = [ns(e.ts), ns(ns(e.ts + e.dur) - ns(e.ts))];
  const slice = (name: string, cat: string, args?: ChromeTraceEvent['args']): ChromeTraceEvent => ({ name, ph: 'X', pid, tid, ts, dur, cat, ...(args ? { args } : {}) });
  const instant = (name: string, cat: string, args?: ChromeTraceEvent['args']): ChromeTraceEvent => ({ name, ph: 'i', s: 't', pid, tid, ts, cat, ...(args ? { args } : {}) });
  switch (e.event) {
    case TraceEvent.IRQS_OFF: {
      const kind = WALKER_KINDS[e.a];
      const otherMm = e.b < 0;
      return slice(`${kindName(e.a)}${otherMm ? ' (another mm)' : ''}`, 'irqs-off', { walks: kind?.walksPerIrqOff ?? 1, ...(otherMm ? {} : { hugePage: e.b }) });
    }
    case TraceEvent.IPI_HANDLER:
      return slice('IPI handler', 'ipi', { tickets: e.a === e.b ? `${e.a}` : `${e.a}..${e.b}` });
    case TraceEvent.HALT:
      return slice('halted', 'idle');
    case TraceEvent.RCU_QS:
      return instant('rcu_qs', 'rcu', { gracePeriod: e.a });
    case TraceEvent.PMD_OP:
      return slice(`${run.op} PMD ${e.a}`, 'pmd', { hugePage: e.a });
    case TraceEvent.SERIALIZE:
      return slice('serialize_against_pte_lookup', 'pmd', { hugePage: e.a, ipis: e.b });
    case TraceEvent.IPI_ROUND:
      return slice('smp_call_function_many', 'ipi', { ipis: e.a, wait: e.b });
    case TraceEvent.CSD_WAIT:
      return slice(`csd_lock_wait CPU ${e.a}`, 'ipi', { target: e.a, ticket: e.b });
    case TraceEvent.TLB_FLUSH:
      return slice(`flush_tlb_range (${e.a === 1 ? 'IPIs' : 'tlbie'})`, 'tlb');
    case TraceEvent.FREE:
      return instant('free frame', 'free', { frame: e.a });
    case TraceEvent.FREE_PTE_PAGE:
      return instant('zap_deposited_table', 'free', { ptePage: e.a });
    case TraceEvent.FREE_PAGE_TABLE:
      return instant('tlb_remove_table', 'free', { tablePage: e.a });
    case TraceEvent.VIOLATION: {
      const what = VIOLATION_KINDS[e.b] ?? 'frame';
      return instant(what === 'frame' || what === 'page-table' ? `use-after-free (${what})` : `misread (${what})`, 'violation', { hugePage: e.a });
    }
    case TraceEvent.WALK_TRACING:
      return instant(e.b === 1 ? 'walks traced from here' : 'walks traced until here', 'trace', { walks: e.a });
    default:
      // IPI_SENT becomes a flow's start, RCU_PENDING a counter.
      return undefined;
  }
}

/**
 * An arrow from each IPI sent to the handler that took it, and one from the handler back to
 * the sender's csd_lock_wait() for that target. An IPI is known by its target and ticket.
 */
function ipiFlows(run: TracedRun, pid: number): { events: ChromeTraceEvent[]; unmatched: number } {
  const key = (target: number, ticket: number) => `${target}:${ticket}`;
  const sent = new Map<string, { cpu: number; ts: number }>();
  const waits = new Map<string, { cpu: number; entry: TraceEntry }>();
  run.rings.forEach((ring, cpu) => {
    for (const e of ring.entries) {
      if (e.event === TraceEvent.IPI_SENT) sent.set(key(e.a, e.b), { cpu, ts: e.ts });
      else if (e.event === TraceEvent.CSD_WAIT) waits.set(key(e.a, e.b), { cpu, entry: e });
    }
  });
  const events: ChromeTraceEvent[] = [];
  // Unique across the file: each process numbers its flows from its own base.
  let id = pid * 2 ** 32;
  let handled = 0;
  run.rings.forEach((ring, target) => {
    for (const e of ring.entries) {
      if (e.event !== TraceEvent.IPI_HANDLER) continue;
      const mid = e.ts + e.dur / 2;
      for (let ticket = e.a; ; ticket = (ticket + 1) | 0) {
        const from = sent.get(key(target, ticket));
        if (from) {
          handled++;
          id++;
          events.push({ name: 'IPI', cat: 'ipi', ph: 's', id, pid, tid: from.cpu, ts: ns(from.ts) });
          events.push({ name: 'IPI', cat: 'ipi', ph: 'f', bp: 'e', id, pid, tid: target, ts: ns(Math.max(mid, from.ts)) });
          const wait = waits.get(key(target, ticket));
          if (wait) {
            // From the handler's start (its acknowledgement comes later, before the wait ends).
            id++;
            const waitMid = wait.entry.ts + wait.entry.dur / 2;
            events.push({ name: 'ack', cat: 'ipi', ph: 's', id, pid, tid: target, ts: ns(e.ts) });
            events.push({ name: 'ack', cat: 'ipi', ph: 'f', bp: 'e', id, pid, tid: wait.cpu, ts: ns(Math.max(waitMid, e.ts)) });
          }
        }
        if (ticket === e.b) break;
      }
    }
  });
  return { events, unmatched: sent.size - handled };
}

/** Walks in flight (IRQ-off stretches of this mm, all CPUs), and pages waiting for a grace period. */
function counters(run: TracedRun, pid: number): ChromeTraceEvent[] {
  const changes: [number, number][] = [];
  const events: ChromeTraceEvent[] = [];
  for (const ring of run.rings) {
    for (const e of ring.entries) {
      if (e.event === TraceEvent.IRQS_OFF && e.b >= 0) changes.push([e.ts, 1], [e.ts + e.dur, -1]);
      else if (e.event === TraceEvent.RCU_PENDING) events.push({ name: 'pages waiting for a grace period', ph: 'C', pid, ts: ns(e.ts), args: { pages: e.a } });
    }
  }
  changes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  changes.forEach(([ts, delta], i) => {
    inFlight += delta;
    // One sample per instant: the last change at a given time stands.
    if (i + 1 < changes.length && changes[i + 1][0] === ts) return;
    events.push({ name: 'walks in flight (IRQs off)', ph: 'C', pid, ts: ns(ts), args: { walks: inFlight } });
  });
  return events;
}

/** The line a command says once the trace is written. */
export function describeTrace(file: string, { events, bytes, lostRecords, unmatchedIpis }: TraceSummary): string {
  const losses = [
    lostRecords > 0 ? `${lostRecords.toLocaleString('en-US')} records did not fit the CPUs' rings (--trace-records, --trace-pmds)` : '',
    unmatchedIpis > 0 ? `${unmatchedIpis.toLocaleString('en-US')} IPIs sent have no handler in the trace` : '',
  ].filter(Boolean);
  return `trace: wrote ${file}, ${events.toLocaleString('en-US')} events, ${(bytes / 2 ** 20).toFixed(1)} MiB; open it in ui.perfetto.dev or chrome://tracing` + (losses.length > 0 ? `; ${losses.join('; ')}` : '');
}
