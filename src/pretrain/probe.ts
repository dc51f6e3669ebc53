/**
 * Linear probes on frozen embeddings: ridge regression on {0, 1} label
 * targets (one output per class, sklearn's RidgeClassifier), features
 * standardised with the training part's mean and sd. Scored by AUROC, which
 * needs only the ranking the linear scores give.
 *
 * Protocols:
 *   - in-distribution: k-fold cross-validation on the probe dataset (folds by
 *     patient, stratified by label); the test fold rotates;
 *   - out-of-distribution: trained on all of the probe dataset, tested on
 *     each other dataset (same label names);
 *   - label efficiency: the training part subsampled to a fraction of its
 *     records (seeded, `repeats` draws for fractions below 1).
 */
import { basename } from 'node:path';
import { openDataset } from '../data/datasets/registry.js';
import { stratifiedFolds } from '../data/datasets/folds.js';
import { resolveTask, type ResolvedTask } from '../train/task.js';
import { aurocPerClass, nanMean } from '../train/metrics.js';
import { DataError, OptionError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import { Rng } from '../util/rng.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import { embedDataset, type Embeddings } from './embed.js';

/** A fitted ridge probe: scores = ((x - mean) / sd) W + b. */
export interface RidgeProbe {
  mean: Float64Array;
  sd: Float64Array;
  /** [F, k] row-major. */
  weights: Float64Array;
  bias: Float64Array;
  features: number;
  classes: number;
}

/** Fits ridge regression of y [n, k] on x [n, F] with penalty alpha * |W|^2 (intercept not penalised). */
export function fitRidge(x: NdArray, y: NdArray, alpha: number): RidgeProbe {
  const [n, f] = x.shape as [number, number];
  const k = y.shape[1]!;
  if (y.shape[0] !== n) throw new RangeError(`fitRidge: ${n} rows of features but ${y.shape[0]} of targets`);
  if (!(alpha > 0)) throw new OptionError('alpha', `expected a number > 0, got ${alpha}`);
  const mean = new Float64Array(f), sd = new Float64Array(f), ym = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j]! += x.data[i * f + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) sd[j]! += (x.data[i * f + j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < f; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) ym[c]! += y.data[i * k + c]! / n;
  const z = new Float64Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) z[i * f + j] = (x.data[i * f + j]! - mean[j]!) / sd[j]!;
  // Normal equations (Z'Z + alpha I) W = Z'(Y - ym), solved by Cholesky (SPD for alpha > 0).
  const a = new Float64Array(f * f), rhs = new Float64Array(f * k);
  for (let i = 0; i < n; i++) {
    const zi = z.subarray(i * f, (i + 1) * f);
    for (let p = 0; p < f; p++) {
      const v = zi[p]!;
      if (v === 0) continue;
      for (let q = p; q < f; q++) a[p * f + q]! += v * zi[q]!;
      for (let c = 0; c < k; c++) rhs[p * k + c]! += v * (y.data[i * k + c]! - ym[c]!);
    }
  }
  for (let p = 0; p < f; p++) {
    a[p * f + p]! += alpha;
    for (let q = 0; q < p; q++) a[p * f + q] = a[q * f + p]!;
  }
  const weights = choleskySolve(a, rhs, f, k);
  return { mean, sd, weights, bias: ym, features: f, classes: k };
}

/** Solves A X = B for SPD A [m, m] and B [m, k], in place of copies. */
export function choleskySolve(a: Float64Array, b: Float64Array, m: number, k: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j]!;
      for (let p = 0; p < j; p++) s -= l[i * m + p]! * l[j * m + p]!;
      if (i === j) {
        if (!(s > 0)) throw new RangeError('choleskySolve: the matrix is not positive definite');
        l[i * m + i] = Math.sqrt(s);
      } else l[i * m + j] = s / l[j * m + j]!;
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < m; i++) {
      let s = x[i * k + c]!;
      for (let p = 0; p < i; p++) s -= l[i * m + p]! * x[p * k + c]!;
      x[i * k + c] = s / l[i * m + i]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = x[i * k + c]!;
      for (let p = i + 1; p < m; p++) s -= l[p * m + i]! * x[p * k + c]!;
      x[i * k + c] = s / l[i * m + i]!;
    }
  }
  return x;
}

