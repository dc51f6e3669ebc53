/**
 * Principal component analysis: eigen-decomposition of the sample covariance
 * (denominator n - 1) of the fitting data. Components are sorted by decreasing
 * variance; each axis's sign is fixed so that its largest-magnitude coordinate
 * is positive, which makes the result deterministic.
 *
 * Cost: O(n d^2) for the covariance plus O(d^3) for the eigen-decomposition
 * (ml-matrix's Householder + QL), about a second for n = 20k, d = 256; fit on
 * a sample of timestamps (sampleColumns) rather than on every one.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { OptionError } from '../../util/errors.js';
import { checkInt, checkNumber, checkPoints, JsonReader, toNumbers, type Points } from './points.js';

export interface PcaOptions {
  /** Components to keep; default: all, or as many as `varianceToKeep` needs. */
  nComponents?: number;
  /** Keep the fewest components whose explained variance ratio sums to at least this (0, 1]. */
  varianceToKeep?: number;
  /** Divide the projections by the square root of their variance (default false). */
  whiten?: boolean;
}

export interface PcaState {
  kind: 'tlc-pca';
  mean: number[];
  /** Kept axes, row-major [nComponents, d], unit length. */
  components: number[];
  nComponents: number;
  /** Variance along each kept axis. */
  explainedVariance: number[];
  /** explainedVariance / totalVariance. */
  explainedVarianceRatio: number[];
  /** Trace of the covariance: the sum of all d eigenvalues. */
  totalVariance: number;
  whiten: boolean;
}

export class Pca {
  readonly options: PcaOptions;
  constructor(options: PcaOptions = {}) {
    if (options.nComponents !== undefined) checkInt('nComponents', options.nComponents, 1);
    if (options.varianceToKeep !== undefined) checkNumber('varianceToKeep', options.varianceToKeep, 0, 1);
    if (options.nComponents !== undefined && options.varianceToKeep !== undefined) {
      throw new OptionError('nComponents', 'give either nComponents or varianceToKeep, not both');
    }
    this.options = { ...options };
  }

  fit(x: Points): FittedPca {
    const { n, d } = x;
    if (n < 2) throw new OptionError('points', `expected at least 2 points to fit PCA, got ${n}`);
    checkPoints(x, 'points');
    if (this.options.nComponents !== undefined && this.options.nComponents > d) {
      throw new OptionError('nComponents', `expected at most ${d} (the dimension), got ${this.options.nComponents}`);
    }
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x.data[i * d + j]!;
    for (let j = 0; j < d; j++) mean[j]! /= n;
    const cov = new Float64Array(d * d);
    const v = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) v[j] = x.data[i * d + j]! - mean[j]!;
      for (let a = 0; a < d; a++) {
        const va = v[a]!;
        if (va === 0) continue;
        const row = a * d;
        for (let b = a; b < d; b++) cov[row + b]! += va * v[b]!;
      }
    }
    const m = new Matrix(d, d);
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        const c = cov[a * d + b]! / (n - 1);
        m.set(a, b, c);
        m.set(b, a, c);
      }
    }
    const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
    const values = eig.realEigenvalues;
    const vectors = eig.eigenvectorMatrix;
    const order = values.map((_, i) => i).sort((p, q) => values[q]! - values[p]!);
    let total = 0;
    for (let a = 0; a < d; a++) total += m.get(a, a);
    let k = this.options.nComponents ?? d;
    if (this.options.varianceToKeep !== undefined) {
      let acc = 0;
      k = d;
      for (let i = 0; i < d; i++) {
        acc += Math.max(0, values[order[i]!]!);
        if (acc >= this.options.varianceToKeep * total - 1e-12 * total) {
          k = i + 1;
          break;
        }
      }
    }
    const components = new Float64Array(k * d);
    const explained = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const col = order[c]!;
      let big = 0;
      for (let j = 0; j < d; j++) if (Math.abs(vectors.get(j, col)) > Math.abs(big)) big = vectors.get(j, col);
      const sign = big < 0 ? -1 : 1;
      for (let j = 0; j < d; j++) components[c * d + j] = sign * vectors.get(j, col);
      explained[c] = Math.max(0, values[col]!);
    }
    const ratio = explained.map((e) => (total > 0 ? e / total : 0));
    return new FittedPca(mean, components, k, explained, ratio, total, this.options.whiten ?? false);
  }
}

export class FittedPca {
  constructor(
    readonly mean: Float64Array,
    readonly components: Float64Array,
    readonly nComponents: number,
    readonly explainedVariance: Float64Array,
    readonly explainedVarianceRatio: Float64Array,
    readonly totalVariance: number,
    readonly whiten: boolean,
  ) {}

  get d(): number {
    return this.mean.length;
  }

  /** Projections on the kept axes: [n, nComponents]. */
  transform(x: Points): Points {
    const d = this.d, k = this.nComponents;
    if (x.d !== d) throw new OptionError('points', `expected dimension ${d} (as fitted), got ${x.d}`);
    const out = new Float64Array(x.n * k);
    const v = new Float64Array(d);
    for (let i = 0; i < x.n; i++) {
      for (let j = 0; j < d; j++) v[j] = x.data[i * d + j]! - this.mean[j]!;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += v[j]! * this.components[c * d + j]!;
        out[i * k + c] = this.whiten ? s / Math.sqrt(Math.max(this.explainedVariance[c]!, 1e-300)) : s;
      }
    }
    return { data: out, n: x.n, d: k };
  }

  /** Back to the original space from projections: [n, d]. */
  inverseTransform(z: Points): Points {
    const d = this.d, k = this.nComponents;
    if (z.d !== k) throw new OptionError('points', `expected dimension ${k} (components), got ${z.d}`);
    const out = new Float64Array(z.n * d);
    for (let i = 0; i < z.n; i++) {
      for (let j = 0; j < d; j++) out[i * d + j] = this.mean[j]!;
      for (let c = 0; c < k; c++) {
        const s = z.data[i * k + c]! * (this.whiten ? Math.sqrt(this.explainedVariance[c]!) : 1);
        for (let j = 0; j < d; j++) out[i * d + j]! += s * this.components[c * d + j]!;
      }
    }
    return { data: out, n: z.n, d };
  }

  toJSON(): PcaState {
    return {
      kind: 'tlc-pca',
      mean: toNumbers(this.mean),
      components: toNumbers(this.components),
      nComponents: this.nComponents,
      explainedVariance: toNumbers(this.explainedVariance),
      explainedVarianceRatio: toNumbers(this.explainedVarianceRatio),
      totalVariance: this.totalVariance,
      whiten: this.whiten,
    };
  }

  static fromJSON(json: unknown, source = 'pca state'): FittedPca {
    const r = JsonReader.of(json, source, 'tlc-pca');
    const mean = r.numbers('mean');
    const k = r.int('nComponents', 1);
    const whiten = r.bool('whiten');
    return new FittedPca(mean, r.numbers('components', k * mean.length), k, r.numbers('explainedVariance', k),
      r.numbers('explainedVarianceRatio', k), r.number('totalVariance'), whiten);
  }
}
