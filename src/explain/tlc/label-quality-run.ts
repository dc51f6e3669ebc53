/**
 * Label quality over a training run's fold (`ecgx tlc label-quality`): TLC
 * fitted on the fold's training ECGs with its checkpoint (or given), each
 * training ECG's cluster proportions, and the ranking of its labels by how
 * strongly cross-fitted forests on those proportions contradict them
 * (label-quality.ts). With `flip`, a seeded share of the ECGs get one class
 * flipped first, and the result says how many of those the ranking finds.
 *
 * The fold's CNN was trained on the labels as given (not flipped), so its
 * clusters have seen the true labels of these ECGs: the flip check measures
 * the ranking, and is optimistic for labels the CNN itself learnt from.
 */
import { join } from 'node:path';
import { loadModel } from '../../engine/onnx/proto.js';
import { OptionError } from '../../util/errors.js';
import { Progress } from '../../util/progress.js';
import { fitTlc, FittedTlc, type TlcOptions } from './fit.js';
import { flipLabels, rankLabelSuspects, recallAtK, type LabelQualityOptions } from './label-quality.js';
import { openRun, TlcPipeline } from './pipeline.js';
import { datasetSource } from './source.js';

export interface LabelQualityRunOptions extends TlcOptions, LabelQualityOptions {
  /** Fold whose training ECGs are audited (default: the first with a checkpoint). */
  fold?: number;
  /** A TLC fitted on that fold's checkpoint (no refit). */
  tlc?: FittedTlc;
  /** Flip one class of this seeded share of the ECGs first (the check). */
  flip?: number;
  /** Audit the test fold's ECGs instead, with forests trained on the training ECGs (the CNN never saw them). */
  testFold?: boolean;
  threads?: number;
  batchSize?: number;
  progress?: boolean;
}

export interface LabelQualityEntry {
  id: string;
  cls: string;
  label: number;
  probability: number;
  score: number;
  flipped?: boolean;
}

export interface LabelQualityRun {
  run: string;
  fold: number;
  audited: 'training' | 'test';
  ecgs: number;
  classes: string[];
  /** Every (ECG, class) pair, most suspect first. */
  ranking: LabelQualityEntry[];
  /** With flip: how many labels were flipped and the share found in the top k, for k = that many and twice; what a random ranking finds. */
  flip?: { fraction: number; flipped: number; recallAtK: number; recallAt2K: number; randomAtK: number; byDirection: Record<string, { flipped: number; recallAtK: number }>; byClass: Record<string, { flipped: number; recallAtK: number }> };
}

