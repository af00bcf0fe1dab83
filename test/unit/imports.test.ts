// Layering guard: runs the rules in .dependency-cruiser.cjs over src/ (same as `npm run deps`).
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function describeViolation(v: IViolation): string {
  const line = `${v.from} -> ${v.to} (${v.rule.name})`;
  return v.cycle?.length ? `${line} [cycle: ${[v.from, ...v.cycle.map((c) => c.name)].join(' -> ')}]` : line;
}

describe('import layering (dependency-cruiser)', () => {
  it('src/ has no import cycles and no layer violations', async () => {
    const options = await extractDepcruiseOptions(`${root}.dependency-cruiser.cjs`);
    const tsConfig = extractTSConfig(`${root}tsconfig.json`);
    const { output } = await cruise(['src'], { ...options, baseDir: root }, {}, { tsConfig });
    const result = output as ICruiseResult;

    const lines = result.summary.violations.map(describeViolation);
    expect(lines, `dependency-cruiser violations:\n${lines.join('\n')}`).toEqual([]);
    // Guard against a vacuous pass (e.g. a resolver that found nothing).
    expect(result.summary.totalCruised).toBeGreaterThan(0);
  });
});
