/**
 * The TLC surrogate: random forests on each ECG's cluster proportions (the
 * groups' proportions side by side, proportionFeatures), fitted on a fold's
 * training ECGs and scored on its test ECGs.
 *
 * - Fidelity: a forest learns the CNN's *predicted* labels; fidelity is its
 *   agreement with the CNN on the test ECGs, in %. Multi-label: one binary
 *   forest per class on the CNN's label at probability >= 0.5, agreement over
 *   all (ECG, class) pairs (as the multi-label accuracy); also the share of
 *   ECGs where every class agrees. Multi-class: one forest on the CNN's
 *   arg-max. Regression: R^2 of the forest against the CNN's predictions.
 * - Accuracy: a second forest learns the *true* labels; its test metrics
 *   (auroc, accuracy, ...; mae, r2 for regression) are computed with the same
 *   function as the CNN's (computeMetrics), so the two are comparable.
 */
import type { ModelTask } from '../../models/meta.js';
import { computeMetrics, type MetricValues } from '../../train/evaluate.js';
import { meanStd, nanMean } from '../../train/metrics.js';
import { cohenKappa } from './agreement.js';
import { OptionError } from '../../util/errors.js';
import { RandomForestClassifier, RandomForestRegressor, r2Score, type ForestOptions } from './forest.js';
import type { Points } from './points.js';

/** One split of a fold: features [n, d] with the CNN's scores and the true targets, both [n, k]. */
export interface SurrogateSplit {
  x: Points;
  /** CNN probabilities (classification) or predictions in original units (regression), [n, k]. */
  cnn: ArrayLike<number>;
  /** True targets: 0/1 per class (one-hot for multi-class), or the value. */
  truth: ArrayLike<number>;
}

export interface SurrogateFoldResult {
  fold: number;
  nTrain: number;
  nTest: number;
  /** Classification: % agreement with the CNN's labels; regression: 100 x R^2 against the CNN's predictions. */
  fidelity: number;
  /** Multi-label: fidelity per class (%). */
  fidelityPerClass?: number[];
  /** Multi-label: % of test ECGs whose every class agrees with the CNN. */
  exactMatch?: number;
  /**
   * Classification: Cohen's kappa between the forest's and the CNN's labels,
   * per class (multi-label) and macro-averaged over the classes where it is
   * defined (multi-class: one kappa over the arg-max labels). Chance-corrected:
   * 0 is what a forest that ignores the clusters would reach.
   */
  kappaPerClass?: number[];
  kappa?: number;
  /**
   * The same agreement figures for a baseline that ignores the clusters and
   * always predicts the training ECGs' most frequent CNN label (per class):
   * what fidelity is worth when most labels are negative.
   */
  majority?: { fidelity: number; exactMatch?: number };
  /** Regression: R^2 of the fidelity forest against the CNN's predictions. */
  r2ToCnn?: number;
  /** Test metrics of the forest trained on the true labels. */
  forest: MetricValues;
  /** Test metrics of the CNN on the same ECGs. */
  cnn: MetricValues;
}

function column(a: ArrayLike<number>, n: number, k: number, j: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(a[i * k + j]);
  return out;
}

function argmaxRows(a: ArrayLike<number>, n: number, k: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let j = 1; j < k; j++) if (a[i * k + j]! > a[i * k + b]!) b = j;
    out[i] = b;
  }
  return out;
}

/** Binary labels (0/1) of one class; a class with a single value in training is predicted constant. */
function fitBinary(x: Points, y: Float64Array, test: Points, opts: ForestOptions): { prob: Float64Array; label: Float64Array } {
  const forest = new RandomForestClassifier(opts).fit(x, y, 2);
  const p = forest.predictProba(test);
  const prob = column(p.data, test.n, 2, 1);
  return { prob, label: Float64Array.from(prob, (v) => (v >= 0.5 ? 1 : 0)) };
}

