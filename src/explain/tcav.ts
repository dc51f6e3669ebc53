/**
 * TCAV (Kim et al. 2018) with ECG concepts (tcav-concepts.ts: label sets,
 * delineator measurements such as QRS > 120 ms or T inversion in V1-V3, and
 * synthetic morphology edits). At creation, a layer's activations (averaged
 * over time, so a concept counts wherever it occurs in the ECG) of the concept
 * ECGs are separated from each of `randomSets` random sets by an L2-regularised
 * logistic regression: the unit normal of each boundary is a concept
 * activation vector (CAV). Random CAVs separate one more random set from each
 * of the others (random against random).
 *
 * explain(): the conceptual sensitivity of each ECG is the directional
 * derivative of its target output along a CAV, S = sum_t sum_c dY/dA[c, t] v_c.
 * values are its per-time contributions along the mean concept CAV,
 * upsampled to the input ([batch, 1, time]): where in the ECG moving the layer
 * towards the concept raises the output. meta.tcav holds the TCAV score of
 * the batch (the fraction of its ECGs with S > 0) for every concept CAV and
 * random CAV, and a two-sided Student t-test of concept against random scores
 * (p < 0.05: significant), as the TCAV paper tests; meta.cavSensitivity and
 * randomSensitivity keep S per ECG so a cohort's test is tcavTest over all
 * of its ECGs.
 */
import { OptionError } from '../util/errors.js';
import { readNpy, type NdArray } from '../util/npy.js';
import { Rng } from '../util/rng.js';
import { readFileSync } from 'node:fs';
import type { ExplainerFactory } from './protocol.js';
import type { ExplainModel } from './model.js';
import { ModelExplainer } from './gradients.js';
import { MethodOptions, type OptionDecl } from './options.js';
import { resolveLayer } from './layers.js';
import { upsampleTime, type Upsample } from './gradcam.js';
import { weightedLinearFit } from './shapley.js';
import { conceptSets, type ConceptSets } from './tcav-concepts.js';
import { leadNames } from './ecg-features.js';

/** Regularised incomplete beta I_x(a, b) by Lentz's continued fraction. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lgamma = (z: number): number => {
    // Lanczos (g = 7, n = 9).
    const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
    if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - lgamma(1 - z);
    z -= 1;
    let s = c[0]!;
    for (let i = 1; i < 9; i++) s += c[i]! / (z + i);
    const t = z + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
  };
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (lgamma(a) + lgamma(b) - lgamma(a + b))) / a;
  let f = 1, c = 1, d = 0;
  for (let i = 0; i <= 300; i++) {
    const m = i >> 1;
    const num = i === 0 ? 1 : i % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    d = Math.abs(d) < 1e-300 ? 1e-300 : d;
    d = 1 / d;
    c = 1 + num / c;
    c = Math.abs(c) < 1e-300 ? 1e-300 : c;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-15) break;
  }
  return front * (f - 1);
}

/** Two-sided Student t-test of two samples (pooled variance, as scipy's ttest_ind). */
export function tTest(a: readonly number[], b: readonly number[]): { t: number; p: number; df: number } {
  const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  const ss = (v: readonly number[], m: number): number => v.reduce((s, x) => s + (x - m) ** 2, 0);
  const df = a.length + b.length - 2;
  const pooled = (ss(a, ma) + ss(b, mb)) / df;
  const se = Math.sqrt(pooled * (1 / a.length + 1 / b.length));
  if (!(se > 0)) return { t: ma === mb ? 0 : Math.sign(ma - mb) * Infinity, p: ma === mb ? 1 : 0, df };
  const t = (ma - mb) / se;
  return { t, p: incompleteBeta(df / (df + t * t), df / 2, 0.5), df };
}

