// The lifetime of a page, frame or page-table page, in one Int32 word: its state and its
// generation. Freeing poisons it (FREE, next generation) in one atomic step, so a walker that
// took the word before the free sees the change when it uses the page again, even if a later
// allocation has reused it in between. A PTE page can also be DEPOSITED: kept for a later
// split, no longer a table (the deposit writes list pointers into it), next generation too.
// Models page poisoning (mm/page_poison.c) and pgtable_trans_huge_deposit().

export const Life = { FREE: 0, IN_USE: 1, DEPOSITED: 2 } as const;
export type Life = (typeof Life)[keyof typeof Life];

const STATE_MASK = 3;
const GENERATION_SHIFT = 2;

export const lifeState = (word: number): number => word & STATE_MASK;
export const lifeGeneration = (word: number): number => word >>> GENERATION_SHIFT;

/** FREE -> IN_USE, keeping the generation. False if it was not free. */
export function revive(words: Int32Array, index: number): boolean {
  const word = Atomics.load(words, index);
  return lifeState(word) === Life.FREE && Atomics.compareExchange(words, index, word, word | Life.IN_USE) === word;
}

/** IN_USE or DEPOSITED -> FREE, next generation. False, changing nothing, if it was already free. */
export function poison(words: Int32Array, index: number): boolean {
  return moveOn(words, index, Life.FREE, (state) => state !== Life.FREE);
}

/** IN_USE -> DEPOSITED, next generation: a walker that loaded the table before sees the change. */
export function deposit(words: Int32Array, index: number): boolean {
  return moveOn(words, index, Life.DEPOSITED, (state) => state === Life.IN_USE);
}

/** DEPOSITED -> IN_USE, keeping the generation: pgtable_trans_huge_withdraw(). */
export function withdraw(words: Int32Array, index: number): boolean {
  const word = Atomics.load(words, index);
  return lifeState(word) === Life.DEPOSITED && Atomics.compareExchange(words, index, word, (word & ~STATE_MASK) | Life.IN_USE) === word;
}

/** To `state`, next generation, if the state now passes `from`. */
function moveOn(words: Int32Array, index: number, state: Life, from: (state: number) => boolean): boolean {
  for (;;) {
    const word = Atomics.load(words, index);
    if (!from(lifeState(word))) return false;
    const next = ((lifeGeneration(word) + 1) << GENERATION_SHIFT) | state;
    // Sequentially consistent: pairs with the walker's Atomics.load of this word in
    // LocklessWalker, which therefore sees the page either as it was or moved on.
    if (Atomics.compareExchange(words, index, word, next) === word) return true;
  }
}
