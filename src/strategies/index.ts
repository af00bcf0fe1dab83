// The registry of strategies: the one place that lists them. The CLI, the workers and the
// reports all look strategies up here by name.

import { counterNonatomic } from './counter-nonatomic.ts';
import { counterNoBarriers } from './counter-no-barriers.ts';
import { counterRfc } from './counter-rfc.ts';
import { counterV3 } from './counter-v3.ts';
import { counter } from './counter.ts';
import { ipiBroadcast } from './ipi-broadcast.ts';
import { none } from './none.ts';
import { KERNELS } from './kernels.ts';
import { percpu } from './percpu.ts';
import { percpuMm } from './percpu-mm.ts';
import { rcuFrames } from './rcu-frames.ts';
import { staleTolerant } from './stale-tolerant.ts';
import { syncOne } from './sync-one.ts';
import type { PgtblSyncStrategy } from './strategy.ts';

export { Expect, isSafe, type Expectations, type Outcome, type PgtblSyncStrategy } from './strategy.ts';

/** In the order a table reads best: the floor, the historical answers, the bugs. */
export const STRATEGIES: readonly PgtblSyncStrategy[] = [none, ipiBroadcast, syncOne, counterRfc, counterV3, counter, percpu, percpuMm, staleTolerant, rcuFrames, counterNoBarriers, counterNonatomic];

export { KERNELS, KERNEL_VERSIONS } from './kernels.ts';

export const STRATEGY_NAMES: readonly string[] = STRATEGIES.map((s) => s.name);

/** The floor every other strategy's munmap time and walker cost is compared against. */
export const FLOOR: PgtblSyncStrategy = none;

/** A strategy, or a kernel version (`linux-5.8`), by name. */
export function strategyByName(name: string): PgtblSyncStrategy {
  const strategy = STRATEGIES.find((s) => s.name === name) ?? KERNELS.find((k) => k.name === name);
  if (!strategy) throw new RangeError(`unknown strategy '${name}' (known: ${STRATEGY_NAMES.join(', ')})`);
  return strategy;
}
