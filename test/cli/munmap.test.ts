import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run-script.ts';

const munmap = (...args: string[]) => runScript('stress/munmap.ts', ...args);
const SMALL = ['--cpus', '4', '--memory', '128M', '--warmup-ms', '20'];

describe('stress/munmap.ts', () => {
  it.each([
    [['--cpus', '0'], "--cpus must be an integer from 1 to 1024, got '0'"],
    [['--memory', '1X'], "--memory must be a size such as 512M or 496G, got '1X'"],
    [['--frobnicate'], "unknown option '--frobnicate'"],
  ])('exits 2 on %j with one line naming it, a pointer to --help, and no stack trace', async (args, message) => {
    const { code, stdout, stderr } = await munmap(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`munmap: ${message}\nTry 'npx tsx stress/munmap.ts --help'.\n`);
  });

  it('writes the JSON report with the documented shape', async () => {
    const { code, stdout, stderr } = await munmap('--cpus', '3', '--memory', '16M', '--json', '-');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report.host)).toEqual(expect.arrayContaining(['cores', 'arch', 'node']));
    expect(report.config).toMatchObject({ cpus: 3, memoryBytes: 16 * 2 ** 20, thpBytes: 2 ** 21, basePageBytes: 2 ** 16, seed: 1 });
    expect(report.runs.map((r: { strategy: string }) => r.strategy)).toEqual(['ipi-broadcast', 'counter']);
    for (const run of report.runs) {
      expect(run).toMatchObject({ pmds: 8, pmdsDone: 8, estimated: false, freed: { frames: 8, pteTables: 8 }, violations: { useAfterFree: 0 }, brokenInvariants: [] });
      expect(typeof run.opMs).toBe('number');
      for (const key of ['sent', 'skipped', 'acked']) expect(typeof run.ipis[key]).toBe('number');
      for (const key of ['p50', 'p99', 'max']) expect(typeof run.serializeUs[key]).toBe('number');
      for (const key of ['completed', 'perSecond']) expect(typeof run.walks[key]).toBe('number');
      // Every key docs/commands/munmap.md documents, and no other.
      expect(Object.keys(run).sort()).toEqual(
        ['strategy', 'safe', 'models', 'op', 'pmds', 'pmdsDone', 'opMs', 'allFreedMs', 'peakPendingFrees', 'estimated', 'kernel', 'ipis', 'interrupts', 'vcpus', 'tables', 'freed', 'tlb', 'serializeUs', 'walks', 'violations', 'counterDrift', 'brokenInvariants', 'demonstrated', 'partial', 'watchdog'].sort(),
      );
      expect(run.kernel).toEqual({
        arch: 'ppc64le-radix',
        paravirt: 'none',
        rcuTableFree: 'always',
        tableRemoveOne: 'sync-ipi',
        batchAllocFail: 0,
        walkerStyle: 'pointer',
        walkerGuards: false,
        gupRechecksPmd: false,
        mmCpumask: 'exact',
        tlbFlushEachPmd: false,
        flushRangeFreedTables: false,
        tlbFlushBy: 'tlbie',
        tlbieUs: expect.closeTo(1.3, 2),
        gatherBatch: 8198,
        hz: 100,
      });
      expect(run.interrupts).toHaveLength(3);
      expect(run.tables).toEqual({ removed: 2, batchFails: 0, gracePeriodsWaited: 0 });
      // One batch, one flush: 8 PMDs fit in the mmu_gather's batch.
      expect(run.tlb).toEqual({ flushes: 1, flushUs: expect.any(Number) });
      expect(Object.keys(run.violations).sort()).toEqual(['firstAfterMs', 'first', 'misreads', 'perMillionPmds', 'useAfterFree'].sort());
      expect(Object.keys(run.walks).sort()).toEqual(['completed', 'leaf', 'perSecond', 'perSecondSteady', 'latencyUs', 'byKind', 'gupBackoffs', 'kvmRetries', 'collisions', 'otherMm', 'busyShare'].sort());
    }
    // How the CPUs started and warmed up: every CPU settled or named, with each of its turns.
    expect(report.startUp).toMatchObject({ cpus: 3, startMs: expect.any(Number), warmUpMs: expect.any(Number) });
    const { jit } = report.startUp;
    expect(jit.settled + jit.unsettled.length).toBe(3);
    expect(jit.walksPerCpuMsByCpu).toHaveLength(3);
    expect(new Set(jit.turns.map((t: { cpu: number }) => t.cpu)).size).toBe(3);
    expect(stderr).toMatch(/JIT warm-up \d+\.\d s: (every CPU's walk rate settled|\d of 3 CPUs' walk rates settled)/);
    // The human report went to stderr, leaving stdout to the JSON.
    expect(stderr).toMatch(/strategy\s+PMDs\s+munmap ms/);
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
    const { runs } = JSON.parse(stdout);
    expect(runs.map((run: { strategy: string }) => run.strategy)).toEqual(['ipi-broadcast', 'counter']);
    for (const run of runs) {
      expect(run.brokenInvariants).toEqual([]);
      expect(run.violations.useAfterFree).toBe(0);
      expect(run.ipis.acked).toBe(run.ipis.sent);
    }
  });

  it('refuses a fault on CPU 0 or beyond the last CPU', async () => {
    const { code, stderr } = await munmap('--cpus', '4', '--inject', 'crash:4');
    expect(code).toBe(2);
    expect(stderr).toBe("munmap: --inject: CPU 4 is not a walker CPU (1..3)\nTry 'npx tsx stress/munmap.ts --help'.\n");
  });
});