/** Fidelity and accuracy forests of one fold. */
export function surrogateFold(task: ModelTask, classes: readonly string[], fold: number, train: SurrogateSplit, test: SurrogateSplit, opts: ForestOptions = {}): SurrogateFoldResult {
  const k = classes.length;
  for (const [name, s] of [['train', train], ['test', test]] as const) {
    if (s.cnn.length !== s.x.n * k || s.truth.length !== s.x.n * k) throw new OptionError('surrogate', `${name}: expected ${s.x.n} x ${k} CNN scores and targets, got ${s.cnn.length} and ${s.truth.length}`);
  }
  if (train.x.n < 2 || test.x.n < 1) throw new OptionError('surrogate', `fold ${fold}: needs at least 2 training and 1 test ECG (got ${train.x.n} and ${test.x.n})`);
  const nTr = train.x.n, nTe = test.x.n;
  const cnnMetrics = computeMetrics(task, classes, Float32Array.from(test.cnn), Float32Array.from(test.truth));
  const base = { fold, nTrain: nTr, nTest: nTe, cnn: cnnMetrics };

  if (task === 'regression') {
    if (k !== 1) throw new OptionError('surrogate', `regression surrogates take one output, got ${k}`);
    const fid = new RandomForestRegressor(opts).fit(train.x, Float64Array.from(train.cnn));
    const r2 = r2Score(Float64Array.from(test.cnn), fid.predict(test.x));
    const acc = new RandomForestRegressor(opts).fit(train.x, Float64Array.from(train.truth));
    const forest = computeMetrics(task, classes, Float32Array.from(acc.predict(test.x)), Float32Array.from(test.truth));
    return { ...base, fidelity: 100 * r2, r2ToCnn: r2, forest };
  }

  if (task === 'multiclass') {
    const cnnTrain = argmaxRows(train.cnn, nTr, k), cnnTest = argmaxRows(test.cnn, nTe, k);
    const fid = new RandomForestClassifier(opts).fit(train.x, cnnTrain, k).predict(test.x);
    let agree = 0;
    for (let i = 0; i < nTe; i++) if (fid[i] === cnnTest[i]) agree++;
    const acc = new RandomForestClassifier(opts).fit(train.x, argmaxRows(train.truth, nTr, k), k).predictProba(test.x);
    const forest = computeMetrics(task, classes, Float32Array.from(acc.data), Float32Array.from(test.truth));
    const major = mostFrequent(cnnTrain);
    const majorityAgree = cnnTest.reduce((a, v) => a + (v === major ? 1 : 0), 0);
    return { ...base, fidelity: (100 * agree) / nTe, kappa: cohenKappa(fid, cnnTest), majority: { fidelity: (100 * majorityAgree) / nTe }, forest };
  }

  // Multi-label: one binary forest per class, for fidelity and for the true labels.
  const perClass: number[] = [], kappas: number[] = [], majorityPerClass: number[] = [];
  const allAgree = new Uint8Array(nTe).fill(1), majorityAllAgree = new Uint8Array(nTe).fill(1);
  const scores = new Float32Array(nTe * k);
  for (let j = 0; j < k; j++) {
    const cnnTr = Float64Array.from(column(train.cnn, nTr, k, j), (v) => (v >= 0.5 ? 1 : 0));
    const cnnTe = Float64Array.from(column(test.cnn, nTe, k, j), (v) => (v >= 0.5 ? 1 : 0));
    const fid = fitBinary(train.x, cnnTr, test.x, opts).label;
    let agree = 0;
    for (let i = 0; i < nTe; i++) {
      if (fid[i] === cnnTe[i]) agree++;
      else allAgree[i] = 0;
    }
    perClass.push((100 * agree) / nTe);
    kappas.push(cohenKappa(fid, cnnTe));
    const major = mostFrequent(cnnTr);
    let majorityAgree = 0;
    for (let i = 0; i < nTe; i++) {
      if (cnnTe[i] === major) majorityAgree++;
      else majorityAllAgree[i] = 0;
    }
    majorityPerClass.push((100 * majorityAgree) / nTe);
    const truthTr = Float64Array.from(column(train.truth, nTr, k, j), (v) => (v > 0.5 ? 1 : 0));
    const acc = fitBinary(train.x, truthTr, test.x, opts).prob;
    for (let i = 0; i < nTe; i++) scores[i * k + j] = acc[i]!;
  }
  const forest = computeMetrics(task, classes, scores, Float32Array.from(test.truth));
  const exact = allAgree.reduce((a, b) => a + b, 0);
  const majority = { fidelity: majorityPerClass.reduce((a, b) => a + b, 0) / k, exactMatch: (100 * majorityAllAgree.reduce((a, b) => a + b, 0)) / nTe };
  return {
    ...base, fidelity: perClass.reduce((a, b) => a + b, 0) / k, fidelityPerClass: perClass, exactMatch: (100 * exact) / nTe,
    kappaPerClass: kappas, kappa: nanMean(kappas), majority, forest,
  };
}

