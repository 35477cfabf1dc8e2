/**
 * The project's own seeded random numbers: splits, shuffles, augmentation parameters and dropout seeds all come
 * from here, so a seed means the same thing on every machine and Node version (Math.random is not seedable).
 * Generator: mulberry32 (32-bit state, full period 2^32, passes gjrand/PractRand to the sizes used here).
 */

/** A seeded generator of uniform numbers in [0, 1). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number (got ${seed})`);
    // Mix the seed so that nearby seeds (0, 1, 2 …) start far apart.
    // The final >>> 0 keeps the state unsigned, as save() promises (the xor alone can make it negative; the numbers
    // drawn are the same either way, since next() reduces the state modulo 2^32).
    this.state = ((Math.imul(Math.trunc(seed) ^ 0x9e3779b9, 0x85ebca6b) >>> 0) ^ 0x6a09e667) >>> 0;
  }
  /** The generator's whole state (one 32-bit number): saved in a training checkpoint, restored by {@link Rng.restore}. */
  save(): number {
    return this.state;
  }
  /** Continue from a state {@link Rng.save} returned: the same numbers follow as from the saved generator. */
  restore(state: number): this {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) throw new Error(`not a generator state: ${state}`);
    this.state = state >>> 0;
    return this;
  }
  /** Next uniform number in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform number in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** A fresh 31-bit seed for a sub-generator (e.g. one per fold or per batch). */
  seed(): number {
    return Math.floor(this.next() * 0x7fffffff);
  }
  /** Fisher–Yates shuffle of a copy of `items`. */
  shuffle<T>(items: readonly T[]): T[] {
    const a = items.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}
