/**
 * Everything the HTML report shows, gathered from a training run's folder
 * (run.json, fold-K/predictions.csv, fold-K/model.onnx) and, optionally, a
 * fitted TLC: metrics, pooled predictions, the TLC evaluation of the fold the
 * TLC was fitted on, per-ECG entropy and prototypes of that fold's test ECGs,
 * and a gallery of example ECGs per class with their explanations.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../data/datasets/csv.js';
import type { Ecg } from '../../data/ecg.js';
import { createExplainer } from '../../explain/registry.js';
import { FittedTlc, type TlcExplanation } from '../../explain/tlc/fit.js';
import { modelHash } from '../../explain/tlc/extract.js';
import { datasetSource } from '../../explain/tlc/source.js';
import { evaluateTlcStudy, modelStudy, openRun, runStudy, TlcPipeline, type TlcEvaluation, type TlcStudy, type WaveSource } from '../../explain/tlc/pipeline.js';
import { stitchExplanations } from '../../explain/tlc/stitch.js';
import type { SourceItem } from '../../explain/tlc/source.js';
import { explainRecords } from '../../explain/run.js';
import type { Explainer, Target } from '../../explain/protocol.js';
import type { EcgDataset } from '../../data/datasets/types.js';
import { prepareRecord, stackWindows } from '../../models/inputs.js';
import { loadCardedModel, openPredictor, type CardedModel } from '../../models/predict.js';
import { computeMetrics } from '../../train/evaluate.js';
import { readStoreCohort, type StoreCohort } from '../cohort/store.js';
import { versions } from '../../train/run.js';
import { evaluateRun, type RunEvaluation } from '../../train/report.js';
import type { RunRecord } from '../../train/run.js';
import type { ModelCard } from '../../models/card.js';
import { FormatError, ModelError } from '../../util/errors.js';
import { Progress } from '../../util/progress.js';
import type { EcgOverlays } from '../overlays.js';
import type { EntropyRow, PrototypeRow, ProportionRow } from '../cohort/tlc-views.js';
import { randomAttribution } from '../../explain/metrics/baseline.js';
import { faithfulnessOf, type FaithfulnessTable } from './faithfulness.js';

export interface ReportOptions {
  /** A TLC fitted on one of the run's checkpoints (ecgx tlc fit --run): TLC sections and overlays. */
  tlc?: FittedTlc | string;
  /** Example ECGs per class in the gallery (default 2). */
  examplesPerClass?: number;
  /** Attribution method drawn in the gallery (default 'gradcam'). */
  method?: string;
  /** Methods compared on the first gallery ECG (default gradcam, saliency, integrated-gradients; [] for none). */
  compare?: string[];
  /** Wave source of the TLC alignment (default 'annotations'). */
  waves?: WaveSource;
  threads?: number;
  /** An explanation store (ecgx ... --store, merged shards): cohort views over every ECG it holds. */
  store?: string;
}

/** Test predictions of every fold, pooled: row-major [n, classes]. */
export interface PooledPredictions {
  ids: string[];
  folds: number[];
  scores: Float32Array;
  targets: Float32Array;
}

export interface GalleryItem {
  class: string;
  id: string;
  fold: number;
  /** True labels (class names with target 1) or the regression target. */
  truth: string;
  /** Score per class. */
  scores: Record<string, number>;
  /** The preprocessed model input, as an Ecg. */
  ecg: Ecg;
  overlays: EcgOverlays;
  /** Data-quality and input warnings for the record (e.g. leads rescaled to one range: no millivolt reading). */
  warnings: string[];
}

export interface TlcCohort {
  /** The fold whose checkpoint the TLC was fitted on (its test ECGs are shown). */
  fold: number;
  evaluation: TlcEvaluation;
  groups: string[];
  k: number;
  /** Dominant wave per cluster and group, when the alignment had waves. */
  clusterNames: Record<string, string[]>;
  proportions: ProportionRow[];
  /** Per group: mean entropy of each test ECG. */
  entropy: Record<string, EntropyRow[]>;
  /** Per group: mean prototype of lead `prototypeLead` around segment centres, ± SD. */
  prototypes: Record<string, PrototypeRow[]>;
  prototypeLead: string;
}

/** One ECG explained by several methods for the same target, to be drawn stacked. */
export interface MethodComparison {
  id: string;
  target: string;
  ecg: Ecg;
  /** One overlay set per method, in order; TLC (clusters and entropy) last when there is a TLC. */
  panels: { method: string; overlays: EcgOverlays }[];
}

