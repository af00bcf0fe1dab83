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
//
// This file is the walk alone: which kind walks when, how often, on which mm and how it is timed
// is the workload's (cpu-worker/workload.ts), which drives it one IRQ-off stretch at a time.
// The answer's walker side runs at the hooks of PgtblSync's WalkerSide, and nowhere else.

import { Mm, Stat, cpuWord } from '../shared-memory/cpu-block.ts';
import { Life, lifeGeneration, lifeState } from '../shared-memory/lifetime-word.ts';
import { entry_pfn, pmd_is_leaf, pte_frame, pte_present } from '../shared-memory/pgtable-entry.ts';
import type { EmulatedCpu } from './cpu.ts';
import { TraceEvent, VIOLATION_KINDS } from './ftrace.ts';
import type { KernelConfig, WalkerStyle } from './kernel-config.ts';
import type { WalkerSide } from './pgtbl-sync.ts';
import { put_page } from './mmu-gather.ts';
import { kvm_mmu_lock, kvm_mmu_unlock, mmu_notifier_retry, mmu_notifier_seq } from './mmu-notifier.ts';
import { WALKER_KINDS, type WalkerGuard, type WalkerKind } from './walker-kinds.ts';

/** Called inside every walk with IRQs off: where a fault can be injected into a walker. */
export type InWalkHook = () => void;

/**
 * The huge pages a walker walks, one a walk (the workload's: cpu-worker/walker-loop.ts). An
 * object with a method, not a bare function: a run makes a new one, and a call site V8 has
 * inlined for one function object deoptimises when it meets another; a method of one class is
 * the same function object in every run.
 */
export interface WalkTargets {
  next(): number;
}

/**
 * Where a walk aims inside the page tables. Race amplification (the workload's) aims at a PTE
 * page's first two ptes, where a deposit writes its list pointers, and takes a while between the
 * PMD and the pte, as a walker held up between the two loads (a vCPU preempted by its host, a
 * cache-miss chain) would, so that a PMD changed in between (a collapse, then its deposit) is met.
 */
export interface WalkAim {
  readonly firstTwoPtes: boolean;
  /** Time between loading a PMD that points at a PTE page and loading the pte. */
  readonly descentNs: number;
}
export const ANYWHERE: WalkAim = { firstTwoPtes: false, descentNs: 0 };

/** A walker kind as one CPU's run walks it: its guard under this run's kernel, and its hold in whole nanoseconds. */
export interface KindInRun {
  readonly kind: WalkerKind;
  /** Its place in WALKER_KINDS: what the CPU's walkerKind word says while it walks. */
  readonly index: number;
  /** How long it uses its page (whole nanoseconds: see cpu-worker/prng.ts on fractions). */
  readonly holdNs: number;
  /** What keeps its use safe, under this run's kernel. */
  readonly guard: WalkerGuard;
  /** Whether it walks with IRQs off, under this run's kernel. */
  readonly irqsOff: boolean;
}

/** `kind` as a run walks it: its own hold unless `holdUs` says otherwise, its guard before or since 5.8's rework. */
export function kindInRun(kind: WalkerKind, holdUs: number | undefined, guarded: boolean): KindInRun {
  return {
    kind,
    index: WALKER_KINDS.indexOf(kind),
    holdNs: Math.round((holdUs ?? kind.holdUs) * 1000),
    guard: guarded ? kind.guard.since58 : kind.guard.before58,
    irqsOff: guarded ? kind.irqsOff.since58 : kind.irqsOff.before58,
  };
}

/**
 * What a walker caught going wrong under it. A use-after-free: the huge frame it used, or the PTE
 * page it walked through, was freed. A misread, what serialize_against_pte_lookup() existed to
 * prevent: it took page-table data of another kind for its own, a table pointer as a THP leaf
 * (its PMD was split under a pointer it kept), or a deposited table's list pointers as ptes.
 */
