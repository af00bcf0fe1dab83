import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IpiWatchdog } from '../src/coordinator/ipi-watchdog.ts';
import { cpuStat, cpuWord } from '../src/shared-memory/cpu-block.ts';
import { SharedMachine } from '../src/shared-memory/shared-machine.ts';
import { WALKER_KIND_NAMES } from '../src/cpu-worker/walker-kinds.ts';
import { runScript } from './helpers/run-script.ts';

const munmap = (...args: string[]) => runScript('stress/munmap.ts', ...args);
const SMALL = ['--cpus', '4', '--memory', '128M', '--warmup-ms', '20'];

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

describe('injected faults', () => {
  it('crash: ends the run with exit 1 and a message naming the CPU and the error', async () => {
    const { code, stderr } = await munmap(...SMALL, '--inject', 'crash:2');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^munmap: CPU 2 failed: Error: injected crash in the middle of a walk \(IRQs off\) on CPU 2$/m);
  });

  it('stuck-irq: the watchdog names the CPU with its IRQs off, and the run aborts with exit 1', async () => {
    const { code, stderr } = await munmap(...SMALL, '--strategy', 'ipi-broadcast', '--inject', 'stuck-irq:3', '--watchdog-ms', '300', '--json', '/dev/null');
    expect(code).toBe(1);
    expect(stderr).toMatch(/IPI watchdog: CPU 0 has waited \d+\.\d s for CPU 3 to take an IPI: CPU 3 has IRQs off \(for at least \d+\.\d s\), in a \S+ walk/);
  });

  it('stuck-irq with --on-stuck wait: the report is printed, the run keeps waiting, and the stuck CPU is named when time runs out', async () => {
    const { code, stderr } = await munmap(...SMALL, '--strategy', 'ipi-broadcast', '--inject', 'stuck-irq:1', '--watchdog-ms', '300', '--on-stuck', 'wait', '--timeout', '3');
    expect(code).toBe(1);
    expect(stderr).toMatch(/IPI watchdog: CPU 0 has waited .* for CPU 1/);
    expect(stderr).toMatch(/CPU 1 \(walker, IRQs off, last walked huge page \d+, \d+ IPI\(s\) pending\)/);
  });

  it('slow: a CPU descheduled for long stretches slows the IPIs but breaks nothing', async () => {
    const { code, stdout } = await munmap(...SMALL, '--strategy', 'ipi-broadcast,counter', '--inject', 'slow:2', '--json', '-');
    expect(code).toBe(0);
    for (const run of JSON.parse(stdout).runs) {
      expect(run.brokenInvariants).toEqual([]);
      expect(run.violations.useAfterFree).toBe(0);
    }
  });

  it('refuses a fault on CPU 0 or beyond the last CPU', async () => {
    const { code, stderr } = await munmap('--cpus', '4', '--inject', 'crash:4');
    expect(code).toBe(2);
    expect(stderr).toBe("munmap: --inject: CPU 4 is not a walker CPU (1..3)\nTry 'npx tsx stress/munmap.ts --help'.\n");
  });
});

describe('Ctrl-C', () => {
  it('stops the CPUs, prints what was measured marked partial, and exits 130', async () => {
    const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const child = spawn(process.execPath, [tsx, 'stress/munmap.ts', '--cpus', '4', '--memory', '64G', '--strategy', 'ipi-broadcast', '--json', '-'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      // Interrupt once the header is out and the run is under way.
      if (stderr.includes('race:')) setTimeout(() => child.kill('SIGINT'), 3_000);
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: stopping the CPUs/);
    const report = JSON.parse(stdout);
    expect(report.interrupted).toBe(true);
    expect(report.runs).toEqual([expect.objectContaining({ strategy: 'ipi-broadcast', partial: true })]);
    expect(report.runs[0].pmdsDone).toBeLessThan(report.runs[0].pmds);
  });
});
