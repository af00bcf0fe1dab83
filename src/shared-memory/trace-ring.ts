// Per-CPU trace ring buffers, as ftrace keeps them (kernel/trace/ring_buffer.c): each emulated
// CPU writes fixed-size records into its own ring with plain stores, no lock and no shared
// word, so that tracing never serialises the CPUs it watches; the coordinator reads the rings
// once the run is over. One control word, written by the unmapper, says when to record.

import { FLOAT64_WORDS_PER_LINE, INT32_WORDS_PER_LINE, paddedRecord } from './layout.ts';

/** One record: when it began and how long it lasted (microseconds), what it was, two arguments. */
export const TraceRecord = paddedRecord(['ts', 'dur', 'event', 'a', 'b'], 1);
const RECORD_WORDS = TraceRecord.stride;
export const TRACE_RECORD_BYTES = RECORD_WORDS * Float64Array.BYTES_PER_ELEMENT;

/** Each CPU's ring starts with a header line: records written so far, and records dropped. */
const RingHeader = paddedRecord(['written', 'lost'], FLOAT64_WORDS_PER_LINE);

/** The rings' one shared word, on a line of its own: 1 while the unmapper is in the window traced. */
const TraceControl = paddedRecord(['recording'], INT32_WORDS_PER_LINE);

/** When a ring is full: overwrite its oldest records (a flight recorder), or stop recording. */
export const RING_MODES = ['overwrite', 'stop'] as const;
export type RingMode = (typeof RING_MODES)[number];

/** What travels to each worker in a run's plan: a SharedArrayBuffer is shared, not copied. */
export interface TraceBuffers {
  readonly buffer: SharedArrayBuffer;
  readonly cpus: number;
  /** Records each CPU's ring holds. */
  readonly capacity: number;
  readonly mode: RingMode;
  /** The trace's time zero, as performance.timeOrigin + performance.now() (comparable across threads). */
  readonly epochMs: number;
  /** The window of PMDs traced, as indexes into the operation's range, both ends included. */
  readonly firstPmd: number;
  readonly lastPmd: number;
}

/** A record as read back. */
export interface TraceEntry {
  readonly ts: number;
  readonly dur: number;
  readonly event: number;
  readonly a: number;
  readonly b: number;
}

const controlBytes = TraceControl.stride * Int32Array.BYTES_PER_ELEMENT;
/** Float64 words per CPU: the header line, then the records, rounded up to whole lines. */
const ringWords = (capacity: number) => RingHeader.stride + Math.ceil((capacity * RECORD_WORDS) / FLOAT64_WORDS_PER_LINE) * FLOAT64_WORDS_PER_LINE;

export function createTraceBuffers(cpus: number, { capacity, mode, epochMs, firstPmd, lastPmd }: Omit<TraceBuffers, 'buffer' | 'cpus'>): TraceBuffers {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a trace ring needs at least one record, got ${capacity}`);
  return { buffer: new SharedArrayBuffer(traceBytes(cpus, capacity)), cpus, capacity, mode, epochMs, firstPmd, lastPmd };
}

/** Bytes of shared memory that rings of `capacity` records take for `cpus` CPUs. */
export const traceBytes = (cpus: number, capacity: number) => controlBytes + cpus * ringWords(capacity) * Float64Array.BYTES_PER_ELEMENT;

/** The control word, from either side. */
export class TraceControlWord {
  private readonly words: Int32Array;
  constructor(buffers: TraceBuffers) {
    this.words = new Int32Array(buffers.buffer, 0, TraceControl.stride);
  }

  /** Sequentially consistent: pairs with the Atomics.load in `recording` on every other CPU. */
  set recording(on: boolean) {
    Atomics.store(this.words, TraceControl.offset.recording, on ? 1 : 0);
  }

  get recording(): boolean {
    return Atomics.load(this.words, TraceControl.offset.recording) !== 0;
  }
}

/** One CPU's ring, written by that CPU only. */
export class TraceRingWriter {
  private readonly f: Float64Array;
  private readonly capacity: number;
  private readonly stopWhenFull: boolean;
  private written = 0;
  private lost = 0;

  constructor(buffers: TraceBuffers, cpu: number) {
    this.f = ringView(buffers, cpu);
    this.capacity = buffers.capacity;
    this.stopWhenFull = buffers.mode === 'stop';
    this.written = this.f[RingHeader.offset.written];
    this.lost = this.f[RingHeader.offset.lost];
  }

  /**
   * Plain stores throughout: only this CPU writes its ring, and the coordinator reads it only
   * after the run, once this CPU's report has reached it (a message, which orders everything
   * this CPU stored before it).
   */
  write(ts: number, dur: number, event: number, a: number, b: number): void {
    const f = this.f;
    if (this.written >= this.capacity && this.stopWhenFull) {
      f[RingHeader.offset.lost] = ++this.lost;
      return;
    }
    const at = RingHeader.stride + (this.written % this.capacity) * RECORD_WORDS;
    f[at + TraceRecord.offset.ts] = ts;
    f[at + TraceRecord.offset.dur] = dur;
    f[at + TraceRecord.offset.event] = event;
    f[at + TraceRecord.offset.a] = a;
    f[at + TraceRecord.offset.b] = b;
    f[RingHeader.offset.written] = ++this.written;
  }
}

/** What one CPU's ring holds, oldest first, and how many records it dropped or overwrote. */
export function readTraceRing(buffers: TraceBuffers, cpu: number): { entries: TraceEntry[]; lost: number } {
  const f = ringView(buffers, cpu);
  const written = f[RingHeader.offset.written];
  const kept = Math.min(written, buffers.capacity);
  const first = written - kept;
  const entries: TraceEntry[] = [];
  for (let i = first; i < written; i++) {
    const at = RingHeader.stride + (i % buffers.capacity) * RECORD_WORDS;
    entries.push({
      ts: f[at + TraceRecord.offset.ts],
      dur: f[at + TraceRecord.offset.dur],
      event: f[at + TraceRecord.offset.event],
      a: f[at + TraceRecord.offset.a],
      b: f[at + TraceRecord.offset.b],
    });
  }
  return { entries, lost: f[RingHeader.offset.lost] + first };
}

function ringView(buffers: TraceBuffers, cpu: number): Float64Array {
  if (cpu < 0 || cpu >= buffers.cpus) throw new RangeError(`CPU ${cpu} has no trace ring (${buffers.cpus} CPUs)`);
  const words = ringWords(buffers.capacity);
  return new Float64Array(buffers.buffer, controlBytes + cpu * words * Float64Array.BYTES_PER_ELEMENT, words);
}
