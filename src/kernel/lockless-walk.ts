// A lockless page-table walk and the use of the page it finds, as the callers of
// find_current_mm_pte() do it (arch/powerpc/include/asm/pte-walk.h, arch/powerpc/mm/pgtable.c):
// IRQs off, walk PGD -> PUD -> PMD with one plain load per level; a THP leaf is treated as the
// pte, a table entry is followed down to its PTE page; use the page, then IRQs back on. The
// kinds of walker (walker-kinds.ts) differ in how long they hold the page, how long their IRQs
// stay off, and whether they re-check the PMD.
//
// The walker checks its own safety: it notes the lifetime word (lifetime-word.ts) of the frame
// it reached, and of the PTE page it went through, and checks them again while and after using
// the page. One freed in between is a use-after-free, exactly what serialize_against_pte_lookup()
// exists to prevent.

import { cpuWord } from '../shared-memory/cpu-block.ts';
import { Life, lifeGeneration, lifeState } from '../shared-memory/lifetime-word.ts';
import { mmWord } from '../shared-memory/mm.ts';
import { tableSlot } from '../shared-memory/page-table-arena.ts';
import { SUBPAGES, entry_pfn, pmd_is_leaf, pte_frame, pte_present } from '../shared-memory/pgtable-entry.ts';
import type { EmulatedCpu } from './cpu.ts';
import type { PgtblSync } from './pgtbl-sync.ts';
import { WALKER_KINDS, walkerKind, type KindShare, type WalkerKind } from './walker-kinds.ts';

/** Called inside every walk with IRQs off: where a fault can be injected into a walker. */
export type InWalkHook = () => void;

/** What a walker saw when the page it was using turned out to be freed. */
export interface UseAfterFree {
  readonly cpu: number;
  /** The walker kind that was using the page. */
  readonly kind: string;
  readonly hpn: number;
  /** What was freed under the walker: the huge frame it used, or the PTE page it walked through. */
  readonly what: 'frame' | 'page-table';
  /** The frame number, or the arena page number of the PTE page. */
  readonly page: number;
  /** The PMD entry the walker loaded. */
  readonly pmd: number;
  /** The page's generation when the walker reached it, and when it noticed. */
  readonly generationSeen: number;
  readonly generationNow: number;
  /** True when the page was already free as the walker reached it. */
  readonly freeOnArrival: boolean;
  /** When the walker noticed, as performance.timeOrigin + performance.now(): comparable across threads. */
  readonly atMs: number;
}

/** One walk in this many is timed: two clock reads cost about as much as a short walk. */
const LATENCY_SAMPLE_EVERY = 16;
const MAX_LATENCY_SAMPLES = 1 << 14;

export class LocklessWalker {
  /** The first few use-after-frees in detail; the total is in the CPU's statistics. */
  readonly violations: UseAfterFree[] = [];
  /** Walks of each kind of the mix, by its place in the mix (see walksByKind). */
  private readonly walksOfKind: Float64Array;
  /** Microseconds from local_irq_save() to local_irq_restore(), for one stretch in 16, before the unmapper starts. */
  readonly latencyUs = new Float64Array(MAX_LATENCY_SAMPLES);
  latencySamples = 0;
  /** GUP-fast walks that found the PMD changed on re-check and backed off. */
  gupBackoffs = 0;

  private readonly lastHpnWord: number;
  private readonly kindWord: number;
  private readonly kinds: readonly { readonly kind: WalkerKind; readonly index: number; readonly holdMs: number; readonly upTo: number }[];
  private readonly totalWeight: number;
  private stepCount = 0;
  /** The place in the mix of the kind walking now, for reports. */
  private kindNow = 0;

  constructor(
    private readonly cpu: EmulatedCpu,
    private readonly sync: PgtblSync,
    mix: readonly KindShare[],
    /** Microseconds every kind holds its page, instead of the kind's own; undefined: their own. */
    holdUs: number | undefined,
    private readonly random: () => number = Math.random,
    /** A fault to inject into this CPU's walks, if any. */
    private readonly inWalk?: InWalkHook,
  ) {
    this.lastHpnWord = cpuWord(cpu.id, 'lastWalkedHpn');
    this.kindWord = cpuWord(cpu.id, 'walkerKind');
    let upTo = 0;
    this.walksOfKind = new Float64Array(mix.length);
    this.kinds = mix.map(({ kind, weight }) => {
      const k = walkerKind(kind);
      return { kind: k, index: WALKER_KINDS.indexOf(k), holdMs: (holdUs ?? k.holdUs) / 1000, upTo: (upTo += weight) };
    });
    this.totalWeight = upTo;
  }

  /** One step of the workload: one stretch with IRQs off, of one walk or (real mode) a batch. */
  step(nextTarget: () => number): void {
    const pick = this.random() * this.totalWeight;
    let chosen = 0;
    while (chosen < this.kinds.length - 1 && pick >= this.kinds[chosen].upTo) chosen++;
    const { kind, index, holdMs } = this.kinds[chosen];
    this.cpu.words[this.kindWord] = index;
    this.kindNow = chosen;
    // Timed only before the unmapper starts (its cursor is still -1): the same fully mapped
    // tables for every strategy, not ones emptying at each strategy's own pace.
    const timed =
      ++this.stepCount % LATENCY_SAMPLE_EVERY === 0 && this.latencySamples < MAX_LATENCY_SAMPLES && Atomics.load(this.cpu.mm, mmWord.unmapCursor) < 0;
    const start = timed ? performance.now() : 0;
    const flags = this.cpu.local_irq_save();
    // Real mode (MSR_EE=0) does a batch of walks before IRQs come back: no interrupt point between.
    for (let i = 0; i < kind.walksPerIrqOff; i++) this.walk(kind, holdMs, nextTarget());
    this.walksOfKind[chosen] += kind.walksPerIrqOff;
    this.cpu.local_irq_restore(flags);
    if (timed) this.latencyUs[this.latencySamples++] = (performance.now() - start) * 1000;
  }

