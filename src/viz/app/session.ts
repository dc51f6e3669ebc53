/**
 * What the web app serves: the records of a run (each with its test fold's
 * checkpoint and prediction) or of a dataset with one model, preprocessed as
 * the model expects; explanations computed on demand through the explainer
 * registry and cached; TLC overlays from a fitted TLC on the records of the
 * model it was fitted on; and records uploaded as a WFDB .hea + .dat pair.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { openDataset } from '../../data/datasets/registry.js';
import type { EcgDataset } from '../../data/datasets/types.js';
import { makeEcg, type Ecg } from '../../data/ecg.js';
import { readRecord } from '../../data/wfdb/index.js';
import { loadModel, type ModelProto } from '../../engine/onnx/proto.js';
import { createExplainer, EXPLAINERS } from '../../explain/registry.js';
import type { Explainer } from '../../explain/protocol.js';
import { FittedTlc, type TlcExplanation } from '../../explain/tlc/fit.js';
import { modelHash } from '../../explain/tlc/extract.js';
import { openRun, TlcPipeline } from '../../explain/tlc/pipeline.js';
import { loadCardedModel, openPredictor, type CardedModel } from '../../models/predict.js';
import { prepareRecord } from '../../models/inputs.js';
import type { ModelCard } from '../../models/card.js';
import { explainRecords } from '../../explain/run.js';
import { recordSource } from '../../explain/tlc/source.js';
import { readStoreCohort, type StoreCohort } from '../cohort/store.js';
import { DataError, EcgxError, FormatError, OptionError } from '../../util/errors.js';
import { pooledPredictions } from '../report/collect.js';
import type { WaveAnnotations } from '../../data/ecg.js';
import { ecgDelineate } from '../../delineate/index.js';
import { WaveAlignment, waveLabels } from '../../explain/tlc/alignment.js';
import { evaluateExplanations } from '../../explain/metrics/evaluate.js';
import { Progress } from '../../util/progress.js';

export interface AppSource {
  /** A run folder written by ecgx train (records of every test fold, each with its fold's checkpoint). */
  run?: string;
  /** Or one model and a dataset folder. */
  model?: string;
  data?: string;
  /** A fitted TLC (its overlays on the records of the model it was fitted on). */
  tlc?: string;
  threads?: number;
  /** With --model/--data: predict at most this many records at start-up (default 2000). */
  maxRecords?: number;
  /** An explanation store: the cohort views are drawn over every ECG it holds instead of the records listed. */
  store?: string;
  /** Progress of the start-up (default: on a TTY; a summary line in pipes). */
  progress?: boolean;
}

/** One record's faithfulness numbers, as the app shows them. */
export interface RecordFaithfulness {
  /** Model inputs measured (a windowed model's windows). */
  inputs: number;
  curveSteps: number;
  rows: { method: string; deletion: number; insertion: number }[];
  random: { method: string; deletion: number; insertion: number };
  wholeDeletion: { meanChange: number; warning?: string };
}

export interface RecordSummary {
  id: string;
  /** Test fold (runs) or null. */
  fold: number | null;
  /** True labels among the model's classes (or the regression target as text). */
  labels: string[];
  /** Score per class. */
  scores: Record<string, number>;
  /** Classes over 0.5 (multi-label), the argmax (multi-class), or [] for regression. */
  predicted: string[];
  uploaded?: boolean;
}

interface Entry {
  summary: RecordSummary;
  modelKey: string;
  /** The record as read. */
  raw: () => Promise<Ecg>;
  /** The record as its card prepares it (leads, rate, preprocessing) over its whole duration: what is drawn. */
  load: () => Promise<Ecg>;
}

/** Upload limits: one record pair, a few MB (a 10 s 12-lead 500 Hz record in format 16 is 120 kB). */
export const MAX_UPLOAD_BYTES = 16 << 20;

export class AppSession {
  readonly records = new Map<string, Entry>();
  /** Cohort views' data from an explanation store, when one was given. */
  store: StoreCohort | null = null;
  private readonly models = new Map<string, CardedModel>();
  private readonly explainers = new Map<string, Promise<Explainer>>();
  private readonly cache = new Map<string, Promise<{ values: Float32Array; leads: number; target: string }>>();
  private readonly tlcCache = new Map<string, Promise<TlcExplanation | null>>();
  private pipeline: Promise<TlcPipeline> | undefined;
  private readonly waveCache = new Map<string, Promise<{ source: string; waves: WaveAnnotations } | null>>();
  private readonly faithCache = new Map<string, Promise<RecordFaithfulness>>();
  private uploads = 0;
  /** Each TLC cluster named by the wave holding most of its samples, over records of the TLC's model (null without a TLC or waves). */
  clusterNames: { names: Record<string, string[]>; namedBy: string } | null = null;
  /** The fold whose checkpoint the TLC was fitted on (runs), for the notice on other folds' records. */
  tlcFold: number | null = null;