/** The most frequent value of 0/1 or class labels (the smallest on ties). */
function mostFrequent(v: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < v.length; i++) counts.set(v[i]!, (counts.get(v[i]!) ?? 0) + 1);
  let best = NaN, bc = -1;
  for (const [x, c] of [...counts].sort((a, b) => a[0] - b[0])) if (c > bc) [best, bc] = [x, c];
  return best;
}

type Stat = { mean: number; std: number; n: number };

export interface SurrogateSummary {
  fidelity: Stat;
  exactMatch?: Stat;
  /** Macro Cohen's kappa (forest vs CNN labels). */
  kappa?: Stat;
  /** The majority-label baseline's fidelity and exact match. */
  majority?: { fidelity: Stat; exactMatch?: Stat };
  /** Per class, over folds: fidelity (%) and kappa. */
  perClass?: Record<string, { fidelity: Stat; kappa: Stat }>;
  /** Mean ± std over folds of each metric, forest and CNN. */
  forest: Record<string, { mean: number; std: number; n: number }>;
  cnn: Record<string, { mean: number; std: number; n: number }>;
}

export function summarizeSurrogate(folds: readonly SurrogateFoldResult[], classes?: readonly string[]): SurrogateSummary {
  const over = (pick: (f: SurrogateFoldResult) => MetricValues): SurrogateSummary['forest'] => {
    const keys = [...new Set(folds.flatMap((f) => Object.keys(pick(f))))];
    return Object.fromEntries(keys.map((key) => [key, meanStd(folds.map((f) => pick(f)[key] ?? NaN))]));
  };
  const out: SurrogateSummary = { fidelity: meanStd(folds.map((f) => f.fidelity)), forest: over((f) => f.forest), cnn: over((f) => f.cnn) };
  if (folds.every((f) => f.exactMatch !== undefined)) out.exactMatch = meanStd(folds.map((f) => f.exactMatch!));
  if (folds.every((f) => f.kappa !== undefined)) out.kappa = meanStd(folds.map((f) => f.kappa!));
  if (folds.every((f) => f.majority !== undefined)) {
    out.majority = { fidelity: meanStd(folds.map((f) => f.majority!.fidelity)) };
    if (folds.every((f) => f.majority!.exactMatch !== undefined)) out.majority.exactMatch = meanStd(folds.map((f) => f.majority!.exactMatch!));
  }
  if (classes && folds.every((f) => f.fidelityPerClass && f.kappaPerClass)) {
    out.perClass = Object.fromEntries(classes.map((c, j) => [c, {
      fidelity: meanStd(folds.map((f) => f.fidelityPerClass![j]!)),
      kappa: meanStd(folds.map((f) => f.kappaPerClass![j]!).filter(Number.isFinite)),
    }]));
  }
  return out;
}
