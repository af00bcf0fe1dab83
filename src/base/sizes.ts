// Sizes as people write them: 496G, 2M, 16MiB, 1024. Binary units, as the kernel counts memory.

const UNITS: { readonly [suffix: string]: number } = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes in `text`, or undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNITS[match[2].toUpperCase()];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** The shortest exact form: 1G, 496G, 3M, 1536K; bytes when nothing else is exact. */
export function formatSize(bytes: number): string {
  for (const suffix of ['T', 'G', 'M', 'K']) {
    const unit = UNITS[suffix];
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return `${bytes}`;
}