  private constructor(
    readonly task: string,
    readonly classes: string[],
    /** The card records are prepared by (every model of a run shares it). */
    readonly card: ModelCard,
    readonly tlc: FittedTlc | null,
    /** Model key the TLC belongs to. */
    readonly tlcModel: string | null,
    readonly description: string,
    private readonly threads: number | undefined,
  ) {}

  get fs(): number {
    return this.card.fs;
  }

  static async open(src: AppSource): Promise<AppSession> {
    if (src.run !== undefined && (src.model !== undefined || src.data !== undefined)) throw new OptionError('run', 'give either --run RUNDIR or --model M.onnx with --data DIR, not both');
    if (src.run === undefined && (src.model === undefined || src.data === undefined)) throw new OptionError('run', 'expected --run RUNDIR, or --model M.onnx with --data DIR');
    const tlc = src.tlc !== undefined ? FittedTlc.load(src.tlc) : null;
    const s = src.run !== undefined ? await AppSession.openRun(src.run, tlc, src.threads) : await AppSession.openModel(src.model!, src.data!, tlc, src.threads, src.maxRecords ?? 2000);
    await s.nameClusters(src.progress);
    if (src.store !== undefined) s.store = await readStoreCohort(src.store);
    return s;
  }

  /**
   * Names each TLC cluster by its dominant wave over (up to 60) records of
   * the TLC's model: their annotations, else the delineator's waves. The
   * legends of every chart then say what a cluster mostly covers.
   */
  private async nameClusters(progress: boolean | undefined): Promise<void> {
    if (!this.tlc) return;
    const entries = [...this.records.values()].filter((e) => e.modelKey === this.tlcModel && !e.summary.uploaded).slice(0, 60);
    if (entries.length === 0) return;
    const groups = this.tlc.groupNames, k = this.tlc.k;
    const align = groups.map(() => new WaveAlignment(k));
    const sources = new Set<string>();
    let used = 0;
    const bar = new Progress({ label: 'serve: naming TLC clusters', total: entries.length, unit: 'ECG', ...(progress !== undefined ? { enabled: progress } : {}) });
    for (const e of entries) {
      const t = await this.tlcOf(e.summary.id);
      const w = await this.wavesOf(e.summary.id);
      bar.tick(1);
      if (!t || !w) continue;
      sources.add(w.source);
      used++;
      const waves = waveLabels(w.waves, t.nSamples);
      t.groups.forEach((g, gi) => {
        const seen: number[] = [], cls: number[] = [];
        g.sequence.labels.forEach((c, i) => {
          if (c >= 0) {
            seen.push(c);
            cls.push(waves[i]!);
          }
        });
        align[gi]!.add(seen, cls);
      });
    }
    bar.finish();
    if (used === 0) return;
    const fold = this.tlcFold !== null ? ` of fold ${this.tlcFold}` : '';
    this.clusterNames = {
      names: Object.fromEntries(groups.map((g, gi) => [g, align[gi]!.report().dominantWave.map((d) => d ?? '')])),
      namedBy: `dominant wave, ${used} records${fold} (${[...sources].join(' and ')})`,
    };
  }

  /** The P/QRS/T intervals of a record on its prepared samples: its annotations, else the delineator's; cached. */
  wavesOf(id: string): Promise<{ source: string; waves: WaveAnnotations } | null> {
    let p = this.waveCache.get(id);
    if (!p) {
      const e = this.entry(id);
      p = (async () => {
        const ecg = await e.load();
        if (ecg.waves && Object.values(ecg.waves).some((w) => w.length > 0)) return { source: 'annotations', waves: ecg.waves };
        const d = ecgDelineate(ecg).waves;
        return Object.values(d).some((w) => w.length > 0) ? { source: 'ecgx delineator', waves: d } : null;
      })();
      this.waveCache.set(id, p);
      p.catch(() => this.waveCache.delete(id));
    }
    return p;
  }