export async function labelQualityRun(runDir: string, opts: LabelQualityRunOptions = {}): Promise<LabelQualityRun> {
  const { dir, plan, folds } = await openRun(runDir);
  const { task, card, foldOf } = plan;
  if (task.task === 'regression') throw new OptionError('--run', 'label quality ranks class labels; the run is a regression');
  const fold = opts.fold ?? folds[0]!;
  if (!folds.includes(fold)) throw new OptionError('--fold', `fold ${fold} has no checkpoint in ${dir} (folds with one: ${folds.join(', ')})`);
  const k = task.classes.length;
  const trainEx = task.examples.filter((e) => foldOf.get(e.id) !== fold);
  const testEx = task.examples.filter((e) => foldOf.get(e.id) === fold);
  const modelPath = join(dir, `fold-${fold}`, 'model.onnx');
  const run = { ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}), ...(opts.progress !== undefined ? { progress: opts.progress } : {}) };
  const tlc = opts.tlc ?? (await fitTlc(modelPath, await datasetSource(plan.dataset, card, trainEx.map((e) => e.id)), opts, run));
  const model = loadModel(modelPath);
  tlc.checkModel(model, modelPath);
  const pipe = await TlcPipeline.open(model, tlc, opts.threads !== undefined ? { threads: opts.threads } : {});
  const audited = opts.testFold ? testEx : trainEx;
  const ids = opts.testFold ? [...trainEx, ...testEx].map((e) => e.id) : audited.map((e) => e.id);
  const d = tlc.groupNames.length * tlc.k;
  const feats = new Float64Array(ids.length * d);
  const rowOf = new Map(ids.map((id, i) => [id, i]));
  const bar = new Progress({ label: `label quality fold ${fold}`, total: ids.length, unit: 'ECG', ...(opts.progress !== undefined ? { enabled: opts.progress } : {}) });
  try {
    for await (const r of pipe.explainRecords(await datasetSource(plan.dataset, card, ids), opts.batchSize ?? 32)) {
      const row = rowOf.get(r.id)!;
      r.explanation.groups.forEach((g, gi) => feats.set(g.proportions, row * d + gi * tlc.k));
      bar.tick(r.windows.length);
    }
  } finally {
    bar.finish();
    await pipe.release();
  }
  const n = audited.length;
  const labels = new Float32Array(n * k);
  audited.forEach((e, i) => labels.set(e.target, i * k));
  const seed = opts.seed ?? 0;
  const flip = opts.flip !== undefined ? flipLabels(labels, n, k, opts.flip, (seed ^ 0x1b873593) >>> 0) : undefined;
  const given = flip ? flip.labels : labels;
  let ranking;
  if (opts.testFold) {
    // Forests trained on every training ECG (labels as given), scoring the test ECGs: rankLabelSuspects with the training ECGs as the only other part.
    ranking = rankHeldOut(feats, d, trainEx.map((e) => e.target), ids.length - n, given, k, opts);
  } else {
    ranking = rankLabelSuspects({ data: feats, n, d }, given, k, { ...(opts.parts !== undefined ? { parts: opts.parts } : {}), seed, ...(opts.forest ? { forest: opts.forest } : {}) }).ranking;
  }
  const flippedSet = new Set(flip?.flipped.map((f) => `${f.row}:${f.cls}`) ?? []);
  const out: LabelQualityRun = {
    run: dir, fold, audited: opts.testFold ? 'test' : 'training', ecgs: n, classes: task.classes,
    ranking: ranking.map((r) => ({ id: audited[r.row]!.id, cls: task.classes[r.cls]!, label: r.label, probability: r.probability, score: r.score, ...(flip ? { flipped: flippedSet.has(`${r.row}:${r.cls}`) } : {}) })),
  };
  if (flip) {
    const m = flip.flipped.length;
    const sub = (pick: (f: { row: number; cls: number; from: number }) => string): Record<string, { flipped: number; recallAtK: number }> => {
      const keys = [...new Set(flip.flipped.map(pick))].sort();
      return Object.fromEntries(keys.map((key) => {
        const these = flip.flipped.filter((f) => pick(f) === key);
        return [key, { flipped: these.length, recallAtK: recallAtK(ranking, these, m) }];
      }));
    };
    out.flip = {
      fraction: opts.flip!, flipped: m, recallAtK: recallAtK(ranking, flip.flipped, m), recallAt2K: recallAtK(ranking, flip.flipped, 2 * m), randomAtK: m / (n * k),
      byDirection: sub((f) => (f.from === 0 ? '0 -> 1' : '1 -> 0')), byClass: sub((f) => task.classes[f.cls]!),
    };
  }
  return out;
}

/** Rows [0, nTrain) of feats train one forest per class on `trainTargets`; rows nTrain.. are scored against `given`. */
function rankHeldOut(feats: Float64Array, d: number, trainTargets: ArrayLike<number>[], nTrain: number, given: Float32Array, k: number, opts: LabelQualityOptions): ReturnType<typeof rankLabelSuspects>['ranking'] {
  const n = given.length / k;
  const labels = new Float32Array((nTrain + n) * k);
  trainTargets.forEach((t, i) => labels.set(Array.from(t), i * k));
  labels.set(given, nTrain * k);
  // Two parts: the training ECGs (train only) and the audited ones (scored by forests on the training ECGs).
  const partOf = Int32Array.from({ length: nTrain + n }, (_, i) => (i < nTrain ? 0 : 1));
  const res = rankLabelSuspects({ data: feats, n: nTrain + n, d }, labels, k, { ...opts, parts: 2, partOf, trainOnly: [0] });
  return res.ranking.map((r) => ({ ...r, row: r.row - nTrain }));
}
