import { describe, expect, it } from 'vitest';
import { describeLoad } from '../../src/report/run-report.ts';

describe("the header's load line", () => {
  it("weighs the walkers' busy shares and CPU 0 against the host cores", () => {
    expect(describeLoad(7, 0.5, 2, 1)).toMatch(/ask for 3\.50 of the 2 host cores .*short of cores/);
    expect(describeLoad(1, 0.5, 2, 1)).toMatch(/ask for 0\.50 of the 2 host cores .*has room for both$/);
  });

  it('warns when the idle walkers would wake more often than a host can schedule, and names the option', () => {
    expect(describeLoad(1023, 0.001, 2, 1)).toMatch(/wake 1,023,000 times\/s \(each once per 1 ms\).* --duty-ms/);
    expect(describeLoad(1023, 0.001, 2, 100)).not.toMatch(/wake/);
    // Walkers busy all the time never halt, so never wake.
    expect(describeLoad(1023, 1, 2, 1)).not.toMatch(/wake/);
  });
});
