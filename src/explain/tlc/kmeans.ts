/**
 * k-means clustering, seeded.
 *
 * - init 'k-means++' (Arthur & Vassilvitskii 2007, greedy variant: at each step
 *   2 + ln k candidates are drawn by D^2 sampling and the one that lowers the
 *   potential most is kept, as in scikit-learn) or 'random' (k distinct points).
 * - algorithm 'lloyd': full batch iterations until the squared shift of the
 *   centres is at most tol * (mean coordinate variance of the data), or maxIter.
 *   An empty cluster takes the point farthest from its centre.
 * - algorithm 'minibatch' (Sculley 2010, "Web-scale k-means clustering"): as
 *   in scikit-learn's MiniBatchKMeans, each of the nInit inits runs on its own
 *   seeded sample of 3 * batchSize points and is scored on one held-out sample
 *   of that size; only the best init is iterated. Each step draws a batch
 *   (with replacement), and moves each point's nearest centre towards it with
 *   rate 1 / (points seen by that centre). Stops after maxIter passes over the
 *   data, or when the smoothed batch inertia has not improved for 10 steps.
 *   The smoothing window is half an epoch (scikit-learn) but at most 100 steps:
 *   the noise being averaged is the batch's, not the data set's, and a window
 *   of half of 1e6 points kept a converged fit running for thousands of steps.
 * - lloyd: nInit full restarts; the lowest inertia on all points wins.
 * - Distances use |x|^2 - 2 x.c + |c|^2 with the centres' norms computed once
 *   per update, four centres per pass over a point (one read of x for four
 *   dot products). One final pass over all points gives inertia and sizes.
 *
 * Soft assignments: gamma_k(x) = softmax_k(-|x - mu_k|^2 / tau). Unless set,
 * the temperature is fitted as tau = inertia / n, the mean squared distance of
 * the fitting points to their nearest centre: a typical within-cluster squared
 * distance, so a point at a typical distance from its centre and a much larger
 * distance from the others gets an almost one-hot gamma, and a point half-way
 * between two centres gets gamma near (1/2, 1/2).
 */
