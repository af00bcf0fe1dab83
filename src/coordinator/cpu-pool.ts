// The emulated CPUs as worker threads: spawned once per machine, driven through comlink for
// control only, supervised for crashes and hangs, and always joined.

import type { CpuWorkerApi } from '../cpu-worker/worker-main.ts';
import type { CpuRunPlan, CpuRunReport } from '../cpu-worker/run.ts';
import { CpuPhase, cpuWord } from '../shared-memory/cpu-block.ts';
import { RunPhase, mmWord } from '../shared-memory/mm.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';
import { CPU_WORKER_HEAP, checkCpusFitMemory } from './cpu-memory.ts';
import { IpiWatchdog, describeWatchdog, type WatchdogReport } from './ipi-watchdog.ts';
import type { WatchdogSpec } from '../spec/run-spec.ts';
import { errorText, spawnWorker, type SpawnedWorker } from '../base/spawn-worker.ts';
import { registeringModules } from '../strategies/index.ts';

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

/** An IPI went unacknowledged past the watchdog's threshold, and the user chose to abort. */
export class IpiStuck extends Error {
  constructor(readonly report: WatchdogReport) {
    super(describeWatchdog(report));
  }
}

/** The run was interrupted (Ctrl-C) and not every CPU stopped in time to report. */
export class RunInterrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** How often the coordinator looks at the CPUs while a run is going. */
const SUPERVISE_EVERY_MS = 100;
/**
 * After an interrupt, or once CPU 0 is done, how long the others get to stop before they are
 * called stuck: 2 s, or more when so many CPU threads share the host that each needs its turn.
 */
const STOP_GRACE_MS = 2_000;
const STOP_GRACE_MS_PER_CPU = 60;
/** When every CPU is done but not every report has arrived, look again after this long. */
const REPORTS_IN_FLIGHT_RECHECK_MS = 1_000;

/** CPUs that did not finish in time, each with what it was doing. */
export class CpusStuck extends Error {
  constructor(readonly cpus: readonly StuckCpu[], afterMs: number) {
    super(`${cpus.length} CPU(s) did not stop ${afterMs / 1000} s after they were due to: ` + cpus.map(describeStuck).join('; '));
  }
}

export interface StuckCpu {
  readonly cpu: number;
  readonly role: CpuRunPlan['role'];
  readonly irqEnabled: boolean;
  /** The huge page it last walked (a walker) or is changing (the operation's CPU). */
  readonly hpn: number;
  readonly pendingIpis: number;
}

const describeStuck = (s: StuckCpu) =>
  `CPU ${s.cpu} (${s.role}, IRQs ${s.irqEnabled ? 'on' : 'off'}, ` +
  `${s.role === 'operator' ? 'changing' : 'last walked'} huge page ${s.hpn}, ${s.pendingIpis} IPI(s) pending)`;

interface CpuThread extends SpawnedWorker<CpuWorkerApi> {
  readonly id: number;
}

export class CpuPool {
  private closed = false;
  private interruptRun: (() => void) | undefined;
  /** Watchdog reports of the runs so far; whoever reads them may clear it. */
  readonly watchdogReports: WatchdogReport[] = [];
  /** Called on every watchdog report as it happens (the CLI prints it). */
  onWatchdog: (report: WatchdogReport) => void = () => {};

  private constructor(
    readonly machine: SharedMachine,
    private readonly threads: readonly CpuThread[],
  ) {}

  /**
   * One worker per emulated CPU, each attached to the machine's shared memory; `onAttached`
   * hears how many have attached so far. Refuses, before starting any, CPUs the host's free
   * memory cannot hold.
   */
  static async start(machine: SharedMachine, onAttached: (attached: number) => void = () => {}): Promise<CpuPool> {
    checkCpusFitMemory(machine.cpus);
    const threads: CpuThread[] = [];
    for (let id = 0; id < machine.cpus; id++) threads.push(spawnCpu(id));
    const pool = new CpuPool(machine, threads);
    let attached = 0;
    const attach = async (t: CpuThread) => {
      await Promise.race([t.api.attach(machine.buffers, t.id), t.death]);
      onAttached(++attached);
    };
    try {
      await Promise.all(threads.map(attach));
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
  async run(
    plans: readonly CpuRunPlan[],
    timeoutMs: number,
    onUnmapperDone: () => void,
    watchdog: WatchdogSpec = { thresholdMs: 5_000, onStuck: 'abort' },
  ): Promise<CpuRunReport[]> {
    const runs = this.threads.map((t, i) =>
      Promise.race([t.api.run(plans[i]), t.death]).catch((error: unknown) => {
        throw error instanceof CpuFailure ? error : new CpuFailure(t.id, errorText(error));
      }),
    );
    const dog = new IpiWatchdog(this.machine, watchdog.thresholdMs);
    const graceMs = Math.max(STOP_GRACE_MS, this.machine.cpus * STOP_GRACE_MS_PER_CPU);
    // Every timer of the run, cleared when it is over; none is armed after, though CPUs still
    // running then (CPU 0, let go by the abort) report later: such a timer kept the process alive.
    const timers: NodeJS.Timeout[] = [];
    let over = false;
    const after = (ms: number, then: () => void) => {
      if (!over) timers.push(setTimeout(then, ms));
    };
    const supervision = new Promise<never>((_, reject) => {
      const stuck = (afterMs: number) => () => {
        const cpus = this.stuckCpus(plans);
        // Every CPU has finished and only its report is still on its way (a thousand of them
        // queue on this thread): not stuck, so look again a little later.
        if (cpus.length === 0) after(REPORTS_IN_FLIGHT_RECHECK_MS, stuck(afterMs));
        else reject(new CpusStuck(cpus, afterMs));
      };
      after(timeoutMs, stuck(timeoutMs));
      // Once CPU 0 is done the others are told to stop; one that does not is stuck.
      void runs[0].then(() => {
        if (over) return;
        onUnmapperDone();
        after(graceMs, stuck(graceMs));
      }, () => {});
      timers.push(
        setInterval(() => {
          for (const report of dog.tick()) {
            this.watchdogReports.push(report);
            this.onWatchdog(report);
            if (watchdog.onStuck === 'abort') reject(new IpiStuck(report));
          }
        }, SUPERVISE_EVERY_MS),
      );
      this.interruptRun = () => after(graceMs, () => reject(new RunInterrupted()));
    });
    try {
      return await Promise.race([Promise.all(runs), supervision]);
    } catch (error) {
      this.abort();
      throw error;
    } finally {
      over = true;
      for (const timer of timers) clearTimeout(timer);
      this.interruptRun = undefined;
    }
  }

  /** Ctrl-C: abort the run in progress; CPUs that do not stop within a grace period are left behind. */
  interrupt(): void {
    this.abort();
    this.interruptRun?.();
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
        hpn: role === 'operator' ? Atomics.load(this.machine.mm, mmWord.unmapCursor) : Atomics.load(words, cpuWord(cpu, 'lastWalkedHpn')),
        pendingIpis: (Atomics.load(words, cpuWord(cpu, 'ipiRequest')) - Atomics.load(words, cpuWord(cpu, 'ipiAck'))) | 0,
      });
    }
    return stuck;
  }
}

function spawnCpu(id: number): CpuThread {
  // The answers registered in this thread (a test's probes) register themselves in the CPU's too.
  const spawned = spawnWorker<CpuWorkerApi>(CPU_ENTRY, `cpu${id}`, CPU_WORKER_HEAP, registeringModules());
  const death = spawned.death.catch((error: Error) => {
    throw new CpuFailure(id, error.message);
  });
  death.catch(() => {});
  return { ...spawned, id, death };
}
