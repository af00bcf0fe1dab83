// The huge-page frames that THP leaves point at: each frame's state and generation.
// Models struct page for a compound THP page (include/linux/mm_types.h) and its freeing
// through free_compound_page() with page poisoning (mm/page_poison.c).
//
// A freed frame is poisoned: its state becomes FREE and its generation moves on, so a walker
// that took (frame, generation) before the free sees the change when it uses the frame again,
// even if a later mapping has reused the frame in between.

import { paddedRecord } from './layout.ts';

export const FrameState = { FREE: 0, MAPPED: 1 } as const;

/** Frames are packed two words each: false sharing between frames is part of real memory too. */
const Frame = paddedRecord(['state', 'generation'], 1);

export class FrameTable {
  readonly words: Int32Array;
  private allocCursor = 0;

  static create(frames: number): FrameTable {
    return new FrameTable(new SharedArrayBuffer(frames * Frame.stride * Int32Array.BYTES_PER_ELEMENT));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
  }

  get count(): number {
    return this.words.length / Frame.stride;
  }

  /** Index in `words` of a frame's state word (its generation follows it). */
  static stateWord(frame: number): number {
    return frame * Frame.stride + Frame.offset.state;
  }

  static generationWord(frame: number): number {
    return frame * Frame.stride + Frame.offset.generation;
  }

  state(frame: number): number {
    return Atomics.load(this.words, FrameTable.stateWord(frame));
  }

  generation(frame: number): number {
    return Atomics.load(this.words, FrameTable.generationWord(frame));
  }

  /** A free frame, now MAPPED: alloc_pages(GFP_TRANSHUGE). Scans on from the last allocation. */
  alloc(): number {
    const count = this.count;
    for (let tried = 0; tried < count; tried++) {
      const frame = this.allocCursor;
      this.allocCursor = (this.allocCursor + 1) % count;
      if (Atomics.compareExchange(this.words, FrameTable.stateWord(frame), FrameState.FREE, FrameState.MAPPED) === FrameState.FREE) {
        return frame;
      }
    }
    throw new RangeError(`all ${count} huge-page frames are mapped`);
  }

  /**
   * Poison and free a mapped frame. Returns false, changing nothing, if it was already free:
   * a double free, which the caller reports as a broken invariant.
   */
  free(frame: number): boolean {
    // Sequentially consistent, so a walker's Atomics.load of the state or generation after
    // this point sees the poison: these pair with the loads in checkFrameStillMapped().
    if (Atomics.compareExchange(this.words, FrameTable.stateWord(frame), FrameState.MAPPED, FrameState.FREE) !== FrameState.MAPPED) {
      return false;
    }
    Atomics.add(this.words, FrameTable.generationWord(frame), 1);
    return true;
  }

  mappedCount(): number {
    let mapped = 0;
    for (let frame = 0; frame < this.count; frame++) if (this.state(frame) !== FrameState.FREE) mapped++;
    return mapped;
  }
}
