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
import { makeEcg, type Ecg, type WaveAnnotations } from '../../data/ecg.js';
import { loadModel, type ModelProto } from '../../engine/onnx/proto.js';
import { createExplainer } from '../../explain/registry.js';
import { FittedTlc, type TlcExplanation } from '../../explain/tlc/fit.js';
import { modelHash } from '../../explain/tlc/extract.js';
import { datasetSource } from '../../explain/tlc/source.js';
import { evaluateTlcRun, openRun, TlcPipeline, type TlcEvaluation, type WaveSource } from '../../explain/tlc/pipeline.js';
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

/** Reads a run (and a TLC) and computes what the report shows. */
export async function collectReport(runDir: string, opts: ReportOptions = {}): Promise<ReportContent> {
  const evaluation = evaluateRun(runDir);
  const { dir, run, plan, folds } = await openRun(evaluation.dir);
  const { task, card } = plan;
  const classes = task.classes;
  const predictions = pooledPredictions(dir, classes, task.task);
  const method = opts.method ?? 'gradcam';
  const tlc = typeof opts.tlc === 'string' ? FittedTlc.load(opts.tlc) : opts.tlc;
  const modelOf = (f: number): ModelProto => loadModel(join(dir, `fold-${f}`, 'model.onnx'));
  let fold = folds[0]!;
  if (tlc) {
    const match = folds.find((f) => modelHash(modelOf(f)) === tlc.model.sha256);
    if (match === undefined) throw new ModelError(`the TLC was not fitted on any checkpoint of ${dir} (no fold-K/model.onnx has its hash)`);
    fold = match;
  }
  const model = modelOf(fold);
  const threads = opts.threads !== undefined ? { threads: opts.threads } : {};
  const k = classes.length;
  const rowOf = new Map(predictions.ids.map((id, i) => [id, i]));

  let cohort: TlcCohort | null = null;
  const explained = new Map<string, TlcExplanation>();
  if (tlc) {
    const ev = await Progress.step('report: TLC evaluation', () => evaluateTlcRun(dir, { tlc, waves: opts.waves ?? 'annotations', progress: false, ...threads }));
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
      const source = await datasetSource(plan.dataset, card, testIds);
      for await (const b of source.batches(32)) {
        const per = source.leads * source.samples;
        const r = await pipe.explainBatch(b.x, source.fs);
        b.items.forEach((item, i) => {
          const e = r.explanations[i]!;
          explained.set(item.id, e);
          const lead = b.x.data.subarray(i * per + leadIndex * source.samples, i * per + (leadIndex + 1) * source.samples);
          const row = rowOf.get(item.id)!;
          const labels = task.task === 'regression' ? ['all'] : classes.filter((_, j) => predictions.targets[row * k + j]! > 0.5);
          e.groups.forEach((g, gi) => {
            stats[gi]!.add(lead, g.segments);
            for (const c of labels.length ? labels : ['no label']) entropy[g.name]!.push({ class: c, entropy: mean(g.sequence.entropy), record: item.id });
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

  // Gallery: preprocessed ECGs of the fold, the method's attribution for the example's class, TLC overlays.
  const picks = pickExamples(predictions, classes, task.task, fold, opts.examplesPerClass ?? 2);
  const gallery: GalleryItem[] = [];
  if (picks.length) {
    const ids = [...new Set(picks.map((p) => predictions.ids[p.row]!))];
    const source = await datasetSource(plan.dataset, card, ids);
    const explainer = await createExplainer(method, model, threads);
    try {
      const per = source.leads * source.samples;
      const signals = new Map<string, Float32Array>();
      const warned = new Map<string, string[]>();
      const waves = new Map<string, WaveAnnotations>();
      for await (const b of source.batches(32)) {
        b.items.forEach((it, i) => {
          signals.set(it.id, b.x.data.slice(i * per, (i + 1) * per));
          if (it.waves && Object.keys(it.waves).length) waves.set(it.id, it.waves);
          if (it.warnings) warned.set(it.id, it.warnings);
        });
      }
      const bar = new Progress({ label: 'report: gallery', total: picks.length, unit: 'ECG' });
      for (const p of picks) {
        bar.tick(0, `${method} on ${predictions.ids[p.row]}`);
        const id = predictions.ids[p.row]!;
        const signal = signals.get(id)!;
        const target = task.task === 'regression' ? 'regression' : p.class;
        const a = await explainer.explain({ x: { data: signal, shape: [1, source.leads, source.samples] }, fs: source.fs, leads: card.leads }, { target, seed: 0 });
        const ecg = makeEcg({ signal, fs: source.fs, leads: card.leads, meta: { recordId: id } });
        const truth = task.task === 'regression' ? String(predictions.targets[p.row * k]) : classes.filter((_, j) => predictions.targets[p.row * k + j]! > 0.5).join(', ') || '(none)';
        gallery.push({
          class: p.class, id, fold, truth, ecg, warnings: warned.get(id) ?? [],
          scores: Object.fromEntries(classes.map((c, j) => [c, predictions.scores[p.row * k + j]!])),
          overlays: {
            ...overlaysOf(explained.get(id), cohort?.clusterNames ?? {}, { method, target, values: Float32Array.from(a.values.data as Float32Array), leads: a.values.shape[1]! }),
            ...(waves.has(id) ? { waves: { source: 'annotations', waves: waves.get(id)! } } : {}),
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
      const ex = await createExplainer(m, model, threads);
      try {
        const a = await ex.explain({ x: { data: g0.ecg.signal, shape: [1, g0.ecg.leads.length, g0.ecg.nSamples] }, fs: g0.ecg.fs, leads: [...g0.ecg.leads] }, { target, seed: 0 });
        panels.push({ method: m, overlays: { attribution: { method: m, target, values: Float32Array.from(a.values.data as Float32Array), leads: a.values.shape[1]! } } });
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
    const g = gallery[0]!.ecg, per = g.leads.length * g.nSamples;
    const x = new Float32Array(gallery.length * per);
    gallery.forEach((item, i) => x.set(item.ecg.signal, i * per));
    const targets = gallery.map((item) => (task.task === 'regression' ? 'regression' : item.class));
    faithfulness = await Progress.step('report: faithfulness', () => faithfulnessOf(model, { data: x, shape: [gallery.length, g.leads.length, g.nSamples] }, targets, [...new Set([method, ...compare])], threads));
  }
  return { run, card, evaluation, predictions, method, tlc: cohort, gallery, comparison, faithfulness };
}