  /** One lockless walk of huge page `hpn`, IRQs already off: find_current_mm_pte(), then use. */
  private walk(kind: WalkerKind, holdMs: number, hpn: number): void {
    const cpu = this.cpu;
    this.sync.start_lockless_pgtbl_walk(cpu);
    cpu.words[this.lastHpnWord] = hpn;
    this.inWalk?.();

    const { entries, lives } = cpu.machine.arena;
    const slot = cpu.machine.arena.pmdSlot(hpn);
    // READ_ONCE(*pmdp): one plain load, never reloaded. Nothing orders it against the
    // unmapper's clear except what the strategy did above.
    const pmd = slot < 0 ? 0 : entries[slot];
    if (pte_present(pmd)) {
      let used = false;
      if (pmd_is_leaf(pmd)) {
        // A THP: the PMD itself is the pte.
        used = this.reach(kind, slot, pmd) && this.usePage(hpn, pmd, entry_pfn(pmd), NO_TABLE, 0, holdMs);
      } else {
        // A PTE page (a split THP, or small pages before a collapse): one level further down.
        // The detector notes the page's lifetime before the plain load of the pte.
        const table = entry_pfn(pmd);
        const tableSeen = Atomics.load(lives, table);
        const pte = entries[tableSlot(table, this.stepCount & (SUBPAGES - 1))];
        if (!pte_present(pte)) {
          if (Atomics.load(lives, table) !== tableSeen || lifeState(tableSeen) !== Life.IN_USE) {
            this.report(hpn, 'page-table', table, pmd, tableSeen, Atomics.load(lives, table), true);
          } else {
            // The PMD pointed at this PTE page before its ptes were visible: a torn split.
            cpu.count('halfStates');
          }
        } else {
          used = this.reach(kind, slot, pmd) && this.usePage(hpn, pmd, pte_frame(pte), table, tableSeen, holdMs);
        }
      }
      // Not part of the walk: did the unmapper change this PMD while we used it? (An Atomics
      // load, so that it is a fresh read; on x86-64 it is a plain mov, no barrier.)
      if (used && Atomics.load(entries, slot) !== pmd) cpu.count('collisions');
    }
    cpu.count('walks');
    this.sync.end_lockless_pgtbl_walk(cpu);
  }

  /** Walks of each kind, by name. */
  get walksByKind(): { [kind: string]: number } {
    const byKind: { [kind: string]: number } = {};
    this.kinds.forEach(({ kind }, i) => (byKind[kind.name] = (byKind[kind.name] ?? 0) + this.walksOfKind[i]));
    return byKind;
  }

  /** GUP-fast's speculative reference: re-check that the PMD still holds what we loaded. */
  private reach(kind: WalkerKind, slot: number, pmd: number): boolean {
    if (!kind.recheck || this.cpu.machine.arena.entries[slot] === pmd) return true;
    this.gupBackoffs++;
    return false;
  }

  /**
   * Use `frame` for the hold time, reached through PMD `pmd` (and PTE page `table`, unless
   * NO_TABLE), checking on every pass that neither has been freed. Returns whether it was used.
   */
  private usePage(hpn: number, pmd: number, frame: number, table: number, tableSeen: number, holdMs: number): boolean {
    const frames = this.cpu.machine.frames.words;
    const lives = this.cpu.machine.arena.lives;
    // These Atomics loads are the detector, not part of the walk: they pair with the
    // Atomics.compareExchange that poisons a page in lifetime-word.ts.
    const seen = Atomics.load(frames, frame);
    if (lifeState(seen) !== Life.IN_USE) {
      this.report(hpn, 'frame', frame, pmd, seen, seen, true);
      return false;
    }
    this.cpu.count('leafWalks');
    const until = holdMs > 0 ? performance.now() + holdMs : 0;
    do {
      const now = Atomics.load(frames, frame);
      if (now !== seen) {
        this.report(hpn, 'frame', frame, pmd, seen, now, false);
        return true;
      }
      if (table !== NO_TABLE) {
        const tableNow = Atomics.load(lives, table);
        if (tableNow !== tableSeen) {
          this.report(hpn, 'page-table', table, pmd, tableSeen, tableNow, false);
          return true;
        }
      }
    } while (until !== 0 && performance.now() < until);
    return true;
  }

  private report(hpn: number, what: UseAfterFree['what'], page: number, pmd: number, seen: number, now: number, freeOnArrival: boolean): void {
    this.cpu.count('useAfterFree');
    if (this.violations.length < MAX_VIOLATIONS_KEPT) {
      this.violations.push({
        cpu: this.cpu.id,
        kind: this.kinds[this.kindNow].kind.name,
        hpn,
        what,
        page,
        pmd,
        generationSeen: lifeGeneration(seen),
        generationNow: lifeGeneration(now),
        freeOnArrival,
        atMs: performance.timeOrigin + performance.now(),
      });
    }
  }
}

const NO_TABLE = -1;
const MAX_VIOLATIONS_KEPT = 16;
