/**
 * The temperature of k-means' soft assignments, chosen on held-out data.
 *
 * k-means is the small-variance limit of a mixture of K spherical Gaussians
 * with equal weights and one shared variance s (in the standardised space the
 * centres live in). Its posterior is exactly gamma_k(x) = softmax_k(-|x -
 * mu_k|^2 / tau) with tau = 2 s, so choosing tau is choosing s. We take the s
 * that maximises the log-likelihood of timestamp vectors the centres were not
 * fitted on:
 *
 *   l(s) = mean_i log sum_k exp(-D_ik / (2 s)) - log K - (d / 2) log(2 pi s)
 *
 * With the centres fixed, EM on s alone is the fixed point
 *   s <- sum_i sum_k gamma_ik(s) D_ik / (n d),
 * which never lowers l (EM) and converges in a few steps. It starts from the
 * hard-assignment estimate s0 = mean_i min_k D_ik / d.
 *
 * Why not the previous rule (tau = inertia / n, the mean squared distance to
 * the nearest centre)? That tau is d/2 times the mixture's own (2 s0), so in a
 * 64-channel block gamma is ~32x flatter than the model the centres imply:
 * entropy sat at 0.7-0.8 almost everywhere and carried little information.
 */
import { OptionError } from '../../util/errors.js';
import type { FittedKMeans } from './kmeans.js';
import type { Points } from './points.js';

export interface HeldOutTemperature {
  /** Softmax temperature tau = 2 s. */
  tau: number;
  /** The shared variance s per dimension. */
  variance: number;
  /** Mean held-out log-likelihood per point at s (nats). */
  logLik: number;
  /** The hard-assignment start s0 = inertia / (n d) on the held-out points. */
  hardVariance: number;
  iterations: number;
}

/** Mean held-out log-likelihood of the equal-weight spherical mixture with variance s, given squared distances D [n, k]. */
export function mixtureLogLik(d2: Points, dims: number, s: number): number {
  if (!(s > 0)) throw new OptionError('variance', `expected a variance > 0, got ${s}`);
  const { n, d: k } = d2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, -d2.data[o + c]! / (2 * s));
    let z = 0;
    for (let c = 0; c < k; c++) z += Math.exp(-d2.data[o + c]! / (2 * s) - m);
    sum += m + Math.log(z);
  }
  return sum / n - Math.log(k) - (dims / 2) * Math.log(2 * Math.PI * s);
}

/**
 * The temperature that maximises the held-out likelihood of `heldOut` (points
 * in the clusterer's space: standardised, and projected when PCA was used)
 * under the k-means mixture (see the module comment).
 */
export function heldOutTemperature(km: FittedKMeans, heldOut: Points, opts: { maxIter?: number; tol?: number } = {}): HeldOutTemperature {
  if (heldOut.n < 1) throw new OptionError('heldOut', 'expected at least one held-out point');
  const d2 = km.sqDistances(heldOut);
  const { n, d: k } = d2;
  const dims = km.d;
  let hard = 0;
  for (let i = 0; i < n; i++) {
    let m = Infinity;
    for (let c = 0; c < k; c++) m = Math.min(m, d2.data[i * k + c]!);
    hard += m;
  }
  const s0 = Math.max(hard / (n * dims), 1e-12);
  let s = s0, it = 0;
  const maxIter = opts.maxIter ?? 200, tol = opts.tol ?? 1e-7;
  const g = new Float64Array(k);
  for (; it < maxIter; it++) {
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let m = -Infinity;
      for (let c = 0; c < k; c++) {
        g[c] = -d2.data[o + c]! / (2 * s);
        if (g[c]! > m) m = g[c]!;
      }
      let z = 0;
      for (let c = 0; c < k; c++) z += (g[c] = Math.exp(g[c]! - m));
      for (let c = 0; c < k; c++) acc += (g[c]! / z) * d2.data[o + c]!;
    }
    const next = Math.max(acc / (n * dims), 1e-12);
    const done = Math.abs(next - s) <= tol * s;
    s = next;
    if (done) {
      it++;
      break;
    }
  }
  return { tau: 2 * s, variance: s, logLik: mixtureLogLik(d2, dims, s), hardVariance: s0, iterations: it };
}
