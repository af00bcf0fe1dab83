import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateWholeRange } from '../src/coordinator/estimate.ts';
import { runScript } from './helpers/run-script.ts';

describe('estimating a whole range from a measured prefix', () => {
  it('extends the measured time by the mean cost per PMD, with a 95% interval from the spread', () => {
    // 100 PMDs done in 50 ms: 500 us each; serialize times alternate 400 and 600 us (sd ~100.5).
    const samples = Float64Array.from({ length: 100 }, (_, i) => (i % 2 ? 600 : 400));
    const { ms, estimate } = estimateWholeRange(50, 100, 1000, samples);
    expect(ms).toBeCloseTo(50 + (900 * 500) / 1000, 9); // 500 ms
    expect(estimate.measuredPmds).toBe(100);
    expect(estimate.perPmdUs.mean).toBeCloseTo(500, 9);
    expect(estimate.perPmdUs.sd).toBeCloseTo(100.504, 2);
    const halfWidthUs = (1.96 * estimate.perPmdUs.sd) / 10;
    expect(estimate.lowMs).toBeCloseTo(50 + (900 * (500 - halfWidthUs)) / 1000, 6);
    expect(estimate.highMs).toBeCloseTo(50 + (900 * (500 + halfWidthUs)) / 1000, 6);
  });

  it('is exact when every PMD was done', () => {
    const { ms, estimate } = estimateWholeRange(12, 64, 64, new Float64Array(64).fill(3));
    expect(ms).toBe(12);
    expect([estimate.lowMs, estimate.highMs]).toEqual([12, 12]);
  });
});

describe('stress/sweep.ts', () => {
  it('writes the JSON of every cell, a Markdown table and three SVG plots', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sweep-'));
    const { code, stdout, stderr } = await runScript('stress/sweep.ts', '--cpus', '2,3', '--memory', '64M', '--strategy', 'ipi-broadcast,counter', '--budget', '0.5', '--walkers-ms', '40', '--out', out, '--quiet');
    expect(code, stderr).toBe(0);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(sweep.cells).toHaveLength(4);
    for (const cell of sweep.cells) {
      expect(cell).toMatchObject({ memory: '64M', workload: 'qemu-guest', pmds: 32, useAfterFree: 0, invariantsHeld: true });
      expect([2, 3]).toContain(cell.cpus);
    }
    expect(sweep.walkers).toHaveLength(4);
    expect(readFileSync(join(out, 'sweep.md'), 'utf8')).toMatch(/\| ipi-broadcast \| 64M \| qemu-guest \| .* ms \| .* ms \|/);
    for (const plot of ['munmap-ms.svg', 'ipis.svg', 'walkers.svg']) expect(readFileSync(join(out, plot), 'utf8')).toMatch(/^<svg[^>]*>.*<\/svg>$/s);
    expect(stdout).toMatch(/wrote .*sweep\.json/);
    expect(stderr).not.toMatch(/sweep \[/); // no progress bar off a terminal
  });
});
