import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/base/usage-error.ts';
import { BYTES_PER_CPU, checkCpusFitMemory } from '../../src/coordinator/cpu-memory.ts';

describe('the CPUs asked for against the host memory', () => {
  const oneGiB = 2 ** 30;
  const fit = Math.floor(oneGiB / BYTES_PER_CPU);

  it('lets through as many CPU threads as the available memory holds', () => {
    expect(() => checkCpusFitMemory(fit, oneGiB)).not.toThrow();
  });

  it('refuses one more with a usage error naming the CPU threads, the memory needed and available, and how many fit', () => {
    const refuse = () => checkCpusFitMemory(fit + 1, oneGiB);
    expect(refuse).toThrow(UsageError);
    expect(refuse).toThrow(new RegExp(`^${fit + 1} CPU threads need about [\\d.]+ GiB .* the host has 1\\.0 GiB available; at most ${fit} fit$`));
  });
});
