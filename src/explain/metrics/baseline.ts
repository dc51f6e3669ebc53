/**
 * What a faithfulness number means depends on two references, computed here
 * on the same model inputs as the methods:
 *  - a random attribution (seeded uniform noise per sample): the deletion and
 *    insertion AUC any map must beat to say more than chance;
 *  - the whole signal deleted (every sample set to the curves' baseline
 *    value): when that barely moves the target's score, the model hardly
 *    uses its input (untrained, or collapsed to a constant), and no
 *    attribution of it can be faithful. The report and the web app warn then.
 */
import type { NdArray } from '../../util/npy.js';
import { Rng } from '../../util/rng.js';
import type { ExplainModel } from '../model.js';
import { deletionCurve, targetProbability, type CurveOptions } from './deletion.js';

/** Below this mean change of the target's probability, deleting the whole signal "barely changes" the output. */
export const INSENSITIVE_CHANGE = 0.05;

/** A seeded random map shaped like `shape` ([n, rows, time]): uniform in [0, 1), one value per sample. */
export function randomAttribution(shape: readonly number[], seed = 0): NdArray {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform();
  return { data, shape: [...shape] };
}

export interface WholeDeletion {
  /** Target score per input: as given, and with every sample deleted. */
  before: number[];
  after: number[];
  /** Mean |before - after|. */
  meanChange: number;
  /** True when meanChange < INSENSITIVE_CHANGE (probabilities) or under 5% of the mean |before| (raw outputs). */
  insensitive: boolean;
  /** The warning to show when insensitive, else undefined. */
  warning?: string;
}

/** The target's score with the whole signal deleted, against the input's. */
export async function wholeDeletion(model: ExplainModel, x: NdArray, target: readonly number[], o: Pick<CurveOptions, 'baseline' | 'score' | 'batchSize'> = {}): Promise<WholeDeletion> {
  const score = o.score ?? 'probability';
  const { n } = model.checkBatch(x);
  const empty = { data: new Float32Array(x.data.length).fill(o.baseline ?? 0), shape: x.shape };
  const K = model.width;
  const fx = await model.scores(x, o.batchSize ?? 64);
  const f0 = await model.scores(empty, o.batchSize ?? 64);
  const before: number[] = [], after: number[] = [];
  for (let b = 0; b < n; b++) {
    before.push(targetProbability(model, fx.data.subarray(b * K, (b + 1) * K), target[b]!, score));
    after.push(targetProbability(model, f0.data.subarray(b * K, (b + 1) * K), target[b]!, score));
  }
  const meanChange = before.reduce((s, v, i) => s + Math.abs(v - after[i]!), 0) / Math.max(1, n);
  const probability = score === 'probability' && model.task !== 'regression';
  const scale = probability ? 1 : before.reduce((s, v) => s + Math.abs(v), 0) / Math.max(1, n);
  const insensitive = probability ? meanChange < INSENSITIVE_CHANGE : meanChange < 0.05 * scale;
  const what = probability ? `the target's probability by ${meanChange.toFixed(3)}` : `the target output by ${meanChange.toPrecision(2)} (${((100 * meanChange) / Math.max(scale, 1e-12)).toFixed(1)}% of its size)`;
  return {
    before, after, meanChange, insensitive,
    ...(insensitive ? { warning: `deleting the whole signal changes ${what} on average over ${n} input(s): the model barely uses its input (untrained or collapsed?), so no attribution of it can be faithful` } : {}),
  };
}

export interface RandomBaseline {
  deletion: { meanAuc: number; auc: number[] };
  insertion: { meanAuc: number; auc: number[] };
}

/** Deletion and insertion AUC of a seeded random map with `rows` rows (1: time only; leads: per lead). */
export async function randomBaseline(model: ExplainModel, x: NdArray, target: readonly number[], rows: number, o: CurveOptions & { seed?: number } = {}): Promise<RandomBaseline> {
  const [n, , time] = x.shape as [number, number, number];
  const a = randomAttribution([n, rows, time], o.seed ?? 0);
  const del = await deletionCurve(model, x, a, target, 'deletion', o);
  const ins = await deletionCurve(model, x, a, target, 'insertion', o);
  return { deletion: { meanAuc: del.meanAuc, auc: del.auc }, insertion: { meanAuc: ins.meanAuc, auc: ins.auc } };
}
