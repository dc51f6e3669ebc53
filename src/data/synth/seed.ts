/**
 * Derived seeds, so that any record (or patient) of a synthetic database can be
 * generated on its own, without generating the ones before it.
 */

/** A 32-bit seed derived from a list of integers (murmur3-style finaliser per part). */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    let k = Math.imul(p >>> 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    // Parts above 2^32 (large record indices) contribute their high word too.
    const hi = Math.floor(p / 4294967296);
    if (hi !== 0) h ^= Math.imul(hi, 0x85ebca6b);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
