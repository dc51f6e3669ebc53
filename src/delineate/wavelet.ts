/**
 * The à trous dyadic wavelet transform with the quadratic-spline wavelet of
 * Mallat & Zhong (1992), as used by Martínez et al. (2004) for ECG
 * delineation. Scale 2^k behaves like the derivative of the signal smoothed
 * over about 2^k samples: QRS slopes show at 2^1..2^3, P and T at 2^4..2^5
 * (at 250 Hz). Extrema of the signal are zero crossings of the transform,
 * wave boundaries sit where its modulus fades.
 */

/** Low-pass h = 1/8 [1, 3, 3, 1] and high-pass g = 2 [1, -1], upsampled by 2^(k-1) at level k. */
const H = [1 / 8, 3 / 8, 3 / 8, 1 / 8] as const;
const G = [2, -2] as const;

/**
 * Transform of one lead at scales 2^1..2^levels. Result `w[k-1]` is scale
 * 2^k, same length as `x`, delay-compensated so that `w[k-1][n]` is the
 * smoothed slope between samples n and n+1 (the filters' delay 2^k - 1.5
 * samples is removed up to that half sample). Edges are extended by
 * reflection so the ends carry no artificial step.
 */
export function waveletTransform(x: ArrayLike<number>, levels: number): Float64Array[] {
  const n = x.length;
  const out: Float64Array[] = [];
  if (n === 0) {
    for (let k = 0; k < levels; k++) out.push(new Float64Array(0));
    return out;
  }
  // Work on a padded copy; the pad covers every filter's reach (sum of 3*2^(k-1)+2^(k-1)).
  const pad = Math.min(4 << levels, 1 << 20);
  const len = n + 2 * pad;
  let a = new Float64Array(len);
  for (let i = 0; i < len; i++) a[i] = x[reflect(i - pad, n)]!;
  for (let k = 1; k <= levels; k++) {
    const s = 1 << (k - 1);
    // Causal filters; index shift removes the delay below.
    const w = new Float64Array(n);
    const delay = (1 << k) - 1; // total causal delay 2^k - 1.5, rounded up
    for (let i = 0; i < n; i++) {
      const m = i + pad + delay;
      const m1 = m - s;
      w[i] = G[0] * at(a, m) + G[1] * at(a, m1);
    }
    // Smooth for the next level: a_k[m] = sum_j h[j] a_{k-1}[m - j s]. Causal delay 1.5 s per level
    // is kept in the running signal; the `delay` above accounts for the accumulated part.
    const next = new Float64Array(len);
    for (let m = 0; m < len; m++) next[m] = H[0] * at(a, m) + H[1] * at(a, m - s) + H[2] * at(a, m - 2 * s) + H[3] * at(a, m - 3 * s);
    a = next;
    out.push(w);
  }
  return out;
}

function at(a: Float64Array, i: number): number {
  return a[i < 0 ? 0 : i >= a.length ? a.length - 1 : i]!;
}

/** Index reflected into [0, n) (whole-sample symmetric extension). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}