/** Unit CAV of an L2-regularised logistic regression (IRLS) of positives against negatives, and its training accuracy. */
export function trainCav(pos: readonly Float32Array[], neg: readonly Float32Array[], ridge = 1e-2): { v: Float32Array; accuracy: number } {
  const X = [...pos, ...neg];
  const y = [...pos.map(() => 1), ...neg.map(() => 0)];
  const C = X[0]!.length;
  let w = new Array<number>(C).fill(0);
  let b = 0;
  for (let it = 0; it < 30; it++) {
    const eta = X.map((x) => b + x.reduce((s, v, j) => s + v * w[j]!, 0));
    const p = eta.map((e) => 1 / (1 + Math.exp(-e)));
    const W = p.map((q) => Math.max(q * (1 - q), 1e-6));
    const z = eta.map((e, i) => e + (y[i]! - p[i]!) / W[i]!);
    const fit = weightedLinearFit(X, z, W, ridge);
    const change = fit.phi.reduce((s, v, j) => s + Math.abs(v - w[j]!), 0);
    [w, b] = [fit.phi, fit.intercept];
    if (change < 1e-9) break;
  }
  const norm = Math.sqrt(w.reduce((s, v) => s + v * v, 0)) || 1;
  const correct = X.filter((x, i) => (b + x.reduce((s, v, j) => s + v * w[j]!, 0) > 0 ? 1 : 0) === y[i]).length;
  return { v: Float32Array.from(w, (v) => v / norm), accuracy: correct / X.length };
}

/**
 * TCAV scores and the t-test from per-ECG sensitivities (one row per ECG: its
 * S under each concept CAV, and under each random CAV): the score of a CAV is
 * the fraction of ECGs with S > 0. Cohort runs merge the per-ECG rows of
 * every batch and call this once.
 */
export function tcavTest(cav: readonly (readonly number[])[], random: readonly (readonly number[])[]): { score: number; scores: number[]; randomScores: number[]; t: number; p: number; significant: boolean } {
  const frac = (rows: readonly (readonly number[])[], k: number): number => rows.filter((r) => r[k]! > 0).length / rows.length;
  const scores = (cav[0] ?? []).map((_, k) => frac(cav, k));
  const randomScores = (random[0] ?? []).map((_, k) => frac(random, k));
  const test = tTest(scores, randomScores);
  return { score: scores.reduce((a, b) => a + b, 0) / scores.length, scores, randomScores, t: test.t, p: test.p, significant: test.p < 0.05 };
}

export interface TcavFit {
  layer: string;
  concept: Float32Array[];
  random: Float32Array[];
  accuracy: number[];
  description: string;
}

/** Layer activations averaged over time, one [channels] vector per ECG. */
async function pooled(model: ExplainModel, layer: string, x: NdArray, batchSize: number): Promise<Float32Array[]> {
  const s = await model.gradients([layer], [layer]);
  const a = (await s.run(x, Array<number>(x.shape[0]!).fill(0), batchSize)).activations[layer]!;
  const [n, C, T] = a.shape as [number, number, number];
  return Array.from({ length: n }, (_, b) => Float32Array.from({ length: C }, (_, c) => {
    let s2 = 0;
    for (let t = 0; t < T; t++) s2 += a.data[(b * C + c) * T + t]!;
    return s2 / T;
  }));
}

