// The registry of strategies: the one place that lists them. The CLI, the workers and the
// reports all look strategies up here by name.

import { counterNonatomic } from './counter-nonatomic.ts';
import { counterRacy } from './counter-racy.ts';
import { counter } from './counter.ts';
import { ipiBroadcast } from './ipi-broadcast.ts';
import type { PgtblSyncStrategy } from './strategy.ts';

export type { PgtblSyncStrategy } from './strategy.ts';

export const STRATEGIES: readonly PgtblSyncStrategy[] = [ipiBroadcast, counter, counterRacy, counterNonatomic];

export const STRATEGY_NAMES: readonly string[] = STRATEGIES.map((s) => s.name);

export function strategyByName(name: string): PgtblSyncStrategy {
  const strategy = STRATEGIES.find((s) => s.name === name);
  if (!strategy) throw new RangeError(`unknown strategy '${name}' (known: ${STRATEGY_NAMES.join(', ')})`);
  return strategy;
}
