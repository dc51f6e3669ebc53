/**
 * Fitting TLC on a model and a set of ECGs, and the fitted object.
 *
 * Fitting streams the ECGs through the model once (ActivationReader) and
 * keeps only a seeded uniform sample of at most `maxSamples` timestamp vectors
 * per clustered group (each layer, or the layers concatenated at input
 * resolution), chosen before the data is seen (the index set depends only on
 * N, the block length and the seed), so memory is bounded by the sample. Each
 * group gets a BlockClusterer: standardise -> optional PCA -> k-means or GMM.
 *
 * FittedTlc is one JSON object: options, layers, the model's hash and input,
 * one clusterer state per group, and the versions it was fitted with. It
 * turns one ECG's layer activations into cluster sequences, entropy,
 * segments and proportions (explainMaps).
 */
import { readFileSync } from 'node:fs';
import { loadModel, makeFloatTensor, makeNode, type ModelProto, type NodeProto, type TensorProto } from '../../engine/onnx/proto.js';
import { FittedKMeans } from './kmeans.js';
import { readModelMeta } from '../../models/meta.js';
import { versions } from '../../train/run.js';
import { writeFileAtomic, type OutputPolicy } from '../../util/atomic-write.js';
import { FormatError, IoError, ModelError, OptionError } from '../../util/errors.js';
import { Progress } from '../../util/progress.js';
import { Rng } from '../../util/rng.js';
import { concatenatedRows, sampleIndices, upsamplingWeights, type FeatureMap, type Upsampling } from './activations.js';
import { assignLogits, assignMap, assignSequence, blockAgreement, clusterProportions, clusterSegments, type BlockAgreement, type ClusterSegment, type ClusterSequence } from './assign.js';
import { BlockClusterer, FittedBlockClusterer, type BlockClustererState } from './block-clusterer.js';
import { ActivationReader, modelHash } from './extract.js';
import { checkInt, selectRows, type Points } from './points.js';
import { heldOutTemperature } from './temperature.js';
import { tensorSource, type EcgSource } from './source.js';
import type { NdArray } from '../../util/npy.js';

export interface TlcOptions {
  /** Layer (tensor) names; default: the last three residual blocks. */
  layers?: string[];
  /** Clusters (default 8). */
  k?: number;
  /** 'kmeans' (default) or 'gmm' (diagonal Gaussian mixture). */
  method?: 'kmeans' | 'gmm';
  /** Cluster the layers' features concatenated at input resolution, instead of each layer on its own (default false). */
  concat?: boolean;
  /** Principal components kept after standardising (default: no PCA). */
  pca?: number;
  /** Most timestamp vectors sampled per group for fitting (default 100,000). */
  maxSamples?: number;
  seed?: number;
  /** How block samples map to input samples (default 'nearest'). */
  upsampling?: Upsampling;
  /** k-means algorithm: 'auto' (default: mini-batch above 50,000 samples), 'lloyd' or 'minibatch'. */
  algorithm?: 'auto' | 'lloyd' | 'minibatch';
  /** k-means restarts (default 4): full runs for Lloyd; for mini-batch, inits scored on a held-out sample, then one run. */
  nInit?: number;
  /**
   * Softmax temperature of k-means' soft assignments: 'heldout' (default: the
   * variance of the k-means mixture that maximises the likelihood of a
   * held-out fifth of the sampled vectors, temperature.ts), 'inertia' (the
   * mean squared distance to the nearest centre, before 0.2) or a number.
   */
  temperature?: TemperatureRule;
}

export type TemperatureRule = number | 'heldout' | 'inertia';

export interface ResolvedTlcOptions {
  k: number;
  method: 'kmeans' | 'gmm';
  concat: boolean;
  pca: number | null;
  maxSamples: number;
  seed: number;
  upsampling: Upsampling;
  algorithm: 'auto' | 'lloyd' | 'minibatch';
  nInit: number;
  temperature: TemperatureRule;
}