import { FormatError, OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { checkInt, checkNumber, checkPoints, JsonReader, selectRows, sqDist, toNumbers, type Points } from './points.js';
import { softmaxRowsInPlace, type SoftClusterer } from './soft.js';

export interface KMeansOptions {
  k: number;
  init?: 'k-means++' | 'random';
  /** Restarts (default 4): full runs for Lloyd, inits scored on a held-out sample for mini-batch. */
  nInit?: number;
  /** Lloyd iterations, or passes over the data for mini-batch (default 300 / 100). */
  maxIter?: number;
  /** Lloyd's convergence tolerance on the squared centre shift, relative to the mean coordinate variance (default 1e-4). */
  tol?: number;
  algorithm?: 'lloyd' | 'minibatch';
  /** Points per mini-batch step (default 1024). */
  batchSize?: number;
  /** Softmax temperature tau for soft(); default: fitted, inertia / n. */
  temperature?: number;
  seed?: number;
}

export interface KMeansState {
  kind: 'tlc-kmeans';
  k: number;
  d: number;
  /** Row-major [k, d]. */
  centers: number[];
  /** Sum of squared distances of the fitting points to their nearest centre. */
  inertia: number;
  /** Points per cluster on the fitting data. */
  sizes: number[];
  temperature: number;
  nIter: number;
}

export class KMeans {
  readonly options: Required<Omit<KMeansOptions, 'temperature'>> & { temperature: number | undefined };
  constructor(options: KMeansOptions) {
    const algorithm = options.algorithm ?? 'lloyd';
    if (algorithm !== 'lloyd' && algorithm !== 'minibatch') throw new OptionError('algorithm', `expected 'lloyd' or 'minibatch', got ${String(algorithm)}`);
    const init = options.init ?? 'k-means++';
    if (init !== 'k-means++' && init !== 'random') throw new OptionError('init', `expected 'k-means++' or 'random', got ${String(init)}`);
    this.options = {
      k: checkInt('k', options.k, 1),
      init,
      nInit: checkInt('nInit', options.nInit ?? 4, 1),
      maxIter: checkInt('maxIter', options.maxIter ?? (algorithm === 'lloyd' ? 300 : 100), 1),
      tol: checkNumber('tol', options.tol ?? 1e-4, 0, Infinity, true),
      algorithm,
      batchSize: checkInt('batchSize', options.batchSize ?? 1024, 1),
      temperature: options.temperature === undefined ? undefined : checkNumber('temperature', options.temperature, 0),
      seed: checkInt('seed', options.seed ?? 0, -(2 ** 31), 2 ** 32 - 1),
    };
  }

  fit(x: Points): FittedKMeans {
    const { k } = this.options;
    if (x.n < k) throw new OptionError('k', `expected at most as many clusters as points (${x.n}), got ${k}`);
    checkPoints(x, 'points');
    const rng = new Rng(this.options.seed);
    let centers: Float64Array, nIter: number;
    if (this.options.algorithm === 'lloyd') {
      const tolAbs = this.options.tol * meanVariance(x);
      let best: { centers: Float64Array; inertia: number; nIter: number } | undefined;
      for (let r = 0; r < this.options.nInit; r++) {
        const fit = this.lloyd(x, rng.fork(), tolAbs);
        if (!best || fit.inertia < best.inertia) best = fit;
      }
      ({ centers, nIter } = best!);
    } else {
      ({ centers, nIter } = this.minibatch(x, rng));
    }
    const labels = new Int32Array(x.n);
    const inertia = assign(x, centers, k, labels, null);
    const sizes = new Float64Array(k);
    for (const l of labels) sizes[l]! += 1;
    const temperature = this.options.temperature ?? Math.max(inertia / x.n, 1e-12);
    return new FittedKMeans(centers, k, x.d, inertia, sizes, temperature, nIter);
  }

  private init(x: Points, rng: Rng): Float64Array {
    return this.options.init === 'k-means++' ? kmeansPlusPlus(x, this.options.k, rng) : randomInit(x, this.options.k, rng);
  }

  private lloyd(x: Points, rng: Rng, tolAbs: number): { centers: Float64Array; inertia: number; nIter: number } {
    const { k, maxIter } = this.options;
    const { n, d } = x;
    const centers = this.init(x, rng);
    const labels = new Int32Array(n), dist = new Float64Array(n);
    const sums = new Float64Array(k * d), counts = new Float64Array(k);
    let nIter = 0;
    for (let it = 0; it < maxIter; it++) {
      nIter = it + 1;
      assign(x, centers, k, labels, dist);
      sums.fill(0);
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        const c = labels[i]!;
        counts[c]! += 1;
        const o = i * d, oc = c * d;
        for (let j = 0; j < d; j++) sums[oc + j]! += x.data[o + j]!;
      }
      fillEmptyClusters(x, labels, sums, counts, dist, k);
      let shift = 0;
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < d; j++) {
          const v = sums[c * d + j]! / counts[c]!;
          const t = v - centers[c * d + j]!;
          shift += t * t;
          centers[c * d + j] = v;
        }
      }
      if (shift <= tolAbs) break;
    }
    const inertia = assign(x, centers, k, labels, null);
    return { centers, inertia, nIter };
  }

  private minibatch(x: Points, rng: Rng): { centers: Float64Array; nIter: number } {
    const { k, maxIter } = this.options;
    const { n, d } = x;
    const b = Math.min(this.options.batchSize, n);
    const initSize = Math.min(n, Math.max(k, 3 * b));
    const sample = (): Points => (initSize === n ? x : selectRows(x, Int32Array.from({ length: initSize }, () => rng.int(n))));
    const validation = sample();
    let centers: Float64Array | undefined, bestScore = Infinity;
    for (let r = 0; r < this.options.nInit; r++) {
      const c = this.init(sample(), rng);
      const score = assign(validation, c, k, null, null);
      if (score < bestScore) {
        bestScore = score;
        centers = c;
      }
    }
    const mu = centers!;
    const norms = rowNorms(mu, k, d);
    const seen = new Float64Array(k), dots = new Float64Array(k);
    const batch = new Int32Array(b), blabels = new Int32Array(b);
    const steps = Math.ceil((maxIter * n) / b);
    let ewa = Infinity, bestEwa = Infinity, noImprove = 0, nIter = 0;
    const alpha = Math.min(1, Math.max((2 * b) / (n + 1), 2 / 101));
    for (let s = 0; s < steps; s++) {
      nIter = s + 1;
      let batchInertia = 0;
      for (let r = 0; r < b; r++) {
        const i = rng.int(n);
        batch[r] = i;
        centerDots(x.data, i * d, d, mu, k, dots);
        let bestC = 0, bestD = Infinity;
        for (let c = 0; c < k; c++) {
          const dd = norms[c]! - 2 * dots[c]!;
          if (dd < bestD) {
            bestD = dd;
            bestC = c;
          }
        }
        blabels[r] = bestC;
        batchInertia += Math.max(0, sqNorm(x.data, i * d, d) + bestD);
      }
      for (let r = 0; r < b; r++) {
        const o = batch[r]! * d, c = blabels[r]!, oc = c * d;
        seen[c]! += 1;
        const lr = 1 / seen[c]!;
        for (let j = 0; j < d; j++) mu[oc + j]! += lr * (x.data[o + j]! - mu[oc + j]!);
      }
      rowNorms(mu, k, d, norms);
      // Early stopping on the smoothed inertia per point, as scikit-learn does.
      const perPoint = batchInertia / b;
      ewa = ewa === Infinity ? perPoint : ewa * (1 - alpha) + perPoint * alpha;
      if (ewa < bestEwa) {
        bestEwa = ewa;
        noImprove = 0;
      } else if (++noImprove >= 10) break;
    }
    return { centers: mu, nIter };
  }
}

