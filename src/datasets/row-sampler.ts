import { createHash } from 'node:crypto';

/**
 * Picks a uniform random sample of `size` row positions from a stream of unknown length in one pass
 * (reservoir sampling, Algorithm R), keeping only positions — never rows. The same seed over the same
 * number of rows always picks the same positions.
 */
export class ReservoirSampler {
  private readonly reservoir: number[] = [];
  private seen = 0;
  private readonly random: () => number;

  constructor(
    private readonly size: number,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  /** Offers the next row (positions are 0, 1, 2, ... in order). */
  add(): void {
    const position = this.seen++;
    if (this.reservoir.length < this.size) {
      this.reservoir.push(position);
      return;
    }
    const slot = Math.floor(this.random() * (position + 1));
    if (slot < this.size) this.reservoir[slot] = position;
  }

  /** The sampled positions in file order. */
  positions(): number[] {
    return [...this.reservoir].sort((a, b) => a - b);
  }
}

/**
 * A seeded generator of floats in [0, 1) (sfc32, 53-bit output). The seed is hashed so that any
 * integer, including negative or larger than 32 bits, gives a well-mixed state.
 */
export function seededRandom(seed: number): () => number {
  const state = createHash('sha256').update(`judgeflow-sample:${seed}`).digest();
  let a = state.readUInt32LE(0);
  let b = state.readUInt32LE(4);
  let c = state.readUInt32LE(8);
  let d = state.readUInt32LE(12);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  return () => (next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53;
}
