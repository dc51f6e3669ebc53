/**
 * Deletion and insertion curves (Samek et al. 2017; Petsiuk et al. 2018):
 * the most-attributed samples are removed (replaced by a baseline) in
 * increasing fractions and the model rerun; the curve is the target's
 * probability against the fraction removed. Deletion starts from the ECG
 * (a faithful map drops fast: low AUC is good); insertion starts from the
 * baseline and puts back the most-attributed samples first (high AUC is good).
 * AUC by the trapezoid rule over fractions in [0, 1].
 *
 * A [batch, 1, T] map ranks time samples, removed in all leads at once; a
 * [batch, L, T] map ranks (lead, sample) pairs. Ties keep time order.
 */
import { DataError } from '../../util/errors.js';
import type { NdArray } from '../../util/npy.js';
import type { ExplainModel } from '../model.js';

export interface CurveOptions {
  /** Points after the start (fractions k/steps, k = 0..steps); default 20. */
  steps?: number;
  /** Value of removed samples (default 0, the mean of standardised leads). */
  baseline?: number;
  /** 'probability' (default): sigmoid, or softmax for multiclass, or the value for regression; 'output': the raw output. */
  score?: 'probability' | 'output';
  /** Runs per model call (default 64). */
  batchSize?: number;
  /** Called after each ECG's curve (progress). */
  onEcg?: () => void;
}

export interface CurveResult {
  mode: 'deletion' | 'insertion';
  fractions: number[];
  /** [ECG][point] target score. */
  curves: number[][];
  /** Trapezoid AUC per ECG. */
  auc: number[];
  meanAuc: number;
}

/** Trapezoid rule for y sampled at x. */
export function trapezoid(x: readonly number[], y: readonly number[]): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += ((y[i]! + y[i - 1]!) / 2) * (x[i]! - x[i - 1]!);
  return s;
}

/** Probability of column k in a row of outputs, by the model's task (outputs that are probabilities already stay as they are). */
export function targetProbability(model: ExplainModel, row: ArrayLike<number>, k: number, score: 'probability' | 'output'): number {
  const v = row[k]!;
  if (score === 'output' || model.outputKind !== 'logits' || model.task === 'regression') return v;
  if (model.task === 'multiclass') {
    let m = -Infinity;
    for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]!);
    let z = 0;
    for (let i = 0; i < row.length; i++) z += Math.exp(row[i]! - m);
    return Math.exp(v - m) / z;
  }
  return 1 / (1 + Math.exp(-v));
}

export async function deletionCurve(
  model: ExplainModel,
  x: NdArray,
  attribution: NdArray,
  target: readonly number[],
  mode: 'deletion' | 'insertion',
  opts: CurveOptions = {},
): Promise<CurveResult> {
  const steps = opts.steps ?? 20;
  const fill = opts.baseline ?? 0;
  const score = opts.score ?? 'probability';
  const { n, leads, time } = model.checkBatch(x);
  const rows = attribution.shape[1]!;
  if (attribution.shape[0] !== n || attribution.shape[2] !== time || (rows !== 1 && rows !== leads)) {
    throw new DataError(`deletion curve: attribution shape [${attribution.shape.join(', ')}] does not fit the input [${x.shape.join(', ')}] (expected [${n}, 1 or ${leads}, ${time}])`);
  }
  if (target.length !== n) throw new DataError(`deletion curve: ${target.length} targets for ${n} ECGs`);
  const per = leads * time;
  const units = rows * time;
  const fractions = Array.from({ length: steps + 1 }, (_, k) => k / steps);
  const curves: number[][] = [];
  for (let b = 0; b < n; b++) {
    const a = attribution.data.subarray(b * units, (b + 1) * units);
    const order = Array.from({ length: units }, (_, i) => i).sort((i, j) => a[j]! - a[i]! || i - j);
    const batch = new Float32Array((steps + 1) * per);
    const src = x.data.subarray(b * per, (b + 1) * per);
    for (let k = 0; k <= steps; k++) {
      const row = batch.subarray(k * per, (k + 1) * per);
      if (mode === 'deletion') row.set(src);
      else row.fill(fill);
      const count = Math.round(fractions[k]! * units);
      for (let r = 0; r < count; r++) {
        const u = order[r]!;
        const t = u % time;
        const lo = rows === 1 ? 0 : Math.floor(u / time);
        const hi = rows === 1 ? leads : lo + 1;
        for (let l = lo; l < hi; l++) row[l * time + t] = mode === 'deletion' ? fill : src[l * time + t]!;
      }
    }
    const out = await model.scores({ data: batch, shape: [steps + 1, leads, time] }, opts.batchSize ?? 64);
    const K = model.width;
    curves.push(Array.from({ length: steps + 1 }, (_, k) => targetProbability(model, out.data.subarray(k * K, (k + 1) * K), target[b]!, score)));
    opts.onEcg?.();
  }
  const auc = curves.map((c) => trapezoid(fractions, c));
  return { mode, fractions, curves, auc, meanAuc: auc.reduce((s, v) => s + v, 0) / Math.max(1, n) };
}