export function predictRidge(p: RidgeProbe, x: NdArray): Float64Array {
  const n = x.shape[0]!, f = p.features, k = p.classes;
  if (x.shape[1] !== f) throw new RangeError(`predictRidge: ${x.shape[1]} features, the probe has ${f}`);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = p.bias[c]!;
      for (let j = 0; j < f; j++) s += ((x.data[i * f + j]! - p.mean[j]!) / p.sd[j]!) * p.weights[j * k + c]!;
      out[i * k + c] = s;
    }
  }
  return out;
}

export interface ProbeOptions {
  /** Task as for ecgx train: a label set (superclass, rhythm, ...) or label names. */
  task?: string;
  labels?: string[];
  /** Label fractions of the training part (default [1]). */
  fractions?: number[];
  /** Cross-validation folds for the in-distribution figure (default 5). */
  folds?: number;
  /** Draws per fraction below 1 (default 5). */
  repeats?: number;
  /** Ridge penalty (default 1, on standardised features). */
  alpha?: number;
  seed?: number;
  /** Datasets to test on out of distribution. */
  test?: string[];
  maxRecords?: number;
  threads?: number;
}

export interface ProbeRow {
  /** 'in-distribution' (cross-validated) or the test dataset's folder name. */
  evaluation: string;
  fraction: number;
  /** Mean training records per fit. */
  nTrain: number;
  nTest: number;
  /** Macro AUROC: mean over fits, and its sd over fits. */
  auroc: number;
  aurocSd: number;
  /** Per-class AUROC, mean over fits. */
  perClass: Record<string, number>;
}

export interface ProbeResult {
  task: string;
  classes: string[];
  records: number;
  rows: ProbeRow[];
}

function rowsOf(e: Embeddings, idx: readonly number[]): NdArray {
  const f = e.values.shape[1]!;
  const data = new Float32Array(idx.length * f);
  idx.forEach((i, r) => data.set(e.values.data.subarray(i * f, (i + 1) * f), r * f));
  return { data, shape: [idx.length, f] };
}

function targetsOf(task: ResolvedTask, idx: readonly number[]): NdArray {
  const k = task.classes.length;
  const data = new Float32Array(idx.length * k);
  idx.forEach((i, r) => data.set(task.examples[i]!.target, r * k));
  return { data, shape: [idx.length, k] };
}

/** Subsample of `idx` of round(fraction * n) records (at least 2). */
function subsample(idx: number[], fraction: number, rng: Rng): number[] {
  if (fraction >= 1) return idx;
  const m = Math.max(2, Math.round(fraction * idx.length));
  return rng.shuffle(idx.slice()).slice(0, m);
}

interface Fit {
  perClass: number[];
  nTrain: number;
}

function evaluateFit(train: { x: NdArray; y: NdArray }, test: { x: NdArray; y: NdArray }, alpha: number): Fit {
  const probe = fitRidge(train.x, train.y, alpha);
  const scores = predictRidge(probe, test.x);
  const k = probe.classes, n = test.x.shape[0]!;
  return { perClass: aurocPerClass({ data: scores, n, k }, { data: test.y.data, n, k }), nTrain: train.x.shape[0]! };
}

function summarizeFits(evaluation: string, fraction: number, nTest: number, fits: Fit[], classes: string[]): ProbeRow {
  const macro = fits.map((f) => nanMean(f.perClass));
  const m = nanMean(macro);
  const ok = macro.filter((v) => Number.isFinite(v));
  const sd = ok.length > 1 ? Math.sqrt(ok.reduce((a, v) => a + (v - m) ** 2, 0) / (ok.length - 1)) : 0;
  const perClass: Record<string, number> = {};
  classes.forEach((c, j) => (perClass[c] = nanMean(fits.map((f) => f.perClass[j]!))));
  return { evaluation, fraction, nTrain: fits.reduce((a, f) => a + f.nTrain, 0) / fits.length, nTest, auroc: m, aurocSd: sd, perClass };
}