export function resolveTlcOptions(o: TlcOptions): ResolvedTlcOptions {
  const k = o.k ?? 8;
  if (!Number.isInteger(k) || k < 2) throw new OptionError('--k', `expected an integer >= 2, got ${k}`);
  const method = o.method ?? 'kmeans';
  if (method !== 'kmeans' && method !== 'gmm') throw new OptionError('--method', `expected kmeans or gmm, got ${String(method)}`);
  const upsampling = o.upsampling ?? 'nearest';
  if (upsampling !== 'nearest' && upsampling !== 'linear') throw new OptionError('--upsampling', `expected nearest or linear, got ${String(upsampling)}`);
  const algorithm = o.algorithm ?? 'auto';
  if (!['auto', 'lloyd', 'minibatch'].includes(algorithm)) throw new OptionError('--algorithm', `expected auto, lloyd or minibatch, got ${String(algorithm)}`);
  if (o.pca !== undefined && !(Number.isInteger(o.pca) && o.pca >= 1)) throw new OptionError('--pca', `expected an integer >= 1, got ${o.pca}`);
  const temperature = o.temperature ?? 'heldout';
  if (temperature !== 'heldout' && temperature !== 'inertia' && !(typeof temperature === 'number' && temperature > 0)) {
    throw new OptionError('--temperature', `expected heldout, inertia or a number > 0, got ${String(temperature)}`);
  }
  return {
    k, method, concat: o.concat ?? false, pca: o.pca ?? null,
    maxSamples: checkInt('maxSamples', o.maxSamples ?? 100_000, k),
    seed: checkInt('seed', o.seed ?? 0, 0, 2 ** 32 - 1),
    upsampling, algorithm, nInit: checkInt('nInit', o.nInit ?? 4, 1), temperature,
  };
}

/** The model a TLC was fitted on: enough to refuse another model or input. */
export interface TlcModelInfo {
  sha256: string;
  input: string;
  leads: number;
  samples: number;
  /** Input sampling rate, Hz (null when the model does not record it and the data did not say). */
  fs: number | null;
  leadNames: string[] | null;
}

export interface TlcLayerInfo {
  name: string;
  channels: number;
  /** Block samples per ECG. */
  length: number;
}

export interface FittedTlcState {
  kind: 'ecgx-tlc';
  version: 1;
  options: ResolvedTlcOptions;
  model: TlcModelInfo;
  layers: TlcLayerInfo[];
  /** One clusterer per layer, or one for the concatenated layers. */
  clusterers: BlockClustererState[];
  /** ECGs and sampled vectors per group used for fitting; per group, how the temperature was chosen (the 'heldout' rule). */
  fit: { ecgs: number; samples: number[]; temperature?: TemperatureFit[] };
  versions: Record<string, string>;
}

/** One clustered group's result for one ECG. */
export interface TlcGroupResult {
  /** Layer name, or the layer names joined by '+' when concatenated. */
  name: string;
  k: number;
  /** Input samples per block sample (T / T_b). */
  resolution: number;
  sequence: ClusterSequence;
  /** Runs of one cluster at input resolution. */
  segments: ClusterSegment[];
  /** Fraction of input samples in each cluster. */
  proportions: Float64Array;
}

export interface TlcExplanation {
  fs: number;
  nSamples: number;
  groups: TlcGroupResult[];
  /** Pairwise ARI/NMI between the groups' input-resolution sequences (null with one group). */
  agreement: BlockAgreement | null;
}

export class FittedTlc {
  constructor(
    readonly options: ResolvedTlcOptions,
    readonly model: TlcModelInfo,
    readonly layers: TlcLayerInfo[],
    readonly clusterers: FittedBlockClusterer[],
    readonly fit: FittedTlcState['fit'],
    readonly versions: Record<string, string>,
  ) {}

  get k(): number {
    return this.options.k;
  }

  /** Names of the clustered groups (layers, or one concatenated group). */
  get groupNames(): string[] {
    return this.options.concat ? [this.layers.map((l) => l.name).join('+')] : this.layers.map((l) => l.name);
  }

  /** Cluster sequences of one ECG from its layers' activations (in `layers` order). */
  explainMaps(maps: readonly FeatureMap[], nSamples: number, fs: number): TlcExplanation {
    if (maps.length !== this.layers.length) throw new OptionError('activations', `expected ${this.layers.length} layer maps, got ${maps.length}`);
    maps.forEach((m, i) => {
      if (m.channels !== this.layers[i]!.channels) {
        throw new ModelError(`layer '${this.layers[i]!.name}' has ${m.channels} channels; the TLC was fitted with ${this.layers[i]!.channels} (a different model?)`);
      }
    });
    const upsampling = this.options.upsampling, names = this.groupNames;
    if (this.options.concat) {
      const c = this.clusterers[0]!;
      return this.explanation([assignSequence(c, concatenatedRows(maps, nSamples, upsampling), { nSamples, fs, upsampling })], nSamples, fs, names);
    }
    return this.explanation(maps.map((m, i) => assignMap(this.clusterers[i]!, m, { nSamples, fs, upsampling })), nSamples, fs, names);
  }

