/**
 * One ECG, one block: from the block's (transformed) timestamp vectors to the
 * cluster sequence, gamma, entropy, segments and cluster proportions, at block
 * resolution and at input resolution (see activations.ts for the alignment).
 */
import { OptionError } from '../../util/errors.js';
import { adjustedRandIndex, contingencyFixed, normalizedMutualInfo } from './agreement.js';
import { upsampleRows, upsamplingWeights, type FeatureMap, type Upsampling } from './activations.js';
import type { FittedBlockClusterer } from './block-clusterer.js';
import { checkNumber, type Points } from './points.js';
import { argmaxRows, normalizedEntropy, type SoftClusterer } from './soft.js';

export interface ClusterSequence {
  /** Number of clusters. */
  k: number;
  /** Input sampling rate in Hz. */
  fs: number;
  /** Input samples. */
  nSamples: number;
  /** Block samples. */
  blockLength: number;
  /** Most likely cluster per block sample. */
  blockLabels: Int32Array;
  /** gamma per block sample, [blockLength, k]. */
  blockGamma: Points;
  /** Normalised entropy of gamma per block sample, in [0, 1]. */
  blockEntropy: Float64Array;
  /** Cluster per input sample. */
  labels: Int32Array;
  /** Normalised entropy per input sample, in [0, 1]. */
  entropy: Float64Array;
}

export interface AssignOptions {
  /** Input samples of the ECG. */
  nSamples: number;
  /** Input sampling rate in Hz. */
  fs: number;
  /**
   * 'nearest' (default) repeats each block sample's cluster and entropy over
   * the input samples it covers; 'linear' interpolates gamma between block
   * sample centres and takes the argmax and entropy of the interpolated gamma.
   */
  upsampling?: Upsampling;
}

/** rows: the block's timestamp vectors [blockLength, d], already scaled/projected like the fitting data. */
export function assignSequence(clusterer: SoftClusterer, rows: Points, opts: AssignOptions): ClusterSequence {
  const blockGamma = clusterer.soft(rows);
  return sequenceAtInput(clusterer.k, blockGamma, argmaxRows(blockGamma), normalizedEntropy(blockGamma), opts);
}

/** A block's raw activations [channels, length] through its fitted clusterer (FittedBlockClusterer.softMap), to the sequence. */
export function assignMap(clusterer: FittedBlockClusterer, map: FeatureMap, opts: AssignOptions): ClusterSequence {
  const { gamma, labels, entropy } = clusterer.softMap(map);
  return sequenceAtInput(clusterer.k, gamma, labels, entropy, opts);
}

/**
 * A block's cluster logits [k, blockLength] (channel-major, as onnxruntime
 * returns the tensors of FittedTlc.withLogits) to the sequence: gamma =
 * softmax over k, the argmax, and the entropy from the logits
 * (softmaxEntropyInPlace).
 */
export function assignLogits(logits: FeatureMap, opts: AssignOptions): ClusterSequence {
  const { channels: k, length: T, data } = logits;
  const gamma = new Float64Array(T * k), labels = new Int32Array(T), entropy = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const o = t * k;
    let best = 0, top = -Infinity;
    for (let j = 0, at = t; j < k; j++, at += T) {
      const l = data[at]!;
      gamma[o + j] = l;
      if (l > top) {
        top = l;
        best = j;
      }
    }
    labels[t] = best;
    entropy[t] = softmaxEntropyInPlace(gamma, o, k, top);
  }
  return sequenceAtInput(k, { data: gamma, n: T, d: k }, labels, entropy, opts);
}

/**
 * Softmax in place of the k logits at v[o .. o + k) whose maximum is `top`,
 * returning the normalised entropy H / log k from the logits: with s_j = l_j -
 * top, e_j = exp(s_j) and S = sum e_j, H = log S - sum_j e_j s_j / S (one exp
 * per value and one log per row; an underflowed e_j adds 0).
 */
export function softmaxEntropyInPlace(v: Float64Array, o: number, k: number, top: number): number {
  let sum = 0, es = 0;
  for (let j = 0; j < k; j++) {
    const s = v[o + j]! - top;
    const e = Math.exp(s);
    v[o + j] = e;
    sum += e;
    es += e * s;
  }
  for (let j = 0; j < k; j++) v[o + j]! /= sum;
  if (k < 2) return 0;
  return Math.min(1, Math.max(0, (Math.log(sum) - es / sum) / Math.log(k)));
}

/** upsamplingWeights(...).lo for 'nearest', kept per (input, block) length: every ECG of a model shares them. */
const nearestCache = new Map<string, Int32Array>();
function nearestIndex(nSamples: number, blockLength: number): Int32Array {
  const key = `${nSamples}/${blockLength}`;
  let lo = nearestCache.get(key);
  if (!lo) {
    lo = upsamplingWeights(nSamples, blockLength, 'nearest').lo;
    if (nearestCache.size >= 64) nearestCache.clear();
    nearestCache.set(key, lo);
  }
  return lo;
}