export interface ReportContent {
  /** A training run's report, or one model's on a labelled dataset (no training, one pass over the records). */
  subject: 'run' | 'model';
  /** Cohort views read from a store, when one was given. */
  store: StoreCohort | null;
  run: RunRecord;
  /** The card of the run's checkpoints. */
  card: ModelCard;
  evaluation: RunEvaluation;
  predictions: PooledPredictions;
  method: string;
  tlc: TlcCohort | null;
  gallery: GalleryItem[];
  comparison: MethodComparison | null;
  /** Deletion/insertion AUC of the gallery's methods on its ECGs, a random map's, and the whole-deletion check. */
  faithfulness: FaithfulnessTable | null;
}

function foldDirs(dir: string): number[] {
  return readdirSync(dir).filter((d) => /^fold-\d+$/.test(d)).map((d) => Number(d.slice(5))).sort((a, b) => a - b);
}

/** Pools fold-K/predictions.csv of the run's finished folds. */
export function pooledPredictions(dir: string, classes: readonly string[], task: string): PooledPredictions {
  const kind = task === 'regression' ? 'pred' : 'prob';
  const ids: string[] = [], folds: number[] = [], scores: number[] = [], targets: number[] = [];
  for (const f of foldDirs(dir)) {
    const path = join(dir, `fold-${f}`, 'predictions.csv');
    if (!existsSync(path)) continue;
    const t = readCsv(path);
    const col = (name: string): number => {
      const i = t.header.indexOf(name);
      if (i < 0) throw new FormatError(path, `missing column '${name}'`, { line: 1 });
      return i;
    };
    const idc = col('record_id'), tc = classes.map((c) => col(`target:${c}`)), sc = classes.map((c) => col(`${kind}:${c}`));
    for (const r of t.rows) {
      ids.push(r[idc]!);
      folds.push(f);
      tc.forEach((c) => targets.push(Number(r[c])));
      sc.forEach((c) => scores.push(Number(r[c])));
    }
  }
  return { ids, folds, scores: Float32Array.from(scores), targets: Float32Array.from(targets) };
}

/** Gallery picks: per class, its positive test ECGs of `fold` with the highest scores (regression: the first ones). */
function pickExamples(p: PooledPredictions, classes: readonly string[], task: string, fold: number, perClass: number): { class: string; row: number }[] {
  const k = classes.length;
  const rows = p.ids.map((_, i) => i).filter((i) => p.folds[i] === fold);
  if (task === 'regression') return rows.slice(0, perClass).map((row) => ({ class: classes[0]!, row }));
  return classes.flatMap((c, j) => rows.filter((i) => p.targets[i * k + j]! > 0.5)
    .sort((a, b) => p.scores[b * k + j]! - p.scores[a * k + j]!).slice(0, perClass).map((row) => ({ class: c, row })));
}

const mean = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : NaN;
};

/** Accumulates, per cluster, a lead's input in a window around each segment's centre (sum and sum of squares). */
class PrototypeStats {
  readonly sum: Float64Array[];
  readonly sq: Float64Array[];
  readonly n: number[];
  constructor(readonly k: number, readonly half: number) {
    this.sum = Array.from({ length: k }, () => new Float64Array(2 * half + 1));
    this.sq = Array.from({ length: k }, () => new Float64Array(2 * half + 1));
    this.n = new Array<number>(k).fill(0);
  }
  add(lead: Float32Array, segments: readonly { start: number; end: number; cluster: number }[]): void {
    for (const s of segments) {
      const c = Math.floor((s.start + s.end) / 2);
      if (c - this.half < 0 || c + this.half >= lead.length) continue;
      for (let u = -this.half; u <= this.half; u++) {
        const v = lead[c + u]!;
        this.sum[s.cluster]![u + this.half]! += v;
        this.sq[s.cluster]![u + this.half]! += v * v;
      }
      this.n[s.cluster]!++;
    }
  }
  rows(fs: number): PrototypeRow[] {
    const out: PrototypeRow[] = [];
    for (let c = 0; c < this.k; c++) {
      const n = this.n[c]!;
      if (!n) continue;
      for (let u = 0; u <= 2 * this.half; u++) {
        const m = this.sum[c]![u]! / n;
        out.push({ cluster: c, t: Number(((u - this.half) / fs).toFixed(4)), mean: m, sd: Math.sqrt(Math.max(0, this.sq[c]![u]! / n - m * m)), n });
      }
    }
    return out;
  }
}

