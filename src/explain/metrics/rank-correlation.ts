/** Rank correlations between attributions (of two methods, or of a model and its randomised copy). */
import { pearson } from '../../util/stats.js';

/** Ranks 1..n with ties given their average rank (as scipy.stats.rankdata). */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]!] === v[order[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}


/** Spearman's rho: Pearson correlation of average ranks (NaN when one side is constant). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`spearman: lengths differ (${a.length} vs ${b.length})`);
  return pearson(averageRanks(a), averageRanks(b));
}

/**
 * Kendall's tau-b (ties in either variable corrected, as scipy.stats.kendalltau).
 * O(n^2): meant for a few thousand samples (one ECG), not a cohort at once.
 */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`kendallTau: lengths differ (${a.length} vs ${b.length})`);
  const n = a.length;
  let concordant = 0;
  let discordant = 0;
  let tieA = 0;
  let tieB = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const da = Math.sign(a[i]! - a[j]!);
      const db = Math.sign(b[i]! - b[j]!);
      if (da === 0 && db === 0) continue;
      if (da === 0) tieA++;
      else if (db === 0) tieB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const den = Math.sqrt((concordant + discordant + tieA) * (concordant + discordant + tieB));
  return den === 0 ? NaN : (concordant - discordant) / den;
}

/**
 * Per-ECG rank correlation of two attribution arrays of one batch. Arrays
 * [batch, 1, T] and [batch, L, T] are compared on time by summing the second
 * over leads; `absolute` ranks magnitudes (the sign of a saliency is often arbitrary).
 */
export function attributionCorrelation(
  a: { data: Float32Array; shape: number[] },
  b: { data: Float32Array; shape: number[] },
  opts: { method?: 'spearman' | 'kendall'; absolute?: boolean } = {},
): number[] {
  const [n, la, t] = a.shape as [number, number, number];
  const lb = b.shape[1]!;
  if (b.shape[0] !== n || b.shape[2] !== t) throw new RangeError(`attributionCorrelation: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ in batch or time`);
  const rows = la === lb ? la : 1;
  const f = opts.method === 'kendall' ? kendallTau : spearman;
  const view = (x: { data: Float32Array; shape: number[] }, bi: number): Float64Array => {
    const l = x.shape[1]!;
    const out = new Float64Array(rows * t);
    for (let r = 0; r < l; r++) {
      for (let s = 0; s < t; s++) {
        const v = x.data[(bi * l + r) * t + s]!;
        out[(rows === l ? r : 0) * t + s] += opts.absolute ? Math.abs(v) : v;
      }
    }
    return out;
  };
  return Array.from({ length: n }, (_, bi) => f(view(a, bi), view(b, bi)));
}
