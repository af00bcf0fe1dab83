// A traced run as the kernel's own trace file reads (/sys/kernel/tracing/trace, and what
// `trace-cmd report` prints): the `# tracer:` header, then one line per event of every CPU in
// time order, `TASK-PID [CPU#] FLAGS TIMESTAMP: EVENT: FIELDS`, the flags column saying whether
// IRQs were off ('d') and whether the line is in a hard interrupt ('h'). Each record of the rings
// becomes the trace event the kernel has for it (include/trace/events/: preemptirq.h's
// irq_disable/irq_enable, ipi.h's ipi_raise/ipi_entry/ipi_exit, power.h's cpu_idle, kmem.h's
// mm_page_free, tlb.h's tlb_flush, huge_memory.h's mm_collapse_huge_page), or, where it has
// none, the function tracer's `FUNCTION <-PARENT` line. Each run of the command starts with a
// tracing_mark_write line naming it, as a userspace marker would. Fields the emulator does not
// have (addresses, pids) are made up consistently, and the docs say which.

import { writeStreamAtomic } from '../base/atomic-write.ts';
import { TraceEvent, VIOLATION_KINDS } from '../kernel/ftrace.ts';
import { WALKER_KINDS } from '../kernel/walker-kinds.ts';
import type { TracedRun } from '../coordinator/trace-recorder.ts';
import type { TraceEntry } from '../shared-memory/trace-ring.ts';

/** The function each walker kind's IRQs-off section is in: irq_disable's caller. */
const WALK_CALLER: { readonly [kind: string]: string } = {
  'find-pte': 'find_current_mm_pte',
  'gup-fast': 'gup_fast',
  'kvm-fault': 'kvmppc_book3s_instantiate_page',
  'kvm-realmode': 'kvmppc_h_enter',
  'hash-fault': 'hash_page_mm',
  'perf-callchain': 'perf_callchain_user_64',
  mce: 'addr_to_pfn',
};

/** What CPU 0 runs on each PMD, as the function tracer names it with its caller. */
const ZAP = 'zap_huge_pmd <-zap_pmd_range';
const COLLAPSE = 'collapse_huge_page <-hpage_collapse_scan_pmd';
const OP_FUNCTION: { readonly [op: string]: string } = {
  munmap: ZAP,
  split: '__split_huge_pmd <-split_huge_pmd_address',
  collapse: COLLAPSE,
  'retract-unflushed': 'retract_page_tables <-khugepaged_collapse_pte_mapped_thps',
};

/** The function CPU 0 ran on huge page `hpn`: collapse-munmap collapses the first of each pair and unmaps the second. */
const pmdFunction = (run: TracedRun, hpn: number): string =>
  run.op === 'collapse-munmap' ? ((hpn - run.firstHpn) % 2 === 0 ? COLLAPSE : ZAP) : (OP_FUNCTION[run.op] ?? 'pmd_op');

/** ipi.h's reason string for a function-call IPI, as arch_send_call_function_ipi_mask() passes it. */
const CALL_FUNCTION = 'Function call interrupts';

/** One line before formatting: when, on which CPU, in which context, and the rest. */
interface Line {
  readonly us: number;
  readonly cpu: number;
  /** The task: its comm and pid. */
  readonly task: string;
  readonly irqsOff: boolean;
  readonly hardirq: boolean;
  readonly text: string;
  /** Within a CPU, in the order written at one instant (an enable after its disable). */
  readonly seq: number;
}

export interface FtraceSummary {
  readonly lines: number;
  readonly bytes: number;
}

/** Write `runs` to `path` as the kernel's trace file, `#P:` the most CPUs of any run. */
export function writeFtraceText(path: string, runs: readonly TracedRun[]): FtraceSummary {
  const lines = runs.flatMap((run, i) => runLines(run, i + 1));
  lines.sort((a, b) => a.us - b.us || a.cpu - b.cpu || a.seq - b.seq);
  const cpus = Math.max(1, ...runs.map((run) => run.rings.length));
  const bytes = writeStreamAtomic(path, (write) => {
    write(ftraceHeader(lines.length, cpus));
    let chunk: string[] = [];
    for (const line of lines) {
      chunk.push(formatLine(line));
      if (chunk.length >= 4096) {
        write(chunk.join(''));
        chunk = [];
      }
    }
    write(chunk.join(''));
  });
  return { lines: lines.length, bytes };
}

