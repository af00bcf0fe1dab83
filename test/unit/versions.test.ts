// Versions as data rows: what a version written sameAs another inherits is that version whole,
// with only the differences it says.
import { describe, expect, it } from 'vitest';
import { serialize_against_pte_lookup, tlb_remove_table_sync_one } from '../../src/kernel/serialize.ts';
import { KERNELS, KERNEL_VERSIONS, strategyByName } from '../../src/strategies/index.ts';
import { SENDS_NOTHING } from '../../src/strategies/strategy.ts';
import { linux58 } from '../../src/strategies/versions/linux-5.8.ts';
import { linux61 } from '../../src/strategies/versions/linux-6.1.ts';
import { sameAs, versionStrategy } from '../../src/strategies/versions/version.ts';

describe('a version written sameAs another', () => {
  it('"6.6 as 6.1", written the obvious way, serialises a collapse as 6.1 does, not as 5.8', () => {
    const v66 = versionStrategy(sameAs({ version: '6.6', sameAs: linux61, models: 'as 6.1', sources: [] }));
    const v61 = strategyByName('linux-6.1');
    for (const op of ['pmdClear', 'pmdInvalidate', 'collapseFlush', 'tableSync'] as const) expect(v66.serialize[op], op).toBe(v61.serialize[op]);
    expect(v66.serialize.tableSync).toBe(tlb_remove_table_sync_one);
    expect(v66.serialize.collapseFlush).toBe(SENDS_NOTHING);
    expect(v66.kernel).toEqual(v61.kernel);
    expect(v66.outcomes).toEqual(v61.outcomes);
  });

  it('takes only the differences it says', () => {
    const row = sameAs({ version: 'x', sameAs: linux58, models: 'as 5.8, and no collapse IPI', sources: [], differences: { serialize: { collapseFlush: 'none' } } });
    expect(row.serialize).toEqual({ ...linux58.serialize, collapseFlush: 'none' });
    expect(versionStrategy(linux58).serialize.collapseFlush).toBe(serialize_against_pte_lookup);
    expect(versionStrategy(row).serialize.collapseFlush).toBe(SENDS_NOTHING);
  });

  it('every version runs as linux-VERSION, with the kernel below it its row says', () => {
    expect(KERNELS.map((k) => k.name)).toEqual(KERNEL_VERSIONS.map((v) => `linux-${v}`));
    const powerpc = { rcuTableFree: 'always', tableRemoveOne: 'sync-ipi', flushRangeFreedTables: false };
    expect(strategyByName('linux-5.4').kernel).toEqual({ walkerStyle: 'pointer', walkerGuards: false, tlbFlushEachPmd: false, gupRechecksPmd: false, mmCpumask: 'sticky', ...powerpc });
    expect(strategyByName('linux-6.1').kernel).toEqual({ walkerStyle: 'value', walkerGuards: true, tlbFlushEachPmd: true, gupRechecksPmd: true, mmCpumask: 'exact', ...powerpc });
    // x86: RCU table freeing only with paravirt in 6.1, always from 6.15; the batch failure's grace period from 7.1.
    expect(strategyByName('linux-x86-6.1').kernel).toMatchObject({ rcuTableFree: 'if-paravirt', tableRemoveOne: 'sync-ipi', flushRangeFreedTables: false });
    expect(strategyByName('linux-x86-6.15').kernel).toMatchObject({ rcuTableFree: 'always', tableRemoveOne: 'sync-ipi', flushRangeFreedTables: true });
    expect(strategyByName('linux-x86-7.1').kernel).toMatchObject({ rcuTableFree: 'always', tableRemoveOne: 'rcu', flushRangeFreedTables: true });
    expect(strategyByName('linux-x86-7.1').arches).toEqual(['x86']);
    expect(strategyByName('linux-5.8').arches).not.toContain('x86');
    expect(strategyByName('linux-5.10').kernel).toEqual(strategyByName('linux-5.8').kernel);
    // The series on its base: its walker side and words, serialising as it posted.
    expect(strategyByName('linux-series-v5').walker).toEqual(strategyByName('counter').walker);
    expect(strategyByName('linux-series-v5').serialize.pmdClear).toBe(strategyByName('counter').serialize.pmdClear);
  });
});