export interface WalkerViolation {
  readonly cpu: number;
  /** The walker kind that was using the page. */
  readonly kind: string;
  readonly hpn: number;
  readonly what: 'frame' | 'page-table' | 'table-as-leaf' | 'deposited-table';
  /** The frame number, or the arena page number of the PTE page (for table-as-leaf, of the table the PMD now points at). */
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

export class LocklessWalker {
  /** The first few violations in detail; the totals are in the CPU's statistics. */
  readonly violations: WalkerViolation[] = [];
  /** Page-reference walks (GUP-fast) that could not take the reference, or found the PMD changed on re-check, and backed off. */
  gupBackoffs = 0;
  /** KVM walks under kvm->mmu_lock that found an invalidation in progress or done since, and retried. */
  kvmRetries = 0;

  private readonly style: WalkerStyle;
  private readonly gupRechecksPmd: boolean;
  private readonly lastHpnWord: number;
  private readonly kindWord: number;
  /** Walks so far: which pte of a PTE page a walk reads. */
  private walks = 0;
  private readonly pteIndexMask: number;
  private readonly descentNs: number;
  /** The kind walking now, for reports. */
  private kindNow: WalkerKind = WALKER_KINDS[0];

  constructor(
    private readonly cpu: EmulatedCpu,
    /** The answer's walker side. */
    private readonly hooks: WalkerSide,
    /** The kernel's walk: its style (pointer: re-read the entry at the end of the use, before 5.8; value: never) and whether GUP-fast re-checks the PMD from a pte (6.0+). */
    { walkerStyle, gupRechecksPmd }: Pick<KernelConfig, 'walkerStyle' | 'gupRechecksPmd'>,
    aim: WalkAim = ANYWHERE,
    /** A fault to inject into this CPU's walks, if any: called inside every walk, IRQs off. */
    private readonly inWalk?: InWalkHook,
  ) {
    this.style = walkerStyle;
    this.gupRechecksPmd = gupRechecksPmd;
    this.pteIndexMask = aim.firstTwoPtes ? 1 : cpu.machine.arena.pte.ptesPerPmd - 1;
    this.descentNs = aim.descentNs;
    this.lastHpnWord = cpuWord(cpu.id, 'lastWalkedHpn');
    this.kindWord = cpuWord(cpu.id, 'walkerKind');
  }

  /** One stretch with IRQs off, of one walk or (real mode) a batch, of this mm's pages `targets` gives. */
  stretch(run: KindInRun, targets: WalkTargets): void {
    const { kind, guard, holdNs } = run;
    const cpu = this.cpu;
    cpu.words[this.kindWord] = run.index;
    this.kindNow = kind;
    const hooks = this.hooks;
    hooks.beforeIrqsOff(cpu);
    // A kind that walks with IRQs on (KVM's since 5.8) takes interrupts as it goes (walk(), usePage()).
    const flags = run.irqsOff ? cpu.local_irq_save() : true;
    // Real mode (MSR_EE=0) does a batch of walks before IRQs come back: no interrupt point between.
    for (let i = 0; i < kind.walksPerIrqOff; i++) this.walk(guard, holdNs, targets.next());
    if (run.irqsOff) cpu.local_irq_restore(flags);
    hooks.afterIrqsOn(cpu);
  }

  /**
   * An IRQ-off stretch walking another process's page tables on this CPU: nothing of this mm is
   * touched, but the answer's hooks run as for any walk, with the CPU's walkingMm saying whose
   * (an answer that counts the CPU's walks, whatever their mm, counts it), and an IPI to this
   * CPU waits for it all the same.
   */
  otherMmStretch(run: KindInRun): void {
    const cpu = this.cpu;
    const hooks = this.hooks;
    cpu.words[this.kindWord] = run.index;
    this.kindNow = run.kind;
    cpu.walkingMm = Mm.OTHER;
    hooks.beforeIrqsOff(cpu);
    const flags = cpu.local_irq_save();
    for (let i = 0; i < run.kind.walksPerIrqOff; i++) {
      hooks.walkStart(cpu);
      hooks.lookupEnd(cpu);
      spinFor(run.holdNs);
      hooks.walkEnd(cpu);
      cpu.count(Stat.otherMmWalks);
    }
    cpu.local_irq_restore(flags);
    hooks.afterIrqsOn(cpu);
    cpu.walkingMm = Mm.THIS;
  }