describe('Ctrl-C and SIGTERM', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s stops the CPUs, prints what was measured marked partial, writes the JSON, and exits %i', async (signal, status) => {
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const child = spawn(process.execPath, [tsx, 'stress/munmap.ts', '--cpus', '4', '--memory', '64G', '--strategy', 'ipi-broadcast', '--json', '-'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      // Interrupt once the header is out and the run is under way.
      if (stderr.includes('race:')) setTimeout(() => child.kill(signal), 3_000);
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(status);
    expect(stderr).toMatch(/interrupted: stopping the CPUs/);
    const report = JSON.parse(stdout);
    expect(report.interrupted).toBe(true);
    expect(report.runs).toEqual([expect.objectContaining({ strategy: 'ipi-broadcast', partial: true })]);
    expect(report.runs[0].pmdsDone).toBeLessThan(report.runs[0].pmds);
    // The partial row is printed too, marked as such.
    expect(stderr).toMatch(/ipi-broadcast PARTIAL/);
  });
});

describe('output paths', () => {
  it.each([
    [['--json', '/nonexistent/dir/x.json'], "--json: cannot write '/nonexistent/dir/x.json': no such directory '/nonexistent/dir'"],
    [['--trace', '/nonexistent/dir/run.json'], "--trace: cannot write '/nonexistent/dir/run.json': no such directory '/nonexistent/dir'"],
    [['--json', 'test'], "--json: 'test' is a directory, not a file"],
  ])('%j: exit 2 before any CPU starts, one line naming the path', async (args, message) => {
    const started = performance.now();
    const { code, stdout, stderr } = await munmap(...SMALL, ...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`munmap: ${message}\nTry 'npx tsx stress/munmap.ts --help'.\n`);
    // Nothing ran: no CPU started, so no start-up line, and well under the time a run takes.
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describe('--demonstrate', () => {
  it("runs the answer's declared demonstration until it shows, then its fix, and says the rate", async () => {
    const { code, stdout, stderr } = await munmap('--demonstrate', 'counter-v1', '--warmup-ms', '20');
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^attempt \d of 8: counter-v1 showed its useAfterFree$/m);
    expect(stdout).toMatch(/^demonstration: counter-v1: useAfterFree shown in attempt \d of 8, \d+ in \d+ PMDs .*; counter: 0 in \d run\(s\)$/m);
    expect(stdout).toMatch(/counter-v1 \(unsafe\): DEMONSTRATED/);
  });

  it('refuses an answer whose bug this host cannot show, saying why, and one with no bug to show', async () => {
    const cannot = await munmap('--demonstrate', 'counter-v3');
    expect(cannot.code).toBe(2);
    expect(cannot.stderr).toMatch(/^munmap: --demonstrate: counter-v3's useAfterFree is not shown on this host: too rare/);
    const safe = await munmap('--demonstrate', 'counter');
    expect(safe.code).toBe(2);
    expect(safe.stderr).toMatch(/^munmap: --demonstrate: unknown answer with a demonstration 'counter' \(known: counter-v1, counter-v3, skip-on-unmap, targeted-sync-v4, skip-redundant-sync-v4, counter-no-barriers, counter-nonatomic, linux-6.0\)/);
  });
});
