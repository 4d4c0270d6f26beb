import { describe, expect, it } from 'vitest';
import { ReservoirSampler, seededRandom } from './row-sampler.js';

function sample(size: number, rows: number, seed: number): number[] {
  const sampler = new ReservoirSampler(size, seed);
  for (let i = 0; i < rows; i++) sampler.add();
  return sampler.positions();
}

describe('ReservoirSampler', () => {
  it('returns `size` distinct positions in increasing order', () => {
    const positions = sample(25, 1000, 7);
    expect(positions).toHaveLength(25);
    expect(new Set(positions).size).toBe(25);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions.every((position) => position >= 0 && position < 1000)).toBe(true);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(sample(10, 5000, 42)).toEqual(sample(10, 5000, 42));
    expect(sample(10, 5000, 42)).not.toEqual(sample(10, 5000, 43));
    expect(sample(10, 5000, -1)).not.toEqual(sample(10, 5000, 2 ** 32 - 1));
  });

  it('keeps every row when there are fewer rows than the sample size', () => {
    expect(sample(10, 4, 1)).toEqual([0, 1, 2, 3]);
  });

  it('picks every position about equally often over many seeds', () => {
    // 2,000 samples of 3 out of 10 rows: each row is expected 600 times. Seeds are fixed, so this is exact.
    const counts = new Array<number>(10).fill(0);
    for (let seed = 0; seed < 2000; seed++) {
      for (const position of sample(3, 10, seed)) counts[position] = (counts[position] ?? 0) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(500);
    for (const count of counts) expect(count).toBeLessThan(700);
  });
});

describe('seededRandom', () => {
  it('yields floats in [0, 1) that repeat for the same seed', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Set(values).size).toBe(1000);
  });
});