  /**
   * One lockless walk of huge page `hpn`, IRQs already off: __find_linux_pte(), then the use of
   * what it found. A value walker uses the entries it loaded; a pointer walker, as callers did
   * before 5.8, keeps a pointer to the entry ((pte_t *)pmdp for a THP) and dereferences it
   * again at the end of its use, getting whatever the entry has become.
   */
  private walk(guard: WalkerGuard, holdNs: number, hpn: number): void {
    const cpu = this.cpu;
    this.hooks.walkStart(cpu);
    cpu.words[this.lastHpnWord] = hpn;
    this.inWalk?.();
    if (guard !== 'mmu-lock') {
      this.lookUpAndUse(guard, holdNs, hpn);
    } else {
      // find_kvm_host_pte(): under kvm->mmu_lock, and not while the MMU notifier says the range
      // is changing or has changed since the fault began: then the fault is retried.
      const seq = mmu_notifier_seq(cpu);
      kvm_mmu_lock(cpu);
      // With IRQs on (since 5.8), an interrupt can come in under the lock: spin_lock() leaves them as they are.
      cpu.interruptPoint();
      if (mmu_notifier_retry(cpu, seq)) {
        this.kvmRetries++;
        this.hooks.lookupEnd(cpu);
      } else {
        this.lookUpAndUse(guard, holdNs, hpn);
      }
      kvm_mmu_unlock(cpu);
    }
    this.hooks.walkEnd(cpu);
    cpu.count(Stat.walks);
    this.walks++;
  }

  private lookUpAndUse(guard: WalkerGuard, holdNs: number, hpn: number): void {
    const cpu = this.cpu;
    const { entries, pte: ptePages } = cpu.machine.arena;
    const slot = cpu.machine.arena.pmdSlot(hpn);
    // READ_ONCE(*pmdp): one plain load. Nothing orders it against the unmapper's clear except
    // what the answer did above.
    const pmd = slot < 0 ? 0 : entries[slot];
    if (!pte_present(pmd)) {
      this.hooks.lookupEnd(cpu);
      return;
    }
    let used = false;
    if (pmd_is_leaf(pmd)) {
      // A THP: the PMD itself is the pte, and the lookup returns (pte_t *)pmdp.
      this.hooks.lookupEnd(cpu);
      used = this.use(guard, hpn, slot, pmd, entry_pfn(pmd), NO_TABLE, 0, NO_PTE, holdNs);
      // *ptep, through the pointer into the PMD table.
      if (used && this.style === 'pointer') this.rereadLeaf(hpn, slot, pmd);
    } else {
      // A PTE page (a split THP, or small pages before a collapse): one level further down.
      // The detector notes the page's lifetime before the plain load of the pte, and again after.
      const table = entry_pfn(pmd);
      const tableSeen = Atomics.load(ptePages.lives, table);
      // Between the two loads the host may stop this vCPU, IRQs off or not (--vcpu-preempt).
      cpu.preemptionPoint();
      spinFor(this.descentNs);
      const ptep = ptePages.slot(table, this.walks & this.pteIndexMask);
      // The detector: the page's lifetime just before the pte is read, to tell a read of a table
      // already deposited (its list pointers) from one made while it was still live.
      const tableAtRead = Atomics.load(ptePages.lives, table);
      const pte = ptePages.entries[ptep];
      // The lookup returns the pte's address.
      this.hooks.lookupEnd(cpu);
      if (this.tableChanged(hpn, table, pmd, tableSeen, tableAtRead, pte)) {
        // Reported: what it read was not a pte of a live table.
      } else if (!pte_present(pte)) {
        // Still pointed at by the PMD, the page had no pte there yet: a torn split. (With the
        // PMD changed since, it is a table a collapse cleared as it copied: nothing to map.)
        if (Atomics.load(entries, slot) === pmd) cpu.count(Stat.halfStates);
      } else {
        used = this.use(guard, hpn, slot, pmd, pte_frame(pte), table, tableSeen, ptep, holdNs);
        if (used && this.style === 'pointer') this.tableChanged(hpn, table, pmd, tableSeen, Atomics.load(ptePages.lives, table), ptePages.entries[ptep]);
      }
    }
    // Not part of the walk: did the unmapper change this PMD while we used it? (An Atomics
    // load, so that it is a fresh read; on x86-64 it is a plain mov, no barrier.)
    if (used && Atomics.load(entries, slot) !== pmd) cpu.count(Stat.collisions);
  }

