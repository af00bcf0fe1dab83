// skip-redundant-sync-v4: the skip as v4's patch 3/3 posted it (2 Feb 2026,
// 20260202074557.16544-4-lance.yang@linux.dev): pv_mmu_ops.flush_tlb_multi_implies_ipi_broadcast,
// set for native without INVLPGB and, by kvm.c, for KVM: "KVM's flush implementation calls
// native_flush_tlb_multi(), which sends real IPIs". Sean Christopherson (aZ9Xcgxa0_ouGr31@google.com,
// aaCP95l-m8ISXF78@google.com): "The entire point of KVM's PV TLB flush is to elide the IPIs" --
// a preempted vCPU gets none -- and "it's entirely possible the vCPU is in a software/lockless
// walk". v4 put the skip in tlb_remove_table_sync_mm(); here it sits on the broadcast, as from
// v5, so that this answer and skip-redundant-sync differ only in what the property says under KVM.

import { tlb_remove_table_one_wait, tlb_remove_table_sync_one } from '../kernel/serialize.ts';
import { unlessFlushImpliedIt, type FlushImpliesIpi } from './skip-redundant-sync.ts';
import { Expect, defineStrategy } from './strategy.ts';
import { linuxX86615 } from './versions/linux-x86-6.15.ts';
import { kernelOfRow } from './versions/version.ts';

/** v4: native without INVLPGB, and KVM's paravirt flush too. */
const nativeOrKvm: FlushImpliesIpi = () => true;

export const skipRedundantSyncV4 = defineStrategy({
  name: 'skip-redundant-sync-v4',
  models: "Lance Yang v4 3/3 (2 Feb 2026): the skip, KVM's paravirt flush counted as the sync",
  sources: [
    'Lance Yang, "[PATCH v4 3/3] x86/tlb: add architecture-specific TLB IPI optimization support" (2 Feb 2026, 20260202074557.16544-4-lance.yang@linux.dev)',
    'Sean Christopherson: "The entire point of KVM\'s PV TLB flush is to elide the IPIs" (25 Feb 2026, aZ9Xcgxa0_ouGr31@google.com); "it\'s entirely possible the vCPU is in a software/lockless walk" (26 Feb 2026, aaCP95l-m8ISXF78@google.com)',
  ],
  outcomes: {
    useAfterFree: {
      expect: Expect.ACCEPTABLE_INTERESTING,
      desc: "a vCPU its host preempted inside GUP-fast got no flush IPI (kvm_flush_tlb_multi()) and, the sync skipped, nothing waited for it: the THP unmapped beside the collapse freed the PTE page it was in",
      demonstrate: {
        spec: {
          op: 'collapse-munmap',
          machine: { arch: 'x86', cpus: 3, memoryBytes: 32 * 2 ** 30, vcpuPreempt: 0.5 },
          kernel: { paravirt: 'kvm' },
          workload: { raceWindow: 2, busy: 1, walkRate: 0 },
        },
        attempts: 10,
        fixedBy: 'skip-redundant-sync',
      },
    },
    misread: { expect: Expect.ACCEPTABLE, desc: 'a walker nothing waited for may read a table in any state' },
    counterDrift: { expect: Expect.FORBIDDEN, desc: 'it keeps no count' },
  },
  serialize: { tableSync: unlessFlushImpliedIt(nativeOrKvm, tlb_remove_table_sync_one), tableFree: unlessFlushImpliedIt(nativeOrKvm, tlb_remove_table_one_wait) },
  kernel: kernelOfRow(linuxX86615),
  arches: ['x86'],
});
