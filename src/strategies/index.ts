// The registry of answers and versions: the one place that lists them. The CLI, the workers,
// the reports and the conformance suite all look them up here by name.

import { counterNonatomic } from './counter-nonatomic.ts';
import { counterNoBarriers } from './counter-no-barriers.ts';
import { counterV1 } from './counter-v1.ts';
import { counterV3 } from './counter-v3.ts';
import { counter } from './counter.ts';
import { ipiBroadcast } from './ipi-broadcast.ts';
import { none } from './none.ts';
import { percpu } from './percpu.ts';
import { percpuMm } from './percpu-mm.ts';
import { rcuFrames } from './rcu-frames.ts';
import { skipOnUnmap } from './skip-on-unmap.ts';
import { skipRedundantSync } from './skip-redundant-sync.ts';
import { skipRedundantSyncV4 } from './skip-redundant-sync-v4.ts';
import { staleTolerant } from './stale-tolerant.ts';
import { syncOne } from './sync-one.ts';
import { targetedSync } from './targeted-sync.ts';
import { targetedSyncV4 } from './targeted-sync-v4.ts';
import type { PgtblSyncStrategy } from './strategy.ts';
import { VERSION_ROWS } from './versions/index.ts';
import { versionStrategy } from './versions/version.ts';

export { Expect, OUTCOMES, interestingOutcomes, isSafe, type Outcome, type Outcomes, type PgtblSyncStrategy } from './strategy.ts';

/** In the order a table reads best: the floor, the historical answers, the bugs. */
export const STRATEGIES: readonly PgtblSyncStrategy[] = [
  none,
  ipiBroadcast,
  syncOne,
  counterV1,
  counterV3,
  counter,
  percpu,
  skipOnUnmap,
  targetedSyncV4,
  targetedSync,
  skipRedundantSyncV4,
  skipRedundantSync,
  percpuMm,
  staleTolerant,
  rcuFrames,
  counterNoBarriers,
  counterNonatomic,
];

/** Every Linux version, as the answer it runs (`linux-5.8`). */
export const KERNELS: readonly PgtblSyncStrategy[] = VERSION_ROWS.map(versionStrategy);

/** The versions --kernel takes, without the `linux-`. */
export const KERNEL_VERSIONS: readonly string[] = VERSION_ROWS.map((row) => row.version);

export const STRATEGY_NAMES: readonly string[] = STRATEGIES.map((s) => s.name);

/** Names that went, each with the one that replaced it and why: asked for, they are refused with a pointer. */
export const RENAMED: ReadonlyMap<string, { readonly now: string; readonly why: string }> = new Map([
  ['counter-rfc', { now: 'counter-v1', why: "the series' first posting was v1, not tagged RFC; its only RFC is skip-on-unmap" }],
  ['linux-6.1-rc1', { now: 'linux-6.0', why: 'the collapse hole shipped in 6.0 (bedf03416913), closed in 6.1' }],
]);

/** The floor every other answer's operation time and walker cost is compared against. */
export const FLOOR: PgtblSyncStrategy = none;

/** Answers registered at run time (a test's probe answers), by name, and the modules that register them; see registerStrategy(). */
const registered = new Map<string, PgtblSyncStrategy>();
const modules = new Set<string>();

/**
 * Add an answer declared outside this registry, in this thread. `module` is the file that
 * declares it and calls this as it loads: every CPU pool started from now on loads it into each
 * CPU's thread first (registeringModules()), so that the answer runs there too.
 */
export function registerStrategy(strategy: PgtblSyncStrategy, module: URL): void {
  if (STRATEGY_NAMES.includes(strategy.name) || KERNELS.some((k) => k.name === strategy.name)) throw new Error(`answer '${strategy.name}' is already in the registry`);
  registered.set(strategy.name, strategy);
  modules.add(module.href);
}

/** The modules that registered answers in this thread, for the CPUs' threads to load. */
export const registeringModules = (): URL[] => [...modules].map((href) => new URL(href));

/** Every name a run may name: the answers, the versions (`linux-5.8`), and any registered at run time. */
export const runnableNames = (): string[] => [...STRATEGY_NAMES, ...KERNELS.map((k) => k.name), ...registered.keys()];

/** An answer, or a kernel version (`linux-5.8`), by name. */
export function strategyByName(name: string): PgtblSyncStrategy {
  const strategy = STRATEGIES.find((s) => s.name === name) ?? KERNELS.find((k) => k.name === name) ?? registered.get(name);
  if (!strategy) throw new RangeError(`unknown strategy '${name}' (known: ${STRATEGY_NAMES.join(', ')})${renamedNote(name)}`);
  return strategy;
}

/** ", now NEW: why" for a name that went; empty for any other. */
export function renamedNote(name: string): string {
  const renamed = RENAMED.get(name);
  return renamed ? `; ${name} is now ${renamed.now}: ${renamed.why}` : '';
}
