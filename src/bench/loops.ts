// The bench's loops on one CPU: a lockless walk against the raw loads it makes, and munmap per
// PMD against its kernel steps written out and against the barest clear-and-free; and both traced.

import { EmulatedCpu } from '../kernel/cpu.ts';
import { LocklessWalker } from '../kernel/lockless-walk.ts';
import { map_thp_range, teardown_range_offline } from '../kernel/map-thp.ts';
import { pgtable_trans_huge_withdraw } from '../kernel/pgtable-deposit.ts';
import { run_pmd_range } from '../kernel/pmd-ops.ts';
import { Mulberry32 } from '../cpu-worker/prng.ts';
import { HugePageTargets } from '../cpu-worker/walker-loop.ts';
import { WalkerWorkload } from '../cpu-worker/workload.ts';
import { kernelOf, runSpec } from '../coordinator/run-spec.ts';
import { mmWord } from '../shared-memory/mm.ts';
import { entry_pfn, pmd_is_leaf } from '../shared-memory/pgtable-entry.ts';
import { SharedMachine } from '../shared-memory/shared-machine.ts';
import { createTraceBuffers } from '../shared-memory/trace-ring.ts';
import { FLOOR as none } from '../strategies/index.ts';
import { elapsedUs, measure, measurePair, measureTurnAbout, type Figure, type Pair } from './measure.ts';

const PMDS = 8_192;
/** munmap's sample: long enough (tens of ms) that one scheduler tick or GC does not set it. */
const MUNMAP_PMDS = 65_536;

/** Rings for a traced CPU 0, recording, that never fill (the newest records overwrite the oldest). */
function tracing(cpu: EmulatedCpu): void {
  const trace = createTraceBuffers(1, { capacity: 1 << 16, mode: 'overwrite', epochMs: performance.timeOrigin, firstPmd: 0, lastPmd: Infinity });
  cpu.beginRun(trace);
  if (!cpu.tracer) throw new Error('beginRun() with rings made no tracer');
  cpu.tracer.recording = true;
  cpu.traceWalks(true);
}

/**
 * A lockless walk (none: no strategy cost), against a raw loop doing the same loads; and, when
 * `traced` is called, the same walk traced. Nothing is traced before every untraced figure is
 * taken: a CPU that has once had a tracer leaves V8's compiled code more general.
 */
export function walks(): { walk: Pair; traced: () => Figure } {
  const machine = SharedMachine.create({ cpus: 1, hugePages: PMDS });
  map_thp_range(machine, 0, PMDS);
  const cpu = new EmulatedCpu(machine, 0);
  cpu.beginRun();
  // The walker's own generator and targets, as a walker CPU has them.
  const random = new Mulberry32(1);
  const walker = new LocklessWalker(cpu, none.walker, { walkerStyle: 'value', gupRechecksPmd: true });
  const workload = new WalkerWorkload(cpu, walker, random, { mix: [{ kind: 'find-pte', weight: 1 }], holdUs: 0, guarded: false, otherMm: 0 });
  const targets = new HugePageTargets(cpu, { firstHpn: 0, hugePages: PMDS, raceWindow: 0 }, random);
  const walkOnce = () => {
    const start = performance.now();
    for (let i = 0; i < 1_000_000; i++) workload.step(targets);
    return elapsedUs(start, 1_000_000) * 1000;
  };
  const { entries } = machine.arena;
  const frames = machine.frames.words;
  let sink = 0;
  const rawOnce = () => {
    const start = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      const slot = machine.arena.pmdSlot(targets.next());
      const pmd = entries[slot];
      sink += Atomics.load(frames, entry_pfn(pmd)) + Atomics.load(frames, entry_pfn(pmd)) + Atomics.load(entries, slot);
    }
    return elapsedUs(start, 1_000_000) * 1000;
  };
  const walk = measurePair('lockless walk + use (find-pte, no hold)', 'ns', walkOnce, 'raw loop: the same page-table and frame loads', rawOnce);
  if (sink === -1) console.log(sink);
  const traced = () => {
    tracing(cpu);
    return measure('the same walk, traced (--trace)', 'ns', walkOnce);
  };
  return { walk, traced };
}

