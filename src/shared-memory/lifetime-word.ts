// The lifetime of a page, frame or page-table page, in one Int32 word: its state and its
// generation. Freeing poisons it (FREE, next generation) in one atomic step, so a walker that
// took the word before the free sees the change when it uses the page again, even if a later
// allocation has reused it in between. Models page poisoning (mm/page_poison.c).

export const Life = { FREE: 0, IN_USE: 1 } as const;

const STATE_BIT = 1;
const GENERATION_SHIFT = 1;

export const lifeState = (word: number): number => word & STATE_BIT;
export const lifeGeneration = (word: number): number => word >>> GENERATION_SHIFT;

/** FREE -> IN_USE, keeping the generation. False if it was not free. */
export function revive(words: Int32Array, index: number): boolean {
  const word = Atomics.load(words, index);
  return lifeState(word) === Life.FREE && Atomics.compareExchange(words, index, word, word | Life.IN_USE) === word;
}

/** IN_USE -> FREE, next generation. False, changing nothing, if it was already free. */
export function poison(words: Int32Array, index: number): boolean {
  for (;;) {
    const word = Atomics.load(words, index);
    if (lifeState(word) !== Life.IN_USE) return false;
    const poisoned = ((lifeGeneration(word) + 1) << GENERATION_SHIFT) | Life.FREE;
    // Sequentially consistent: pairs with the walker's Atomics.load of this word in
    // LocklessWalker, which therefore sees the page either whole or poisoned.
    if (Atomics.compareExchange(words, index, word, poisoned) === word) return true;
  }
}
