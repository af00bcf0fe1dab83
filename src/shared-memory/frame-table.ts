// The huge-page frames that THP leaves point at: each frame's state and generation.
// Models struct page for a compound THP page (include/linux/mm_types.h) and its freeing
// through free_compound_page() with page poisoning (mm/page_poison.c).
//
// A freed frame is poisoned: its state becomes FREE and its generation moves on, so a walker
// that took the frame's word before the free sees the change when it uses the frame again,
// even if a later mapping has reused the frame in between. State and generation share one
// word, so that poisoning is a single atomic step that no walker can see half done.

export const FrameState = { FREE: 0, MAPPED: 1 } as const;

const STATE_BIT = 1;
const GENERATION_SHIFT = 1;

/** A frame word's parts. */
export const frameState = (word: number): number => word & STATE_BIT;
export const frameGeneration = (word: number): number => word >>> GENERATION_SHIFT;

export class FrameTable {
  /** One word per frame, `(generation << 1) | state`. Packed: neighbouring frames share lines. */
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

  word(frame: number): number {
    return Atomics.load(this.words, frame);
  }

  state(frame: number): number {
    return frameState(this.word(frame));
  }

  generation(frame: number): number {
    return frameGeneration(this.word(frame));
  }

  /** A free frame, now MAPPED: alloc_pages(GFP_TRANSHUGE). Scans on from the last allocation. */
  alloc(): number {
    const count = this.count;
    for (let tried = 0; tried < count; tried++) {
      const frame = this.allocCursor;
      this.allocCursor = (this.allocCursor + 1) % count;
      const word = Atomics.load(this.words, frame);
      if (frameState(word) === FrameState.FREE && Atomics.compareExchange(this.words, frame, word, word | FrameState.MAPPED) === word) {
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
    for (;;) {
      const word = Atomics.load(this.words, frame);
      if (frameState(word) !== FrameState.MAPPED) return false;
      const poisoned = ((frameGeneration(word) + 1) << GENERATION_SHIFT) | FrameState.FREE;
      // Sequentially consistent: pairs with the walker's Atomics.load of this word in
      // LocklessWalker.useHugePage(), which therefore sees either the frame whole or poisoned.
      if (Atomics.compareExchange(this.words, frame, word, poisoned) === word) return true;
    }
  }

  mappedCount(): number {
    let mapped = 0;
    for (let frame = 0; frame < this.count; frame++) if (this.state(frame) !== FrameState.FREE) mapped++;
    return mapped;
  }
}
