/**
 * Evaluation metrics. Scores and targets are row-major `[n, k]` arrays
 * (n samples, k classes); binary targets are 0/1.
 *
 * - AUROC follows scikit-learn's `roc_auc_score`: the area under the ROC
 *   curve with tied scores forming one step, which equals the Mann-Whitney
 *   probability P(score+ > score-) + 0.5 P(score+ = score-). Macro AUROC is
 *   the mean over classes that have both positives and negatives (sklearn
 *   raises instead; a class without one of them is reported as NaN and left
 *   out of the mean).
 * - Fmax is the sample-centred maximum F1 of the PTB-XL benchmark
 *   (Strodthoff et al. 2021, IEEE JBHI 25:1519, following CAFA: Radivojac et
 *   al. 2013, Nat Methods 10:221): at threshold t, precision is averaged over
 *   the samples with at least one score >= t, recall over all samples with at
 *   least one positive label, and Fmax = max_t 2PR/(P+R). Every distinct
 *   score is tried as t, so the maximum is exact (no threshold grid).
 */

export interface Scores {
  /** Row-major [n, k] scores (probabilities) or predictions. */
  data: ArrayLike<number>;
  n: number;
  k: number;
}

/** AUROC of one binary problem; NaN when the targets are all 0 or all 1. */
export function auroc(scores: ArrayLike<number>, targets: ArrayLike<number>): number {
  const n = scores.length;
  if (targets.length !== n) throw new RangeError(`auroc: ${n} scores but ${targets.length} targets`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  // Sum of the (mid-)ranks of the positives: ties share their average rank.
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) {
      if (targets[order[m]!]! > 0.5) {
        rankSum += midRank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

function column(a: Scores, j: number): Float64Array {
  const out = new Float64Array(a.n);
  for (let i = 0; i < a.n; i++) out[i] = Number(a.data[i * a.k + j]);
  return out;
}

function checkSame(s: Scores, t: Scores, what: string): void {
  if (s.n !== t.n || s.k !== t.k) throw new RangeError(`${what}: scores are [${s.n}, ${s.k}], targets [${t.n}, ${t.k}]`);
  if (s.data.length !== s.n * s.k || t.data.length !== t.n * t.k) throw new RangeError(`${what}: data length does not match [n, k]`);
}

/** AUROC per class (NaN for a class without positives or without negatives). */
export function aurocPerClass(s: Scores, t: Scores): number[] {
  checkSame(s, t, 'aurocPerClass');
  return Array.from({ length: s.k }, (_, j) => auroc(column(s, j), column(t, j)));
}

/** Mean of the per-class AUROCs that are defined. */
export function macroAuroc(s: Scores, t: Scores): number {
  return nanMean(aurocPerClass(s, t));
}

/** Sample-centred Fmax (see the file comment), with the threshold that reaches it. */
export function fmax(s: Scores, t: Scores): { fmax: number; threshold: number } {
  checkSame(s, t, 'fmax');
  const { n, k } = s;
  const positives = new Int32Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) if (t.data[i * k + j]! > 0.5) positives[i]!++;
  const labelled = positives.reduce((a, p) => a + (p > 0 ? 1 : 0), 0);
  if (labelled === 0) return { fmax: NaN, threshold: NaN };
  const thresholds = [...new Set(Array.from(s.data, Number))].sort((a, b) => b - a);
  let best = { fmax: 0, threshold: NaN };
  for (const th of thresholds) {
    let precSum = 0, covered = 0, recSum = 0;
    for (let i = 0; i < n; i++) {
      let predicted = 0, hits = 0;
      for (let j = 0; j < k; j++) {
        if (s.data[i * k + j]! >= th) {
          predicted++;
          if (t.data[i * k + j]! > 0.5) hits++;
        }
      }
      if (predicted > 0) {
        precSum += hits / predicted;
        covered++;
      }
      if (positives[i]! > 0) recSum += hits / positives[i]!;
    }
    const p = covered > 0 ? precSum / covered : 0;
    const r = recSum / labelled;
    const f = p + r > 0 ? (2 * p * r) / (p + r) : 0;
    if (f > best.fmax) best = { fmax: f, threshold: th };
  }
  return best;
}

/** Binary decisions `score >= threshold` against the targets: accuracy over all n*k cells, and per-class and macro F1. */
export function thresholdMetrics(s: Scores, t: Scores, threshold = 0.5): { accuracy: number; f1: number[]; macroF1: number } {
  checkSame(s, t, 'thresholdMetrics');
  let correct = 0;
  const f1: number[] = [];
  for (let j = 0; j < s.k; j++) {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < s.n; i++) {
      const p = s.data[i * s.k + j]! >= threshold, y = t.data[i * s.k + j]! > 0.5;
      if (p === y) correct++;
      if (p && y) tp++;
      else if (p) fp++;
      else if (y) fn++;
    }
    f1.push(tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : NaN);
  }
  return { accuracy: correct / (s.n * s.k), f1, macroF1: nanMean(f1) };
}

/** Multi-class accuracy: the arg-max of the scores equals the arg-max of the (one-hot) target. */
export function argmaxAccuracy(s: Scores, t: Scores): number {
  checkSame(s, t, 'argmaxAccuracy');
  let correct = 0;
  for (let i = 0; i < s.n; i++) if (argmax(s.data, i * s.k, s.k) === argmax(t.data, i * t.k, t.k)) correct++;
  return correct / s.n;
}

function argmax(a: ArrayLike<number>, off: number, k: number): number {
  let b = 0;
  for (let j = 1; j < k; j++) if (a[off + j]! > a[off + b]!) b = j;
  return b;
}

export interface RegressionMetrics {
  mae: number;
  rmse: number;
  /** Coefficient of determination 1 - SS_res / SS_tot (sklearn's r2_score). */
  r2: number;
  /** Pearson correlation of predictions and targets. */
  pearson: number;
}

export function regressionMetrics(pred: ArrayLike<number>, target: ArrayLike<number>): RegressionMetrics {
  const n = pred.length;
  if (target.length !== n || n === 0) throw new RangeError(`regressionMetrics: ${n} predictions, ${target.length} targets`);
  let mp = 0, mt = 0;
  for (let i = 0; i < n; i++) {
    mp += pred[i]!;
    mt += target[i]!;
  }
  mp /= n;
  mt /= n;
  let ae = 0, se = 0, st = 0, sp = 0, spt = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i]! - target[i]!;
    ae += Math.abs(d);
    se += d * d;
    st += (target[i]! - mt) ** 2;
    sp += (pred[i]! - mp) ** 2;
    spt += (pred[i]! - mp) * (target[i]! - mt);
  }
  return { mae: ae / n, rmse: Math.sqrt(se / n), r2: st > 0 ? 1 - se / st : NaN, pearson: sp > 0 && st > 0 ? spt / Math.sqrt(sp * st) : NaN };
}

/** Mean of the finite values (NaN when none). */
export function nanMean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/** Mean and sample standard deviation (n - 1) of the finite values. */
export function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const ok = xs.filter((x) => Number.isFinite(x));
  const mean = nanMean(ok);
  const std = ok.length > 1 ? Math.sqrt(ok.reduce((a, x) => a + (x - mean) ** 2, 0) / (ok.length - 1)) : NaN;
  return { mean, std, n: ok.length };
}
