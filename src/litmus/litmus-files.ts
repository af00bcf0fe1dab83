// Where litmus tests come from: the eight built-in shapes (files in the project's litmus/
// folder), a file named on the command line, or every .litmus file under a directory.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LitmusTest } from './litmus-test.ts';
import { readCLitmus, type ReadLitmus } from './parse-c-litmus.ts';

/** The project's own tests, in the kernel's format. */
export const LITMUS_DIR = fileURLToPath(new URL('../../litmus/', import.meta.url));

/** The classic shapes and the seed's page-table one, run by default in all three variants. */
export const BUILTIN_NAMES: readonly string[] = ['SB', 'MP', 'LB', 'S', 'R', '2+2W', 'IRIW', 'SB+pgtbl'];

export function readLitmusFile(path: string): ReadLitmus {
  return readCLitmus(readFileSync(path, 'utf8'), path);
}

export function builtinTest(name: string): LitmusTest {
  if (!BUILTIN_NAMES.includes(name)) throw new RangeError(`unknown litmus test '${name}'`);
  const read = readLitmusFile(join(LITMUS_DIR, `${name}.litmus`));
  if (!read.ok) throw new Error(`litmus/${name}.litmus: ${read.message}`);
  return { ...read.test, file: relative(process.cwd(), join(LITMUS_DIR, `${name}.litmus`)) };
}

/** Every .litmus file under `dir`, subdirectories included, in name order. */
export function litmusFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name, 'en'))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return litmusFilesIn(path);
      return entry.name.endsWith('.litmus') && statSync(path).isFile() ? [path] : [];
    });
}