  /**
   * Use `frame`, found through PMD `pmd` (and pte slot `ptep` of PTE page `table`, unless
   * NO_TABLE), as the walker's guard allows. Returns whether it was used.
   */
  private use(guard: WalkerGuard, hpn: number, slot: number, pmd: number, frame: number, table: number, tableSeen: number, ptep: number, holdNs: number): boolean {
    if (guard === 'pfn-only') {
      // The number is all it wanted: it holds its IRQs off as long, and touches nothing.
      this.cpu.count(Stat.leafWalks);
      spinFor(holdNs);
      return true;
    }
    if (guard !== 'page-ref') return this.usePage(hpn, pmd, frame, table, tableSeen, holdNs);
    // GUP-fast: try_grab_folio() fails on a page being freed; then re-check that the PMD (and
    // the pte) still say what we loaded, or give the reference back and back off.
    const { frames, arena } = this.cpu.machine;
    const entries = arena.entries;
    if (!frames.tryGet(frame)) {
      this.gupBackoffs++;
      return false;
    }
    // The leaf path (gup_huge_pmd()) always re-checked the PMD; the PTE path (gup_pte_range())
    // re-checked only the pte until 70cbc3cc78a99 (6.0) made it re-check the PMD too.
    const pmdChanged = (ptep === NO_PTE || this.gupRechecksPmd) && entries[slot] !== pmd;
    if (pmdChanged || (ptep !== NO_PTE && !mapsFrame(arena.pte.entries[ptep], frame))) {
      put_page(this.cpu, frame);
      this.gupBackoffs++;
      return false;
    }
    const used = this.usePage(hpn, pmd, frame, table, tableSeen, holdNs);
    put_page(this.cpu, frame);
    return used;
  }

  /**
   * A pointer walker's second read of the PMD it took for a THP leaf. Split under it, the entry
   * is now a pointer to a PTE page, which the walker would use as the huge page's address: the
   * pmd_t -> pte_t cast serialize_against_pte_lookup() existed to protect. Cleared or
   * invalidated, it reads as not present, which the walker's caller checks.
   */
  private rereadLeaf(hpn: number, slot: number, pmd: number): void {
    const now = this.cpu.machine.arena.entries[slot];
    if (now !== pmd && pte_present(now) && !pmd_is_leaf(now)) this.misread(hpn, 'table-as-leaf', entry_pfn(now), pmd);
  }

  /**
   * Did PTE page `table` stop being a live table around a read of `pte` from it, its lifetime
   * `tableSeen` when the walker loaded the PMD and `tableAtRead` just before the read? Read once
   * the page was deposited (a collapse's, kept beside a THP), a present-looking value is the
   * deposit's list pointers, which the walker would use as a pte: a misread (only a big-endian
   * kernel's pointers look present: PtePages.listEntry()). Read while it was live, and deposited
   * only after, the value is a pte of the table being torn down, which the walker's guard judges
   * as any stale pte. Freed, or withdrawn and reused for another THP, it is a use-after-free.
   * Returns whether the read is not a pte of a live table, reported or not.
   */
  private tableChanged(hpn: number, table: number, pmd: number, tableSeen: number, tableAtRead: number, pte: number): boolean {
    // The detector, not the walk: pairs with the Atomics.compareExchange that deposits or
    // poisons the page in lifetime-word.ts.
    const tableNow = Atomics.load(this.cpu.machine.arena.pte.lives, table);
    if (tableNow === tableSeen && lifeState(tableSeen) === Life.IN_USE) return false;
    if (lifeState(tableAtRead) === Life.DEPOSITED && lifeState(tableNow) !== Life.FREE) {
      if (pte_present(pte)) this.misread(hpn, 'deposited-table', table, pmd);
      return true;
    }
    const depositedAfterRead = tableAtRead === tableSeen && lifeState(tableNow) === Life.DEPOSITED && lifeGeneration(tableNow) === lifeGeneration(tableSeen) + 1;
    // A live pte read of a table a collapse is emptying: used, or not present (cleared by the copy).
    if (depositedAfterRead) return !pte_present(pte);
    this.report(hpn, 'page-table', table, pmd, tableSeen, tableNow, lifeState(tableSeen) !== Life.IN_USE);
    return true;
  }

