// Race amplification's store-buffer pressure, as litmus7 does it: stores to cold cache lines
// just before an unordered store of the walk's count (the answer's atomic_inc(), which on
// powerpc orders nothing) queue up in this CPU's store buffer, so that the count's store drains
// late, after the walker's own PMD load. A fenced increment drains them all at once; an
// unordered one does not. Installed on a walker CPU for a run with race amplification.

import type { StoreBufferPressure } from '../kernel/cpu.ts';

/** Stores before each unordered store: about a store buffer's worth (48-72 entries on x86-64 cores). */
const STORES = 64;
/** 4 MiB of private scratch, walked a cache line at a time, so that the stores miss the L1 and L2. */
const SCRATCH_INTS = 1 << 20;
const CACHE_LINE_INTS = 16;

export class StoreBufferFill implements StoreBufferPressure {
  private readonly scratch = new Int32Array(SCRATCH_INTS);
  private at = 0;

  beforeUnorderedStore(): void {
    const scratch = this.scratch;
    let at = this.at;
    for (let i = 0; i < STORES; i++) {
      scratch[at] = i;
      at = (at + CACHE_LINE_INTS) & (SCRATCH_INTS - 1);
    }
    this.at = at;
  }
}

let fill: StoreBufferFill | undefined;

/** This thread's one store-buffer fill: its 4 MiB of scratch are made once, on the first run that needs them. */
export function storeBufferFill(): StoreBufferFill {
  fill ??= new StoreBufferFill();
  return fill;
}
