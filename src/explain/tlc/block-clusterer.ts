/**
 * The clustering of one block, as one fitted object: standardise -> optional
 * PCA -> k-means or Gaussian mixture. It takes raw timestamp vectors (rows of
 * timestampRows / sampleColumns), so assignSequence can use it directly, and
 * its whole state is one JSON object.
 */
import { FormatError, OptionError } from '../../util/errors.js';
import { FittedGmm, GaussianMixture, type GmmOptions, type GmmState } from './gmm.js';
import { centerDots, FittedKMeans, KMeans, type KMeansOptions, type KMeansState } from './kmeans.js';
import { FittedPca, Pca, type PcaOptions, type PcaState } from './pca.js';
import { JsonReader, type Points } from './points.js';
import { timestampRows, type FeatureMap } from './activations.js';
import { argmaxRows, normalizedEntropy } from './soft.js';
import { softmaxEntropyInPlace } from './assign.js';
import { FittedScaler, StandardScaler, type ScalerState } from './scaler.js';
import type { SoftClusterer } from './soft.js';

export interface BlockClustererOptions {
  k: number;
  /** 'kmeans' (default) or 'gmm'. */
  method?: 'kmeans' | 'gmm';
  /** Standardise each channel first (default true). */
  standardize?: boolean;
  /** Project on principal components after standardising (default: no PCA). */
  pca?: PcaOptions;
  kmeans?: Omit<KMeansOptions, 'k' | 'seed'>;
  gmm?: Omit<GmmOptions, 'k' | 'seed'>;
  seed?: number;
}

export interface BlockClustererState {
  kind: 'tlc-block-clusterer';
  scaler: ScalerState | null;
  pca: PcaState | null;
  clusterer: KMeansState | GmmState;
}

export class BlockClusterer {
  readonly options: BlockClustererOptions;
  constructor(options: BlockClustererOptions) {
    const method = options.method ?? 'kmeans';
    if (method !== 'kmeans' && method !== 'gmm') throw new OptionError('method', `expected 'kmeans' or 'gmm', got ${String(method)}`);
    this.options = { ...options, method };
    // Validate the parts' options now, not after the scaler and PCA have run.
    this.clusterer();
    if (options.pca) new Pca(options.pca);
  }

  private clusterer(): KMeans | GaussianMixture {
    const { k, seed } = this.options;
    return this.options.method === 'gmm'
      ? new GaussianMixture({ ...this.options.gmm, k, ...(seed !== undefined ? { seed } : {}) })
      : new KMeans({ ...this.options.kmeans, k, ...(seed !== undefined ? { seed } : {}) });
  }

  fit(x: Points): FittedBlockClusterer {
    const scaler = this.options.standardize === false ? null : new StandardScaler().fit(x);
    let z = scaler ? scaler.transform(x) : x;
    const pca = this.options.pca ? new Pca(this.options.pca).fit(z) : null;
    if (pca) z = pca.transform(z);
    return new FittedBlockClusterer(x.d, scaler, pca, this.clusterer().fit(z));
  }
}

export class FittedBlockClusterer implements SoftClusterer {
  constructor(
    /** Dimension of the raw timestamp vectors (block channels). */
    readonly d: number,
    readonly scaler: FittedScaler | null,
    readonly pca: FittedPca | null,
    readonly clusterer: FittedKMeans | FittedGmm,
  ) {}

  get k(): number {
    return this.clusterer.k;
  }

  /** Raw rows -> the space the clusterer was fitted in. */
  transform(x: Points): Points {
    if (x.d !== this.d) throw new OptionError('points', `expected ${this.d} channels (as fitted), got ${x.d}`);
    let z = this.scaler ? this.scaler.transform(x) : x;
    if (this.pca) z = this.pca.transform(z);
    return z;
  }

  soft(x: Points): Points {
    return this.clusterer.soft(this.transform(x));
  }

  predict(x: Points): Int32Array {
    return this.clusterer.predict(this.transform(x));
  }