  private misread(hpn: number, what: 'table-as-leaf' | 'deposited-table', page: number, pmd: number): void {
    this.cpu.count(Stat.misreads);
    this.record({ what, page, pmd, hpn, generationSeen: 0, generationNow: 0, freeOnArrival: false });
  }

  /**
   * Use `frame` for the hold time, reached through PMD `pmd` (and PTE page `table`, unless
   * NO_TABLE), checking on every pass that the frame has not been freed, nor, for a pointer
   * walker, which still points into it, the PTE page. Returns whether it was used.
   */
  private usePage(hpn: number, pmd: number, frame: number, table: number, tableSeen: number, holdNs: number): boolean {
    // A value walker is done with the PTE page once it has read its pte.
    if (this.style === 'value') table = NO_TABLE;
    const frames = this.cpu.machine.frames.words;
    const lives = this.cpu.machine.arena.pte.lives;
    // These Atomics loads are the detector, not part of the walk: they pair with the
    // Atomics.compareExchange that poisons a page in lifetime-word.ts.
    const seen = Atomics.load(frames, frame);
    if (lifeState(seen) !== Life.IN_USE) {
      this.report(hpn, 'frame', frame, pmd, seen, seen, true);
      return false;
    }
    this.cpu.count(Stat.leafWalks);
    const until = holdNs > 0 ? performance.now() + holdNs / 1e6 : 0;
    do {
      const now = Atomics.load(frames, frame);
      if (now !== seen) {
        this.report(hpn, 'frame', frame, pmd, seen, now, false);
        return true;
      }
      if (table !== NO_TABLE) {
        // A table deposited meanwhile (a collapse) is not freed: the walker's pointer still reads
        // live memory, and its re-read after the use (tableChanged()) names the misread.
        const tableNow = Atomics.load(lives, table);
        if (tableNow !== tableSeen && lifeState(tableNow) !== Life.DEPOSITED) {
          this.report(hpn, 'page-table', table, pmd, tableSeen, tableNow, false);
          return true;
        }
      }
      // A walk with IRQs on takes interrupts while it uses the page; with them off, this does nothing.
      this.cpu.interruptPoint();
    } while (until !== 0 && performance.now() < until);
    return true;
  }

  private report(hpn: number, what: 'frame' | 'page-table', page: number, pmd: number, seen: number, now: number, freeOnArrival: boolean): void {
    this.cpu.count(Stat.useAfterFree);
    this.record({ what, page, pmd, hpn, generationSeen: lifeGeneration(seen), generationNow: lifeGeneration(now), freeOnArrival });
  }

  /** Keep the first few in detail, with who saw them and when. */
  private record(violation: Omit<WalkerViolation, 'cpu' | 'kind' | 'atMs'>): void {
    this.cpu.tracer?.instant(TraceEvent.VIOLATION, violation.hpn, VIOLATION_KINDS.indexOf(violation.what));
    if (this.violations.length >= MAX_VIOLATIONS_KEPT) return;
    this.violations.push({ cpu: this.cpu.id, kind: this.kindNow.name, ...violation, atMs: performance.timeOrigin + performance.now() });
  }
}

const NO_TABLE = -1;
const NO_PTE = -1;

/** Whether a pte still maps (a small page of) huge frame `frame`. */
const mapsFrame = (pte: number, frame: number): boolean => pte_present(pte) && pte_frame(pte) === frame;

/** Busy for `ns`, as a walker is while it holds its IRQs off. */
function spinFor(ns: number): void {
  if (ns <= 0) return; // most walks: no clock read at all
  const until = performance.now() + ns / 1e6;
  while (performance.now() < until);
}

const MAX_VIOLATIONS_KEPT = 16;
