import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/run-script.ts';

describe('stress/sweep.ts', () => {
  it('writes the JSON of every cell, a Markdown table and three SVG plots', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sweep-'));
    const { code, stdout, stderr } = await runScript('stress/sweep.ts', '--cpus', '2,3', '--memory', '64M', '--strategy', 'ipi-broadcast,counter', '--budget', '0.5', '--walkers-ms', '40', '--out', out);
    expect(code, stderr).toBe(0);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(sweep.cells).toHaveLength(4);
    for (const cell of sweep.cells) {
      expect(cell).toMatchObject({ memory: '64M', workload: 'qemu-guest', pmds: 32, useAfterFree: 0, invariantsHeld: true });
      expect([2, 3]).toContain(cell.cpus);
    }
    expect(sweep.walkers).toHaveLength(4);
    for (const walkers of sweep.walkers) expect(walkers.walksPerSecond).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'sweep.md'), 'utf8')).toMatch(/\| ipi-broadcast \| 64M \| qemu-guest \| .* ms \| .* ms \|/);
    for (const plot of ['munmap-ms.svg', 'ipis.svg', 'walkers.svg']) expect(readFileSync(join(out, plot), 'utf8')).toMatch(/^<svg[^>]*>.*<\/svg>$/s);
    expect(stdout).toMatch(/wrote .*sweep\.json/);
    expect(stderr).not.toMatch(/sweep \[/); // no progress bar off a terminal, even without --quiet
  });
});
