// The bench's munmap floors must do the munmap's whole job, or its ratios flatter it: run with a
// few PMDs, every loop maps and frees the range again and again (REPEATS and warm-ups of each),
// and a floor that left a frame or a PTE page behind would fill the machine and throw.

import { describe, expect, it } from 'vitest';
import { munmaps } from '../../src/bench/loops.ts';

describe('the bench munmap loops', () => {
  it('free every frame and PTE page each time, so they can run again', () => {
    const { kernelSteps, munmap, traced } = munmaps(16);
    for (const figure of [kernelSteps.floor, kernelSteps.figure, munmap.figure, traced()]) {
      expect(Number.isFinite(figure.median)).toBe(true);
      expect(figure.median).toBeGreaterThan(0);
    }
  });
});
