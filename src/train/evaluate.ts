/**
 * Metrics of one set of predictions, per task, and the choice of the
 * validation metric for early stopping.
 */
import type { ModelTask } from '../models/meta.js';
import { OptionError } from '../util/errors.js';
import { argmaxAccuracy, aurocPerClass, fmax, nanMean, regressionMetrics, thresholdMetrics } from './metrics.js';

/** Metric name -> value; per-class AUROC as `auroc:<class>`. */
export type MetricValues = Record<string, number>;

export const CLASSIFICATION_METRICS = ['auroc', 'fmax', 'accuracy', 'f1'] as const;
export const REGRESSION_METRICS = ['mae', 'rmse', 'r2', 'pearson'] as const;
const LOWER_IS_BETTER = new Set(['mae', 'rmse']);

/** The metric early stopping follows when none is named: macro AUROC, or MAE for regression. */
export function defaultMetric(task: ModelTask): string {
  return task === 'regression' ? 'mae' : 'auroc';
}

export function checkMetric(task: ModelTask, metric: string): string {
  const allowed: readonly string[] = task === 'regression' ? REGRESSION_METRICS : CLASSIFICATION_METRICS;
  if (!allowed.includes(metric)) throw new OptionError('metric', `expected one of ${allowed.join('|')} for a ${task} task, got '${metric}'`);
  return metric;
}

/** Whether metric value a is better than b (NaN is never better). */
export function isBetter(metric: string, a: number, b: number | undefined): boolean {
  if (!Number.isFinite(a)) return false;
  if (b === undefined || !Number.isFinite(b)) return true;
  return LOWER_IS_BETTER.has(metric) ? a < b : a > b;
}

/**
 * Metrics of scores [n, k] (probabilities, or predictions in original units
 * for regression) against targets [n, k]:
 * classification: auroc (macro), auroc:<class>, fmax, accuracy and f1 (macro)
 * at threshold 0.5 (multi-class: accuracy of the arg-max); regression: mae,
 * rmse, r2, pearson (first output).
 */
export function computeMetrics(task: ModelTask, classes: readonly string[], scores: Float32Array | number[], targets: Float32Array | number[]): MetricValues {
  const k = classes.length;
  const n = scores.length / k;
  if (task === 'regression') {
    const r = regressionMetrics(scores, targets);
    return { mae: r.mae, rmse: r.rmse, r2: r.r2, pearson: r.pearson };
  }
  const s = { data: scores, n, k }, t = { data: targets, n, k };
  const per = aurocPerClass(s, t);
  const out: MetricValues = { auroc: nanMean(per) };
  classes.forEach((c, j) => (out[`auroc:${c}`] = per[j]!));
  out['fmax'] = fmax(s, t).fmax;
  const th = thresholdMetrics(s, t, 0.5);
  out['accuracy'] = task === 'multiclass' ? argmaxAccuracy(s, t) : th.accuracy;
  out['f1'] = th.macroF1;
  return out;
}