  /**
   * Cluster sequences of one ECG from the logits tensors that withLogits adds
   * to the model: per layer, [k, blockLength] (channel-major).
   */
  explainLogits(logits: readonly FeatureMap[], nSamples: number, fs: number): TlcExplanation {
    if (logits.length !== this.clusterers.length) throw new OptionError('logits', `expected ${this.clusterers.length} logit maps, got ${logits.length}`);
    const upsampling = this.options.upsampling;
    return this.explanation(logits.map((m) => assignLogits(m, { nSamples, fs, upsampling })), nSamples, fs, this.groupNames);
  }

  private explanation(sequences: ClusterSequence[], nSamples: number, fs: number, names: string[]): TlcExplanation {
    const groups: TlcGroupResult[] = sequences.map((sequence, i) => ({
      name: names[i]!, k: sequence.k, resolution: nSamples / sequence.blockLength, sequence,
      segments: clusterSegments(sequence.labels, fs, sequence.entropy),
      proportions: clusterProportions(sequence.labels, sequence.k),
    }));
    const agreement = groups.length > 1 ? blockAgreement(groups.map((g) => g.sequence.labels)) : null;
    return { fs, nSamples, groups, agreement };
  }

  /**
   * `model` (the one this TLC was fitted on) with each layer's k-means logits
   * l_k = (2 z.mu_k - |mu_k|^2) / tau, z = (x - mean) / scale, as an extra
   * tensor [batch, k, blockLength]: one MatMul and one Add per layer, with the
   * scaler folded into the weights (W = 2 mu / (scale tau), b = -(2 mu.(mean /
   * scale) + |mu|^2) / tau). The distances then run natively in the same
   * onnxruntime run, and k values per timestamp come back instead of the
   * layer's channels; |z|^2 is left out because softmax and argmax cancel it.
   * null when a group is not k-means on one layer without PCA (GMM, PCA,
   * concatenated layers): those take explainMaps on the raw activations.
   */
  withLogits(model: ModelProto): { model: ModelProto; tensors: string[] } | null {
    if (this.options.concat || this.clusterers.some((c) => c.pca || !(c.clusterer instanceof FittedKMeans))) return null;
    const g = model.graph ?? {};
    const produced = new Set((g.node ?? []).flatMap((n) => n.output ?? []));
    if (this.layers.some((l) => !produced.has(l.name))) return null;
    const nodes: NodeProto[] = [], inits: TensorProto[] = [], tensors: string[] = [];
    this.layers.forEach((layer, i) => {
      const c = this.clusterers[i]!, km = c.clusterer as FittedKMeans;
      const { k, d } = km, tau = km.temperature, norms = km.norms();
      const w = new Float32Array(k * d), b = new Float32Array(k);
      for (let j = 0; j < k; j++) {
        let shift = 0;
        for (let ch = 0; ch < d; ch++) {
          const mu = km.centers[j * d + ch]!, s = c.scaler ? c.scaler.scale[ch]! : 1, m = c.scaler ? c.scaler.mean[ch]! : 0;
          w[j * d + ch] = (2 * mu) / (s * tau);
          shift += (mu * m) / s;
        }
        b[j] = -(2 * shift + norms[j]!) / tau;
      }
      const base = `tlc_${i}_${layer.name}`;
      inits.push(makeFloatTensor(`${base}_w`, [k, d], w), makeFloatTensor(`${base}_b`, [k, 1], b));
      nodes.push(makeNode('MatMul', [`${base}_w`, layer.name], [`${base}_mm`]), makeNode('Add', [`${base}_mm`, `${base}_b`], [`${base}_logits`]));
      tensors.push(`${base}_logits`);
    });
    return { model: { ...model, graph: { ...g, node: [...(g.node ?? []), ...nodes], initializer: [...(g.initializer ?? []), ...inits] } }, tensors };
  }

  toJSON(): FittedTlcState {
    return {
      kind: 'ecgx-tlc', version: 1, options: this.options, model: this.model, layers: this.layers,
      clusterers: this.clusterers.map((c) => c.toJSON()), fit: this.fit, versions: this.versions,
    };
  }

