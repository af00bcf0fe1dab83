// The lockless walkers of the seed's series, each a named workload with the IRQ discipline,
// hold time and checks of the kernel function it models. A workload mixes them by weight.

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
  /** GUP-fast: after taking a speculative reference, re-check the PMD and back off if it changed. */
  readonly recheck: boolean;
}

export const WALKER_KINDS: readonly WalkerKind[] = [
  { name: 'find-pte', models: 'find_current_mm_pte() (arch/powerpc/mm/pgtable.c)', holdUs: 2, walksPerIrqOff: 1, recheck: false },
  { name: 'gup-fast', models: 'gup_pgd_range() under get_user_pages_fast() (mm/gup.c)', holdUs: 1, walksPerIrqOff: 1, recheck: true },
  { name: 'kvm-fault', models: 'kvmppc_book3s_radix_page_fault() -> find_kvm_host_pte() (book3s_64_mmu_radix.c)', holdUs: 2, walksPerIrqOff: 1, recheck: false },
  { name: 'kvm-realmode', models: 'real-mode hcalls with MSR_EE=0 (arch/powerpc/kvm/book3s_hv_rm_mmu.c)', holdUs: 1, walksPerIrqOff: 32, recheck: false },
  { name: 'hash-fault', models: 'hash_page_mm() inserting a hash PTE (arch/powerpc/mm/book3s64/hash_utils.c)', holdUs: 8, walksPerIrqOff: 1, recheck: false },
  { name: 'perf-callchain', models: 'user stack reads from the PMU interrupt (arch/powerpc/perf/callchain.c)', holdUs: 0.5, walksPerIrqOff: 1, recheck: false },
  { name: 'mce', models: "the machine-check handler's addr_to_pfn() (arch/powerpc/kernel/mce_power.c)", holdUs: 1, walksPerIrqOff: 1, recheck: false },
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
};

export function walkerKind(name: string): WalkerKind {
  const kind = WALKER_KINDS.find((k) => k.name === name);
  if (!kind) throw new RangeError(`unknown walker kind '${name}'`);
  return kind;
}
