import { describe, expect, it } from 'vitest';
import { cpumaskHex } from '../../src/report/ftrace-text.ts';

describe('the ftrace text writer', () => {
  it("prints ipi_raise's mask as the kernel's %*pb does, only as wide as the machine's CPUs", () => {
    expect(cpumaskHex(2, 3)).toBe('4');
    expect(cpumaskHex(5, 8)).toBe('20');
    expect(cpumaskHex(32, 64)).toBe('00000001,00000000');
    expect(cpumaskHex(3, 64)).toBe('00000000,00000008');
  });
});
