// Faults injected into one CPU, to show that the emulator reports them and never hangs. They
// strike inside a walk, with IRQs off, once CPU 0 has started its operation:
//   stuck-irq  IRQs never come back on: the CPU spins for ever (only the coordinator's
//              terminate() ends it); every IPI to it waits, until the watchdog speaks.
//   crash      the worker throws in the middle of a walk.
//   slow       the CPU's thread is descheduled for long stretches, wherever it happens to be.

import { mmWord } from '../shared-memory/mm.ts';
import type { EmulatedCpu } from '../kernel/cpu.ts';
import type { FaultKind } from '../spec/run-fields.ts';

/** A slow CPU runs this long, then stops for STALL_MS. */
const RUN_BETWEEN_STALLS_MS = 20;
const STALL_MS = 30;

export class FaultInjector {
  private nextStall = 0;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

  constructor(
    private readonly cpu: EmulatedCpu,
    private readonly kind: FaultKind,
  ) {}

  /** Called inside every walk, with IRQs off. */
  inWalk(): void {
    if (Atomics.load(this.cpu.mm, mmWord.unmapCursor) < 0) return;
    switch (this.kind) {
      case 'stuck-irq':
        for (;;); // never returns: IRQs stay off
      case 'crash':
        throw new Error(`injected crash in the middle of a walk (IRQs off) on CPU ${this.cpu.id}`);
      case 'slow': {
        const now = performance.now();
        if (now < this.nextStall) return;
        if (this.nextStall !== 0) Atomics.wait(this.sleeper, 0, 0, STALL_MS); // descheduled, mid-walk
        this.nextStall = performance.now() + RUN_BETWEEN_STALLS_MS;
      }
    }
  }
}