/** Linear-probe figures of an encoder on a labelled dataset (and, with `test`, on other datasets). */
export async function probeEncoder(encoder: string | ModelProto, dataDir: string, o: ProbeOptions = {}): Promise<ProbeResult> {
  const fractions = o.fractions ?? [1];
  for (const f of fractions) if (!(f > 0 && f <= 1)) throw new OptionError('fraction', `expected fractions in (0, 1], got ${f}`);
  const k = o.folds ?? 5;
  const alpha = o.alpha ?? 1;
  const seed = o.seed ?? 1;
  const repeats = o.repeats ?? 5;
  const dataset = await openDataset(dataDir);
  let records = dataset.records();
  if (o.maxRecords !== undefined) records = records.slice(0, o.maxRecords);
  const req = { ...(o.task !== undefined ? { task: o.task } : {}), ...(o.labels !== undefined ? { labels: o.labels } : {}) };
  const task = resolveTask(dataset, req, records);
  if (task.task === 'regression') throw new OptionError('task', 'the probe scores classification tasks (AUROC); got a regression task');
  const emb = await embedDataset(encoder, dataset, { ...(o.maxRecords !== undefined ? { maxRecords: o.maxRecords } : {}), ...(o.threads !== undefined ? { threads: o.threads } : {}) });
  const pos = new Map(emb.ids.map((id, i) => [id, i]));
  // Embedding rows in the task's example order.
  const e: Embeddings = { ...emb, values: rowsOf(emb, task.examples.map((ex) => pos.get(ex.id)!)) };
  const all = task.examples.map((_, i) => i);
  const rows: ProbeRow[] = [];

  const folds = stratifiedFolds(task.examples.map((ex) => ex.info), k, seed, task.classes);
  for (const fraction of fractions) {
    const fits: Fit[] = [];
    for (let f = 1; f <= k; f++) {
      const test = all.filter((i) => folds[i] === f);
      const train = all.filter((i) => folds[i] !== f);
      if (test.length === 0) continue;
      for (let r = 0; r < (fraction < 1 ? repeats : 1); r++) {
        const sub = subsample(train, fraction, new Rng(seed * 7919 + f * 104729 + r));
        fits.push(evaluateFit({ x: rowsOf(e, sub), y: targetsOf(task, sub) }, { x: rowsOf(e, test), y: targetsOf(task, test) }, alpha));
      }
    }
    rows.push(summarizeFits('in-distribution', fraction, Math.round(all.length / k), fits, task.classes));
  }

  for (const dir of o.test ?? []) {
    const tds = await openDataset(dir);
    const ttask = resolveTask(tds, { labels: task.classes }, o.maxRecords !== undefined ? tds.records().slice(0, o.maxRecords) : tds.records());
    const temb = await embedDataset(encoder, tds, { ...(o.maxRecords !== undefined ? { maxRecords: o.maxRecords } : {}), ...(o.threads !== undefined ? { threads: o.threads } : {}) });
    const tpos = new Map(temb.ids.map((id, i) => [id, i]));
    const testX = rowsOf(temb, ttask.examples.map((ex) => tpos.get(ex.id)!));
    const testY = targetsOf(ttask, ttask.examples.map((_, i) => i));
    if (testX.shape[0] === 0) throw new DataError(`${tds.root}: no records to test on`);
    for (const fraction of fractions) {
      const fits: Fit[] = [];
      for (let r = 0; r < (fraction < 1 ? repeats : 1); r++) {
        const sub = subsample(all, fraction, new Rng(seed * 7919 + r));
        fits.push(evaluateFit({ x: rowsOf(e, sub), y: targetsOf(task, sub) }, { x: testX, y: testY }, alpha));
      }
      rows.push(summarizeFits(basename(tds.root), fraction, testX.shape[0]!, fits, task.classes));
    }
  }
  return { task: task.name, classes: task.classes, records: task.examples.length, rows };
}

/** A plain-text table of probe rows. */
export function formatProbe(r: ProbeResult): string {
  const lines = [`task ${r.task} (${r.classes.join(', ')}), ${r.records} records`, 'evaluation                fraction  n_train  n_test  macro AUROC'];
  for (const row of r.rows) {
    lines.push(`${row.evaluation.padEnd(24)}  ${row.fraction.toFixed(2).padStart(8)}  ${row.nTrain.toFixed(0).padStart(7)}  ${String(row.nTest).padStart(6)}  ${row.auroc.toFixed(3)} ± ${row.aurocSd.toFixed(3)}`);
  }
  return lines.join('\n');
}
