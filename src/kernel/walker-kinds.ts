// The lockless walkers of the seed's series, each a named workload with the IRQ discipline,
// hold time and checks of the kernel function it models. A workload mixes them by weight.

/**
 * What keeps a walker's use of the page safe, besides its IRQs being off:
 *   irqs-off  nothing else: the IPI of serialize_against_pte_lookup() waits for it.
 *   page-ref  GUP-fast's: a reference taken before use (try_grab_folio(), which fails on a page
 *             being freed), then the PMD (and pte) re-checked, backing off if it changed.
 *   mmu-lock  KVM's from 5.8: find_kvm_host_pte() under kvm->mmu_lock, retrying when an MMU
 *             notifier invalidation is in progress or has happened since (mmu_notifier_retry()).
 *   pfn-only  it never uses the page, only its number.
 */
export type WalkerGuard = 'irqs-off' | 'page-ref' | 'mmu-lock' | 'pfn-only';

export interface WalkerKind {
  readonly name: string;
  /** The kernel function it models, and where. */
  readonly models: string;
  /** Microseconds it uses the page with IRQs off (unless --hold-us overrides every kind). */
  readonly holdUs: number;
  /**
   * Walks done in one stretch with IRQs off. 1 for most; real mode runs with MSR_EE=0 across a
   * whole batch of walks, and an IPI waits for all of it. A count, not a time, so that how many
   * walks a stretch holds does not depend on how fast the JIT has made them.
   */
  readonly walksPerIrqOff: number;
  /** Its guard before 5.8, and since 5.8's rework of the callers (KernelConfig.walkerGuards). */
  readonly guard: { readonly before58: WalkerGuard; readonly since58: WalkerGuard };
  /**
   * Whether it walks with IRQs off, before 5.8 and since. KVM's fault path since 5.8 walks under
   * kvm->mmu_lock with IRQs on (kvmppc_book3s_instantiate_page() -> find_kvm_host_pte(), which
   * checks mmu_notifier_retry()), so an IPI no longer waits for it; real mode still runs with
   * MSR_EE=0.
   */
  readonly irqsOff: { readonly before58: boolean; readonly since58: boolean };
  /** Whose kernel walks this way: powerpc's alone, or every architecture's (GUP-fast is generic). */
  readonly arch: 'powerpc' | 'any';
}

const ALWAYS = { before58: true, since58: true } as const;

export const WALKER_KINDS: readonly WalkerKind[] = [
  // Its last user that touched the page, perf's read_user_stack_slow(), went through
  // __get_user_pages_fast() from 15759cb054ef; find_current_mm_pte() itself went in 2022.
  { name: 'find-pte', models: 'find_current_mm_pte() (arch/powerpc/include/asm/pte-walk.h)', holdUs: 2, walksPerIrqOff: 1, guard: { before58: 'irqs-off', since58: 'page-ref' }, irqsOff: ALWAYS, arch: 'powerpc' },
  { name: 'gup-fast', models: 'gup_pgd_range() under get_user_pages_fast() (mm/gup.c)', holdUs: 1, walksPerIrqOff: 1, guard: { before58: 'page-ref', since58: 'page-ref' }, irqsOff: ALWAYS, arch: 'any' },
  { name: 'kvm-fault', models: 'kvmppc_book3s_radix_page_fault() -> kvmppc_book3s_instantiate_page() (book3s_64_mmu_radix.c) -> find_kvm_host_pte() (asm/kvm_book3s_64.h)', holdUs: 2, walksPerIrqOff: 1, guard: { before58: 'irqs-off', since58: 'mmu-lock' }, irqsOff: { before58: true, since58: false }, arch: 'powerpc' },
  { name: 'kvm-realmode', models: 'real-mode hcalls with MSR_EE=0 (arch/powerpc/kvm/book3s_hv_rm_mmu.c)', holdUs: 1, walksPerIrqOff: 32, guard: { before58: 'irqs-off', since58: 'mmu-lock' }, irqsOff: ALWAYS, arch: 'powerpc' },
  // The hash MMU's: hash__pmdp_collapse_flush() still sends serialize_against_pte_lookup().
  { name: 'hash-fault', models: 'hash_page_mm() inserting a hash PTE (arch/powerpc/mm/book3s64/hash_utils.c)', holdUs: 8, walksPerIrqOff: 1, guard: { before58: 'irqs-off', since58: 'irqs-off' }, irqsOff: ALWAYS, arch: 'powerpc' },
  { name: 'perf-callchain', models: 'user stack reads from the PMU interrupt (arch/powerpc/perf/callchain.c)', holdUs: 0.5, walksPerIrqOff: 1, guard: { before58: 'irqs-off', since58: 'page-ref' }, irqsOff: ALWAYS, arch: 'powerpc' },
  { name: 'mce', models: "the machine-check handler's addr_to_pfn() (arch/powerpc/kernel/mce_power.c)", holdUs: 1, walksPerIrqOff: 1, guard: { before58: 'pfn-only', since58: 'pfn-only' }, irqsOff: ALWAYS, arch: 'powerpc' },
];

export const WALKER_KIND_NAMES: readonly string[] = WALKER_KINDS.map((k) => k.name);

/** A weighted share of the walks. */
export interface KindShare {
  readonly kind: string;
  readonly weight: number;
}

/** Named mixes; `--workload` takes one of these or an explicit `kind:weight,...` list. */
export const WORKLOAD_PROFILES: { readonly [name: string]: readonly KindShare[] } = {
  // A qemu/KVM guest on a radix host, by IRQ-off stretches: mostly KVM page faults, some
  // GUP-fast pins (vhost, O_DIRECT), perf sampling, real-mode hcalls (each a batch of walks),
  // and the rare machine check.
  'qemu-guest': [
    { kind: 'kvm-fault', weight: 62 },
    { kind: 'gup-fast', weight: 25 },
    { kind: 'perf-callchain', weight: 10 },
    { kind: 'kvm-realmode', weight: 2 },
    { kind: 'mce', weight: 1 },
  ],
  // The plain find_current_mm_pte() walker alone.
  'find-pte': [{ kind: 'find-pte', weight: 1 }],
  // GUP-fast alone: the lockless walker every architecture has, x86's only one.
  'gup-fast': [{ kind: 'gup-fast', weight: 1 }],
};

export function walkerKind(name: string): WalkerKind {
  const kind = WALKER_KINDS.find((k) => k.name === name);
  if (!kind) throw new RangeError(`unknown walker kind '${name}'`);
  return kind;
}