  /**
   * gamma [length, k], its argmax and normalised entropy for one block's raw
   * activations [channels, length] (channel-major, as the model wrote them).
   * For standardised k-means without PCA (the default), the map is
   * standardised and transposed into a reused buffer in one pass; the logits
   * are (2 z.mu - |mu|^2) / tau (|z|^2 cancels in the softmax), and the entropy
   * comes from the logits (softmaxEntropyInPlace). Other clusterers take soft(timestampRows(map)).
   */
  softMap(map: FeatureMap): { gamma: Points; labels: Int32Array; entropy: Float64Array } {
    if (map.channels !== this.d) throw new OptionError('activations', `expected ${this.d} channels (as fitted), got ${map.channels}`);
    const km = this.clusterer;
    if (!(km instanceof FittedKMeans) || this.pca) {
      const gamma = this.soft(timestampRows(map));
      return { gamma, labels: argmaxRows(gamma), entropy: normalizedEntropy(gamma) };
    }
    const { channels: C, length: T, data } = map;
    const k = km.k, mu = km.centers, norms = km.norms();
    // Standardised rows [T, C] in a scratch buffer kept between calls, then
    // four centres per read of a row (centerDots).
    if (this.rows.length < T * C) this.rows = new Float64Array(T * C);
    const z = this.rows, mean = this.scaler?.mean, scale = this.scaler?.scale;
    for (let c = 0; c < C; c++) {
      const row = c * T;
      const m = mean ? mean[c]! : 0, s = scale ? scale[c]! : 1;
      for (let t = 0, o = c; t < T; t++, o += C) z[o] = (data[row + t]! - m) / s;
    }
    const gamma = new Float64Array(T * k), dots = new Float64Array(k);
    const labels = new Int32Array(T), entropy = new Float64Array(T);
    const tau = km.temperature;
    for (let t = 0; t < T; t++) {
      centerDots(z, t * C, C, mu, k, dots);
      const o = t * k;
      let best = 0, top = -Infinity;
      for (let j = 0; j < k; j++) {
        // -(|z|^2 - 2 z.mu + |mu|^2) / tau without |z|^2, which softmax cancels.
        const l = (2 * dots[j]! - norms[j]!) / tau;
        gamma[o + j] = l;
        if (l > top) {
          top = l;
          best = j;
        }
      }
      entropy[t] = softmaxEntropyInPlace(gamma, o, k, top);
      labels[t] = best;
    }
    return { gamma: { data: gamma, n: T, d: k }, labels, entropy };
  }

  /** Scratch rows of softMap (reused: one ECG's block at a time). */
  private rows = new Float64Array(0);

  toJSON(): BlockClustererState {
    return { kind: 'tlc-block-clusterer', scaler: this.scaler?.toJSON() ?? null, pca: this.pca?.toJSON() ?? null, clusterer: this.clusterer.toJSON() };
  }

  static fromJSON(json: unknown, source = 'block clusterer state'): FittedBlockClusterer {
    const r = JsonReader.of(json, source, 'tlc-block-clusterer');
    const scaler = r.has('scaler') ? FittedScaler.fromJSON(r.raw('scaler'), `${source} (scaler)`) : null;
    const pca = r.has('pca') ? FittedPca.fromJSON(r.raw('pca'), `${source} (pca)`) : null;
    const c = r.raw('clusterer') as { kind?: unknown } | undefined;
    const clusterer = c?.kind === 'tlc-gmm' ? FittedGmm.fromJSON(c, `${source} (clusterer)`) : FittedKMeans.fromJSON(c, `${source} (clusterer)`);
    const d = scaler ? scaler.d : pca ? pca.d : clusterer.d;
    const inner = pca ? pca.nComponents : d;
    if ((pca && scaler && pca.d !== scaler.d) || clusterer.d !== inner) {
      throw new FormatError(source, `dimensions do not chain: scaler ${scaler?.d ?? '-'}, pca ${pca ? `${pca.d} -> ${pca.nComponents}` : '-'}, clusterer ${clusterer.d}`);
    }
    return new FittedBlockClusterer(d, scaler, pca, clusterer);
  }
}
