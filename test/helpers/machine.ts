// A machine for tests that drive CPUs by hand: its THPs mapped, every CPU in mm_cpumask.

import { map_thp_range } from '../../src/kernel/map-thp.ts';
import { cpumask_set_cpu } from '../../src/shared-memory/mm.ts';
import { SharedMachine } from '../../src/shared-memory/shared-machine.ts';

export function mappedMachine(cpus: number, hugePages: number): SharedMachine {
  const machine = SharedMachine.create({ cpus, hugePages });
  map_thp_range(machine, 0, hugePages);
  for (let cpu = 0; cpu < cpus; cpu++) cpumask_set_cpu(machine.mm, cpu);
  return machine;
}
