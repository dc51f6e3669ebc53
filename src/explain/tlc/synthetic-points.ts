/**
 * Seeded synthetic point sets with known structure, for tests and benches of
 * the TLC estimators.
 */
import { Rng } from '../../util/rng.js';
import type { Points } from './points.js';

/**
 * nPer points around each centre (rows of `centers`, all of dimension d), with
 * per-coordinate standard deviation `sd` (one number, or one per centre and
 * coordinate as [k][d]). Points are grouped by blob in order; `labels` gives the blob of each.
 */
export function gaussianBlobs(
  centers: number[][],
  sd: number | number[][],
  nPer: number | number[],
  seed: number,
): { points: Points; labels: Int32Array } {
  const rng = new Rng(seed);
  const d = centers[0]!.length;
  const counts = centers.map((_, c) => (typeof nPer === 'number' ? nPer : nPer[c]!));
  const n = counts.reduce((a, b) => a + b, 0);
  const data = new Float64Array(n * d);
  const labels = new Int32Array(n);
  let i = 0;
  centers.forEach((mu, c) => {
    for (let r = 0; r < counts[c]!; r++, i++) {
      labels[i] = c;
      for (let j = 0; j < d; j++) data[i * d + j] = rng.normal(mu[j]!, typeof sd === 'number' ? sd : sd[c]![j]!);
    }
  });
  return { points: { data, n, d }, labels };
}

/** k random centres in [-spread, spread]^d. */
export function randomCenters(k: number, d: number, spread: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: k }, () => Array.from({ length: d }, () => rng.range(-spread, spread)));
}
