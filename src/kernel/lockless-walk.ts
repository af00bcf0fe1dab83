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

import { Mm, Stat, cpuWord } from '../shared-memory/cpu-block.ts';
import { Life, lifeGeneration, lifeState } from '../shared-memory/lifetime-word.ts';
import { mmWord } from '../shared-memory/mm.ts';
import { tableSlot } from '../shared-memory/page-table-arena.ts';
import { entry_pfn, pmd_is_leaf, pte_frame, pte_present } from '../shared-memory/pgtable-entry.ts';
import type { EmulatedCpu } from './cpu.ts';
import { TraceEvent, VIOLATION_KINDS } from './ftrace.ts';
import type { WalkerStyle } from './kernel-config.ts';
import type { PgtblSync } from './pgtbl-sync.ts';
import { put_page } from './mmu-gather.ts';
import { kvm_mmu_lock, kvm_mmu_unlock, mmu_notifier_retry, mmu_notifier_seq } from './mmu-notifier.ts';
import { WALKER_KINDS, walkerKind, type KindShare, type WalkerGuard, type WalkerKind } from './walker-kinds.ts';

/** Called inside every walk with IRQs off: where a fault can be injected into a walker. */
export type InWalkHook = () => void;

/**
 * A source of random numbers, and of huge pages to walk. Objects with a method, not bare
 * functions: a run makes new ones, and a call site V8 has inlined for one function object
 * deoptimises when it meets another, so that every run began with seconds of unoptimised walks
 * on an oversubscribed host; a method of one class is the same function object in every run.
 */
export interface RandomSource {
  /** A number in [0, 1). */
  next(): number;
  /**
   * A whole number in [0, n), n up to 2^30. The walk's hot path asks for these, never for a
   * fraction: a fraction returned by a call V8 did not inline is a number boxed on the heap,
   * and in some runs that was 16 bytes of garbage a walk, a young-generation collection every
   * 20 ms or so on each walker CPU.
   */
  below(n: number): number;
}
export interface WalkTargets {
  next(): number;
}

const MATH_RANDOM: RandomSource = { next: Math.random, below: (n) => Math.floor(Math.random() * n) };

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

/** One walk in this many is timed: two clock reads cost about as much as a short walk. */
const LATENCY_SAMPLE_EVERY = 16;
const MAX_LATENCY_SAMPLES = 1 << 14;

export class LocklessWalker {
  /** The first few violations in detail; the totals are in the CPU's statistics. */
  readonly violations: WalkerViolation[] = [];
  /** Walks of each kind of the mix, by its place in the mix (see walksByKind). */
  private readonly walksOfKind: Float64Array;
  /** Microseconds from local_irq_save() to local_irq_restore(), for one stretch in 16, before the unmapper starts. */
  readonly latencyUs = new Float64Array(MAX_LATENCY_SAMPLES);
  latencySamples = 0;
  /** Page-reference walks (GUP-fast) that could not take the reference, or found the PMD changed on re-check, and backed off. */
  gupBackoffs = 0;
  /** KVM walks under kvm->mmu_lock that found an invalidation in progress or done since, and retried. */
  kvmRetries = 0;

  private readonly lastHpnWord: number;
  private readonly kindWord: number;
  private readonly kinds: readonly {
    readonly kind: WalkerKind;
    readonly index: number;
    /** How long it uses its page, in whole nanoseconds (see RandomSource.below() on fractions). */
    readonly holdNs: number;
    /** Its share of the mix ends here, out of KIND_PICKS. */
    readonly upTo: number;
    /** What keeps its use safe, under this walker style. */
    readonly guard: WalkerGuard;
  }[];
  private stepCount = 0;
  /** Race amplification's scratch memory for filling the store buffer, and where it goes on. */
  private readonly storeBufferFill: Int32Array | undefined;
  private fillAt = 0;
  /** The current walk is still counted in flight (its end_lockless_pgtbl_walk() is yet to come). */
  private counting = false;
  private readonly pteIndexMask: number;
  /** Time between loading a PMD that points at a PTE page and loading the pte. */
  private readonly descentNs: number;
  /** The place in the mix of the kind walking now, for reports. */
  private kindNow = 0;

