/**
 * Gaussian mixture with diagonal covariances, fitted by EM.
 *
 * - Init: k-means (k-means++, one restart, same seed) gives hard labels, from
 *   which the weights, means and variances of the first M-step are computed.
 * - E-step in the log domain (log-sum-exp), so far-away points do not underflow.
 * - M-step with a variance floor: each variance is max(ML estimate, floor).
 *   Because the per-coordinate likelihood is unimodal in the variance, this is
 *   the exact constrained maximiser, and the log-likelihood never decreases
 *   over iterations (logLikHistory records it; the tests check it).
 * - Stops when the mean log-likelihood per point improves by less than tol.
 * - nInit restarts with different seeds; the highest log-likelihood wins.
 *
 * BIC = -2 log L + p ln n, p = 2 k d + k - 1 free parameters (lower is better).
 * soft() returns the responsibilities, which serve as gamma in TLC.
 */
import { FormatError, OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { KMeans } from './kmeans.js';
import { checkInt, checkNumber, checkPoints, JsonReader, toNumbers, type Points } from './points.js';
import { softmaxRowsInPlace, type SoftClusterer } from './soft.js';

export interface GmmOptions {
  k: number;
  /** EM iterations at most (default 200). */
  maxIter?: number;
  /** Stop when the mean log-likelihood per point improves by less than this (default 1e-6). */
  tol?: number;
  /** Lowest variance of any coordinate, in squared data units (default 1e-6; data are standardised first). */
  varianceFloor?: number;
  /** Restarts (default 1). */
  nInit?: number;
  seed?: number;
}

export interface GmmState {
  kind: 'tlc-gmm';
  k: number;
  d: number;
  weights: number[];
  /** Row-major [k, d]. */
  means: number[];
  /** Row-major [k, d]. */
  variances: number[];
  /** Mean log-likelihood per fitting point after each EM iteration (first: at the k-means init). */
  logLikHistory: number[];
  converged: boolean;
  nFit: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

export class GaussianMixture {
  readonly options: Required<GmmOptions>;
  constructor(options: GmmOptions) {
    this.options = {
      k: checkInt('k', options.k, 1),
      maxIter: checkInt('maxIter', options.maxIter ?? 200, 1),
      tol: checkNumber('tol', options.tol ?? 1e-6, 0, Infinity, true),
      varianceFloor: checkNumber('varianceFloor', options.varianceFloor ?? 1e-6, 0),
      nInit: checkInt('nInit', options.nInit ?? 1, 1),
      seed: checkInt('seed', options.seed ?? 0, -(2 ** 31), 2 ** 32 - 1),
    };
  }

  fit(x: Points): FittedGmm {
    const { k } = this.options;
    if (x.n < k) throw new OptionError('k', `expected at most as many components as points (${x.n}), got ${k}`);
    checkPoints(x, 'points');
    const rng = new Rng(this.options.seed);
    let best: FittedGmm | undefined;
    for (let r = 0; r < this.options.nInit; r++) {
      const fit = this.fitOnce(x, rng.nextU32());
      if (!best || fit.logLikHistory.at(-1)! > best.logLikHistory.at(-1)!) best = fit;
    }
    return best!;
  }

  private fitOnce(x: Points, seed: number): FittedGmm {
    const { k, maxIter, tol, varianceFloor } = this.options;
    const { n, d } = x;
    const labels = new KMeans({ k, nInit: 1, seed }).fit(x).predict(x);
    const resp = new Float64Array(n * k);
    for (let i = 0; i < n; i++) resp[i * k + labels[i]!] = 1;
    const weights = new Float64Array(k), means = new Float64Array(k * d), variances = new Float64Array(k * d);
    mStep(x, resp, k, varianceFloor, weights, means, variances);
    const history: number[] = [];
    let converged = false;
    for (let it = 0; it < maxIter; it++) {
      logJoint(x, weights, means, variances, k, resp);
      const logZ = softmaxRowsInPlace(resp, n, k);
      let total = 0;
      for (let i = 0; i < n; i++) total += logZ[i]!;
      history.push(total / n);
      if (history.length > 1 && history.at(-1)! - history.at(-2)! < tol) {
        converged = true;
        break;
      }
      if (it === maxIter - 1) break;
      mStep(x, resp, k, varianceFloor, weights, means, variances);
    }
    return new FittedGmm(k, d, weights, means, variances, history, converged, n);
  }
}

/** Weighted ML estimates from responsibilities [n, k]; a component with no weight keeps its parameters. */
function mStep(x: Points, resp: Float64Array, k: number, floor: number, weights: Float64Array, means: Float64Array, variances: Float64Array): void {
  const { n, d } = x;
  const nk = new Float64Array(k), sum = new Float64Array(k * d), sum2 = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c]!;
      if (r === 0) continue;
      nk[c]! += r;
      for (let j = 0; j < d; j++) sum[c * d + j]! += r * x.data[i * d + j]!;
    }
  }
  for (let c = 0; c < k; c++) {
    weights[c] = nk[c]! / n;
    if (nk[c]! <= 1e-12 * n) continue;
    for (let j = 0; j < d; j++) means[c * d + j] = sum[c * d + j]! / nk[c]!;
  }
  // Second pass around the new means (numerically safer than E[x^2] - E[x]^2).
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c]!;
      if (r === 0) continue;
      for (let j = 0; j < d; j++) {
        const t = x.data[i * d + j]! - means[c * d + j]!;
        sum2[c * d + j]! += r * t * t;
      }
    }
  }
  for (let c = 0; c < k; c++) {
    if (nk[c]! <= 1e-12 * n) continue;
    for (let j = 0; j < d; j++) variances[c * d + j] = Math.max(floor, sum2[c * d + j]! / nk[c]!);
  }
}