/**
 * munmap per PMD under none, against two raw loops measured turn about with it: the barest
 * clear-and-free, and the steps the emulator's munmap takes that a kernel takes too, inline,
 * without its statistics, timing or trace checks (so that their cost is the ratio between the
 * last two); and, when `traced` is called, the same munmap traced.
 */
export function munmaps(pmds = MUNMAP_PMDS): { kernelSteps: Pair; munmap: Pair; traced: () => Figure } {
  const machine = SharedMachine.create({ cpus: 1, hugePages: pmds });
  const cpu = new EmulatedCpu(machine, 0);
  cpu.beginRun();
  const kernel = kernelOf(runSpec());
  const { entries } = machine.arena;
  const munmapOnce = () => {
    map_thp_range(machine, 0, pmds);
    const result = run_pmd_range(cpu, none, kernel, 'munmap', 0, pmds);
    return (result.opMs * 1e6) / pmds;
  };
  const rawOnce = () => {
    map_thp_range(machine, 0, pmds);
    const start = performance.now();
    for (let hpn = 0; hpn < pmds; hpn++) {
      const slot = machine.arena.pmdSlot(hpn);
      const pmd = entries[slot];
      entries[slot] = 0;
      machine.frames.free(entry_pfn(pmd));
      machine.arena.pte.free(pgtable_trans_huge_withdraw(machine.arena, hpn));
    }
    const ns = elapsedUs(start, pmds) * 1000;
    teardown_range_offline(machine, 0, pmds);
    return ns;
  };
  // run_pmd_range()'s zap_huge_pmd() and mmu_gather under none, written out: the interrupt
  // point between PMDs, the leaf check, the clear, the deposited PTE page withdrawn and freed
  // (zap_deposited_table()), the batch, its TLB flush (the tlbie's wait and the flush count),
  // then each frame's reference dropped (tlb_flush_mmu(), mm/mmu_gather.c: flush, then
  // free_pages_and_swap_cache(); one folio_put() a frame here).
  const batch = new Int32Array(kernel.gatherBatch);
  const flushAndFree = (gathered: number) => {
    const until = performance.now() + kernel.tlbieUs / 1000;
    while (performance.now() < until);
    Atomics.add(cpu.mm, mmWord.tlbFlushSeq, 1);
    for (let i = 0; i < gathered; i++) machine.frames.put(batch[i]);
  };
  const kernelStepsOnce = () => {
    map_thp_range(machine, 0, pmds);
    const start = performance.now();
    let gathered = 0;
    for (let hpn = 0; hpn < pmds; hpn++) {
      cpu.interruptPoint();
      const slot = machine.arena.pmdSlot(hpn);
      if (slot < 0 || !pmd_is_leaf(entries[slot])) continue;
      const pmd = entries[slot];
      entries[slot] = 0;
      machine.arena.pte.free(pgtable_trans_huge_withdraw(machine.arena, hpn));
      batch[gathered++] = entry_pfn(pmd);
      if (gathered === batch.length) {
        flushAndFree(gathered);
        gathered = 0;
      }
    }
    flushAndFree(gathered);
    const ns = elapsedUs(start, pmds) * 1000;
    // A floor that did less than the munmap would flatter it: every frame and PTE page must be free again.
    const left = machine.frames.mappedCount();
    if (left !== 0) throw new Error(`munmap's kernel steps left ${left} of ${pmds} frames mapped`);
    const tables = machine.arena.pte.inUse;
    if (tables !== 0) throw new Error(`munmap's kernel steps left ${tables} PTE pages in use`);
    return ns;
  };
  const { figures, ratio } = measureTurnAbout('ns', [
    { name: 'raw loop: clear the PMD, free frame and deposit', once: rawOnce },
    { name: "raw loop: munmap's kernel steps, inline", once: kernelStepsOnce },
    { name: 'munmap per PMD under none', once: munmapOnce },
  ]);
  const [raw, steps, munmap] = figures;
  const traced = () => {
    tracing(cpu);
    return measure('the same munmap, traced (--trace)', 'ns', munmapOnce);
  };
  return { kernelSteps: { figure: steps, floor: raw, ratio: ratio(1, 0) }, munmap: { figure: munmap, floor: steps, ratio: ratio(2, 1) }, traced };
}
