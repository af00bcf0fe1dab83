// The architectures a run's kernel runs on, each one declaration: the page and THP sizes it has,
// how its TLB flush reaches other CPUs, where a THP's deposited PTE page keeps its list, and
// how that list reads to a walker that takes it for ptes.

/** How a TLB flush reaches the other CPUs. tlbie: radix's broadcast invalidation, a cost on the flushing CPU alone. ipi: a shootdown, an IPI round to the mm's CPUs. */
export const TLB_FLUSHES = ['tlbie', 'ipi'] as const;
export type TlbFlushBy = (typeof TLB_FLUSHES)[number];

export const ARCHS = ['ppc64le-radix', 'ppc64-radix', 'ppc64-hash', 'x86'] as const;
export type Arch = (typeof ARCHS)[number];

export interface ArchSpec {
  readonly name: Arch;
  /** What it is, in a few words. */
  readonly models: string;
  /** The base page sizes it has, the first its default. */
  readonly basePages: readonly number[];
  /** Its THP (PMD) sizes, the first its default. */
  readonly thpSizes: readonly number[];
  /** How its TLB flushes reach the other CPUs, the first its default. */
  readonly tlbFlushes: readonly TlbFlushBy[];
  /**
   * Where pgtable_trans_huge_deposit() keeps the list of deposited PTE pages: 'ptes', in the
   * deposited page's first two ptes (radix__pgtable_trans_huge_deposit()); 'outside', in its
   * struct page (the generic one, mm/pgtable-generic.c) or beside the PMD (hash), leaving the
   * ptes as the collapse left them.
   */
  readonly depositList: 'ptes' | 'outside';
  /** The byte order of its ptes: how a kernel pointer stored in one reads (PtePages.listEntry()). */
  readonly bigEndian: boolean;
  /**
   * A CPU that halts, having run the mm, stays in lazy-TLB mode (cpu_tlbstate_shared.is_lazy),
   * and a TLB flush that freed no page tables skips it (arch/x86/mm/tlb.c).
   */
  readonly lazyTlb: boolean;
  /** Paravirtual TLB flushes it can run under (--pv). */
  readonly paravirt: readonly Paravirt[];
  /**
   * tlb_needs_table_invalidate(): a page table freed without a batch page (tlb_remove_table_one())
   * needs a TLB flush first, since the hardware walker caches the tables. The generic default,
   * true (x86); powerpc's is radix_enabled() (arch/powerpc/include/asm/tlb.h).
   */
  readonly tableInvalidate: boolean;
  /**
   * How pmdp_huge_get_and_clear() clears a PMD: x86-64's native_pmdp_get_and_clear() is an xchg
   * (arch/x86/include/asm/pgtable_64.h), a locked instruction and so a full barrier; powerpc's
   * is modelled as a plain store, its order against walkers left to the answer.
   */
  readonly pmdGetAndClear: 'xchg' | 'store';
  /** Walker families it has: powerpc's, or only the generic GUP-fast (WalkerKind.arch). */
  readonly walkers: 'powerpc' | 'generic';
  /** Its walkers when a run names none, and under race amplification (profiles of walker-kinds.ts). */
  readonly workload: string;
  readonly raceWorkload: string;
}

/** The hypervisor interface a guest kernel's TLB flush goes through: none (bare metal), or KVM's (kvm_flush_tlb_multi()). */
export const PARAVIRTS = ['none', 'kvm'] as const;
export type Paravirt = (typeof PARAVIRTS)[number];

const K64 = 2 ** 16;
const K4 = 2 ** 12;
const M2 = 2 ** 21;
const M16 = 2 ** 24;

const powerpc = { lazyTlb: false, paravirt: ['none'], pmdGetAndClear: 'store', walkers: 'powerpc', workload: 'qemu-guest', raceWorkload: 'find-pte' } as const;
const radix = { ...powerpc, basePages: [K64, K4], thpSizes: [M2], tlbFlushes: ['tlbie', 'ipi'], depositList: 'ptes', tableInvalidate: true } as const;

export const ARCH_SPECS: { readonly [arch in Arch]: ArchSpec } = {
  'ppc64le-radix': { name: 'ppc64le-radix', models: 'POWER9 radix MMU, little-endian: the seed\'s', bigEndian: false, ...radix },
  'ppc64-radix': { name: 'ppc64-radix', models: 'POWER9 radix MMU, big-endian', bigEndian: true, ...radix },
  'ppc64-hash': {
    name: 'ppc64-hash',
    models: 'hash MMU, 64K pages, 16M THPs; the deposit beside the PMD (hash__pgtable_trans_huge_deposit())',
    basePages: [K64],
    thpSizes: [M16],
    tlbFlushes: ['tlbie'],
    depositList: 'outside',
    bigEndian: true,
    tableInvalidate: false,
    ...powerpc,
  },
  x86: {
    name: 'x86',
    models: 'x86-64, 4K pages, 2M THPs; TLB flushes by IPI, lazy-TLB CPUs skipped; the deposit list in struct page',
    basePages: [K4],
    thpSizes: [M2],
    tlbFlushes: ['ipi'],
    depositList: 'outside',
    bigEndian: false,
    lazyTlb: true,
    tableInvalidate: true,
    pmdGetAndClear: 'xchg',
    paravirt: ['none', 'kvm'],
    walkers: 'generic',
    workload: 'gup-fast',
    raceWorkload: 'gup-fast',
  },
};

export const archSpec = (arch: Arch): ArchSpec => ARCH_SPECS[arch];
