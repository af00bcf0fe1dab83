import { describe, expect, it } from 'vitest';
import { WALKER_KIND_NAMES } from '../../src/kernel/walker-kinds.ts';
import { IpiWatchdog } from '../../src/coordinator/ipi-watchdog.ts';
import { cpuStat, cpuWord } from '../../src/shared-memory/cpu-block.ts';
import { SharedMachine } from '../../src/shared-memory/shared-machine.ts';

describe('the IPI watchdog', () => {
  it('names the CPU holding an IPI up, with its IRQs off and for how long, once per wait', async () => {
    const machine = SharedMachine.create({ cpus: 3, hugePages: 1 });
    const words = machine.cpuWords;
    // CPU 2: IRQs off, in a hash-fault walk of huge page 7, one IPI pending.
    Atomics.store(words, cpuWord(2, 'irqEnabled'), 0);
    Atomics.store(words, cpuWord(2, 'irqOffCount'), 41);
    Atomics.store(words, cpuWord(2, 'walkerKind'), WALKER_KIND_NAMES.indexOf('hash-fault'));
    Atomics.store(words, cpuWord(2, 'lastWalkedHpn'), 7);
    Atomics.store(words, cpuWord(2, 'ipiRequest'), 1);
    const dog = new IpiWatchdog(machine, 50);
    expect(dog.tick()).toEqual([]); // nobody waits yet; CPU 2's IRQs are first seen off now
    // CPU 0 has been waiting on CPU 2 for 60 ms.
    machine.cpuStats[cpuStat(0, 'ipiWaitSince')] = performance.timeOrigin + performance.now() - 60;
    Atomics.store(words, cpuWord(0, 'ipiWaitTarget'), 2 + 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [report, ...more] = dog.tick();
    expect(more).toEqual([]);
    expect(report).toMatchObject({ cpu: 0, target: 2, targetIrqsOff: true, walkerKind: 'hash-fault', lastWalkedHpn: 7, pendingIpis: 1 });
    expect(report.waitedMs).toBeGreaterThanOrEqual(60);
    expect(report.irqsOffForMs).toBeGreaterThanOrEqual(15);
    expect(dog.tick()).toEqual([]); // the same wait is reported once
  });
});
