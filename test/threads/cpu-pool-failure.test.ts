// A run that ends in a CPU's failure leaves nothing behind: the CPUs still running report after
// the run is over, and no supervision timer may be armed then (one was, and re-armed itself
// every second, so on Node 22 and 24 the command printed its failure and never exited).

import { describe, expect, it } from 'vitest';
import { CpuFailure, CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine, runStrategy, sleep } from '../../src/coordinator/runs.ts';

const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
const REPORT_AFTER_ABORT_MS = 500;

describe('a run ended by a crashed CPU', () => {
  it('fails naming the CPU, and leaves no timer armed once the pool is closed', async () => {
    // CPU 0's broadcast waits on the crashed CPU 2 until the run is aborted, so CPU 0 reports
    // only after the failure has ended the run.
    const spec = runSpec({ machine: { cpus: 4, memoryBytes: 2 ** 30 }, strategy: 'ipi-broadcast', faults: { 2: 'crash' }, warmupMs: 10 });
    const pool = await CpuPool.start(createMachine(spec));
    const before = timers();
    let failure: unknown;
    try {
      await runStrategy(pool, spec, 0);
    } catch (error) {
      failure = error;
      // Long enough for CPU 0, let go by the abort, to report: after the run is over.
      await sleep(REPORT_AFTER_ABORT_MS);
    } finally {
      await pool.close();
    }
    expect(failure).toBeInstanceOf(CpuFailure);
    expect((failure as CpuFailure).cpu).toBe(2);
    expect(timers()).toBe(before);
  });
});