  /** Why a record has no TLC overlays while the app has a TLC (null when it has them, or there is no TLC). */
  tlcNotice(id: string): string | null {
    const e = this.entry(id);
    if (!this.tlc || e.modelKey === this.tlcModel) return null;
    const f = e.summary.fold;
    return `No TLC overlays for record ${id}: it is in test fold ${f ?? '?'} and is scored by fold ${f ?? '?'}'s checkpoint, but the TLC was fitted on fold ${this.tlcFold ?? '?'}'s checkpoint. Filter the records by fold ${this.tlcFold ?? '?'} to see its clusters.`;
  }

  /**
   * Deletion and insertion AUC of the methods on one record (its model
   * inputs), beside a seeded random map's, and the whole-deletion check; cached.
   */
  faithfulness(id: string, methods: string[], target: string): Promise<RecordFaithfulness> {
    for (const m of methods) if (!this.methods().includes(m)) throw new OptionError('method', `unknown method '${m}' (expected one of ${this.methods().join(', ')})`);
    if (target !== 'predicted' && !this.classes.includes(target)) throw new OptionError('target', `unknown target '${target}' (expected predicted or one of ${this.classes.join(', ')})`);
    if (methods.length === 0) throw new OptionError('methods', 'expected at least one method');
    const key = `${id}\u0000${methods.join(',')}\u0000${target}`;
    let p = this.faithCache.get(key);
    if (!p) {
      const e = this.entry(id);
      p = (async () => {
        const raw = await e.raw();
        const explainers = Object.fromEntries(await Promise.all(methods.map(async (m) => [m, await this.explainer(m, e.modelKey)] as const)));
        const t = this.task === 'regression' ? 'regression' : target;
        const r = await explainRecords(this.model(e.modelKey), [raw], { methods, target: t, seed: 0, progress: false, keepInputs: true, explainers });
        let m;
        try {
          m = await evaluateExplanations(r, { waves: 'none', curveSteps: 10, progress: false });
        } finally {
          await r.model.release();
        }
        return {
          inputs: m.input.shape[0]!, curveSteps: m.curveSteps,
          rows: m.methods.map((x) => ({ method: x.method, deletion: x.deletion.meanAuc, insertion: x.insertion.meanAuc })),
          random: { method: 'random (reference)', deletion: m.baseline.random.deletion.meanAuc, insertion: m.baseline.random.insertion.meanAuc },
          wholeDeletion: { meanChange: m.baseline.wholeDeletion.meanChange, ...(m.baseline.wholeDeletion.warning ? { warning: m.baseline.wholeDeletion.warning } : {}) },
        };
      })();
      this.faithCache.set(key, p);
      p.catch(() => this.faithCache.delete(key));
    }
    return p;
  }

  private static async openRun(runDir: string, tlc: FittedTlc | null, threads: number | undefined): Promise<AppSession> {
    const { dir, plan } = await openRun(runDir);
    const { task, card, dataset } = plan;
    const p = pooledPredictions(dir, task.classes, task.task);
    const modelPath = (f: number): string => join(dir, `fold-${f}`, 'model.onnx');
    let tlcModel: string | null = null;
    const s0 = new AppSession(task.task, task.classes, card, tlc, null, `run ${dir}`, threads);
    if (tlc) {
      const f = [...new Set(p.folds)].find((fold) => modelHash(s0.model(modelPath(fold)).proto) === tlc.model.sha256);
      if (f === undefined) throw new DataError(`the TLC was not fitted on any checkpoint of ${dir} (no fold-K/model.onnx has its hash)`);
      tlcModel = modelPath(f);
    }
    const s = new AppSession(task.task, task.classes, card, tlc, tlcModel, `run ${dir}`, threads);
    if (tlcModel) s.tlcFold = Number(/fold-(\d+)/.exec(tlcModel)![1]);
    const k = task.classes.length;
    p.ids.forEach((id, i) => {
      const scores = Object.fromEntries(task.classes.map((c, j) => [c, p.scores[i * k + j]!]));
      const labels = task.task === 'regression' ? [String(p.targets[i * k])] : task.classes.filter((_, j) => p.targets[i * k + j]! > 0.5);
      s.records.set(id, { summary: { id, fold: p.folds[i]!, labels, scores, predicted: s.predictedOf(scores) }, modelKey: modelPath(p.folds[i]!), ...s.loaders(id, () => dataset.load(id)) });
    });
    return s;
  }