export class FittedKMeans implements SoftClusterer {
  constructor(
    /** Row-major [k, d]. */
    readonly centers: Float64Array,
    readonly k: number,
    readonly d: number,
    readonly inertia: number,
    readonly sizes: Float64Array,
    readonly temperature: number,
    readonly nIter: number,
  ) {}

  predict(x: Points): Int32Array {
    this.check(x);
    const labels = new Int32Array(x.n);
    assign(x, this.centers, this.k, labels, null);
    return labels;
  }

  /** Squared distances to every centre, [n, k]. */
  sqDistances(x: Points): Points {
    this.check(x);
    const { k, d } = this;
    const out = new Float64Array(x.n * k), dots = new Float64Array(k);
    const norms = this.norms();
    for (let i = 0; i < x.n; i++) {
      centerDots(x.data, i * d, d, this.centers, k, dots);
      const xx = sqNorm(x.data, i * d, d);
      for (let c = 0; c < k; c++) out[i * k + c] = Math.max(0, xx - 2 * dots[c]! + norms[c]!);
    }
    return { data: out, n: x.n, d: k };
  }

  /** Sum of squared distances to the nearest centre. */
  score(x: Points): number {
    this.check(x);
    return assign(x, this.centers, this.k, null, null);
  }

  private centerNorms: Float64Array | undefined;
  /** Squared norms of the centres (computed once). */
  norms(): Float64Array {
    return (this.centerNorms ??= rowNorms(this.centers, this.k, this.d));
  }

  /** gamma = softmax(-d^2 / tau), [n, k]. */
  soft(x: Points): Points {
    const d2 = this.sqDistances(x);
    for (let i = 0; i < d2.data.length; i++) d2.data[i] = -d2.data[i]! / this.temperature;
    softmaxRowsInPlace(d2.data as Float64Array, x.n, this.k);
    return d2;
  }

  /** The same centres with another temperature. */
  withTemperature(tau: number): FittedKMeans {
    return new FittedKMeans(this.centers, this.k, this.d, this.inertia, this.sizes, checkNumber('temperature', tau, 0), this.nIter);
  }

  private check(x: Points): void {
    if (x.d !== this.d) throw new OptionError('points', `expected dimension ${this.d} (as fitted), got ${x.d}`);
  }

  toJSON(): KMeansState {
    return {
      kind: 'tlc-kmeans', k: this.k, d: this.d, centers: toNumbers(this.centers), inertia: this.inertia,
      sizes: toNumbers(this.sizes), temperature: this.temperature, nIter: this.nIter,
    };
  }

  static fromJSON(json: unknown, source = 'k-means state'): FittedKMeans {
    const r = JsonReader.of(json, source, 'tlc-kmeans');
    const k = r.int('k', 1), d = r.int('d', 1);
    const temperature = r.number('temperature');
    if (!(temperature > 0)) throw new FormatError(source, `expected a temperature > 0, got ${temperature}`, { field: 'temperature' });
    return new FittedKMeans(r.numbers('centers', k * d), k, d, r.number('inertia'), r.numbers('sizes', k), temperature, r.int('nIter'));
  }
}

/**
 * Dot products of point x[o .. o + d) with the k centres (row-major [k, d])
 * into `out`. Four centres share each read of x.
 */
export function centerDots(x: Float32Array | Float64Array, o: number, d: number, centers: Float64Array, k: number, out: Float64Array): void {
  let c = 0;
  for (; c + 4 <= k; c += 4) {
    const b0 = c * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < d; j++) {
      const v = x[o + j]!;
      s0 += v * centers[b0 + j]!;
      s1 += v * centers[b1 + j]!;
      s2 += v * centers[b2 + j]!;
      s3 += v * centers[b3 + j]!;
    }
    out[c] = s0;
    out[c + 1] = s1;
    out[c + 2] = s2;
    out[c + 3] = s3;
  }
  for (; c < k; c++) {
    const b0 = c * d;
    let s0 = 0;
    for (let j = 0; j < d; j++) s0 += x[o + j]! * centers[b0 + j]!;
    out[c] = s0;
  }
}