  static fromJSON(json: unknown, source = 'TLC state'): FittedTlc {
    const o = json as Partial<FittedTlcState> | null;
    if (!o || typeof o !== 'object' || o.kind !== 'ecgx-tlc') throw new FormatError(source, "expected a TLC file (kind 'ecgx-tlc')", { field: 'kind' });
    if (o.version !== 1) throw new FormatError(source, `unsupported version ${String(o.version)} (expected 1)`, { field: 'version' });
    let options: ResolvedTlcOptions;
    try {
      // Files from before the held-out rule stored null for the inertia rule.
      options = resolveTlcOptions({ ...(o.options ?? {}), pca: o.options?.pca ?? undefined, temperature: o.options?.temperature ?? 'inertia' } as TlcOptions);
    } catch (e) {
      throw new FormatError(source, e instanceof Error ? e.message : String(e), { field: 'options' });
    }
    const m = o.model;
    if (!m || typeof m.sha256 !== 'string' || typeof m.input !== 'string' || !Number.isInteger(m.leads) || !Number.isInteger(m.samples)) {
      throw new FormatError(source, 'expected model { sha256, input, leads, samples, fs, leadNames }', { field: 'model' });
    }
    const layers = o.layers;
    if (!Array.isArray(layers) || layers.length === 0 || layers.some((l) => typeof l?.name !== 'string' || !Number.isInteger(l.channels) || !Number.isInteger(l.length))) {
      throw new FormatError(source, 'expected layers [{ name, channels, length }, ...]', { field: 'layers' });
    }
    const want = options.concat ? 1 : layers.length;
    if (!Array.isArray(o.clusterers) || o.clusterers.length !== want) {
      throw new FormatError(source, `expected ${want} clusterer(s), got ${Array.isArray(o.clusterers) ? o.clusterers.length : 'none'}`, { field: 'clusterers' });
    }
    const clusterers = o.clusterers.map((c, i) => FittedBlockClusterer.fromJSON(c, `${source} (clusterers[${i}])`));
    clusterers.forEach((c, i) => {
      const d = options.concat ? layers.reduce((s, l) => s + l.channels, 0) : layers[i]!.channels;
      if (c.d !== d || c.k !== options.k) throw new FormatError(source, `clusterer ${i} takes ${c.d} features into ${c.k} clusters; expected ${d} into ${options.k}`, { field: `clusterers[${i}]` });
    });
    return new FittedTlc(options, { ...m, fs: m.fs ?? null, leadNames: m.leadNames ?? null }, layers.map((l) => ({ name: l.name, channels: l.channels, length: l.length })),
      clusterers, o.fit ?? { ecgs: 0, samples: [] }, o.versions ?? {});
  }

  /** Writes the TLC as JSON (atomically); with a `policy`, `path` is a user's output (see OutputPolicy). */
  save(path: string, policy?: OutputPolicy): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON()) + '\n', policy);
  }

  static load(path: string): FittedTlc {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new IoError(path, 'cannot read the TLC file');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new FormatError(path, 'not valid JSON (expected a TLC file written by ecgx tlc fit)');
    }
    return FittedTlc.fromJSON(json, path);
  }

  /** Throws a ModelError when `model` is not the model this TLC was fitted on. */
  checkModel(model: ModelProto, file = 'the model'): void {
    const h = modelHash(model);
    if (h !== this.model.sha256) {
      throw new ModelError(`${file} is not the model this TLC was fitted on (sha256 ${h.slice(0, 12)}..., the TLC expects ${this.model.sha256.slice(0, 12)}...)`);
    }
  }
}

export interface FitRunOptions {
  /** ECGs per onnxruntime run (default 32). */
  batchSize?: number;
  threads?: number;
  /** Progress bar (default: on a TTY). */
  progress?: boolean;
}

/** Sampled timestamp vectors per group, as fitted on. */
export interface TlcSamples {
  groups: string[];
  points: Points[];
  layers: TlcLayerInfo[];
  ecgs: number;
}

function groupSeed(seed: number, g: number): number {
  return (seed ^ Math.imul(g + 1, 0x9e3779b9)) >>> 0;
}

/**
 * Streams `source` through the reader and keeps a seeded uniform sample of
 * timestamp vectors per group. Bounded memory: the sample plus one batch.
 */