function overlaysOf(e: TlcExplanation | undefined, names: Record<string, string[]>, attribution: { method: string; target: string; values: Float32Array; leads: number } | undefined): EcgOverlays {
  const o: EcgOverlays = {};
  if (e) {
    o.clusters = e.groups.map((g) => ({ block: g.name, labels: Int32Array.from(g.sequence.labels), k: g.k, ...(names[g.name] ? { names: names[g.name] } : {}) }));
    o.entropy = e.groups.map((g) => ({ block: g.name, values: Float32Array.from(g.sequence.entropy) }));
  }
  // How it is drawn (scale, map, trace or background) is the chart's one rule, as in plot and the app.
  if (attribution) o.attribution = attribution;
  return o;
}

/**
 * What a report is about: a training run (its folds, each with its
 * checkpoint and test predictions), or one model with its card on a
 * labelled dataset (its predictions on every record, scored against the
 * labels; TLC's surrogate in folds made from the data).
 */
interface ReportSubject {
  kind: 'run' | 'model';
  run: RunRecord;
  evaluation: RunEvaluation;
  predictions: PooledPredictions;
  study: TlcStudy;
  model(fold: number): CardedModel;
}

async function runSubject(runDir: string): Promise<ReportSubject> {
  const evaluation = evaluateRun(runDir);
  const { dir, run } = await openRun(evaluation.dir);
  const study = await runStudy(dir);
  const models = new Map<number, CardedModel>();
  return {
    kind: 'run', run, evaluation, study,
    predictions: pooledPredictions(dir, study.task.classes, study.task.task),
    model: (f) => models.get(f) ?? (models.set(f, loadCardedModel(join(dir, `fold-${f}`, 'model.onnx'))), models.get(f)!),
  };
}

/** One model on a labelled dataset: its scores on every record, the metrics of a run with one fold, and the study TLC runs over. */
async function modelSubject(modelFile: string, dataset: EcgDataset, o: { cv?: number; seed?: number; maxRecords?: number; threads?: number }): Promise<ReportSubject> {
  const m = loadCardedModel(modelFile);
  const study = await modelStudy(m, dataset, o);
  const { task, classes, examples } = study.task;
  const k = classes.length;
  const predictor = await openPredictor(m, o.threads !== undefined ? { threads: o.threads } : {});
  const scores = new Float32Array(examples.length * k), targets = new Float32Array(examples.length * k);
  try {
    const bar = new Progress({ label: 'report: predictions', total: examples.length, unit: 'ECG' });
    for (let s = 0; s < examples.length; s += 64) {
      const chunk = examples.slice(s, s + 64);
      const ecgs = [];
      for (const e of chunk) ecgs.push(await dataset.load(e.id));
      const ps = await predictor.predict(ecgs);
      ps.forEach((p, i) => {
        scores.set(Object.values(p.values), (s + i) * k);
        targets.set(chunk[i]!.target, (s + i) * k);
      });
      bar.tick(chunk.length);
    }
    bar.finish();
  } finally {
    await predictor.release();
  }
  const metric = task === 'regression' ? 'mae' : 'auroc';
  const metrics = computeMetrics(task, classes, scores, targets);
  const summary = Object.fromEntries(Object.entries(metrics).map(([key, v]) => [key, { mean: v, std: 0, n: 1 }]));
  const run: RunRecord = {
    config: { data: dataset.root, model: m.file, epochs: 0 },
    versions: versions(),
    task: { name: `${m.file.split('/').pop()} on its card's classes`, task, loss: 'none (a given model)', classes, dropped: {}, records: examples.length },
    card: m.card, metric, folds: [], summary, complete: true,
  };
  return {
    kind: 'model', run, study, model: () => m,
    evaluation: { dir: m.file, task, classes, metric, complete: true, folds: [{ fold: 1, n: examples.length, metrics }], summary },
    predictions: { ids: examples.map((e) => e.id), folds: examples.map(() => 1), scores, targets },
  };
}

/** Reads a run (and a TLC) and computes what the report shows. */
export async function collectReport(runDir: string, opts: ReportOptions = {}): Promise<ReportContent> {
  return collectFor(await runSubject(runDir), opts);
}

/** The report of one carded model (an ecgx checkpoint or a PyTorch export) on a labelled dataset. */
export async function collectModelReport(model: string, dataset: EcgDataset, opts: ReportOptions & { cv?: number; seed?: number; maxRecords?: number } = {}): Promise<ReportContent> {
  return collectFor(await modelSubject(model, dataset, { ...opts, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) }), opts);
}