  constructor(
    private readonly cpu: EmulatedCpu,
    private readonly sync: PgtblSync,
    /** pointer: re-read the entry through the pointer at the end of the use (before 5.8); value: never (5.8+). */
    private readonly style: WalkerStyle,
    /** Each kind guards what it uses as after 5.8's rework, not by its IRQs alone. */
    guarded: boolean,
    mix: readonly KindShare[],
    /** Microseconds every kind holds its page, instead of the kind's own; undefined: their own. */
    holdUs: number | undefined,
    private readonly random: RandomSource = MATH_RANDOM,
    /** A fault to inject into this CPU's walks, if any. */
    private readonly inWalk?: InWalkHook,
    /** Race amplification: walks aim at a PTE page's first two ptes, where a deposit writes its list pointers, and take 1 us between the PMD and the pte. */
    amplified = false,
    /** Share of IRQ-off stretches that walk another process's page tables. */
    private readonly otherMm = 0,
  ) {
    this.pteIndexMask = amplified ? 1 : cpu.machine.arena.ptesPerPmd - 1;
    this.storeBufferFill = amplified && sync.unorderedIncrement ? new Int32Array(STORE_BUFFER_SCRATCH_INTS) : undefined;
    this.descentNs = amplified ? DESCENT_AMPLIFIED_NS : 0;
    this.lastHpnWord = cpuWord(cpu.id, 'lastWalkedHpn');
    this.kindWord = cpuWord(cpu.id, 'walkerKind');
    const totalWeight = mix.reduce((sum, { weight }) => sum + weight, 0);
    let weightSoFar = 0;
    this.walksOfKind = new Float64Array(mix.length);
    this.kinds = mix.map(({ kind, weight }) => {
      const k = walkerKind(kind);
      const upTo = Math.round(((weightSoFar += weight) / totalWeight) * KIND_PICKS);
      return { kind: k, index: WALKER_KINDS.indexOf(k), holdNs: Math.round((holdUs ?? k.holdUs) * 1000), upTo, guard: guarded ? k.guard.since58 : k.guard.before58 };
    });
  }

  /** One step of the workload: one stretch with IRQs off, of one walk or (real mode) a batch. */
  step(targets: WalkTargets): void {
    const pick = this.random.below(KIND_PICKS);
    let chosen = 0;
    while (chosen < this.kinds.length - 1 && pick >= this.kinds[chosen].upTo) chosen++;
    const { kind, index, holdNs, guard } = this.kinds[chosen];
    this.cpu.words[this.kindWord] = index;
    this.kindNow = chosen;
    if (this.otherMm > 0 && this.random.next() < this.otherMm) {
      this.otherMmStretch(kind, holdNs);
      return;
    }
    // Timed only before the unmapper starts (its cursor is still -1): the same fully mapped
    // tables for every strategy, not ones emptying at each strategy's own pace.
    const timed =
      ++this.stepCount % LATENCY_SAMPLE_EVERY === 0 && this.latencySamples < MAX_LATENCY_SAMPLES && Atomics.load(this.cpu.mm, mmWord.unmapCursor) < 0;
    const start = timed ? performance.now() : 0;
    if (this.sync.before_irqs_off) {
      if (this.storeBufferFill) this.fillStoreBuffer(this.storeBufferFill);
      this.sync.before_irqs_off(this.cpu);
    }
    const flags = this.cpu.local_irq_save();
    // Real mode (MSR_EE=0) does a batch of walks before IRQs come back: no interrupt point between.
    for (let i = 0; i < kind.walksPerIrqOff; i++) this.walk(guard, holdNs, targets.next());
    this.walksOfKind[chosen] += kind.walksPerIrqOff;
    this.cpu.local_irq_restore(flags);
    this.sync.after_irqs_on?.(this.cpu);
    if (timed) this.latencyUs[this.latencySamples++] = (performance.now() - start) * 1000;
  }

