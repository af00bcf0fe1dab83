// A lockless page-table walk and the use of the THP it finds, as the callers of
// find_current_mm_pte() do it (arch/powerpc/include/asm/pte-walk.h, arch/powerpc/mm/pgtable.c):
// IRQs off, walk PGD -> PUD -> PMD with one plain load per level, treat a THP leaf as the pte,
// use the page, then IRQs back on.
//
// The walker checks its own safety: it notes the frame's generation when it reaches the page
// and checks it again while and after using it. A frame freed in between is a use-after-free,
// which is exactly what serialize_against_pte_lookup() exists to prevent.

import { FrameState, frameGeneration, frameState } from '../shared-memory/frame-table.ts';
import { cpuWord } from '../shared-memory/cpu-block.ts';
import { entry_pfn, pmd_is_leaf, pte_present } from '../shared-memory/pgtable-entry.ts';
import type { PgtblSyncStrategy } from '../strategies/strategy.ts';
import type { EmulatedCpu } from './cpu.ts';

/** What a walker saw when the page it was using turned out to be freed. */
export interface UseAfterFree {
  readonly cpu: number;
  readonly strategy: string;
  readonly hpn: number;
  readonly frame: number;
  /** The PMD entry the walker loaded. */
  readonly pmd: number;
  /** The frame's generation when the walker reached it, and when it noticed. */
  readonly generationSeen: number;
  readonly generationNow: number;
  /** True when the frame was already free as the walker reached it through the PMD. */
  readonly freeOnArrival: boolean;
  /** When the walker noticed, as performance.timeOrigin + performance.now(): comparable across threads. */
  readonly atMs: number;
}

export class LocklessWalker {
  /** The first few use-after-frees in detail; the total is in the CPU's statistics. */
  readonly violations: UseAfterFree[] = [];
  private readonly lastHpnWord: number;

  constructor(
    private readonly cpu: EmulatedCpu,
    private readonly strategy: PgtblSyncStrategy,
    /** How long the walker uses the page with IRQs off, in milliseconds. */
    private readonly holdMs: number,
  ) {
    this.lastHpnWord = cpuWord(cpu.id, 'lastWalkedHpn');
  }

  /** One walk of huge page `hpn`: local_irq_save(); find_current_mm_pte(); use; restore. */
  walk(hpn: number): void {
    const cpu = this.cpu;
    const flags = cpu.local_irq_save();
    this.strategy.start_lockless_pgtbl_walk(cpu);
    cpu.words[this.lastHpnWord] = hpn;

    const entries = cpu.machine.arena.entries;
    const slot = cpu.machine.arena.pmdSlot(hpn);
    // READ_ONCE(*pmdp): one plain load, never reloaded. Nothing orders it against the
    // unmapper's clear except what the strategy did above.
    const pmd = slot < 0 ? 0 : entries[slot];
    if (pte_present(pmd) && pmd_is_leaf(pmd)) {
      this.useHugePage(hpn, pmd);
      // Not part of the walk: did the unmapper clear this PMD while we used it? (An Atomics
      // load, so that it is a fresh read; on x86-64 it is a plain mov, no barrier.)
      if (Atomics.load(entries, slot) !== pmd) cpu.count('collisions');
    }
    cpu.count('walks');

    this.strategy.end_lockless_pgtbl_walk(cpu);
    cpu.local_irq_restore(flags);
  }

  /** Use the THP for the hold time, checking on every pass that it has not been freed. */
  private useHugePage(hpn: number, pmd: number): void {
    const frames = this.cpu.machine.frames.words;
    const frame = entry_pfn(pmd);
    // These Atomics loads are the detector, not part of the walk: they pair with the
    // Atomics.compareExchange that poisons the frame in FrameTable.free().
    const seen = Atomics.load(frames, frame);
    if (frameState(seen) !== FrameState.MAPPED) {
      this.report(hpn, frame, pmd, seen, seen, true);
      return;
    }
    this.cpu.count('leafWalks');
    const until = this.holdMs > 0 ? performance.now() + this.holdMs : 0;
    do {
      const now = Atomics.load(frames, frame);
      if (now !== seen) {
        this.report(hpn, frame, pmd, seen, now, false);
        return;
      }
    } while (until !== 0 && performance.now() < until);
  }

  private report(hpn: number, frame: number, pmd: number, seen: number, now: number, freeOnArrival: boolean): void {
    this.cpu.count('useAfterFree');
    if (this.violations.length < MAX_VIOLATIONS_KEPT) {
      this.violations.push({
        cpu: this.cpu.id,
        strategy: this.strategy.name,
        hpn,
        frame,
        pmd,
        generationSeen: frameGeneration(seen),
        generationNow: frameGeneration(now),
        freeOnArrival,
        atMs: performance.timeOrigin + performance.now(),
      });
    }
  }
}

const MAX_VIOLATIONS_KEPT = 16;