/** The header the kernel's trace file starts with, the function tracer's with its latency columns. */
export function ftraceHeader(entries: number, cpus: number): string {
  return [
    '# tracer: function',
    '#',
    `# entries-in-buffer/entries-written: ${entries}/${entries}   #P:${cpus}`,
    '#',
    '#                                _-----=> irqs-off/BH-disabled',
    '#                               / _----=> need-resched',
    '#                              | / _---=> hardirq/softirq',
    '#                              || / _--=> preempt-depth',
    '#                              ||| / _-=> migrate-disable',
    '#                              |||| /     delay',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |',
    '',
  ].join('\n');
}

/** `          <idle>-0       [001] d.h1.   123.456789: ipi_entry: (Function call interrupts)`. */
export function formatLine({ us, cpu, task, irqsOff, hardirq, text }: Line): string {
  const flags = `${irqsOff ? 'd' : '.'}.${hardirq ? 'h' : '.'}${hardirq || irqsOff ? '1' : '0'}.`;
  const seconds = Math.max(0, us) / 1e6;
  return `${task.padStart(22)} [${String(cpu).padStart(3, '0')}] ${flags} ${seconds.toFixed(6).padStart(12)}: ${text}\n`;
}

/** A CPU's task outside its idle loop: the operation's thread, a walker vCPU, or a CPU outside the mm. */
function taskOf(run: TracedRun, cpu: number): string {
  const role = run.roles[cpu];
  if (role === 'operator') return `${run.op.startsWith('collapse') || run.op === 'retract-unflushed' ? 'khugepaged' : 'qemu-system'}-${1000 + cpu}`;
  if (role === 'outsider') return '<idle>-0';
  return `CPU ${cpu}/KVM-${2000 + cpu}`;
}

/**
 * `ipi_raise`'s target mask for CPU `cpu` of `cpus`, as the kernel's %*pb prints a bitmap of that
 * width: hex, 32 bits a comma-separated group, the most significant first and only as wide as its
 * bits need (`4` for CPU 2 of 3; `00000000,00000001` for CPU 32 of 64).
 */
export function cpumaskHex(cpu: number, cpus: number): string {
  const groups: string[] = [];
  for (let base = 0; base < cpus; base += 32) {
    const bits = Math.min(32, cpus - base);
    const word = cpu >= base && cpu < base + 32 ? (1 << (cpu - base)) >>> 0 : 0;
    groups.unshift(word.toString(16).padStart(Math.ceil(bits / 4), '0'));
  }
  return groups.join(',');
}

/** The function whose PMD store the serialisation slice starts at, by operation, and its caller. */
const SERIALIZE_FUNCTION: { readonly [op: string]: string } = {
  munmap: 'pmdp_huge_get_and_clear <-zap_huge_pmd',
  split: 'pmdp_invalidate <-__split_huge_pmd_locked',
  collapse: 'pmdp_collapse_flush <-collapse_huge_page',
  'retract-unflushed': 'pmd_clear <-retract_page_tables',
};

