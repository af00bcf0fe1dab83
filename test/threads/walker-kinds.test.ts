import { describe, expect, it } from 'vitest';
import { EmulatedCpu } from '../../src/kernel/cpu.ts';
import { smp_call_function_many } from '../../src/kernel/ipi.ts';
import { LocklessWalker, kindInRun } from '../../src/kernel/lockless-walk.ts';
import { map_thp_range } from '../../src/kernel/map-thp.ts';
import type { WalkerSide } from '../../src/kernel/pgtbl-sync.ts';
import { Mulberry32 } from '../../src/cpu-worker/prng.ts';
import { WalkerWorkload } from '../../src/cpu-worker/workload.ts';
import { walkerKind } from '../../src/kernel/walker-kinds.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine } from '../../src/coordinator/runs.ts';
import { cpuWord } from '../../src/shared-memory/cpu-block.ts';
import { counter } from '../../src/strategies/counter.ts';

/** Two CPUs and 8M of 2M THPs, all four mapped. */
function fourHugePages() {
  const spec = runSpec({ machine: { cpus: 2, memoryBytes: 8 * 2 ** 20 } });
  expect(spec.machine.hugePages).toBe(4);
  const machine = createMachine(spec);
  map_thp_range(machine, 0, 4);
  return machine;
}

describe('walker kinds: IRQ discipline', () => {
  it('a kvm-realmode walker keeps IRQs off across its whole stretch, so an IPI waits for all of it', () => {
    const machine = fourHugePages();
    const sender = new EmulatedCpu(machine, 0);
    const target = new EmulatedCpu(machine, 1);
    const acksSeenDuringWalks: number[] = [];
    const spy: WalkerSide = { ...counter.walker, walkEnd: () => void acksSeenDuringWalks.push(Atomics.load(machine.cpuWords, cpuWord(1, 'ipiAck'))) };
    const realmode = new LocklessWalker(target, spy, { walkerStyle: 'value', gupRechecksPmd: true });
    expect(smp_call_function_many(sender, [0, 1], false)).toBe(1); // an IPI from CPU 0, pending
    realmode.stretch(kindInRun(walkerKind('kvm-realmode'), 0.5, false), { next: () => 1 });
    expect(walkerKind('kvm-realmode').walksPerIrqOff).toBeGreaterThan(1); // a stretch, not one walk
    expect(acksSeenDuringWalks).toHaveLength(walkerKind('kvm-realmode').walksPerIrqOff);
    expect(new Set(acksSeenDuringWalks)).toEqual(new Set([0])); // not one of them took the IPI
    expect(Atomics.load(machine.cpuWords, cpuWord(1, 'ipiAck'))).toBe(1); // taken as the stretch ended
  });

  it('a kvm-fault walker turns IRQs back on after every walk, taking a pending IPI at once', () => {
    const machine = fourHugePages();
    const target = new EmulatedCpu(machine, 1);
    const walker = new LocklessWalker(target, counter.walker, { walkerStyle: 'value', gupRechecksPmd: true });
    const workload = new WalkerWorkload(target, walker, new Mulberry32(1), { mix: [{ kind: 'kvm-fault', weight: 1 }], holdUs: 0, guarded: false, otherMm: 0 });
    Atomics.add(machine.cpuWords, cpuWord(1, 'ipiRequest'), 1);
    workload.step({ next: () => 1 });
    expect(workload.walksByKind['kvm-fault']).toBe(1);
    expect(Atomics.load(machine.cpuWords, cpuWord(1, 'ipiAck'))).toBe(1);
  });
});
