// A traced command's rings: one set of per-CPU trace rings for each run, handed to the CPUs in
// their plans, read back once the run is over. Every run of a command shares one time zero, so
// that the strategies follow each other on one timeline.

import type { CpuRunPlan } from '../cpu-worker/run.ts';
import { TRACE_RECORD_BYTES, createTraceBuffers, readTraceRing, type RingMode, type TraceBuffers, type TraceEntry } from '../shared-memory/trace-ring.ts';

export interface TraceOptions {
  /** The window of PMDs traced, as indexes into the range (both included); undefined: all. */
  readonly pmds: { readonly first: number; readonly last: number } | undefined;
  /** Records each CPU's ring holds; undefined: as many as TRACE_RING_BYTES allows, up to MAX_RECORDS_PER_CPU. */
  readonly recordsPerCpu: number | undefined;
  readonly mode: RingMode;
}

/** What one run left in its rings, with what a reader needs to name it. */
export interface TracedRun {
  readonly strategy: string;
  readonly op: string;
  /** The range's first huge page: where collapse-munmap's pairs start. */
  readonly firstHpn: number;
  /** Each CPU's role in the run, by CPU number. */
  readonly roles: readonly CpuRunPlan['role'][];
  /** Each CPU's records, oldest first, and how many it dropped or overwrote. */
  readonly rings: readonly { readonly entries: readonly TraceEntry[]; readonly lost: number }[];
  readonly recordsPerCpu: number;
}

/** All the CPUs' rings together stay within this, unless --trace-records asks for more. */
export const TRACE_RING_BYTES = 64 * 2 ** 20;
export const MAX_RECORDS_PER_CPU = 1 << 16;

export class TraceRecorder {
  readonly runs: TracedRun[] = [];
  /** The trace's time zero, comparable across threads. */
  readonly epochMs = performance.timeOrigin + performance.now();

  constructor(private readonly options: TraceOptions) {}

  /** Fresh rings for a run on `cpus` CPUs. */
  buffersFor(cpus: number): TraceBuffers {
    const { pmds, recordsPerCpu, mode } = this.options;
    const capacity = recordsPerCpu ?? defaultRecordsPerCpu(cpus);
    return createTraceBuffers(cpus, { capacity, mode, epochMs: this.epochMs, firstPmd: pmds?.first ?? 0, lastPmd: pmds?.last ?? Infinity });
  }

  /** Read what a finished run's CPUs wrote. */
  collect(buffers: TraceBuffers, strategy: string, op: string, plans: readonly CpuRunPlan[]): void {
    const rings = plans.map((_, cpu) => readTraceRing(buffers, cpu));
    this.runs.push({ strategy, op, firstHpn: plans[0]?.firstHpn ?? 0, roles: plans.map((p) => p.role), rings, recordsPerCpu: buffers.capacity });
  }
}

function defaultRecordsPerCpu(cpus: number): number {
  return Math.max(1, Math.min(MAX_RECORDS_PER_CPU, Math.floor(TRACE_RING_BYTES / cpus / TRACE_RECORD_BYTES)));
}