/** Block-resolution gamma, labels and entropy mapped to input time. */
function sequenceAtInput(k: number, blockGamma: Points, blockLabels: Int32Array, blockEntropy: Float64Array, opts: AssignOptions): ClusterSequence {
  checkNumber('fs', opts.fs, 0);
  const rows = blockGamma;
  const mode = opts.upsampling ?? 'nearest';
  let labels: Int32Array, entropy: Float64Array;
  if (mode === 'nearest') {
    const lo = nearestIndex(opts.nSamples, rows.n);
    labels = new Int32Array(opts.nSamples);
    entropy = new Float64Array(opts.nSamples);
    for (let t = 0; t < opts.nSamples; t++) {
      labels[t] = blockLabels[lo[t]!]!;
      entropy[t] = blockEntropy[lo[t]!]!;
    }
  } else {
    const g = upsampleRows(blockGamma, opts.nSamples, mode);
    labels = argmaxRows(g);
    entropy = normalizedEntropy(g);
  }
  return { k, fs: opts.fs, nSamples: opts.nSamples, blockLength: rows.n, blockLabels, blockGamma, blockEntropy, labels, entropy };
}

/** A run of one cluster. Samples are input samples; `end` is exclusive. */
export interface ClusterSegment {
  cluster: number;
  start: number;
  end: number;
  startS: number;
  endS: number;
  durationS: number;
  /** Mean normalised entropy over the run (NaN when no entropy was given). */
  meanEntropy: number;
}

/** Maximal runs of equal labels, in order. fs converts samples to seconds (t / fs). */
export function clusterSegments(labels: ArrayLike<number>, fs: number, entropy?: ArrayLike<number>): ClusterSegment[] {
  checkNumber('fs', fs, 0);
  if (entropy && entropy.length !== labels.length) {
    throw new OptionError('entropy', `expected ${labels.length} values (one per label), got ${entropy.length}`);
  }
  const out: ClusterSegment[] = [];
  let start = 0;
  for (let t = 1; t <= labels.length; t++) {
    if (t < labels.length && labels[t] === labels[start]) continue;
    let h = NaN;
    if (entropy) {
      h = 0;
      for (let u = start; u < t; u++) h += entropy[u]!;
      h /= t - start;
    }
    out.push({ cluster: labels[start]!, start, end: t, startS: start / fs, endS: t / fs, durationS: (t - start) / fs, meanEntropy: h });
    start = t;
  }
  return out;
}

/** Fraction of samples in each cluster 0..k-1 (sums to 1). */
export function clusterProportions(labels: ArrayLike<number>, k: number): Float64Array {
  const p = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!(l >= 0 && l < k)) throw new OptionError('labels', `label ${l} at ${i} is outside 0..${k - 1}`);
    p[l]! += 1;
  }
  if (labels.length > 0) for (let c = 0; c < k; c++) p[c]! /= labels.length;
  return p;
}

/** Pairwise agreement between blocks' input-resolution cluster sequences of one ECG (or of concatenated ECGs). */
export interface BlockAgreement {
  /** ari[a][b]: adjusted Rand index between block a and block b (1 on the diagonal). */
  ari: number[][];
  /** nmi[a][b]: normalised mutual information. */
  nmi: number[][];
}

export function blockAgreement(sequences: readonly ArrayLike<number>[]): BlockAgreement {
  const m = sequences.length;
  const ari = Array.from({ length: m }, () => new Array<number>(m).fill(1));
  const nmi = Array.from({ length: m }, () => new Array<number>(m).fill(1));
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      const t = contingencyFixed(sequences[a]!, sequences[b]!, maxLabel(sequences[a]!) + 1, maxLabel(sequences[b]!) + 1);
      ari[a]![b] = ari[b]![a] = adjustedRandIndex(t);
      nmi[a]![b] = nmi[b]![a] = normalizedMutualInfo(t);
    }
  }
  return { ari, nmi };
}

/** Largest label (cluster ids are small integers >= 0; empty rows of a fixed table change neither ARI nor NMI). */
function maxLabel(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m;
}

/**
 * Surrogate-model inputs: one row per ECG, the cluster proportions of each
 * block side by side (block 0's k_0 clusters first). perEcg[e][b] is ECG e's
 * sequence for block b; every ECG must list the same blocks with the same k.
 */
export function proportionFeatures(perEcg: readonly (readonly ClusterSequence[])[]): Points {
  if (perEcg.length === 0) throw new OptionError('sequences', 'expected at least one ECG');
  const ks = perEcg[0]!.map((s) => s.k);
  const d = ks.reduce((a, b) => a + b, 0);
  const out = new Float64Array(perEcg.length * d);
  perEcg.forEach((blocks, e) => {
    if (blocks.length !== ks.length || blocks.some((s, b) => s.k !== ks[b])) {
      throw new OptionError('sequences', `ECG ${e} has blocks with k = [${blocks.map((s) => s.k).join(', ')}], ECG 0 has [${ks.join(', ')}]`);
    }
    let off = 0;
    blocks.forEach((s) => {
      out.set(clusterProportions(s.labels, s.k), e * d + off);
      off += s.k;
    });
  });
  return { data: out, n: perEcg.length, d };
}

/** Names of the proportionFeatures columns, `<block>:c<cluster>` (e.g. 'block2:c5'). */
export function proportionFeatureNames(blockNames: readonly string[], ks: readonly number[]): string[] {
  if (blockNames.length !== ks.length) throw new OptionError('blocks', `expected one k per block name, got ${blockNames.length} names and ${ks.length} ks`);
  return blockNames.flatMap((b, i) => Array.from({ length: ks[i]! }, (_, c) => `${b}:c${c}`));
}
