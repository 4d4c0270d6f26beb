/**
 * A small deterministic generator for resampling: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32, all in 32-bit integer arithmetic (`Math.imul`), so a seed gives the same stream on every
 * platform and Node version. Not for anything secret.
 */

/** A generator of uniform doubles in [0, 1), with 53 random bits each. */
export type UniformSource = () => number;

function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return [next, (z ^ (z >>> 15)) >>> 0];
}

/**
 * The generator for a seed: any finite number; its integer part up to 2^53 and its sign all count
 * (the low and the high 32 bits are both mixed in), so nearby seeds give unrelated streams.
 */
export function seededUniform(seed: number): UniformSource {
  if (!Number.isFinite(seed)) throw new RangeError(`seed ${seed} is not a finite number`);
  const whole = Math.trunc(Math.abs(seed));
  const low = whole >>> 0;
  const high = Math.floor(whole / 2 ** 32) >>> 0;
  let mix = (low ^ Math.imul(high, 0x85ebca6b) ^ (seed < 0 ? 0x5bd1e995 : 0)) | 0;
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const [next, value] = splitmix32(mix);
    mix = next;
    s[i] = value;
  }
  // xoshiro's state must not be all zero; splitmix32 cannot give four zeros in a row, but be sure.
  if (s.every((word) => word === 0)) s[0] = 1;
  const next32 = (): number => {
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s[2] = (s[2] as number) ^ s0;
    s[3] = (s[3] as number) ^ s1;
    s[1] = s1 ^ (s[2] as number);
    s[0] = s0 ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  };
  return () => {
    // 27 + 26 bits, as in the reference genrand_res53.
    const hi = next32() >>> 5;
    const lo = next32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A uniform whole number in [0, n). */
export function uniformIndex(next: UniformSource, n: number): number {
  return Math.floor(next() * n);
}