  /**
   * An IRQ-off stretch walking another process's page tables on this CPU: nothing of this mm is
   * touched, but a strategy that counts the CPU's walks, whatever their mm, counts it, and the
   * unmapper's IPI waits for it all the same.
   */
  private otherMmStretch(kind: WalkerKind, holdNs: number): void {
    const cpu = this.cpu;
    const counted = this.sync.counts === 'cpu-walks';
    cpu.walkingMm = Mm.OTHER;
    if (counted) this.sync.before_irqs_off?.(cpu);
    const flags = cpu.local_irq_save();
    for (let i = 0; i < kind.walksPerIrqOff; i++) {
      if (counted) this.sync.start_lockless_pgtbl_walk(cpu);
      spinFor(holdNs);
      if (counted) this.sync.end_lockless_pgtbl_walk(cpu);
      cpu.count(Stat.otherMmWalks);
    }
    cpu.local_irq_restore(flags);
    if (counted) this.sync.after_irqs_on?.(cpu);
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
    // The stores go just before the hook that counts the walk: here, or before IRQs went off.
    if (this.storeBufferFill && !this.sync.before_irqs_off) this.fillStoreBuffer(this.storeBufferFill);
    this.counting = true;
    this.sync.start_lockless_pgtbl_walk(cpu);
    cpu.words[this.lastHpnWord] = hpn;
    this.inWalk?.();
    if (guard !== 'mmu-lock') {
      this.lookUpAndUse(guard, holdNs, hpn);
    } else {
      // find_kvm_host_pte(): under kvm->mmu_lock, and not while the MMU notifier says the range
      // is changing or has changed since the fault began: then the fault is retried.
      const seq = mmu_notifier_seq(cpu);
      kvm_mmu_lock(cpu);
      if (mmu_notifier_retry(cpu, seq)) this.kvmRetries++;
      else this.lookUpAndUse(guard, holdNs, hpn);
      kvm_mmu_unlock(cpu);
    }
    cpu.count(Stat.walks);
    this.lookedUp();
  }

  /**
   * Race amplification, as litmus7 does it: stores to cold cache lines just before the walk's
   * increment queue up in this CPU's store buffer, so that the increment drains late, after the
   * walker's own PMD load. A fenced increment drains them all at once; an unordered one does not.
   */
  private fillStoreBuffer(scratch: Int32Array): void {
    let at = this.fillAt;
    for (let i = 0; i < STORE_BUFFER_FILL; i++) {
      scratch[at] = i;
      at = (at + CACHE_LINE_INTS) & (scratch.length - 1);
    }
    this.fillAt = at;
  }

  /**
   * The walk is counted until here: the end of the lookup under the RFC's scope, else the end of
   * the use.
   */
  private lookedUp(): void {
    if (!this.counting) return;
    this.counting = false;
    this.sync.end_lockless_pgtbl_walk(this.cpu);
  }