async function collectFor(subject: ReportSubject, opts: ReportOptions): Promise<ReportContent> {
  const { run, evaluation, predictions, study } = subject;
  const { task, card } = study;
  const dir = study.name;
  const classes = task.classes;
  const method = opts.method ?? 'gradcam';
  const tlc = typeof opts.tlc === 'string' ? FittedTlc.load(opts.tlc) : opts.tlc;
  const folds = [...new Set(predictions.folds)].sort((a, b) => a - b);
  let fold = folds[0]!;
  if (tlc) {
    const match = folds.find((f) => modelHash(subject.model(f).proto) === tlc.model.sha256);
    if (match === undefined) throw new ModelError(`the TLC was not fitted on ${folds.length > 1 ? `any checkpoint of ${dir} (no fold-K/model.onnx has its hash)` : `the model ${dir}`}`);
    fold = match;
  }
  const carded = subject.model(fold);
  const model = carded.proto;
  const threads = opts.threads !== undefined ? { threads: opts.threads } : {};
  const k = classes.length;
  const rowOf = new Map(predictions.ids.map((id, i) => [id, i]));

  let cohort: TlcCohort | null = null;
  const explained = new Map<string, TlcExplanation>();
  if (tlc) {
    // A run: the fold the TLC was fitted on. One model on a dataset: every fold of the study, with the one TLC.
    const evalFolds = study.folds.length > 1 && folds.length === 1 ? study.folds : [fold];
    const ev = await Progress.step('report: TLC evaluation', () => evaluateTlcStudy(study, evalFolds, { tlc, waves: opts.waves ?? 'annotations', progress: false, ...threads }));
    const groups = tlc.groupNames;
    const clusterNames: Record<string, string[]> = {};
    for (const w of ev.folds[0]?.waves ?? []) clusterNames[w.name] = w.dominantWave.map((d) => d ?? '');
    const proportions: ProportionRow[] = [];
    for (const [c, v] of Object.entries(ev.folds[0]?.classProportions ?? {})) {
      groups.forEach((g, gi) => {
        for (let u = 0; u < tlc.k; u++) proportions.push({ class: c, group: g, cluster: u, proportion: v.positive[gi * tlc.k + u]!, n: v.nPositive });
      });
    }
    // Per-ECG entropy and prototypes of the fold's test ECGs (one more pass, with the same pipeline).
    const testIds = predictions.ids.filter((_, i) => predictions.folds[i] === fold);
    const leadName = card.leads.includes('II') ? 'II' : card.leads[0]!;
    const leadIndex = card.leads.indexOf(leadName);
    const half = Math.round(0.3 * card.fs);
    const stats = groups.map(() => new PrototypeStats(tlc.k, half));
    const entropy: Record<string, EntropyRow[]> = Object.fromEntries(groups.map((g) => [g, []]));
    const pipe = await TlcPipeline.open(model, tlc, threads);
    try {
      const source = await datasetSource(study.dataset, card, testIds);
      // A record's model inputs (windows) come in order; its explanation is stitched from them.
      let parts: { item: SourceItem; e: TlcExplanation }[] = [];
      for await (const b of source.batches(32)) {
        const per = source.leads * source.samples;
        const r = await pipe.explainBatch(b.x, source.fs);
        b.items.forEach((item, i) => {
          const e = r.explanations[i]!;
          const lead = b.x.data.subarray(i * per + leadIndex * source.samples, i * per + (leadIndex + 1) * source.samples);
          e.groups.forEach((g, gi) => stats[gi]!.add(lead, g.segments));
          parts.push({ item, e });
          if (item.window && parts.length < item.window.of) return;
          const whole = stitchExplanations(parts.map((p) => p.e), parts.map((p) => p.item.window?.start ?? 0), item.window?.nSamples ?? e.nSamples);
          parts = [];
          explained.set(item.id, whole);
          const row = rowOf.get(item.id)!;
          const labels = task.task === 'regression' ? ['all'] : classes.filter((_, j) => predictions.targets[row * k + j]! > 0.5);
          whole.groups.forEach((g) => {
            const h = g.sequence.entropy.filter((v) => Number.isFinite(v));
            for (const c of labels.length ? labels : ['no label']) entropy[g.name]!.push({ class: c, entropy: mean(h), record: item.id });
          });
        });
      }
    } finally {
      await pipe.release();
    }
    cohort = {
      fold, evaluation: ev, groups, k: tlc.k, clusterNames, proportions, entropy,
      prototypes: Object.fromEntries(groups.map((g, gi) => [g, stats[gi]!.rows(card.fs)])), prototypeLead: leadName,
    };
  }

  // Gallery: ECGs of the fold as the card prepares them, the method's attribution for the example's class in record time, TLC overlays.
  const picks = pickExamples(predictions, classes, task.task, fold, opts.examplesPerClass ?? 2);
  const gallery: GalleryItem[] = [];
  /** Records as read, by id (the comparison explains the first example again). */
  const raws = new Map<string, Ecg>();
  const attribute = async (ex: Explainer, name: string, raw: Ecg, target: Target): Promise<Float32Array> =>
    Float32Array.from((await explainRecords(carded, [raw], { methods: [name], target, seed: 0, progress: false, explainers: { [name]: ex }, ...threads })).attributions[0]!.values.data);
  if (picks.length) {
    const explainer = await createExplainer(method, carded, threads);
    try {
      const bar = new Progress({ label: 'report: gallery', total: picks.length, unit: 'ECG' });
      for (const p of picks) {
        const id = predictions.ids[p.row]!;
        bar.tick(0, `${method} on ${id}`);
        const raw = raws.get(id) ?? (await study.dataset.load(id));
        raws.set(id, raw);
        const prepared = prepareRecord(card, raw);
        const ecg = prepared.ecg;
        const target = task.task === 'regression' ? 'regression' : p.class;
        const values = await attribute(explainer, method, raw, target);
        const truth = task.task === 'regression' ? String(predictions.targets[p.row * k]) : classes.filter((_, j) => predictions.targets[p.row * k + j]! > 0.5).join(', ') || '(none)';
        gallery.push({
          class: p.class, id, fold, truth, ecg, warnings: prepared.warnings,
          scores: Object.fromEntries(classes.map((c, j) => [c, predictions.scores[p.row * k + j]!])),
          overlays: {
            ...overlaysOf(explained.get(id), cohort?.clusterNames ?? {}, { method, target, values, leads: values.length / ecg.nSamples }),
            ...(ecg.waves && Object.keys(ecg.waves).length ? { waves: { source: 'annotations', waves: ecg.waves } } : {}),
          },
        });
        bar.tick(1);
      }
      bar.finish();
    } finally {
      await explainer.release?.();
    }
  }
  // Method comparison on the first gallery ECG: each method alone, same target, same colour scale per method.
  let comparison: MethodComparison | null = null;
  const compare = opts.compare ?? ['gradcam', 'saliency', 'integrated-gradients'];
  const g0 = gallery[0];
  if (g0 && compare.length) {
    const target = task.task === 'regression' ? 'regression' : g0.class;
    const panels: MethodComparison['panels'] = [];
    for (const m of compare) {
      const ex = await createExplainer(m, carded, threads);
      try {
        const values = await attribute(ex, m, raws.get(g0.id)!, target);
        panels.push({ method: m, overlays: { attribution: { method: m, target, values, leads: values.length / g0.ecg.nSamples } } });
      } finally {
        await ex.release?.();
      }
    }
    // The reference row: a seeded random map drawn by the same rule, to show what no information looks like.
    const rnd = randomAttribution([1, g0.ecg.leads.length, g0.ecg.nSamples], 0);
    panels.push({ method: 'random', overlays: { attribution: { method: 'random', target: 'reference', values: rnd.data, leads: g0.ecg.leads.length } } });
    const e = explained.get(g0.id);
    if (e) panels.push({ method: 'tlc', overlays: overlaysOf(e, cohort?.clusterNames ?? {}, undefined) });
    comparison = { id: g0.id, target: g0.class, ecg: g0.ecg, panels };
  }
  let faithfulness: FaithfulnessTable | null = null;
  if (gallery.length) {
    // Deletion curves perturb what the model sees: each example's first model input.
    const inputs = gallery.map((item) => stackWindows([prepareRecord(card, raws.get(item.id)!)]).x);
    const [leads, L] = inputs[0]!.shape.slice(1) as [number, number];
    const x = new Float32Array(gallery.length * leads * L);
    inputs.forEach((t, i) => x.set(t.data.subarray(0, leads * L), i * leads * L));
    const targets = gallery.map((item) => (task.task === 'regression' ? 'regression' : item.class));
    faithfulness = await Progress.step('report: faithfulness', () => faithfulnessOf(model, { data: x, shape: [gallery.length, leads, L] }, targets, [...new Set([method, ...compare])], threads));
  }
  const store = opts.store !== undefined ? await Progress.step('report: store', () => readStoreCohort(opts.store!)) : null;
  return { subject: subject.kind, store, run, card, evaluation, predictions, method, tlc: cohort, gallery, comparison, faithfulness };
}
