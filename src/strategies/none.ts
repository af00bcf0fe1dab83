// none: no serialisation at all. The floor every other strategy's munmap time and walker cost
// is measured against, and unsafe: a walker may use a page freed under it.

import { Expect, type PgtblSyncStrategy } from './strategy.ts';

export const none: PgtblSyncStrategy = {
  name: 'none',
  // The floor claims nothing: a walker using a freed page is allowed. It keeps no count.
  expect: { useAfterFree: Expect.ACCEPTABLE, misread: Expect.ACCEPTABLE, counterDrift: Expect.FORBIDDEN },
  freeing: 'immediate',
  models: 'no serialisation: the floor to compare against',
  start_lockless_pgtbl_walk() {},
  end_lockless_pgtbl_walk() {},
  serialize_against_pte_lookup: () => 0,
};
