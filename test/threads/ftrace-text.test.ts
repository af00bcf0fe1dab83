// The ftrace text of a traced run, read back as a kernel engineer's script reads the trace file,
// against the Chrome trace written from the same rings: every IRQ-off stretch an irq_disable and
// an irq_enable, every IPI raised an ipi_raise to its target, every handler an ipi_entry and an
// ipi_exit in hard-interrupt context, every halt a cpu_idle pair, all at the same times.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine, runStrategy } from '../../src/coordinator/runs.ts';
import { TraceRecorder } from '../../src/coordinator/trace-recorder.ts';
import { writeChromeTrace, type ChromeTraceEvent } from '../../src/report/chrome-trace.ts';
import { cpumaskHex, writeFtraceText } from '../../src/report/ftrace-text.ts';

const dir = mkdtempSync(join(tmpdir(), 'pgtbl-ftrace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS`, as the kernel's trace file lines are. */
const LINE = /^ *(.+)-(\d+) +\[(\d{3})\] ([d.])\.([h.])(\d)\. +(\d+\.\d{6}): ([^:]+)(?:: (.*))?$/;
interface Parsed {
  readonly task: string;
  readonly cpu: number;
  readonly irqsOff: boolean;
  readonly hardirq: boolean;
  readonly us: number;
  readonly event: string;
  readonly fields: string;
}

describe('--trace-format ftrace, against the Chrome trace of the same run', () => {
  let text: string;
  let lines: Parsed[];
  let chrome: ChromeTraceEvent[];

  beforeAll(async () => {
    const spec = runSpec({ strategy: 'linux-x86-6.15', op: 'collapse', machine: { arch: 'x86', cpus: 3, memoryBytes: 16 * 2 ** 20 }, workload: { busy: 0.5, dutyMs: 2 }, warmupMs: 20 });
    const recorder = new TraceRecorder({ pmds: undefined, recordsPerCpu: undefined, mode: 'stop' });
    const pool = await CpuPool.start(createMachine(spec));
    try {
      await runStrategy(pool, spec, 0, recorder);
    } finally {
      await pool.close();
    }
    writeFtraceText(join(dir, 'trace.txt'), recorder.runs);
    writeChromeTrace(join(dir, 'trace.json'), recorder.runs, {});
    text = readFileSync(join(dir, 'trace.txt'), 'utf8');
    chrome = (JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as { traceEvents: ChromeTraceEvent[] }).traceEvents;
    lines = text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => {
        const m = LINE.exec(l);
        if (!m) throw new Error(`not a trace line: ${l}`);
        return { task: m[1], cpu: Number(m[3]), irqsOff: m[4] === 'd', hardirq: m[5] === 'h', us: Math.round(Number(m[7]) * 1e6), event: m[8], fields: m[9] ?? '' };
      });
  }, 60_000);

  const of = (event: string) => lines.filter((l) => l.event === event);
  const slices = (name: RegExp | string) => chrome.filter((e) => e.ph === 'X' && (typeof name === 'string' ? e.name === name : name.test(e.name)));

  it("starts with the kernel's header, its entry count and CPU count right", () => {
    expect(text.startsWith('# tracer: function\n#\n')).toBe(true);
    expect(text).toContain(`# entries-in-buffer/entries-written: ${lines.length}/${lines.length}   #P:3\n`);
    expect(text).toContain('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n');
  });

  it('has an irq_disable and an irq_enable, IRQs off, for every IRQ-off stretch, at its start and end', () => {
    const stretches = chrome.filter((e) => e.ph === 'X' && e.cat === 'irqs-off');
    expect(stretches.length).toBeGreaterThan(0);
    expect(of('irq_disable')).toHaveLength(stretches.length);
    expect(of('irq_enable')).toHaveLength(stretches.length);
    for (const l of [...of('irq_disable'), ...of('irq_enable')]) expect(l.irqsOff).toBe(true);
    const starts = new Set(stretches.map((e) => `${e.tid}@${Math.round(e.ts!)}`));
    for (const l of of('irq_disable')) expect(starts.has(`${l.cpu}@${l.us}`) || starts.has(`${l.cpu}@${l.us - 1}`) || starts.has(`${l.cpu}@${l.us + 1}`)).toBe(true);
  });

  it('has an ipi_raise for every IPI raised, and an ipi_entry and ipi_exit in hard-interrupt context for every handler', () => {
    const raised = chrome.filter((e) => e.ph === 's' && e.name === 'IPI').length;
    expect(raised).toBeGreaterThan(0);
    expect(of('ipi_raise').length).toBeGreaterThanOrEqual(raised);
    const handlers = slices('IPI handler');
    expect(of('ipi_entry')).toHaveLength(handlers.length);
    expect(of('ipi_exit')).toHaveLength(handlers.length);
    for (const l of [...of('ipi_entry'), ...of('ipi_exit')]) expect([l.hardirq, l.irqsOff, l.fields]).toEqual([true, true, '(Function call interrupts)']);
    // Each raise names one target CPU of the three, never the sender.
    for (const l of of('ipi_raise')) {
      const target = [0, 1, 2].find((cpu) => l.fields === `target_mask=${cpumaskHex(cpu, 3)} (Function call interrupts)`);
      expect(target, l.fields).toBeDefined();
      expect(target).not.toBe(l.cpu);
    }
  });

  it("names the TLB flush, the collapse and the idle loop as the kernel's events do", () => {
    expect(of('tlb_flush')).toHaveLength(slices(/^flush_tlb_range/).length);
    expect(of('collapse_huge_page <-hpage_collapse_scan_pmd')).toHaveLength(slices(/^collapse PMD/).length);
    expect(of('mm_collapse_huge_page').length).toBe(of('collapse_huge_page <-hpage_collapse_scan_pmd').length);
    const halts = slices('halted').length;
    expect(of('cpu_idle').filter((l) => l.fields.startsWith('state=1 '))).toHaveLength(halts);
    expect(of('cpu_idle').filter((l) => l.fields.startsWith('state=4294967295 '))).toHaveLength(halts);
    expect(lines[0].event).toBe('tracing_mark_write');
  });

  it('is in time order, as the kernel merges its CPUs', () => {
    for (let i = 1; i < lines.length; i++) expect(lines[i].us).toBeGreaterThanOrEqual(lines[i - 1].us);
  });
});
