import { describe, expect, it } from 'vitest';
import { Life } from '../../src/shared-memory/lifetime-word.ts';
import { FrameTable } from '../../src/shared-memory/frame-table.ts';

describe("a frame's references (folio_try_get, folio_put)", () => {
  it('frees a frame at its last put, keeps it while GUP-fast holds one, and undoes a put of a free frame', () => {
    const frames = FrameTable.create(2);
    const frame = frames.alloc();
    expect(frames.tryGet(frame)).toBe(true); // a GUP-fast walker's reference, beside the mapping's
    expect(frames.put(frame)).toBe('held');
    expect(frames.state(frame)).toBe(Life.IN_USE);
    expect(frames.put(frame)).toBe('freed');
    expect(frames.state(frame)).toBe(Life.FREE);
    // A double free changes nothing: the count stays at zero, and no reference can be taken.
    expect(frames.put(frame)).toBe('unreferenced');
    expect(Atomics.load(frames.refs, frame)).toBe(0);
    expect(frames.tryGet(frame)).toBe(false);
    expect(frames.generation(frame)).toBe(1);
  });
});
