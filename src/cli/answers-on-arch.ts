// The answers a command runs on one architecture: `all` means those of that architecture (an
// x86 posting's answers on x86 only); one named that does not run there is refused in one line.

import { UsageError } from '../base/usage-error.ts';
import type { Arch } from '../kernel/archs.ts';
import { STRATEGIES, strategyByName } from '../strategies/index.ts';

/** `named` (as --strategy parsed it, `given` as typed) on `arch`, which the refusal calls `where`. */
export function onArch(named: readonly string[], given: string | undefined, arch: Arch, where = `--arch ${arch}`): string[] {
  if (given?.trim() === 'all') return STRATEGIES.filter((s) => s.arches.includes(arch)).map((s) => s.name);
  const elsewhere = named.find((name) => !strategyByName(name).arches.includes(arch));
  if (elsewhere) throw new UsageError(`--strategy ${elsewhere} runs on ${strategyByName(elsewhere).arches.join(', ')} only, not on ${where}`);
  return [...named];
}
