// Ctrl-C while the CPUs run. A terminal delivers it to the whole process group, and tsx relays
// it too, so it arrives more than once: the first interrupts the pool, the others are absorbed.

import type { CpuPool } from './cpu-pool.ts';

export interface CtrlC {
  /** Whether Ctrl-C has been pressed. */
  readonly pressed: () => boolean;
  /** Stop listening (the default action comes back). */
  readonly release: () => void;
}

export function catchCtrlC(pool: CpuPool, notice: string): CtrlC {
  let pressed = false;
  const onSignal = () => {
    if (pressed) return;
    pressed = true;
    process.stderr.write(`\ninterrupted: ${notice}\n`);
    pool.interrupt();
  };
  process.on('SIGINT', onSignal);
  return { pressed: () => pressed, release: () => process.off('SIGINT', onSignal) };
}
