// The huge-page frames that THP leaves point at, each with its lifetime word (lifetime-word.ts).
// Models struct page for a compound THP page (include/linux/mm_types.h) and its freeing
// through free_compound_page().

import { Life, lifeGeneration, lifeState, poison, revive } from './lifetime-word.ts';

export class FrameTable {
  /** One lifetime word per frame. Packed: neighbouring frames share lines, as in real memory. */
  readonly words: Int32Array;
  private allocCursor = 0;

  static create(frames: number): FrameTable {
    return new FrameTable(new SharedArrayBuffer(frames * Int32Array.BYTES_PER_ELEMENT));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
  }

  get count(): number {
    return this.words.length;
  }

  state(frame: number): number {
    return lifeState(Atomics.load(this.words, frame));
  }

  generation(frame: number): number {
    return lifeGeneration(Atomics.load(this.words, frame));
  }

  /** A free frame, now in use: alloc_pages(GFP_TRANSHUGE). Scans on from the last allocation. */
  alloc(): number {
    const count = this.count;
    for (let tried = 0; tried < count; tried++) {
      const frame = this.allocCursor;
      this.allocCursor = (this.allocCursor + 1) % count;
      if (revive(this.words, frame)) return frame;
    }
    throw new RangeError(`all ${count} huge-page frames are mapped`);
  }

  /** Poison and free a frame; false, changing nothing, if it was already free (a double free). */
  free(frame: number): boolean {
    return poison(this.words, frame);
  }

  mappedCount(): number {
    let mapped = 0;
    for (let frame = 0; frame < this.count; frame++) if (this.state(frame) !== Life.FREE) mapped++;
    return mapped;
  }
}
