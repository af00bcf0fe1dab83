import { afterEach, describe, expect, it } from 'vitest';
import { EmulatedCpu } from '../../src/kernel/cpu.ts';
import { smp_call_function_many } from '../../src/kernel/ipi.ts';
import { cpuStat, cpuWord } from '../../src/shared-memory/cpu-block.ts';
import { SharedMachine } from '../../src/shared-memory/shared-machine.ts';
import { eventually, startProbe, stopProbes, type Probe } from '../helpers/probe.ts';

const probes: Probe[] = [];
afterEach(async () => {
  await stopProbes(probes.splice(0));
});

const ack = (machine: SharedMachine, cpu: number) => Atomics.load(machine.cpuWords, cpuWord(cpu, 'ipiAck'));
const requests = (machine: SharedMachine, cpu: number) => Atomics.load(machine.cpuWords, cpuWord(cpu, 'ipiRequest'));

describe('IPI delivery waits for the target to enable interrupts', () => {
  it('is not taken at interrupt points while IRQs are off, and is taken on local_irq_restore()', () => {
    const machine = SharedMachine.create({ cpus: 2, hugePages: 1 });
    const sender = new EmulatedCpu(machine, 0);
    const target = new EmulatedCpu(machine, 1);
    const flags = target.local_irq_save();
    expect(smp_call_function_many(sender, [0, 1], false)).toBe(1);
    for (let i = 0; i < 1000; i++) target.interruptPoint();
    expect(ack(machine, 1)).toBe(0);
    target.local_irq_restore(flags);
    expect(ack(machine, 1)).toBe(1);
    expect(machine.cpuStats[cpuStat(1, 'ipisHandled')]).toBe(1);
    expect(machine.cpuStats[cpuStat(0, 'ipisSent')]).toBe(1);
  });

  it('holds a real sender thread in csd_lock_wait until the target re-enables IRQs', async () => {
    const machine = SharedMachine.create({ cpus: 2, hugePages: 1 });
    const target = new EmulatedCpu(machine, 1); // this thread
    probes.push(await startProbe(machine, 0));
    const flags = target.local_irq_save();
    let returned = false;
    const done = new Done();
    const send = probes[0].api.storm([1], 1, done.word, 1).then((sent) => ((returned = true), sent));

    await eventually(() => requests(machine, 1) === 1);
    // The sender is now waiting; however long we keep IRQs off, it must not get its answer.
    const until = Date.now() + 200;
    while (Date.now() < until) {
      target.interruptPoint();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(ack(machine, 1)).toBe(0);
    expect(returned).toBe(false);

    target.local_irq_restore(flags);
    expect(await send).toBe(1);
    expect(ack(machine, 1)).toBe(1);
  });

  it('wakes a halted CPU sleeping in Atomics.wait', async () => {
    const machine = SharedMachine.create({ cpus: 2, hugePages: 1 });
    probes.push(await startProbe(machine, 1));
    const idle = probes[0].api.idle(30_000);
    await eventually(() => Atomics.load(machine.cpuWords, cpuWord(1, 'halted')) === 1);
    const sender = new EmulatedCpu(machine, 0); // this thread, blocking in csd_lock_wait
    expect(smp_call_function_many(sender, [0, 1], true)).toBe(1);
    expect(ack(machine, 1)).toBe(1);
    void idle;
  });
});

describe('several senders at once', () => {
  it('all complete, and every IPI sent is acknowledged exactly once', async () => {
    const cpus = 5;
    const rounds = 300;
    const machine = SharedMachine.create({ cpus, hugePages: 1 });
    for (let cpu = 0; cpu < cpus; cpu++) probes.push(await startProbe(machine, cpu));
    const everyone = Array.from({ length: cpus }, (_, cpu) => cpu);
    const done = new Done();
    // Every CPU sends to every other, so each is a sender and a target at the same time.
    const sent = await Promise.all(probes.map((p) => p.api.storm(everyone, rounds, done.word, cpus)));
    expect(sent).toEqual(Array(cpus).fill(rounds * (cpus - 1)));

    let totalSent = 0;
    let totalHandled = 0;
    for (let cpu = 0; cpu < cpus; cpu++) {
      totalSent += machine.cpuStats[cpuStat(cpu, 'ipisSent')];
      totalHandled += machine.cpuStats[cpuStat(cpu, 'ipisHandled')];
      expect(ack(machine, cpu)).toBe(requests(machine, cpu));
      expect(requests(machine, cpu)).toBe(rounds * (cpus - 1));
    }
    expect(totalSent).toBe(cpus * rounds * (cpus - 1));
    expect(totalHandled).toBe(totalSent);
  });
});

/** A shared counter the probes bump when they have finished sending. */
class Done {
  readonly word = new Int32Array(new SharedArrayBuffer(4));
}
