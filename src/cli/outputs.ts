// The files and directories a command will write, checked before anything runs: a run that
// takes a minute must not end with a stack trace because its --json names a directory that is
// not there.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../base/usage-error.ts';
import { quote } from '../base/value-types.ts';

export type OutputKind = 'file' | 'dir';

/** Throws a UsageError naming `flag` if `path` (a file, or a directory to create) cannot be written. */
export function checkOutput(flag: string, path: string, kind: OutputKind): void {
  if (kind === 'file' && path === '-') return; // stdout
  const full = resolve(path);
  if (existsSync(full)) {
    const isDir = statSync(full).isDirectory();
    if (kind === 'file' && isDir) throw new UsageError(`${flag}: ${quote(path)} is a directory, not a file`);
    if (kind === 'dir' && !isDir) throw new UsageError(`${flag}: ${quote(path)} is a file, not a directory`);
    if (!writable(full)) throw new UsageError(`${flag}: cannot write ${quote(path)}: permission denied`);
    return;
  }
  // A file goes in a directory that must be there; a directory is made, with its parents, under one that is.
  let parent = dirname(full);
  if (kind === 'file' && !(existsSync(parent) && statSync(parent).isDirectory())) throw new UsageError(`${flag}: cannot write ${quote(path)}: no such directory ${quote(parent)}`);
  while (kind === 'dir' && !existsSync(parent)) parent = dirname(parent);
  if (!statSync(parent).isDirectory()) throw new UsageError(`${flag}: cannot make ${quote(path)}: ${quote(parent)} is a file`);
  if (!writable(parent)) throw new UsageError(`${flag}: cannot write ${quote(path)}: permission denied in ${quote(parent)}`);
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