export async function collectSamples(reader: ActivationReader, source: EcgSource, o: ResolvedTlcOptions, run: FitRunOptions = {}): Promise<TlcSamples> {
  if (source.count === 0) throw new OptionError('ecgs', 'expected at least one ECG to fit on');
  const T = source.samples;
  const bar = new Progress({ label: 'tlc fit: activations', total: source.count, unit: 'ECG', ...(run.progress !== undefined ? { enabled: run.progress } : {}) });
  let layers: TlcLayerInfo[] | undefined;
  let idx: Float64Array[] = [], rows: Float32Array[] = [], dims: number[] = [], per: number[] = [], at: number[] = [];
  let weights: ReturnType<typeof upsamplingWeights>[] = [];
  let start = 0;
  for await (const b of source.batches(run.batchSize ?? 32)) {
    const got = await reader.run(b.x, start);
    if (!layers) {
      layers = reader.layers.map((name, l) => ({ name, channels: got.maps[l]![0]!.channels, length: got.maps[l]![0]!.length }));
      if (o.concat) {
        dims = [layers.reduce((s, l) => s + l.channels, 0)];
        per = [T];
        weights = layers.map((l) => upsamplingWeights(T, l.length, o.upsampling));
      } else {
        dims = layers.map((l) => l.channels);
        per = layers.map((l) => l.length);
      }
      idx = per.map((p, g) => sampleIndices(source.count * p, o.maxSamples, new Rng(groupSeed(o.seed, g))));
      rows = idx.map((ix, g) => new Float32Array(ix.length * dims[g]!));
      at = per.map(() => 0);
    }
    const end = start + b.items.length;
    for (let g = 0; g < per.length; g++) {
      const ix = idx[g]!, p = per[g]!, d = dims[g]!, out = rows[g]!;
      while (at[g]! < ix.length && ix[at[g]!]! < end * p) {
        const r = at[g]!;
        const e = Math.floor(ix[r]! / p) - start, t = ix[r]! % p;
        if (o.concat) {
          let off = 0;
          got.maps.forEach((maps, l) => {
            const m = maps[e]!;
            const { lo, hi, w } = weights[l]!;
            for (let c = 0; c < m.channels; c++) {
              const x = m.data[c * m.length + lo[t]!]!, y = m.data[c * m.length + hi[t]!]!;
              out[r * d + off + c] = x + w[t]! * (y - x);
            }
            off += m.channels;
          });
        } else {
          const m = got.maps[g]![e]!;
          if (m.length !== p) throw new ModelError(`layer '${layers[g]!.name}' changed length between ECGs (${p} vs ${m.length})`);
          for (let c = 0; c < d; c++) out[r * d + c] = m.data[c * p + t]!;
        }
        at[g]!++;
      }
    }
    bar.tick(b.items.length);
    start = end;
  }
  bar.finish();
  const ls = layers!;
  const groups = o.concat ? [ls.map((l) => l.name).join('+')] : ls.map((l) => l.name);
  return { groups, points: rows.map((r, g) => ({ data: r, n: idx[g]!.length, d: dims[g]! })), layers: ls, ecgs: source.count };
}

/** The BlockClusterer of one group under the resolved options (k overridable, for sweeps). */
export function groupClusterer(o: ResolvedTlcOptions, nSamples: number, k = o.k): BlockClusterer {
  const algorithm = o.algorithm === 'auto' ? (nSamples > 50_000 ? 'minibatch' : 'lloyd') : o.algorithm;
  return new BlockClusterer({
    k, method: o.method, seed: o.seed,
    ...(o.pca !== null ? { pca: { nComponents: o.pca } } : {}),
    kmeans: { algorithm, nInit: o.nInit, ...(typeof o.temperature === 'number' ? { temperature: o.temperature } : {}) },
  });
}

/**
 * One group's clusterer. Under the 'heldout' temperature rule with k-means, a
 * seeded fifth of the sample is held out: the centres are fitted on the rest
 * and the temperature on it (heldOutTemperature). With fewer than 5k vectors
 * nothing is held out and the temperature is chosen on the fitting vectors.
 */
