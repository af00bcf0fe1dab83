// The per-CPU trace rings: each CPU's records come back oldest first, the rings never mix, and
// a full ring either keeps its oldest records (stop) or its newest (overwrite), counting the rest.
import { describe, expect, it } from 'vitest';
import { TraceRingWriter, createTraceBuffers, readTraceRing, type RingMode } from '../../src/shared-memory/trace-ring.ts';

const buffers = (mode: RingMode, capacity = 4) => createTraceBuffers(3, { capacity, mode, epochMs: 0, firstPmd: 0, lastPmd: Infinity });
const tsOf = (ring: ReturnType<typeof readTraceRing>) => ring.entries.map((e) => e.ts);

describe('trace rings', () => {
  it('give back what each CPU wrote, in order, field by field, and nothing of another CPU', () => {
    const b = buffers('stop');
    const [one, two] = [new TraceRingWriter(b, 1), new TraceRingWriter(b, 2)];
    one.write(10, 2, 5, 7, -1);
    two.write(20, 0, 8, 3, 4);
    one.write(11, 0.5, 6, 8, 9);
    expect(readTraceRing(b, 1)).toEqual({ entries: [{ ts: 10, dur: 2, event: 5, a: 7, b: -1 }, { ts: 11, dur: 0.5, event: 6, a: 8, b: 9 }], lost: 0 });
    expect(tsOf(readTraceRing(b, 2))).toEqual([20]);
    expect(readTraceRing(b, 0)).toEqual({ entries: [], lost: 0 });
  });

  it('stop when full keeps the oldest and counts what it dropped', () => {
    const b = buffers('stop');
    const w = new TraceRingWriter(b, 0);
    for (let t = 0; t < 10; t++) w.write(t, 0, 1, 0, 0);
    expect(readTraceRing(b, 0)).toMatchObject({ lost: 6 });
    expect(tsOf(readTraceRing(b, 0))).toEqual([0, 1, 2, 3]);
  });

  it('overwrite keeps the newest and counts what it overwrote', () => {
    const b = buffers('overwrite');
    const w = new TraceRingWriter(b, 0);
    for (let t = 0; t < 10; t++) w.write(t, 0, 1, 0, 0);
    expect(readTraceRing(b, 0)).toMatchObject({ lost: 6 });
    expect(tsOf(readTraceRing(b, 0))).toEqual([6, 7, 8, 9]);
  });

  it('a writer made again for the same ring (the next run on the CPU) goes on where it was', () => {
    const b = buffers('stop');
    new TraceRingWriter(b, 1).write(1, 0, 1, 0, 0);
    new TraceRingWriter(b, 1).write(2, 0, 1, 0, 0);
    expect(tsOf(readTraceRing(b, 1))).toEqual([1, 2]);
  });

  it('refuses a ring of no records, and a CPU it has no ring for', () => {
    expect(() => buffers('stop', 0)).toThrow(/at least one record, got 0/);
    expect(() => readTraceRing(buffers('stop'), 3)).toThrow(/CPU 3 has no trace ring \(3 CPUs\)/);
  });
});