function runLines(run: TracedRun, index: number): Line[] {
  const lines: Line[] = [];
  const cpus = run.rings.length;
  // Rings hold slices as they ended: the run's first moment is the least start of any.
  // (A loop: a trace's millions of records would overflow Math.min()'s arguments.)
  let startUs = Infinity;
  for (const ring of run.rings) for (const e of ring.entries) startUs = Math.min(startUs, e.ts);
  if (Number.isFinite(startUs)) lines.push({ us: startUs, cpu: 0, task: taskOf(run, 0), irqsOff: false, hardirq: false, text: `tracing_mark_write: run ${index}: ${run.op} under ${run.strategy}`, seq: -1 });
  run.rings.forEach((ring, cpu) => {
    const task = taskOf(run, cpu);
    let seq = 0;
    // The IRQ-off stretches and handler slices of this CPU, for the flags of every line on it.
    const inIrqsOff = during(ring.entries, TraceEvent.IRQS_OFF);
    const inHandler = during(ring.entries, TraceEvent.IPI_HANDLER);
    const halted = during(ring.entries, TraceEvent.HALT);
    // A halted CPU runs its idle task: an IPI it takes there is taken by <idle>-0.
    const at = (us: number, text: string, over: { irqsOff?: boolean; hardirq?: boolean } = {}): void => {
      const hardirq = over.hardirq ?? inHandler(us);
      lines.push({ us, cpu, task: halted(us) ? '<idle>-0' : task, irqsOff: over.irqsOff ?? (hardirq || inIrqsOff(us)), hardirq, text, seq: seq++ });
    };
    for (const e of ring.entries) {
      const end = e.ts + e.dur;
      switch (e.event) {
        case TraceEvent.IRQS_OFF: {
          const caller = WALK_CALLER[WALKER_KINDS[e.a]?.name ?? ''] ?? 'lockless_walk';
          at(e.ts, `irq_disable: caller=${caller}+0x0/0x0 parent=0x0`, { irqsOff: true });
          at(end, `irq_enable: caller=${caller}+0x0/0x0 parent=0x0`, { irqsOff: true });
          break;
        }
        case TraceEvent.IPI_HANDLER:
          at(e.ts, `ipi_entry: (${CALL_FUNCTION})`, { hardirq: true });
          at(end, `ipi_exit: (${CALL_FUNCTION})`, { hardirq: true });
          break;
        case TraceEvent.IPI_SENT:
          at(e.ts, `ipi_raise: target_mask=${cpumaskHex(e.a, cpus)} (${CALL_FUNCTION})`);
          break;
        case TraceEvent.HALT:
          at(e.ts, `cpu_idle: state=1 cpu_id=${cpu}`);
          at(end, `cpu_idle: state=4294967295 cpu_id=${cpu}`);
          break;
        case TraceEvent.PMD_OP: {
          const fn = pmdFunction(run, e.a);
          at(e.ts, fn);
          if (fn === COLLAPSE) at(end, 'mm_collapse_huge_page: mm=0x0 isolated=1 status=succeeded');
          break;
        }
        case TraceEvent.SERIALIZE:
          at(e.ts, run.op === 'collapse-munmap' ? (pmdFunction(run, e.a) === COLLAPSE ? SERIALIZE_FUNCTION.collapse : SERIALIZE_FUNCTION.munmap) : (SERIALIZE_FUNCTION[run.op] ?? 'serialize'));
          break;
        case TraceEvent.IPI_ROUND:
          at(e.ts, 'smp_call_function_many_cond <-smp_call_function_many');
          break;
        case TraceEvent.TLB_FLUSH:
          at(e.ts, e.a === 1 ? 'tlb_flush: pages:-1 reason:remote ipi send (4)' : 'tlb_flush: pages:-1 reason:local mm shootdown (3)');
          break;
        case TraceEvent.FREE:
          at(e.ts, `mm_page_free: page=0x0 pfn=0x${e.a.toString(16)} order=9`);
          break;
        case TraceEvent.FREE_PTE_PAGE:
          at(e.ts, `mm_page_free: page=0x0 pfn=0x${e.a.toString(16)} order=0`);
          break;
        case TraceEvent.FREE_PAGE_TABLE:
          at(e.ts, 'tlb_remove_table <-free_pgd_range');
          break;
        case TraceEvent.RCU_QS:
          at(e.ts, 'rcu_qs <-rcu_sched_clock_irq');
          break;
        case TraceEvent.VIOLATION:
          at(e.ts, `lockless_walk: ${violationWords(e.b)} on huge page ${e.a}`);
          break;
        default:
          // CSD_WAIT, RCU_PENDING and WALK_TRACING have no kernel event: the Chrome trace keeps them.
          break;
      }
    }
  });
  return lines;
}

const violationWords = (kind: number): string => {
  const what = VIOLATION_KINDS[kind] ?? 'frame';
  return what === 'frame' || what === 'page-table' ? `use-after-free (${what})` : `misread (${what})`;
};

/**
 * Whether a time falls in one of a CPU's slices of `event` (ends included). One CPU's slices of
 * one kind never overlap, so a binary search over their starts answers it.
 */
function during(entries: readonly TraceEntry[], event: TraceEvent): (us: number) => boolean {
  const slices = entries.filter((e) => e.event === event).sort((a, b) => a.ts - b.ts);
  return (us) => {
    let [lo, hi] = [0, slices.length - 1];
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (slices[mid].ts <= us) lo = mid + 1;
      else hi = mid - 1;
    }
    const s = slices[hi];
    return s !== undefined && us <= s.ts + s.dur;
  };
}
