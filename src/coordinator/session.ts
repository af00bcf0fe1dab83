// What every command that runs the emulator shares, written once: where its output goes (with
// `--json -` the JSON owns stdout and the human report moves to stderr), the host line, the CPU
// pool's lifecycle with the JIT warm-up, SIGINT and SIGTERM, the IPI watchdog's reports as they
// happen, the JSON file, and the exit status. A command declares what it runs and how it prints.

import { writeFileAtomic } from '../base/atomic-write.ts';
import { hostInfo, hostLine, type HostInfo } from '../base/host.ts';
import { terminalLine } from '../base/terminal-line.ts';
import { CpuFailure, CpuPool, CpusStuck, IpiStuck, RunInterrupted } from './cpu-pool.ts';
import { describeWatchdog } from './ipi-watchdog.ts';
import { warmUpJit, type JitWarmUp, type WarmUpSpec } from './jit-warm-up.ts';
import { createMachine } from './runs.ts';
import type { RunSpec } from '../spec/run-spec.ts';

/** Exit statuses, the same for every command. A signal ends it with 128 + its number. */
export const ExitStatus = { OK: 0, FAILURE: 1, USAGE: 2, BROKEN: 3 } as const;

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
type Signal = keyof typeof SIGNALS;

export interface SessionOptions {
  /** Where the JSON goes: a file, '-' for stdout, or nowhere. */
  readonly json?: string | undefined;
  /** Said on stderr when a signal interrupts the CPUs: what happens next. */
  readonly onInterrupt?: string;
  /** Whether starting CPUs is shown on a terminal and said once done (default: yes; a command with its own progress bar says no). */
  readonly showStartUp?: boolean;
}

/** How long one pool of CPUs took to be ready: its threads started and attached, then warmed up. */
export interface StartUp {
  readonly cpus: number;
  readonly startMs: number;
  readonly warmUpMs: number;
  /** How the JIT warm-up went, when there was one. */
  readonly jit?: JitWarmUp;
}

export class Session {
  readonly host: HostInfo = hostInfo();
  /** Every pool's start-up, in order (the JSON carries them). */
  readonly startUps: StartUp[] = [];
  /** The signal that interrupted the session, if one did. */
  interruptedBy: Signal | undefined;
  /** Why the CPUs could not go on (a crash, a CPU that did not stop, a stuck IPI), if so. */
  failure: string | undefined;
  /** The pools whose CPUs are running now (withCpus() calls may nest); a signal interrupts all of them. */
  private readonly pools = new Set<CpuPool>();
  private readonly listeners: [Signal, () => void][] = (Object.keys(SIGNALS) as Signal[]).map((signal) => [signal, () => this.interrupt(signal)]);

  constructor(
    /** The command's short name, which starts its error lines. */
    readonly name: string,
    private readonly options: SessionOptions = {},
  ) {}

  /** A line of the human report: on stdout, or on stderr when the JSON has stdout. */
  say(text: string): void {
    (this.options.json === '-' ? process.stderr : process.stdout).write(text + '\n');
  }

  /** The report's first line. */
  get hostLine(): string {
    return hostLine(this.host);
  }

  get interrupted(): boolean {
    return this.interruptedBy !== undefined;
  }