/** Concept and random CAVs: randomSets + 1 random sets of setSize drawn from the random pool with Rng(seed). */
export async function fitTcav(model: ExplainModel, layer: string, sets: ConceptSets, o: { randomSets: number; setSize?: number; seed: number; batchSize: number }): Promise<TcavFit> {
  const conceptActs = await pooled(model, layer, sets.concept, o.batchSize);
  const randomActs = await pooled(model, layer, sets.random, o.batchSize);
  const size = Math.min(o.setSize ?? conceptActs.length, randomActs.length);
  if (size < 2) throw new OptionError('tcav.setSize', `random sets need at least 2 ECGs (pool has ${randomActs.length})`);
  const rng = new Rng(o.seed);
  const draw = (): Float32Array[] => {
    const idx = Array.from({ length: randomActs.length }, (_, i) => i);
    for (let i = 0; i < size; i++) {
      const j = i + rng.int(idx.length - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, size).map((i) => randomActs[i]!);
  };
  const randomSets = Array.from({ length: o.randomSets + 1 }, draw);
  const reference = randomSets.pop()!;
  const concept: Float32Array[] = [];
  const accuracy: number[] = [];
  for (const r of randomSets) {
    const c = trainCav(conceptActs, r);
    concept.push(c.v);
    accuracy.push(c.accuracy);
  }
  const random = randomSets.map((r) => trainCav(reference, r).v);
  return { layer, concept, random, accuracy, description: sets.description };
}

function arrayFromText(field: string, specs: boolean) {
  return (text: string): unknown => {
    if (!text.endsWith('.npy')) {
      if (specs) return text;
      throw new OptionError(field, `expected a FILE.npy [ECGs, leads, time], got '${text}'`);
    }
    const a = readNpy(text);
    if (a.shape.length !== 3) throw new OptionError(field, `${text} has shape [${a.shape.join(', ')}], expected [ECGs, leads, time]`);
    return a;
  };
}

const OPTIONS: readonly OptionDecl[] = [
  { name: 'layer', kind: 'text', defaultText: "the card's Grad-CAM layer, else the last residual block", help: "the [batch, channels, time] tensor the CAVs live in ('ecgx model info' lists them)" },
  { name: 'concept', kind: 'text', required: true, help: 'the concept: FILE.npy of concept ECGs, or label:NAME, measure:EXPR (qrs>120, t-inversion:V1,V2,V3...), edit:NAME (widen-qrs, invert-t, st-elevation, st-depression) over the pool', fromText: arrayFromText('tcav.concept', true) },
  { name: 'pool', kind: 'text', required: true, help: 'FILE.npy [ECGs, leads, time], model-ready: the random ECGs (and where label/measure/edit concepts are taken from)', fromText: arrayFromText('tcav.pool', false) },
  { name: 'poolLabels', kind: 'text', help: "FILE.json: one list of label names per pool ECG (for label:NAME)", fromText: (t) => JSON.parse(readFileSync(t, 'utf8')) as unknown },
  { name: 'randomSets', kind: 'int', default: 10, min: 2, max: 1000, help: 'random sets (concept CAVs, and random CAVs for the t-test)' },
  { name: 'setSize', kind: 'int', min: 2, max: 1_000_000, defaultText: 'the concept set size (at most the random pool)', help: 'ECGs per random set' },
  { name: 'upsample', kind: 'choice', default: 'nearest', choices: ['nearest', 'linear'], help: 'how the layer-time sensitivity map is stretched to the input length' },
  { name: 'fs', kind: 'number', min: 1, max: 100_000, defaultText: "the model card's rate", help: 'sampling rate of the pool, Hz (measure and edit concepts), when the model card gives none' },
];

export const tcav: ExplainerFactory = {
  name: 'tcav',
  summary: 'TCAV: sensitivity to an ECG concept (label set, delineator measurement, morphology edit) at a layer, t-test against random CAVs',
  options: OPTIONS,
  perInputMeta: ['sensitivity', 'cavSensitivity', 'randomSensitivity'],
  conformance: ({ x }) => {
    // Concept: the test ECGs amplified; random pool: the test ECGs reversed in time, and negated.
    const [n, leads, time] = x.shape as [number, number, number];
    const per = leads * time;
    const concept = Float32Array.from(x.data, (v) => 2 * v);
    const pool = new Float32Array(2 * n * per);
    for (let i = 0; i < n * per; i++) {
      const t = i % time;
      pool[i] = x.data[i - t + (time - 1 - t)]!;
      pool[n * per + i] = -x.data[i]!;
    }
    return { concept: { data: concept, shape: [n, leads, time] }, pool: { data: pool, shape: [2 * n, leads, time] }, randomSets: 3, setSize: 3 };
  },
  async create(model, opts = {}) {
    const m = ModelExplainer.open(model, opts);
    const layer = resolveLayer(m, opts['layer'], 'tcav.layer');
    const spec = opts['concept'];
    const pool = opts['pool'] as NdArray | undefined;
    if (spec === undefined) throw new OptionError('tcav.concept', 'required: concept ECGs (FILE.npy) or label:NAME, measure:EXPR, edit:NAME over a pool');
    if (!pool || !(pool.data instanceof Float32Array)) throw new OptionError('tcav.pool', 'required: the random ECGs [ECGs, leads, time] (FILE.npy)');
    const [dl, dt] = m.inputDims;
    if ((typeof dl === 'number' && pool.shape[1] !== dl) || (typeof dt === 'number' && pool.shape[2] !== dt)) throw new OptionError('tcav.pool', `pool has shape [${pool.shape.join(', ')}], the model expects [ECGs, ${dl}, ${dt}]`);
    const fs = (opts['fs'] as number | undefined) ?? m.fs;
    let sets: ConceptSets;
    if (typeof spec === 'string') {
      const labels = opts['poolLabels'] as string[][] | undefined;
      sets = conceptSets(spec, pool, { ...(fs ? { fs } : {}), names: leadNames(pool.shape[1]!), ...(labels ? { labels } : {}) });
    } else {
      const c = spec as NdArray;
      if (!(c.data instanceof Float32Array) || c.shape.length !== 3 || c.shape[1] !== pool.shape[1] || c.shape[2] !== pool.shape[2]) throw new OptionError('tcav.concept', `concept ECGs must be [ECGs, ${pool.shape[1]}, ${pool.shape[2]}] like the pool`);
      sets = { concept: c, random: pool, description: `${c.shape[0]} concept ECGs given` };
    }
    const fixed = new MethodOptions('tcav', opts, OPTIONS);
    const randomSets = fixed.int('randomSets');
    const fit = await fitTcav(m, layer, sets, {
      randomSets,
      ...(opts['setSize'] !== undefined ? { setSize: fixed.int('setSize') } : {}),
      seed: fixed.int('seed'), batchSize: fixed.int('batchSize'),
    });
    const mean = new Float32Array(fit.concept[0]!.length);
    for (const v of fit.concept) for (let c = 0; c < mean.length; c++) mean[c] += v[c]! / fit.concept.length;
    const norm = Math.hypot(...mean) || 1;
    for (let c = 0; c < mean.length; c++) mean[c]! /= norm;
    return new ModelExplainer('tcav', m, opts, OPTIONS, async ({ model, x, target, opts, batchSize }) => {
      opts.record('concept', typeof spec === 'string' ? spec : 'array');
      opts.record('randomSets', randomSets);
      opts.record('layer', layer);
      const upsample = opts.choice<Upsample>('upsample');
      const s = await model.gradients([layer], [layer]);
      const g = (await s.run(x, target.index, batchSize)).grads[layer]!;
      const [n, C, T] = g.shape as [number, number, number];
      const time = x.shape[2]!;
      const along = (v: Float32Array, b: number): number => {
        let s2 = 0;
        for (let c = 0; c < C; c++) {
          let gs = 0;
          for (let t = 0; t < T; t++) gs += g.data[(b * C + c) * T + t]!;
          s2 += gs * v[c]!;
        }
        return s2;
      };
      const map = new Float32Array(n * T);
      for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) map[b * T + t] += g.data[(b * C + c) * T + t]! * mean[c]!;
      const cavSensitivity = Array.from({ length: n }, (_, b) => fit.concept.map((v) => along(v, b)));
      const randomSensitivity = Array.from({ length: n }, (_, b) => fit.random.map((v) => along(v, b)));
      const sensitivity = Array.from({ length: n }, (_, b) => along(mean, b));
      return {
        values: { data: upsampleTime(map, n, T, time, upsample), shape: [n, 1, time] },
        meta: {
          layer, concept: fit.description, cavAccuracy: fit.accuracy, sensitivity, cavSensitivity, randomSensitivity,
          tcav: tcavTest(cavSensitivity, randomSensitivity),
        },
      };
    });
  },
};