  private lookUpAndUse(guard: WalkerGuard, holdNs: number, hpn: number): void {
    const cpu = this.cpu;
    const { entries, lives } = cpu.machine.arena;
    const slot = cpu.machine.arena.pmdSlot(hpn);
    // READ_ONCE(*pmdp): one plain load. Nothing orders it against the unmapper's clear except
    // what the strategy did above.
    const pmd = slot < 0 ? 0 : entries[slot];
    if (!pte_present(pmd)) return;
    let used = false;
    if (pmd_is_leaf(pmd)) {
      // A THP: the PMD itself is the pte.
      if (this.sync.countsLookupOnly) this.lookedUp();
      used = this.use(guard, hpn, slot, pmd, entry_pfn(pmd), NO_TABLE, 0, NO_PTE, holdNs);
      // *ptep, through the pointer into the PMD table.
      if (used && this.style === 'pointer') this.rereadLeaf(hpn, slot, pmd);
    } else {
      // A PTE page (a split THP, or small pages before a collapse): one level further down.
      // The detector notes the page's lifetime before the plain load of the pte, and again after.
      const table = entry_pfn(pmd);
      const tableSeen = Atomics.load(lives, table);
      spinFor(this.descentNs);
      const ptep = tableSlot(table, this.stepCount & this.pteIndexMask);
      const pte = entries[ptep];
      if (this.tableChanged(hpn, table, pmd, tableSeen, pte)) {
        // Reported: what it read was not a pte of a live table.
      } else if (!pte_present(pte)) {
        // The PMD pointed at this PTE page before its ptes were visible: a torn split.
        cpu.count(Stat.halfStates);
      } else {
        if (this.sync.countsLookupOnly) this.lookedUp();
        used = this.use(guard, hpn, slot, pmd, pte_frame(pte), table, tableSeen, ptep, holdNs);
        if (used && this.style === 'pointer') this.tableChanged(hpn, table, pmd, tableSeen, entries[ptep]);
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
    if (entries[slot] !== pmd || (ptep !== NO_PTE && !mapsFrame(entries[ptep], frame))) {
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
   * Did PTE page `table` stop being a live table around a read of `pte` from it? Deposited
   * (collapsed under the walker, kept for a later split), a present-looking value is the
   * deposit's list pointers, which the walker would use as a pte: a misread. Freed, it is a
   * use-after-free. Returns whether it changed, reported or not.
   */
  private tableChanged(hpn: number, table: number, pmd: number, tableSeen: number, pte: number): boolean {
    // The detector, not the walk: pairs with the Atomics.compareExchange that deposits or
    // poisons the page in lifetime-word.ts.
    const tableNow = Atomics.load(this.cpu.machine.arena.lives, table);
    if (tableNow === tableSeen && lifeState(tableSeen) === Life.IN_USE) return false;
    if (lifeState(tableNow) === Life.DEPOSITED || lifeState(tableSeen) === Life.DEPOSITED) {
      if (pte_present(pte)) this.misread(hpn, 'deposited-table', table, pmd);
    } else {
      this.report(hpn, 'page-table', table, pmd, tableSeen, tableNow, lifeState(tableSeen) !== Life.IN_USE);
    }
    return true;
  }

  private misread(hpn: number, what: 'table-as-leaf' | 'deposited-table', page: number, pmd: number): void {
    this.cpu.count(Stat.misreads);
    this.record({ what, page, pmd, hpn, generationSeen: 0, generationNow: 0, freeOnArrival: false });
  }

  /** Walks of each kind, by name. */
  get walksByKind(): { [kind: string]: number } {
    const byKind: { [kind: string]: number } = {};
    this.kinds.forEach(({ kind }, i) => (byKind[kind.name] = (byKind[kind.name] ?? 0) + this.walksOfKind[i]));
    return byKind;
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
    const lives = this.cpu.machine.arena.lives;
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
    this.violations.push({ cpu: this.cpu.id, kind: this.kinds[this.kindNow].kind.name, ...violation, atMs: performance.timeOrigin + performance.now() });
  }
}

const NO_TABLE = -1;
/**
 * Under race amplification, a walk takes this long from its PMD to its pte: as a walker held up
 * between the two loads (a vCPU preempted by its host, a cache miss chain) would, so that a PMD
 * changed in between (a collapse, then its deposit) is met.
 */
const DESCENT_AMPLIFIED_NS = 1_000;
/** Stores before each amplified walk: about a store buffer's worth (48-72 entries on x86-64 cores). */
const STORE_BUFFER_FILL = 64;
/** 4 MiB of private scratch, walked a cache line at a time, so that the stores miss the L1 and L2. */
const STORE_BUFFER_SCRATCH_INTS = 1 << 20;
const CACHE_LINE_INTS = 16;
const NO_PTE = -1;

/** Whether a pte still maps (a small page of) huge frame `frame`. */
const mapsFrame = (pte: number, frame: number): boolean => pte_present(pte) && pte_frame(pte) === frame;

/** Busy for `ns`, as a walker is while it holds its IRQs off. */
function spinFor(ns: number): void {
  if (ns <= 0) return; // most walks: no clock read at all
  const until = performance.now() + ns / 1e6;
  while (performance.now() < until);
}

/** The resolution of a walker's pick of kind: its mix's shares, as whole numbers out of this. */
const KIND_PICKS = 2 ** 30;
const MAX_VIOLATIONS_KEPT = 16;
