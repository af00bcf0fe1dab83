// The docs' generated blocks hold what the declarations say now: an answer, a version, a layer
// or an option changed without `npx tsx stress/docs.ts`, or a row edited by hand, fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BLOCKS, docPages, regenerate } from '../../stress/docs.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the docs, against the declarations', () => {
  it.each(docPages())('%s: every generated block is what the declarations write', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8');
    expect(regenerate(text), `run npx tsx stress/docs.ts and commit ${page}`).toBe(text);
  });

  it('every block is in some page, and the README is a guide of about 300 lines', () => {
    const all = docPages().map((page) => readFileSync(join(ROOT, page), 'utf8')).join('\n');
    for (const name of Object.keys(BLOCKS)) expect(all, name).toContain(`<!-- generated: ${name} -->`);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(320);
  });

  it('a row edited by hand is caught', () => {
    const page = readFileSync(join(ROOT, 'docs/answers.md'), 'utf8');
    const edited = page.replace('| `counter` |', '| `counter` (edited) |');
    expect(edited).not.toBe(page);
    expect(regenerate(edited)).not.toBe(edited);
  });
});