  private static async openModel(modelPath: string, dataDir: string, tlc: FittedTlc | null, threads: number | undefined, maxRecords: number): Promise<AppSession> {
    const predictor = await openPredictor(modelPath, threads !== undefined ? { threads } : {});
    const dataset = await openDataset(dataDir);
    const card = predictor.card;
    const s = new AppSession(card.output.task, card.output.classes, card, tlc, null, `model ${modelPath} on ${dataDir}`, threads);
    if (tlc) {
      tlc.checkModel(s.model(modelPath).proto, modelPath);
      (s as { tlcModel: string | null }).tlcModel = modelPath;
    }
    try {
      const infos = dataset.records().slice(0, maxRecords);
      const bar = new Progress({ label: 'serve: predicting the records', total: infos.length, unit: 'ECG' });
      for (let i = 0; i < infos.length; i += 32) {
        const ecgs: Ecg[] = [];
        for (const r of infos.slice(i, i + 32)) ecgs.push(await dataset.load(r.id));
        const preds = await predictor.predict(ecgs);
        preds.forEach((pr, j) => {
          const id = infos[i + j]!.id;
          const truth = ecgs[j]!.meta.labels ?? [];
          s.records.set(id, {
            summary: { id, fold: infos[i + j]!.fold ?? null, labels: card.output.classes.filter((c) => truth.includes(c)), scores: pr.values, predicted: s.predictedOf(pr.values) },
            modelKey: modelPath, ...s.loaders(id, () => dataset.load(id)),
          });
        });
        bar.tick(preds.length);
      }
      bar.finish();
    } finally {
      await predictor.release();
    }
    return s;
  }

  private predictedOf(scores: Record<string, number>): string[] {
    if (this.task === 'regression') return [];
    const e = Object.entries(scores);
    if (this.task === 'multiclass') return e.length ? [e.reduce((a, b) => (b[1] > a[1] ? b : a))[0]] : [];
    return e.filter(([, v]) => v >= 0.5).map(([c]) => c);
  }

  /** A record's loaders: as read (under its app id), and as its card prepares it. */
  private loaders(id: string, read: () => Promise<Ecg>): Pick<Entry, 'raw' | 'load'> {
    const raw = async (): Promise<Ecg> => {
      const e = await read();
      return { ...e, meta: { ...e.meta, recordId: id } };
    };
    return { raw, load: async () => prepareRecord(this.card, await raw()).ecg };
  }

  model(path: string): CardedModel {
    let m = this.models.get(path);
    if (!m) {
      m = loadCardedModel(path);
      this.models.set(path, m);
    }
    return m;
  }

  /** Methods the app offers: every registered explainer that runs without required options. */
  methods(): string[] {
    // Methods that need options the app cannot give (a fitted TLC, TCAV's concepts) are not offered; TLC is drawn as its own overlays.
    return [...EXPLAINERS.values()].filter((f) => !f.options.some((d) => d.required)).map((f) => f.name);
  }

  entry(id: string): Entry {
    const e = this.records.get(id);
    if (!e) throw new OptionError('record', `no record '${id}'`);
    return e;
  }

  private explainer(method: string, modelKey: string): Promise<Explainer> {
    const key = `${method}\u0000${modelKey}`;
    let p = this.explainers.get(key);
    if (!p) {
      p = createExplainer(method, this.model(modelKey), this.threads !== undefined ? { threads: this.threads } : {});
      this.explainers.set(key, p);
      p.catch(() => this.explainers.delete(key));
    }
    return p;
  }

