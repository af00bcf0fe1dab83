// KVM's side of the MMU notifier: kvm->mmu_lock, and the count and sequence by which a guest
// fault walking the host page tables under that lock learns that the range is being changed.
// Models virt/kvm/kvm_main.c (kvm_mmu_notifier_invalidate_range_start() / _end()),
// include/linux/kvm_host.h (mmu_notifier_retry(), named mmu_invalidate_retry() since 6.1) and, on the walker's side, find_kvm_host_pte()
// (arch/powerpc/include/asm/kvm_book3s_64.h), which since 5.8 runs under the lock.

import { mmWord } from '../shared-memory/mm.ts';
import { RunAborted, type EmulatedCpu } from './cpu.ts';

/** Spins on a held lock before a spinning thread sleeps a moment: its holder may be off a core. */
const SPINS_BEFORE_SLEEP = 256;
const SLEEP_MS = 0.05;

/** spin_lock(&kvm->mmu_lock). The caller keeps its IRQs as they are, as spin_lock() does. */
export function kvm_mmu_lock(cpu: EmulatedCpu): void {
  for (let spins = 0; Atomics.compareExchange(cpu.mm, mmWord.kvmMmuLock, 0, 1) !== 0; spins++) {
    if (spins > SPINS_BEFORE_SLEEP) Atomics.wait(cpu.mm, mmWord.kvmMmuLock, 1, SLEEP_MS);
  }
}

/** spin_unlock(): sequentially consistent, so everything done under the lock happens-before the next holder's. */
export function kvm_mmu_unlock(cpu: EmulatedCpu): void {
  Atomics.store(cpu.mm, mmWord.kvmMmuLock, 0);
}

/** kvm->mmu_notifier_seq, read before taking the lock (then smp_rmb()). */
export const mmu_notifier_seq = (cpu: EmulatedCpu): number => Atomics.load(cpu.mm, mmWord.mmuInvalidateSeq);

/** mmu_notifier_retry(), under the lock: an invalidation in progress, or one since `seq`. */
export function mmu_notifier_retry(cpu: EmulatedCpu, seq: number): boolean {
  return Atomics.load(cpu.mm, mmWord.mmuInvalidateCount) !== 0 || Atomics.load(cpu.mm, mmWord.mmuInvalidateSeq) !== seq;
}

/** Before the unmapper changes the range: waits for every KVM walker inside the lock. */
export function mmu_notifier_invalidate_range_start(cpu: EmulatedCpu): void {
  lockTakingInterrupts(cpu);
  Atomics.add(cpu.mm, mmWord.mmuInvalidateCount, 1);
  kvm_mmu_unlock(cpu);
}

/** After it: a walker that read the sequence before now retries. */
export function mmu_notifier_invalidate_range_end(cpu: EmulatedCpu): void {
  lockTakingInterrupts(cpu);
  Atomics.add(cpu.mm, mmWord.mmuInvalidateSeq, 1);
  Atomics.sub(cpu.mm, mmWord.mmuInvalidateCount, 1);
  kvm_mmu_unlock(cpu);
}

/** The unmapper spins with IRQs on: IPIs sent to it while it waits are taken. */
function lockTakingInterrupts(cpu: EmulatedCpu): void {
  while (Atomics.compareExchange(cpu.mm, mmWord.kvmMmuLock, 0, 1) !== 0) {
    cpu.interruptPoint();
    if (cpu.aborted) throw new RunAborted();
  }
}
