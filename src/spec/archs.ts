// The architectures a run's kernel runs on.

/**
 * The architecture the kernel runs on: ppc64le-radix, a little-endian POWER9 radix kernel (the
 * seed's), or ppc64-radix, the same big-endian. Its byte order decides how the list pointers a
 * deposited PTE page holds read to a walker that takes them for ptes (shared-memory/pte-pages.ts).
 */
export const ARCHS = ['ppc64le-radix', 'ppc64-radix'] as const;
export type Arch = (typeof ARCHS)[number];

/** Whether `arch`'s kernel is big-endian. */
export const bigEndian = (arch: Arch): boolean => arch === 'ppc64-radix';