export function fitGroup(o: ResolvedTlcOptions, p: Points, g = 0): { clusterer: FittedBlockClusterer; temperature?: TemperatureFit } {
  if (o.method !== 'kmeans' || o.temperature !== 'heldout') return { clusterer: groupClusterer(o, p.n).fit(p) };
  let fitPart = p, held = p;
  if (p.n >= 5 * o.k) {
    const order = new Rng(groupSeed(o.seed ^ 0x5bd1e995, g)).shuffle(Array.from({ length: p.n }, (_, i) => i));
    const nHeld = Math.floor(p.n / 5);
    held = selectRows(p, order.slice(0, nHeld).sort((a, b) => a - b));
    fitPart = selectRows(p, order.slice(nHeld).sort((a, b) => a - b));
  }
  const c = groupClusterer(o, fitPart.n).fit(fitPart);
  const km = c.clusterer as FittedKMeans;
  const t = heldOutTemperature(km, c.transform(held));
  return {
    clusterer: new FittedBlockClusterer(c.d, c.scaler, c.pca, km.withTemperature(t.tau)),
    temperature: { tau: t.tau, heldOut: held === p ? 0 : held.n, logLik: t.logLik, inertiaTau: km.temperature },
  };
}

/** How a group's temperature was chosen under the 'heldout' rule. */
export interface TemperatureFit {
  tau: number;
  /** Held-out vectors (0: chosen on the fitting vectors). */
  heldOut: number;
  /** Mean held-out log-likelihood per vector at tau (nats). */
  logLik: number;
  /** What the 'inertia' rule would have given (mean squared distance to the nearest centre). */
  inertiaTau: number;
}

/** What the fitted TLC records about the model. */
export function tlcModelInfo(reader: ActivationReader, source: EcgSource): TlcModelInfo {
  const meta = readModelMeta(reader.model);
  return {
    sha256: modelHash(reader.model), input: reader.inputName, leads: source.leads, samples: source.samples,
    fs: meta.fs ?? source.fs, leadNames: meta.leads ?? null,
  };
}

/** Fits TLC with an open reader (reused by the surrogate over folds). */
export async function fitTlcWith(reader: ActivationReader, source: EcgSource, opts: TlcOptions = {}, run: FitRunOptions = {}): Promise<FittedTlc> {
  const o = resolveTlcOptions(opts);
  const s = await collectSamples(reader, source, o, run);
  for (let g = 0; g < s.points.length; g++) {
    if (s.points[g]!.n < o.k) throw new OptionError('--k', `group '${s.groups[g]}' has ${s.points[g]!.n} timestamp vectors, fewer than k = ${o.k}`);
    if (o.pca !== null && o.pca > s.points[g]!.d) throw new OptionError('--pca', `${o.pca} components asked, but '${s.groups[g]}' has ${s.points[g]!.d} channels`);
  }
  // One group at a time, yielding between them: a Ctrl-C is answered between groups (clustering itself is synchronous).
  const bar = new Progress({ label: 'tlc fit: clustering', total: s.points.length, unit: 'group', ...(run.progress !== undefined ? { enabled: run.progress } : {}) });
  const fitted: ReturnType<typeof fitGroup>[] = [];
  for (const [g, p] of s.points.entries()) {
    bar.note(`${s.groups[g]} (${p.n} vectors)`);
    await new Promise((r) => setImmediate(r));
    fitted.push(fitGroup(o, p, g));
    bar.tick(1);
  }
  bar.finish();
  const clusterers = fitted.map((f) => f.clusterer);
  const temperature = fitted.flatMap((f) => (f.temperature ? [f.temperature] : []));
  return new FittedTlc(o, tlcModelInfo(reader, source), s.layers, clusterers, { ecgs: s.ecgs, samples: s.points.map((p) => p.n), ...(temperature.length ? { temperature } : {}) }, versions());
}

/**
 * Fits TLC on `model` with ECGs given as a tensor [N, leads, T] (with `fs`)
 * or as an EcgSource (e.g. datasetSource with the checkpoint's preprocessing).
 */
export async function fitTlc(model: ModelProto | string, ecgs: EcgSource | { x: NdArray; fs: number }, opts: TlcOptions = {}, run: FitRunOptions = {}): Promise<FittedTlc> {
  const source = 'x' in ecgs ? tensorSource(ecgs.x, ecgs.fs) : ecgs;
  const proto = typeof model === 'string' ? loadModel(model) : model;
  const reader = await ActivationReader.open(proto, { ...(opts.layers ? { layers: opts.layers } : {}), ...(run.threads !== undefined ? { threads: run.threads } : {}) });
  try {
    return await fitTlcWith(reader, source, opts, run);
  } finally {
    await reader.release();
  }
}
