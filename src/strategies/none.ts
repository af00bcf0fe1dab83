// none: no serialisation at all. The floor every other answer's operation time and walker cost
// is measured against, and unsafe: a walker may use a page freed under it.

import { Expect, defineStrategy } from './strategy.ts';

export const none = defineStrategy({
  name: 'none',
  models: 'no serialisation: the floor to compare against',
  // The floor claims nothing: a walker using a freed page, or misreading one, is allowed. It keeps no count.
  outcomes: {
    useAfterFree: { expect: Expect.ACCEPTABLE, desc: 'nothing keeps a walker off a freed page' },
    misread: { expect: Expect.ACCEPTABLE, desc: 'nothing keeps a walker off a changed PMD' },
    counterDrift: { expect: Expect.FORBIDDEN, desc: 'it keeps no count' },
  },
});
