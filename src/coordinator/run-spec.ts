// A run's spec, checked against the registry of answers: spec/run-spec.ts builds and checks every
// field but the answer's name, and knows no answer's kernel; this adds both.

import { SpecError, field } from '../base/usage-error.ts';
import type { KernelConfig } from '../kernel/kernel-config.ts';
import { buildRunSpec, kernelBelow, type RunSpec, type RunSpecOverrides } from '../spec/run-spec.ts';
import { STRATEGY_NAMES, renamedNote, runnableNames, strategyByName } from '../strategies/index.ts';

/** A run from the defaults and `overrides`, its answer known; a SpecError naming the field if not. */
export function runSpec(overrides: RunSpecOverrides = {}): RunSpec {
  const spec = buildRunSpec(overrides);
  if (!runnableNames().includes(spec.strategy)) {
    throw new SpecError([field('strategy'), `: unknown strategy '${spec.strategy}' (known: ${STRATEGY_NAMES.join(', ')})${renamedNote(spec.strategy)}`]);
  }
  const { arches } = strategyByName(spec.strategy);
  if (!arches.includes(spec.machine.arch)) {
    throw new SpecError([field('strategy', spec.strategy), ` runs on ${arches.join(', ')} only, not on `, field('machine.arch', spec.machine.arch)]);
  }
  if (kernelOf(spec).walkerGuards && spec.workload.mix.some(({ kind }) => kind === UNGUARDED_AFTER_58)) {
    throw new SpecError([
      field('workload.mix'),
      `: ${UNGUARDED_AFTER_58} walks the hash MMU's tables, whose guard after 5.8 (H_PAGE_BUSY on the entry) is not modelled; ` +
        `${spec.strategy} runs radix's 5.8 walkers, so leave ${UNGUARDED_AFTER_58} to strategies before 5.8`,
    ]);
  }
  return spec;
}

/** The kernel a run emulates below its answer: what the run chose, else the answer's kernel. */
export function kernelOf(spec: RunSpec): KernelConfig {
  return kernelBelow(spec, strategyByName(spec.strategy).kernel);
}

/** The walker kind whose 5.8 guard the emulator does not have: hash_page() held H_PAGE_BUSY. */
const UNGUARDED_AFTER_58 = 'hash-fault';
