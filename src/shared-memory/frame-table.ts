// The huge-page frames that THP leaves point at, each with its lifetime word (lifetime-word.ts)
// and its reference count. Models struct page for a compound THP page (include/linux/mm_types.h):
// the mapping holds one reference, GUP-fast takes more (try_grab_folio(), which fails on a
// count of zero), and the frame is freed (free_compound_page()) when the last one is put.

import { Life, lifeGeneration, lifeState, poison, revive } from './lifetime-word.ts';

export class FrameTable {
  /** One lifetime word per frame. Packed: neighbouring frames share lines, as in real memory. */
  readonly words: Int32Array;
  /** One reference count per frame: folio_ref_count(). */
  readonly refs: Int32Array;
  private allocCursor = 0;

  static create(frames: number): FrameTable {
    const int32s = () => new SharedArrayBuffer(frames * Int32Array.BYTES_PER_ELEMENT);
    return new FrameTable(int32s(), int32s());
  }

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly refsBuffer: SharedArrayBuffer,
  ) {
    this.words = new Int32Array(buffer);
    this.refs = new Int32Array(refsBuffer);
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

  /** A free frame, now in use with the mapping's one reference: alloc_pages(GFP_TRANSHUGE). */
  alloc(): number {
    const count = this.count;
    for (let tried = 0; tried < count; tried++) {
      const frame = this.allocCursor;
      this.allocCursor = (this.allocCursor + 1) % count;
      if (revive(this.words, frame)) {
        Atomics.store(this.refs, frame, 1);
        return frame;
      }
    }
    throw new RangeError(`all ${count} huge-page frames are mapped`);
  }

  /**
   * folio_try_get(): one more reference, unless the count is already zero (the frame is being
   * freed). Pairs with the Atomics.sub in put(): a count seen above zero is a reference held.
   */
  tryGet(frame: number): boolean {
    for (let refs = Atomics.load(this.refs, frame); refs > 0; ) {
      const seen = Atomics.compareExchange(this.refs, frame, refs, refs + 1);
      if (seen === refs) return true;
      refs = seen;
    }
    return false;
  }

  /**
   * folio_put(): drop a reference; the last one frees the frame. Returns 'freed', 'held' (other
   * references remain), or 'unreferenced' (it had none: a double free, undone, changing
   * nothing). One atomic decrement, as folio_put_testzero() does (include/linux/mm.h:
   * page_ref_dec_and_test()). Pairs with tryGet()'s compareExchange, which never takes a
   * reference from a count at zero or below.
   */
  put(frame: number): 'freed' | 'held' | 'unreferenced' {
    const refs = Atomics.sub(this.refs, frame, 1);
    if (refs > 1) return 'held';
    if (refs === 1) return poison(this.words, frame) ? 'freed' : 'unreferenced';
    Atomics.add(this.refs, frame, 1);
    return 'unreferenced';
  }

  /** Free a frame outright, whatever its count (teardown, with every CPU stopped); false if it was free. */
  free(frame: number): boolean {
    Atomics.store(this.refs, frame, 0);
    return poison(this.words, frame);
  }

  mappedCount(): number {
    let mapped = 0;
    for (let frame = 0; frame < this.count; frame++) if (this.state(frame) !== Life.FREE) mapped++;
    return mapped;
  }
}
