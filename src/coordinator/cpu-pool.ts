// The emulated CPUs as worker threads: spawned once per machine, driven through comlink for
// control only, supervised for crashes and hangs, and always joined.

import type { CpuWorkerApi } from '../cpu-worker/worker-main.ts';
import type { CpuRunPlan, CpuRunReport } from '../cpu-worker/run.ts';
import { CpuPhase, cpuWord } from '../shared-memory/cpu-block.ts';
import { RunPhase, mmWord } from '../shared-memory/mm.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';
import { errorText, spawnWorker, type SpawnedWorker } from './spawn-worker.ts';

const CPU_ENTRY = new URL('../cpu-worker/worker-main.ts', import.meta.url);

/** A CPU's worker threw, exited, or could not start. */
export class CpuFailure extends Error {
  constructor(
    readonly cpu: number,
    reason: string,
  ) {
    super(`CPU ${cpu} failed: ${reason}`);
  }
}

/** CPUs that did not finish in time, each with what it was doing. */
export class CpusStuck extends Error {
  constructor(readonly cpus: readonly StuckCpu[], timeoutMs: number) {
    super(`${cpus.length} CPU(s) still running after ${timeoutMs / 1000} s: ` + cpus.map(describeStuck).join('; '));
  }
}

export interface StuckCpu {
  readonly cpu: number;
  readonly role: CpuRunPlan['role'];
  readonly irqEnabled: boolean;
  /** The huge page it last walked (a walker) or is unmapping (the unmapper). */
  readonly hpn: number;
  readonly pendingIpis: number;
}

const describeStuck = (s: StuckCpu) =>
  `CPU ${s.cpu} (${s.role}, IRQs ${s.irqEnabled ? 'on' : 'off'}, ` +
  `${s.role === 'unmapper' ? 'unmapping' : 'last walked'} huge page ${s.hpn}, ${s.pendingIpis} IPI(s) pending)`;

interface CpuThread extends SpawnedWorker<CpuWorkerApi> {
  readonly id: number;
}

export class CpuPool {
  private closed = false;

  private constructor(
    readonly machine: SharedMachine,
    private readonly threads: readonly CpuThread[],
  ) {}

  /** One worker per emulated CPU, each attached to the machine's shared memory. */
  static async start(machine: SharedMachine): Promise<CpuPool> {
    const threads: CpuThread[] = [];
    for (let id = 0; id < machine.cpus; id++) threads.push(spawnCpu(id));
    const pool = new CpuPool(machine, threads);
    try {
      await Promise.all(threads.map((t) => Promise.race([t.api.attach(machine.buffers, t.id), t.death])));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /**
   * Run one plan per CPU. `onUnmapperDone` runs when CPU 0 returns (the coordinator then stops
   * the walkers). Rejects with CpuFailure if any CPU dies or throws, and with CpusStuck if the
   * run outlasts `timeoutMs`; either way the run is aborted first, so no CPU waits forever.
   */
  async run(plans: readonly CpuRunPlan[], timeoutMs: number, onUnmapperDone: () => void): Promise<CpuRunReport[]> {
    const runs = this.threads.map((t, i) =>
      Promise.race([t.api.run(plans[i]), t.death]).catch((error: unknown) => {
        throw error instanceof CpuFailure ? error : new CpuFailure(t.id, errorText(error));
      }),
    );
    void runs[0].then(onUnmapperDone, () => {});
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CpusStuck(this.stuckCpus(plans), timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([Promise.all(runs), deadline]);
    } catch (error) {
      this.abort();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Tell every CPU to stop and wake the halted ones. */
  stop(): void {
    Atomics.store(this.machine.mm, mmWord.runPhase, RunPhase.STOP);
    this.wakeAll();
  }

  /** Stop, and make CPUs waiting for an IPI acknowledgement give up. */
  abort(): void {
    Atomics.store(this.machine.mm, mmWord.abort, 1);
    this.stop();
  }

  /** Join every worker thread. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort();
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private wakeAll(): void {
    for (let cpu = 0; cpu < this.machine.cpus; cpu++) Atomics.notify(this.machine.cpuWords, cpuWord(cpu, 'ipiRequest'));
  }

  private stuckCpus(plans: readonly CpuRunPlan[]): StuckCpu[] {
    const words = this.machine.cpuWords;
    const stuck: StuckCpu[] = [];
    for (let cpu = 0; cpu < this.machine.cpus; cpu++) {
      if (Atomics.load(words, cpuWord(cpu, 'phase')) === CpuPhase.DONE) continue;
      const role = plans[cpu].role;
      stuck.push({
        cpu,
        role,
        irqEnabled: Atomics.load(words, cpuWord(cpu, 'irqEnabled')) !== 0,
        hpn: role === 'unmapper' ? Atomics.load(this.machine.mm, mmWord.unmapCursor) : Atomics.load(words, cpuWord(cpu, 'lastWalkedHpn')),
        pendingIpis: (Atomics.load(words, cpuWord(cpu, 'ipiRequest')) - Atomics.load(words, cpuWord(cpu, 'ipiAck'))) | 0,
      });
    }
    return stuck;
  }
}

function spawnCpu(id: number): CpuThread {
  const spawned = spawnWorker<CpuWorkerApi>(CPU_ENTRY, `cpu${id}`);
  const death = spawned.death.catch((error: Error) => {
    throw new CpuFailure(id, error.message);
  });
  death.catch(() => {});
  return { ...spawned, id, death };
}