/** log w_c + log N(x_i; mu_c, diag v_c) into out [n, k]. */
function logJoint(x: Points, weights: Float64Array, means: Float64Array, variances: Float64Array, k: number, out: Float64Array): Float64Array {
  const { n, d } = x;
  const constant = new Float64Array(k);
  const inv = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    let s = Math.log(weights[c]!) - 0.5 * d * LOG_2PI;
    for (let j = 0; j < d; j++) {
      s -= 0.5 * Math.log(variances[c * d + j]!);
      inv[c * d + j] = 1 / variances[c * d + j]!;
    }
    constant[c] = s;
  }
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let q = 0;
      for (let j = 0; j < d; j++) {
        const t = x.data[i * d + j]! - means[c * d + j]!;
        q += t * t * inv[c * d + j]!;
      }
      out[i * k + c] = constant[c]! - 0.5 * q;
    }
  }
  return out;
}

export class FittedGmm implements SoftClusterer {
  constructor(
    readonly k: number,
    readonly d: number,
    readonly weights: Float64Array,
    /** Row-major [k, d]. */
    readonly means: Float64Array,
    /** Row-major [k, d]. */
    readonly variances: Float64Array,
    /** Mean log-likelihood per fitting point, per EM iteration. */
    readonly logLikHistory: number[],
    readonly converged: boolean,
    /** Number of fitting points. */
    readonly nFit: number,
  ) {}

  private check(x: Points): void {
    if (x.d !== this.d) throw new OptionError('points', `expected dimension ${this.d} (as fitted), got ${x.d}`);
  }

  /** Responsibilities [n, k] (gamma). */
  soft(x: Points): Points {
    this.check(x);
    const out = logJoint(x, this.weights, this.means, this.variances, this.k, new Float64Array(x.n * this.k));
    softmaxRowsInPlace(out, x.n, this.k);
    return { data: out, n: x.n, d: this.k };
  }

  predict(x: Points): Int32Array {
    this.check(x);
    const lj = logJoint(x, this.weights, this.means, this.variances, this.k, new Float64Array(x.n * this.k));
    const out = new Int32Array(x.n);
    for (let i = 0; i < x.n; i++) {
      let b = 0;
      for (let c = 1; c < this.k; c++) if (lj[i * this.k + c]! > lj[i * this.k + b]!) b = c;
      out[i] = b;
    }
    return out;
  }

  /** Log-density of each point under the mixture. */
  scoreSamples(x: Points): Float64Array {
    this.check(x);
    const lj = logJoint(x, this.weights, this.means, this.variances, this.k, new Float64Array(x.n * this.k));
    return softmaxRowsInPlace(lj, x.n, this.k);
  }

  /** Total log-likelihood of x. */
  logLikelihood(x: Points): number {
    let s = 0;
    for (const v of this.scoreSamples(x)) s += v;
    return s;
  }

  /** Number of free parameters: 2 k d + k - 1. */
  get nParameters(): number {
    return 2 * this.k * this.d + this.k - 1;
  }

  /** Bayesian information criterion on x (lower is better). */
  bic(x: Points): number {
    return -2 * this.logLikelihood(x) + this.nParameters * Math.log(x.n);
  }

  toJSON(): GmmState {
    return {
      kind: 'tlc-gmm', k: this.k, d: this.d, weights: toNumbers(this.weights), means: toNumbers(this.means),
      variances: toNumbers(this.variances), logLikHistory: this.logLikHistory.slice(), converged: this.converged, nFit: this.nFit,
    };
  }

  static fromJSON(json: unknown, source = 'gmm state'): FittedGmm {
    const r = JsonReader.of(json, source, 'tlc-gmm');
    const k = r.int('k', 1), d = r.int('d', 1);
    const variances = r.numbers('variances', k * d);
    for (let i = 0; i < variances.length; i++) {
      if (!(variances[i]! > 0)) throw new FormatError(source, `expected variances > 0, got ${variances[i]}`, { field: `variances[${i}]` });
    }
    return new FittedGmm(k, d, r.numbers('weights', k), r.numbers('means', k * d), variances,
      Array.from(r.numbers('logLikHistory')), r.bool('converged'), r.int('nFit'));
  }
}
