/**
 * Choosing K: silhouette scores and a sweep over K reporting inertia (k-means)
 * or BIC (Gaussian mixture) and the silhouette of each fit.
 */
import { OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { sampleIndices } from './activations.js';
import { GaussianMixture } from './gmm.js';
import { KMeans, type KMeansOptions } from './kmeans.js';
import { checkInt, selectRows, sqDist, type Points } from './points.js';

/**
 * Silhouette of each point (Rousseeuw 1987) with Euclidean distances:
 * s = (b - a) / max(a, b), a the mean distance to the other points of its
 * cluster, b the lowest mean distance to another cluster; 0 for a point alone
 * in its cluster (as scikit-learn). Exact, O(n^2 d).
 */
export function silhouetteSamples(x: Points, labels: ArrayLike<number>): Float64Array {
  const { n, d } = x;
  if (labels.length !== n) throw new OptionError('labels', `expected ${n} labels, got ${labels.length}`);
  const ids = [...new Set(Array.from(labels))].sort((p, q) => p - q);
  const idx = new Map(ids.map((v, i) => [v, i]));
  const k = ids.length;
  const lab = Int32Array.from({ length: n }, (_, i) => idx.get(labels[i]!)!);
  const size = new Float64Array(k);
  for (let i = 0; i < n; i++) size[lab[i]!]! += 1;
  // Each pair once: row i of `sums` is the total distance from point i to each cluster.
  const sums = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const li = lab[i]!;
    for (let j = i + 1; j < n; j++) {
      const dist = Math.sqrt(sqDist(x.data, i, x.data, j, d));
      sums[i * k + lab[j]!]! += dist;
      sums[j * k + li]! += dist;
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const own = lab[i]!;
    if (size[own]! <= 1) continue;
    const a = sums[i * k + own]! / (size[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && size[c]! > 0) b = Math.min(b, sums[i * k + c]! / size[c]!);
    if (b === Infinity) continue;
    const m = Math.max(a, b);
    out[i] = m > 0 ? (b - a) / m : 0;
  }
  return out;
}

export interface SilhouetteOptions {
  /** Above this many points, the score is computed on a seeded uniform sample of this size (default 2000). */
  maxSamples?: number;
  seed?: number;
}

/** Mean silhouette; NaN when fewer than two clusters are present (in the sample). */
export function silhouetteScore(x: Points, labels: ArrayLike<number>, opts: SilhouetteOptions = {}): number {
  const maxSamples = checkInt('maxSamples', opts.maxSamples ?? 2000, 2);
  let pts = x, lab: ArrayLike<number> = labels;
  if (x.n > maxSamples) {
    const idx = sampleIndices(x.n, maxSamples, new Rng(opts.seed ?? 0));
    pts = selectRows(x, idx);
    lab = Array.from(idx, (i) => labels[i]!);
  }
  if (new Set(Array.from(lab)).size < 2) return NaN;
  const s = silhouetteSamples(pts, lab);
  let m = 0;
  for (const v of s) m += v;
  return m / s.length;
}

export interface SweepRow {
  k: number;
  /** k-means: sum of squared distances to the nearest centre. */
  inertia?: number;
  /** Gaussian mixture: BIC on the data (lower is better). */
  bic?: number;
  /** Gaussian mixture: mean log-likelihood per point. */
  meanLogLik?: number;
  /** Mean silhouette of the hard labels (sampled above silhouetteSamples points); NaN for k = 1. */
  silhouette: number;
}

export interface SweepOptions {
  method?: 'kmeans' | 'gmm';
  seed?: number;
  /** Silhouette sample size (default 2000). */
  silhouetteSamples?: number;
  /** Extra k-means options (algorithm, nInit, ...). */
  kmeans?: Omit<KMeansOptions, 'k' | 'seed'>;
}

/** Fits each K and reports the fit criteria (same seed for every K). */
export function sweepK(x: Points, ks: readonly number[], opts: SweepOptions = {}): SweepRow[] {
  const seed = opts.seed ?? 0;
  const method = opts.method ?? 'kmeans';
  return ks.map((k) => {
    if (method === 'kmeans') {
      const f = new KMeans({ ...opts.kmeans, k, seed }).fit(x);
      return { k, inertia: f.inertia, silhouette: silhouetteScore(x, f.predict(x), { maxSamples: opts.silhouetteSamples ?? 2000, seed }) };
    }
    const g = new GaussianMixture({ k, seed }).fit(x);
    return {
      k, bic: g.bic(x), meanLogLik: g.logLikelihood(x) / x.n,
      silhouette: silhouetteScore(x, g.predict(x), { maxSamples: opts.silhouetteSamples ?? 2000, seed }),
    };
  });
}
