/**
 * How well one attribution points at a known evidence mask (one ECG), on
 * |attribution| over [leads, time]; a time-only map ([1, time], Grad-CAM,
 * TLC) counts for every lead at its time:
 *
 * - relevance mass accuracy (Arras et al. 2022): share of |a| inside the mask;
 *   a map that knows nothing puts the mask's time share there;
 * - relevance rank accuracy (ibid.): of the K samples with the largest |a|
 *   (K = the mask's size), the share inside the mask (ties at the cut shared);
 * - pointing game (Zhang et al. 2018): whether the largest |a| lies in the
 *   mask (ties and a time-only map's leads averaged, so it is a fraction);
 * - AUROC of |a| as a detector of mask samples (ties count one half).
 *
 * NaN attributions (samples the model never saw) count as 0.
 */

export interface MaskScores {
  massAccuracy: number;
  rankAccuracy: number;
  pointing: number;
  auroc: number;
  /** Share of the [leads, time] samples inside the mask: the chance level of mass and rank accuracy and pointing. */
  timeShare: number;
}

export const SCORE_NAMES = ['massAccuracy', 'rankAccuracy', 'pointing', 'auroc'] as const;
export type ScoreName = (typeof SCORE_NAMES)[number];

/**
 * Scores |values| ([rows, time], rows = leads or 1) against `mask`
 * ([leads, time], 0/1). NaN scores when the mask is empty or full, or the map
 * is all zero (nothing to point with).
 */
export function scoreAgainstMask(values: ArrayLike<number>, rows: number, mask: Uint8Array, leads: number, time: number): MaskScores {
  if (rows !== 1 && rows !== leads) throw new RangeError(`scoreAgainstMask: ${rows} attribution rows for ${leads} leads`);
  if (values.length !== rows * time || mask.length !== leads * time) throw new RangeError('scoreAgainstMask: sizes do not match');
  const N = leads * time;
  const a = new Float64Array(N);
  let inside = 0, total = 0, K = 0;
  for (let l = 0; l < leads; l++) {
    for (let t = 0; t < time; t++) {
      const v = Math.abs(values[(rows === 1 ? 0 : l) * time + t]!);
      const k = l * time + t;
      a[k] = Number.isFinite(v) ? v : 0;
      total += a[k]!;
      if (mask[k]) {
        inside += a[k]!;
        K++;
      }
    }
  }
  const timeShare = K / N;
  if (K === 0 || K === N || total === 0) return { massAccuracy: NaN, rankAccuracy: NaN, pointing: NaN, auroc: NaN, timeShare };
  // Ranks (ascending, ties averaged) give the AUROC; the top K with shared ties give the rank accuracy.
  const order = Array.from({ length: N }, (_, i) => i).sort((i, j) => a[i]! - a[j]!);
  let rankSum = 0;
  let topIn = 0;
  const cut = N - K; // order positions >= cut are the top K
  for (let s = 0; s < N; ) {
    let e = s;
    while (e + 1 < N && a[order[e + 1]!] === a[order[s]!]) e++;
    let pos = 0;
    for (let q = s; q <= e; q++) pos += mask[order[q]!]!;
    rankSum += pos * ((s + e) / 2 + 1);
    // The tie group [s, e] holds (e - s + 1) samples; the part of it above the cut is shared pro rata.
    const above = Math.max(0, e + 1 - Math.max(s, cut));
    topIn += (pos * above) / (e - s + 1);
    s = e + 1;
  }
  const auroc = (rankSum - (K * (K + 1)) / 2) / (K * (N - K));
  // Pointing: the samples at the largest |a|.
  const top = a[order[N - 1]!]!;
  let hits = 0, ties = 0;
  for (let k = 0; k < N; k++) if (a[k] === top) (ties++, (hits += mask[k]!));
  return { massAccuracy: inside / total, rankAccuracy: topIn / K, pointing: hits / ties, auroc, timeShare };
}

/** Mean and a normal-approximation 95% confidence interval (mean ± 1.96 SE) of the finite values. */
export interface MeanCi {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export function meanCi(values: readonly number[]): MeanCi {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, n: 0 };
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (1.96 * sd) / Math.sqrt(n) : 0;
  return { mean, lo: mean - half, hi: mean + half, n };
}
