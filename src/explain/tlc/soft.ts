/**
 * The shape shared by the fitted clusterers (k-means, Gaussian mixture): hard
 * labels and soft assignments gamma [n, k], each row a probability vector.
 */
import type { Points } from './points.js';

export interface SoftClusterer {
  /** Number of clusters. */
  readonly k: number;
  /** Dimension of the points it was fitted on. */
  readonly d: number;
  /** Most likely cluster per point. */
  predict(x: Points): Int32Array;
  /** Soft assignments gamma [n, k]; rows sum to 1. */
  soft(x: Points): Points;
}

/**
 * Row-wise softmax in place over [n, k] scores, shifted by the row maximum so
 * exp never overflows (log-sum-exp). Returns the log normaliser of each row.
 */
export function softmaxRowsInPlace(scores: Float64Array, n: number, k: number): Float64Array {
  const logZ = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let m = -Infinity;
    for (let c = 0; c < k; c++) if (scores[o + c]! > m) m = scores[o + c]!;
    let s = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(scores[o + c]! - m);
      scores[o + c] = e;
      s += e;
    }
    for (let c = 0; c < k; c++) scores[o + c]! /= s;
    logZ[i] = m + Math.log(s);
  }
  return logZ;
}

/** Index of the largest value in each row of [n, k] (first one on ties). */
export function argmaxRows(x: Points): Int32Array {
  const out = new Int32Array(x.n);
  for (let i = 0; i < x.n; i++) {
    let best = 0;
    for (let c = 1; c < x.d; c++) if (x.data[i * x.d + c]! > x.data[i * x.d + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Entropy of each row of gamma, normalised by log k into [0, 1]: 0 for a
 * one-hot row, 1 for the uniform row. 0 log 0 = 0. (k = 1 gives 0.)
 */
export function normalizedEntropy(gamma: Points): Float64Array {
  const { n, d: k } = gamma;
  const out = new Float64Array(n);
  if (k < 2) return out;
  const norm = Math.log(k);
  for (let i = 0; i < n; i++) {
    let h = 0;
    for (let c = 0; c < k; c++) {
      const g = gamma.data[i * k + c]!;
      if (g > 0) h -= g * Math.log(g);
    }
    out[i] = Math.min(1, Math.max(0, h / norm));
  }
  return out;
}
