// What every run must leave true, checked by the coordinator once every CPU has stopped. A
// safe strategy must keep all of it; an unsafe one must keep the emulator's own bookkeeping,
// and its use-after-frees and counter drift are what it demonstrates.

import { cpuWord } from '../shared-memory/cpu-block.ts';
import { mmWord } from '../shared-memory/mm.ts';
import { PageTableArena } from '../shared-memory/page-table-arena.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';
import { OP_EXPECTATIONS } from './op-expectations.ts';
import type { MunmapConfig } from './options.ts';
import type { StrategyRun } from './run-strategy.ts';

/**
 * Everything a correct run must leave true. A safe strategy must keep all of it; an unsafe one
 * must keep the emulator's own bookkeeping, and its use-after-frees and counter drift are what
 * it demonstrates.
 */
export function checkInvariants(
  machine: SharedMachine,
  config: MunmapConfig,
  run: StrategyRun,
  freed: { readonly frames: number; readonly pageTables: number; readonly twice: number },
  halfStates: number,
  wrongPmds: readonly string[],
) {
  const brokenInvariants: string[] = [...wrongPmds];
  const demonstrated: string[] = [];
  const expect = (holds: boolean, what: string) => holds || brokenInvariants.push(what);
  const expectOfSafe = (holds: boolean, what: string) => holds || (run.safe ? brokenInvariants : demonstrated).push(what);
  const { framesFreedPerPmd, pageTablesFreedPerPmd } = OP_EXPECTATIONS[run.op];
  expect(run.ipis.sent === run.ipis.acked, `IPIs sent (${run.ipis.sent}) != IPIs acknowledged (${run.ipis.acked})`);
  expect(run.pmdsDone === run.pmds || run.estimated, `PMDs done (${run.pmdsDone}) != PMDs mapped (${run.pmds})`);
  expect(freed.frames === run.pmdsDone * framesFreedPerPmd, `frames freed (${freed.frames}) != ${framesFreedPerPmd} per PMD done (${run.pmdsDone})`);
  expect(freed.pageTables === run.pmdsDone * pageTablesFreedPerPmd, `PTE pages freed (${freed.pageTables}) != ${pageTablesFreedPerPmd} per PMD done (${run.pmdsDone})`);
  expect(freed.twice === 0, `${freed.twice} page(s) freed twice`);
  expect(halfStates === 0, `${halfStates} walk(s) followed a PMD into a PTE page whose ptes were not there yet`);
  const leaked = machine.frames.mappedCount();
  expect(leaked === 0, `${leaked} frame(s) still mapped after the range was torn down`);
  const tablePages = PageTableArena.pagesToMap(config.hugePages) - 1;
  expect(machine.arena.pagesInUse === tablePages, `${machine.arena.pagesInUse - tablePages} page-table page(s) leaked`);
  for (let cpu = 0; cpu < machine.cpus; cpu++) {
    const pending = (Atomics.load(machine.cpuWords, cpuWord(cpu, 'ipiRequest')) - Atomics.load(machine.cpuWords, cpuWord(cpu, 'ipiAck'))) | 0;
    expect(pending === 0, `CPU ${cpu} has ${pending} IPI(s) never acknowledged`);
  }
  expectOfSafe(run.counterDrift === 0, `lockless-walk count is ${run.counterDrift} after every walker stopped (lost updates)`);
  expectOfSafe(run.violations.useAfterFree === 0, `${run.violations.useAfterFree} use-after-free`);
  return { brokenInvariants, demonstrated };
}

/** Walks still counted in flight, in the mm's counter and the per-CPU ones, once all stopped. */
export function walksStillCounted(machine: SharedMachine): number {
  const { mm, cpuWords, cpus } = machine;
  let counted = Atomics.load(mm, mmWord.locklessPgtblWalkCount);
  for (let cpu = 0; cpu < cpus; cpu++) counted += Atomics.load(cpuWords, cpuWord(cpu, 'locklessWalks'));
  return counted;
}

