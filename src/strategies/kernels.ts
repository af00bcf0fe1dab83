// Linux, version by version, as the emulator runs it: each version is the answer it gave (a
// strategy) with what its kernel did below it, per operation. `--kernel 5.8` runs `linux-5.8`.
//   5.4      serialize_against_pte_lookup() on every clear, invalidation and collapse; pointer
//            walkers; one TLB flush per mmu_gather batch.
//   5.8      Aneesh Kumar K.V.'s rework: no IPI on clear or invalidation, value walkers with
//            their own guards, a TLB flush per PMD; collapse keeps the IPI.
//   5.10     as 5.8 here (mm_cpumask trimming, about 5.12, changes nothing while every vCPU
//            keeps running the mm, as the emulator's do).
//   6.1-rc1  radix collapse without the IPI (bedf03416913), trusting GUP-fast's PMD re-check
//            (70cbc3cc78a99): the window Jann Horn found, a walker reading the deposited table.
//   6.1      khugepaged's tlb_remove_table_sync_one() after pmdp_collapse_flush() (2ba99c5e0881):
//            an IPI to every online CPU.
//   series-v5, series-v6  the seed's series on its ~5.4/5.5 base, never merged: counter, percpu.

import { tlb_remove_table_sync_one } from '../kernel/serialize.ts';
import { counter } from './counter.ts';
import { ipiBroadcast } from './ipi-broadcast.ts';
import { percpu } from './percpu.ts';
import { staleTolerant } from './stale-tolerant.ts';
import { Expect, SAFE, type PgtblSyncStrategy } from './strategy.ts';

const linux58 = (version: string, models: string): PgtblSyncStrategy => ({ ...staleTolerant, name: `linux-${version}`, models: `Linux ${version}: ${models}` });

export const KERNELS: readonly PgtblSyncStrategy[] = [
  { ...ipiBroadcast, name: 'linux-5.4', models: 'Linux 5.4: IPI to mm_cpumask on every PMD change; pointer walkers; batched TLB flush' },
  linux58('5.8', 'no IPI on clear; value walkers guard their use; TLB flush per PMD; collapse IPI'),
  linux58('5.10', 'as 5.8'),
  {
    ...linux58('6.1-rc1', 'as 5.8, and no collapse IPI: GUP-fast re-checks the PMD'),
    serialize_collapse: () => 0,
    // The hole it had: a walker reading the PTE page a collapse has deposited.
    expect: { ...SAFE, misread: Expect.INTERESTING },
    showWith: '--op collapse --workload gup-fast --race-window 2 --cpus 3 --memory 16G',
  },
  {
    ...linux58('6.1', 'as 5.8, collapse IPIs every online CPU (tlb_remove_table_sync_one())'),
    serialize_collapse: tlb_remove_table_sync_one,
  },
  { ...counter, name: 'linux-series-v5', models: `the series v5 on Linux 5.4: ${counter.models}` },
  { ...percpu, name: 'linux-series-v6', models: `the series v6 on Linux 5.4: ${percpu.models}` },
];

/** The versions --kernel takes, without the `linux-`. */
export const KERNEL_VERSIONS: readonly string[] = KERNELS.map((k) => k.name.replace(/^linux-/, ''));