/** |x[o .. o + d)|^2. */
export function sqNorm(x: Float32Array | Float64Array, o: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += x[o + j]! * x[o + j]!;
  return s;
}

/** Squared norms of the k rows of `m` [k, d] (into `out` when given). */
export function rowNorms(m: Float64Array, k: number, d: number, out: Float64Array = new Float64Array(k)): Float64Array {
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += m[c * d + j]! * m[c * d + j]!;
    out[c] = s;
  }
  return out;
}

/** Nearest centre of every point (labels, squared distance, when given); returns the inertia. */
function assign(x: Points, centers: Float64Array, k: number, labels: Int32Array | null, dist: Float64Array | null): number {
  const { n, d } = x;
  const norms = rowNorms(centers, k, d), dots = new Float64Array(k);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    centerDots(x.data, i * d, d, centers, k, dots);
    let bestC = 0, bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const dd = norms[c]! - 2 * dots[c]!;
      if (dd < bestD) {
        bestD = dd;
        bestC = c;
      }
    }
    const dd = Math.max(0, sqNorm(x.data, i * d, d) + bestD);
    if (labels) labels[i] = bestC;
    if (dist) dist[i] = dd;
    inertia += dd;
  }
  return inertia;
}

/** An empty cluster takes the point farthest from its centre (that point leaves its old cluster). */
function fillEmptyClusters(x: Points, labels: Int32Array, sums: Float64Array, counts: Float64Array, dist: Float64Array, k: number): void {
  const d = x.d;
  for (let c = 0; c < k; c++) {
    if (counts[c]! > 0) continue;
    let far = -1;
    for (let i = 0; i < x.n; i++) if (counts[labels[i]!]! > 1 && (far < 0 || dist[i]! > dist[far]!)) far = i;
    if (far < 0) break;
    const donor = labels[far]!;
    for (let j = 0; j < d; j++) {
      const v = x.data[far * d + j]!;
      sums[donor * d + j]! -= v;
      sums[c * d + j] = v;
    }
    counts[donor]! -= 1;
    counts[c] = 1;
    labels[far] = c;
    dist[far] = 0;
  }
}

function meanVariance(x: Points): number {
  const { n, d } = x;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x.data[i * d + j]!;
      s += v;
      s2 += v * v;
    }
    const m = s / n;
    total += Math.max(0, s2 / n - m * m);
  }
  return total / d;
}

function randomInit(x: Points, k: number, rng: Rng): Float64Array {
  const idx = Array.from({ length: x.n }, (_, i) => i);
  for (let c = 0; c < k; c++) {
    const j = c + rng.int(x.n - c);
    [idx[c], idx[j]] = [idx[j]!, idx[c]!];
  }
  return copyRows(x, idx.slice(0, k));
}

/** Greedy k-means++ seeding. */
export function kmeansPlusPlus(x: Points, k: number, rng: Rng): Float64Array {
  const { n, d } = x;
  const chosen: number[] = [rng.int(n)];
  const closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = sqDist(x.data, i, x.data, chosen[0]!, d);
  const trials = 2 + Math.floor(Math.log(k));
  const cand = new Float64Array(n);
  let bestCand = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let potential = 0;
    for (let i = 0; i < n; i++) potential += closest[i]!;
    let bestIdx = -1, bestPot = Infinity;
    for (let t = 0; t < trials; t++) {
      const idx = potential > 0 ? drawProportional(closest, potential, rng) : rng.int(n);
      let pot = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(closest[i]!, sqDist(x.data, i, x.data, idx, d));
        cand[i] = v;
        pot += v;
      }
      if (pot < bestPot) {
        bestPot = pot;
        bestIdx = idx;
        bestCand = Float64Array.from(cand);
      }
    }
    chosen.push(bestIdx);
    closest.set(bestCand);
  }
  return copyRows(x, chosen);
}

function drawProportional(w: Float64Array, total: number, rng: Rng): number {
  let u = rng.uniform() * total;
  for (let i = 0; i < w.length; i++) {
    u -= w[i]!;
    if (u < 0) return i;
  }
  for (let i = w.length - 1; i >= 0; i--) if (w[i]! > 0) return i;
  return w.length - 1;
}

function copyRows(x: Points, idx: number[]): Float64Array {
  const out = new Float64Array(idx.length * x.d);
  idx.forEach((i, r) => {
    for (let j = 0; j < x.d; j++) out[r * x.d + j] = x.data[i * x.d + j]!;
  });
  return out;
}