  /**
   * Start the CPUs `spec`'s machine needs, warm their JIT for what `warmUp` says will run (none
   * if absent), run `body`, and always join every thread. A CPU that fails, or a signal, ends `body` early: that is recorded in
   * `failure` or `interruptedBy`, not thrown, so that the caller reports what it has.
   */
  async withCpus(spec: RunSpec, warmUp: WarmUpSpec | undefined, body: (pool: CpuPool) => Promise<void>): Promise<void> {
    if (this.interrupted) return;
    const machine = createMachine(spec);
    const startedAt = performance.now();
    const show = this.options.showStartUp ?? true;
    const progress = terminalLine(show && process.stderr.isTTY === true);
    const pool = await CpuPool.start(machine, (attached) => progress.draw(`starting CPUs ${attached}/${machine.cpus}`)).finally(progress.clear);
    const startMs = performance.now() - startedAt;
    // Under --on-stuck abort the report ends the run and is printed as its failure.
    if (spec.watchdog.onStuck === 'wait') pool.onWatchdog = (report) => process.stderr.write(describeWatchdog(report) + '\n');
    // While the CPUs run, a signal stops them and the command reports what it has. A terminal
    // sends SIGINT to the whole process group and tsx relays it too, so a signal can arrive more
    // than once: the first interrupts the CPUs, the others are absorbed. (While they start, a
    // signal ends the process at once: there is nothing to report yet.)
    if (this.pools.size === 0) for (const [signal, listener] of this.listeners) process.on(signal, listener);
    this.pools.add(pool);
    try {
      let jit: JitWarmUp | undefined;
      if (warmUp) {
        progress.draw(`warming up ${machine.cpus} CPUs`);
        jit = await warmUpJit(pool, spec, warmUp, (text) => progress.draw(text)).finally(progress.clear);
      }
      const startUp: StartUp = { cpus: machine.cpus, startMs, warmUpMs: performance.now() - startedAt - startMs, ...(jit ? { jit } : {}) };
      this.startUps.push(startUp);
      if (show) this.say(describeStartUp(startUp) + '\n');
      if (!this.interrupted) await body(pool);
    } catch (error) {
      if (!(error instanceof CpuFailure || error instanceof CpusStuck || error instanceof IpiStuck || error instanceof RunInterrupted)) throw error;
      if (!(error instanceof RunInterrupted)) this.failure = error.message;
    } finally {
      this.pools.delete(pool);
      await pool.close();
      if (this.pools.size === 0) for (const [signal, listener] of this.listeners) process.off(signal, listener);
    }
  }

  /**
   * withCpus() for several machines at once: each pool started and warmed up in turn (the
   * others' threads asleep meanwhile), then `body` with all of them, so that it can take their
   * cells turn about; every thread is joined, and a failure or signal ends it as withCpus() says.
   */
  async withCpusEach(specs: readonly RunSpec[], warmUp: WarmUpSpec | undefined, body: (pools: readonly CpuPool[]) => Promise<void>): Promise<void> {
    const open = async (pools: readonly CpuPool[]): Promise<void> =>
      pools.length === specs.length ? body(pools) : this.withCpus(specs[pools.length], warmUp, (pool) => open([...pools, pool]));
    await open([]);
  }

  /** Write `report` as JSON where --json said, if it said. */
  writeJson(report: unknown): void {
    const { json } = this.options;
    if (json === undefined) return;
    const text = JSON.stringify(report, null, 2) + '\n';
    if (json === '-') process.stdout.write(text);
    else writeFileAtomic(json, text);
  }

  /** Say the failure, if any, and give the exit status. */
  finish({ broken }: { readonly broken: boolean }): number {
    if (this.failure) process.stderr.write(`${this.name}: ${this.failure}\n`);
    if (this.interruptedBy) return 128 + SIGNALS[this.interruptedBy];
    if (this.failure) return ExitStatus.FAILURE;
    return broken ? ExitStatus.BROKEN : ExitStatus.OK;
  }

  private interrupt(signal: Signal): void {
    if (this.interruptedBy) return;
    this.interruptedBy = signal;
    process.stderr.write(`\ninterrupted: ${this.options.onInterrupt ?? 'stopping'}\n`);
    for (const pool of this.pools) pool.interrupt();
  }
}

const describeStartUp = ({ cpus, startMs, warmUpMs, jit }: StartUp) =>
  `started ${cpus} CPU thread${cpus === 1 ? '' : 's'} in ${(startMs / 1000).toFixed(1)} s (${(startMs / cpus).toFixed(0)} ms each)` +
  (jit ? `, JIT warm-up ${(warmUpMs / 1000).toFixed(1)} s: ${describeJit(jit)}` : '');

/** Whether every CPU's walk rate settled, and at what rate per millisecond of its thread's CPU time. */
function describeJit({ cpus, settled, unsettled, walksPerCpuMs: { min, max }, clock }: JitWarmUp): string {
  const per = clock === 'wall' ? 'wall-clock ms (no thread clock here)' : 'ms of its thread';
  const rates = settled > 0 ? `${formatRate(min)}-${formatRate(max)} walks per ${per}` : '';
  if (unsettled.length === 0) return `every CPU's walk rate settled, at ${rates}`;
  const which = unsettled.length > 8 ? `${unsettled.slice(0, 8).join(', ')}, ...` : unsettled.join(', ');
  return `${settled} of ${cpus} CPUs' walk rates settled${settled > 0 ? `, at ${rates}` : ''}; CPU ${which} did not, and their first measured walks may run slower code`;
}

const formatRate = (walksPerMs: number) => (walksPerMs >= 1000 ? `${(walksPerMs / 1000).toFixed(1)}k` : walksPerMs.toFixed(0));
