// What each operation starts from and must leave behind, checked by the coordinator once every
// CPU has stopped.

import type { PmdOp } from '../cpu-worker/pmd-ops.ts';
import { Life } from '../shared-memory/lifetime-word.ts';
import { PTRS_PER_TABLE, SUBPAGES, entry_pfn, pmd_is_leaf, pte_frame, pte_present } from '../shared-memory/pgtable-entry.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';
import { map_pte_range, map_thp_range } from './map-thp.ts';

export interface OpExpectations {
  /** Map the range as the operation expects to find it. */
  readonly setup: (machine: SharedMachine, firstHpn: number, count: number) => void;
  /** The state a PMD must be left in, in words, or undefined if it is right. */
  readonly wrongPmd: (machine: SharedMachine, pmd: number) => string | undefined;
  /** Frames and PTE pages the operation frees for each PMD. */
  readonly framesFreedPerPmd: number;
  readonly pageTablesFreedPerPmd: number;
}

const inUse = (machine: SharedMachine, frame: number) => machine.frames.state(frame) === Life.IN_USE;

export const OP_EXPECTATIONS: { readonly [op in PmdOp]: OpExpectations } = {
  munmap: {
    setup: map_thp_range,
    wrongPmd: (_, pmd) => (pmd === 0 ? undefined : `still mapped (0x${pmd.toString(16)})`),
    framesFreedPerPmd: 1,
    pageTablesFreedPerPmd: 0,
  },
  split: {
    setup: map_thp_range,
    wrongPmd: (machine, pmd) => {
      if (!pte_present(pmd) || pmd_is_leaf(pmd)) return `not a PTE page (0x${pmd.toString(16)})`;
      const ptes = machine.arena.entries.subarray(entry_pfn(pmd) * PTRS_PER_TABLE, entry_pfn(pmd) * PTRS_PER_TABLE + SUBPAGES);
      const frame = pte_frame(ptes[0]);
      if (!ptes.every((pte, i) => pte_present(pte) && pte_frame(pte) === frame && (entry_pfn(pte) & (SUBPAGES - 1)) === i)) return 'a PTE page that does not map one THP';
      return inUse(machine, frame) ? undefined : `split into frame ${frame}, which is free`;
    },
    framesFreedPerPmd: 0,
    pageTablesFreedPerPmd: 0,
  },
  collapse: {
    setup: map_pte_range,
    wrongPmd: (machine, pmd) => {
      if (!pte_present(pmd) || !pmd_is_leaf(pmd)) return `not a THP leaf (0x${pmd.toString(16)})`;
      return inUse(machine, entry_pfn(pmd)) ? undefined : `collapsed into frame ${entry_pfn(pmd)}, which is free`;
    },
    framesFreedPerPmd: 1,
    pageTablesFreedPerPmd: 1,
  },
};

/** Every PMD of the range left wrong, described; at most `limit` of them. */
export function wrongPmds(machine: SharedMachine, op: PmdOp, firstHpn: number, count: number, limit = 3): string[] {
  const wrong: string[] = [];
  for (let hpn = firstHpn; hpn < firstHpn + count && wrong.length < limit; hpn++) {
    const slot = machine.arena.pmdSlot(hpn);
    const why = OP_EXPECTATIONS[op].wrongPmd(machine, slot < 0 ? 0 : machine.arena.entries[slot]);
    if (why !== undefined) wrong.push(`after ${op}, huge page ${hpn} is ${why}`);
  }
  return wrong;
}
