// The mmu_gather: frames are freed in batches, each only after a TLB flush that covers it.
import { describe, expect, it } from 'vitest';
import { EmulatedCpu } from '../../src/kernel/cpu.ts';
import { MmuGather } from '../../src/kernel/mmu-gather.ts';
import { flush_tlb_range } from '../../src/kernel/tlb-flush.ts';
import { kernelOf, runSpec } from '../../src/coordinator/run-spec.ts';
import { cpuStat } from '../../src/shared-memory/cpu-block.ts';
import { Life } from '../../src/shared-memory/lifetime-word.ts';
import { SharedMachine } from '../../src/shared-memory/shared-machine.ts';

function gathered(batch: number) {
  const machine = SharedMachine.create({ cpus: 1, hugePages: 5 });
  const frames = Array.from({ length: 5 }, () => machine.frames.alloc());
  const cpu = new EmulatedCpu(machine, 0);
  const kernel = { ...kernelOf(runSpec()), gatherBatch: batch, tlbieUs: 0 };
  const stat = (field: Parameters<typeof cpuStat>[1]) => machine.cpuStats[cpuStat(0, field)];
  const live = () => frames.filter((f) => machine.frames.state(f) === Life.IN_USE).length;
  return { machine, frames, cpu, kernel, stat, live, tlb: new MmuGather(cpu, 'immediate', kernel) };
}

describe('the mmu_gather', () => {
  it('frees a batch when it fills, after one flush, and the rest at tlb_finish_mmu(), after another', () => {
    const { frames, tlb, stat, live } = gathered(2);
    tlb.tlb_remove_page(frames[0]);
    expect([live(), stat('tlbFlushes')]).toEqual([5, 0]); // gathered, not freed
    tlb.tlb_remove_page(frames[1]);
    expect([live(), stat('tlbFlushes')]).toEqual([3, 1]); // the batch was full: flushed, freed
    tlb.tlb_remove_page(frames[2]);
    tlb.tlb_finish_mmu();
    expect([live(), stat('tlbFlushes'), stat('framesFreed')]).toEqual([2, 2, 3]);
    expect(stat('freedBeforeFlush')).toBe(0);
    tlb.tlb_finish_mmu(); // nothing left: no flush for nothing
    expect(stat('tlbFlushes')).toBe(2);
  });

  it('counts a frame freed with no flush since its PMD was cleared', () => {
    const { frames, tlb, stat, cpu, kernel } = gathered(8);
    const clearedAt = flush_tlb_range(cpu, kernel); // a flush, then a clear with none after it
    tlb.free_flushed(frames[0], clearedAt); // covered: the flush came after the count it was taken at
    tlb.free_flushed(frames[1], clearedAt + 1); // taken after the last flush: not covered
    expect(stat('framesFreed')).toBe(2);
    expect(stat('freedBeforeFlush')).toBe(1);
  });
});