  /** The attribution of `method` for `target` (a class name, or 'predicted') on record `id`; cached. */
  attribution(id: string, method: string, target: string): Promise<{ values: Float32Array; leads: number; target: string }> {
    if (!this.methods().includes(method)) throw new OptionError('method', `unknown method '${method}' (expected one of ${this.methods().join(', ')})`);
    if (target !== 'predicted' && !this.classes.includes(target)) throw new OptionError('target', `unknown target '${target}' (expected predicted or one of ${this.classes.join(', ')})`);
    const key = `${id}\u0000${method}\u0000${target}`;
    let p = this.cache.get(key);
    if (!p) {
      const e = this.entry(id);
      p = (async () => {
        const raw = await e.raw();
        const ex = await this.explainer(method, e.modelKey);
        const t = this.task === 'regression' ? 'regression' : target;
        const r = await explainRecords(this.model(e.modelKey), [raw], { methods: [method], target: t, seed: 0, progress: false, explainers: { [method]: ex } });
        await r.model.release();
        const a = r.attributions[0]!;
        return { values: Float32Array.from(a.values.data), leads: a.values.shape[1]!, target: a.target.name?.[0] ?? String(a.target.index[0]) };
      })();
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  /** TLC of record `id`, or null when there is no TLC or the record is scored by another model. */
  tlcOf(id: string): Promise<TlcExplanation | null> {
    const e = this.entry(id);
    if (!this.tlc || e.modelKey !== this.tlcModel) return Promise.resolve(null);
    let p = this.tlcCache.get(id);
    if (!p) {
      p = (async () => {
        this.pipeline ??= TlcPipeline.open(this.model(this.tlcModel!).proto, this.tlc!, this.threads !== undefined ? { threads: this.threads } : {});
        const pipe = await this.pipeline;
        const raw = await e.raw();
        const source = await recordSource(this.card, async function* () { yield raw; }, 1, id);
        for await (const r of pipe.explainRecords(source)) return r.explanation;
        return null;
      })();
      this.tlcCache.set(id, p);
      p.catch(() => this.tlcCache.delete(id));
    }
    return p;
  }

  /**
   * Adds an uploaded WFDB record (.hea text and .dat bytes). It is read with
   * the ordinary reader from a private temporary folder, under a fixed file
   * name (nothing from the client names a path), preprocessed and predicted
   * by the first model. Returns its summary. The folder lives only while the
   * record is read (synchronously, so no signal handler runs in between):
   * nothing is left in the temporary folder, whether the upload fails or not.
   */
  async upload(hea: string, dat: Uint8Array, name: string): Promise<RecordSummary> {
    if (Buffer.byteLength(hea) + dat.length > MAX_UPLOAD_BYTES) throw new DataError(`upload: ${name} is larger than ${MAX_UPLOAD_BYTES >> 20} MiB`);
    const first = hea.split(/\r?\n/).find((l) => l.trim() !== '' && !l.startsWith('#'));
    if (!first) throw new FormatError(`${name}.hea`, 'empty header (expected a WFDB record line)', { line: 1 });
    const base = first.trim().split(/\s+/)[0]!;
    const n = ++this.uploads;
    const rec = `r${n}`;
    // The header names its record and signal files; rewrite both to the fixed name so the reader finds the uploaded bytes.
    const fixed = hea.split(/\r?\n/).map((l, i) => {
      if (l.trim() === '' || l.startsWith('#')) return l;
      const parts = l.trim().split(/\s+/);
      if (l === first) parts[0] = rec;
      else if (i > 0 && parts[0]!.includes('.')) parts[0] = `${rec}.dat`;
      return parts.join(' ');
    }).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'ecgx-serve-'));
    let raw: Ecg;
    try {
      writeFileSync(join(dir, `${rec}.hea`), fixed);
      writeFileSync(join(dir, `${rec}.dat`), dat);
      raw = readRecord(join(dir, rec)).ecg;
    } catch (e) {
      if (e instanceof EcgxError) throw new FormatError(`${name}.hea`, e.message.replaceAll(join(dir, rec), base).replaceAll(dir + sep, ''));
      throw e;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const id = `upload-${n}-${base.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}`;
    prepareRecord(this.card, raw);
    const modelKey = this.tlcModel ?? this.records.values().next().value?.modelKey;
    if (!modelKey) throw new DataError('no model to score the upload with');
    const predictor = await openPredictor(this.model(modelKey), this.threads !== undefined ? { threads: this.threads } : {});
    let scores: Record<string, number>;
    try {
      scores = (await predictor.predict([raw]))[0]!.values;
    } finally {
      await predictor.release();
    }
    const truth = raw.meta.labels ?? [];
    const summary: RecordSummary = { id, fold: null, labels: this.classes.filter((c) => truth.includes(c)), scores, predicted: this.predictedOf(scores), uploaded: true };
    this.records.set(id, { summary, modelKey, ...this.loaders(id, async () => raw) });
    return summary;
  }

  async close(): Promise<void> {
    for (const p of this.explainers.values()) await (await p.catch(() => undefined))?.release?.();
    if (this.pipeline) await (await this.pipeline.catch(() => undefined))?.release();
  }
}
