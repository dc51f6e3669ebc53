/**
 * TLC end to end: a fitted TLC applied to ECGs with its model (one
 * onnxruntime run gives the prediction and the activations), and the
 * run-level evaluation over a training run's folds: per fold, TLC is fitted
 * on the fold's training ECGs with the fold's checkpoint, every ECG is
 * explained, the surrogate forests are trained on the training ECGs'
 * proportions and scored on the test fold, and the test ECGs' clusters are
 * aligned with their waves (annotations, or the delineator).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Ecg, WaveAnnotations } from '../../data/ecg.js';
import type { PreprocessSpec } from '../../data/preprocess/index.js';
import { readModelMeta } from '../../models/meta.js';
import { ecgDelineate } from '../../delineate/index.js';
import { makeEcg } from '../../data/ecg.js';
import { loadModel, valueInfoDims, type ModelProto } from '../../engine/onnx/proto.js';
import { planRun, type RunRecord } from '../../train/run.js';
import { meanStd } from '../../train/metrics.js';
import { DataError, FormatError, IoError, ModelError, OptionError } from '../../util/errors.js';
import { Progress } from '../../util/progress.js';
import type { NdArray } from '../../util/npy.js';
import { ActivationReader, modelHash, type ActivationBatch } from './extract.js';
import { TlcPrototypes, type GroupPrototypes } from './prototypes.js';
import { fitTlcWith, collectSamples, groupClusterer, resolveTlcOptions, FittedTlc, type TlcExplanation, type TlcOptions } from './fit.js';
import { datasetSource, type EcgSource, type SourceItem } from './source.js';
import { surrogateFold, summarizeSurrogate, type SurrogateFoldResult, type SurrogateSummary } from './surrogate.js';
import { TlcWaveStats, type GroupWaveReport } from './waves.js';
import { silhouetteScore } from './sweep.js';
import { stitchExplanations } from './stitch.js';
import type { ForestOptions } from './forest.js';

/** One explained ECG. */
export interface ExplainedEcg {
  item: SourceItem;
  /** The model's own outputs for this ECG, by output name. */
  outputs: Record<string, Float32Array>;
  explanation: TlcExplanation;
}

/** A fitted TLC with an open session of its model. */
export class TlcPipeline {
  private constructor(
    readonly tlc: FittedTlc,
    private readonly reader: ActivationReader,
    /** True when the reader returns the clusterers' logits (FittedTlc.withLogits) rather than the layers' activations. */
    private readonly logits: boolean,
  ) {}

  /**
   * Opens `model` for `tlc`. The model must be the one TLC was fitted on
   * (same hash) unless `checkHash` is false (then its layers must still match).
   * By default k-means TLCs have onnxruntime compute the cluster logits in
   * the model's own run (FittedTlc.withLogits); `logits: false` reads the raw
   * activations and assigns in JavaScript (the reference path).
   */
  static async open(model: ModelProto | string, tlc: FittedTlc | string, opts: { threads?: number; checkHash?: boolean; logits?: boolean } = {}): Promise<TlcPipeline> {
    const t = typeof tlc === 'string' ? FittedTlc.load(tlc) : tlc;
    const proto = typeof model === 'string' ? loadModel(model) : model;
    if (opts.checkHash !== false) t.checkModel(proto, typeof model === 'string' ? model : 'the model');
    const threads = opts.threads !== undefined ? { threads: opts.threads } : {};
    // The logits graph only for the verified model: with another one, the raw maps' channel check gives the clear error.
    const withLogits = opts.checkHash !== false && opts.logits !== false ? t.withLogits(proto) : null;
    if (withLogits) {
      const reader = await ActivationReader.open(withLogits.model, { layers: withLogits.tensors, ...threads });
      return new TlcPipeline(t, reader, true);
    }
    const reader = await ActivationReader.open(proto, { layers: t.layers.map((l) => l.name), ...threads });
    return new TlcPipeline(t, reader, false);
  }

  /** Names of the model's own outputs. */
  get outputs(): string[] {
    return this.reader.outputs;
  }

  /** Refuses ECGs whose lead count or length differs from the fitting data (resample with the checkpoint's preprocessing first). */
  checkInput(leads: number, samples: number, fs: number): void {
    const m = this.tlc.model;
    if (leads !== m.leads) throw new DataError(`the ECGs have ${leads} leads; the model and TLC expect ${m.leads}${m.leadNames ? ` (${m.leadNames.join(' ')})` : ''}`);
    if (samples !== m.samples) throw new DataError(`the ECGs have ${samples} samples per lead; the model and TLC expect ${m.samples}${m.fs ? ` (${(m.samples / m.fs).toFixed(2)} s at ${m.fs} Hz)` : ''}`);
    if (m.fs !== null && Math.abs(fs - m.fs) > 1e-9) throw new DataError(`the ECGs are at ${fs} Hz; the model and TLC expect ${m.fs} Hz (resample them first)`);
  }

  /** Explains one batch x [B, leads, T] at `fs`. */
  async explainBatch(x: NdArray, fs: number): Promise<{ outputs: Record<string, Float32Array>[]; explanations: TlcExplanation[] }> {
    this.checkInput(x.shape[1]!, x.shape[2]!, fs);
    return this.assign(await this.reader.run(x), x.shape[2]!, fs);
  }

  private assign(got: ActivationBatch, nSamples: number, fs: number): { outputs: Record<string, Float32Array>[]; explanations: TlcExplanation[] } {
    const outputs = Array.from({ length: got.count }, (_, i) => Object.fromEntries(Object.entries(got.outputs).map(([name, t]) => {
      const per = t.data.length / got.count;
      return [name, t.data.slice(i * per, (i + 1) * per)];
    })));
    const explanations = Array.from({ length: got.count }, (_, i) => {
      const maps = got.maps.map((m) => m[i]!);
      return this.logits ? this.tlc.explainLogits(maps, nSamples, fs) : this.tlc.explainMaps(maps, nSamples, fs);
    });
    return { outputs, explanations };
  }

  /**
   * Explains every ECG of a source, one batch at a time (bounded memory: two
   * batches). The next batch's onnxruntime run is started before the current
   * batch's clusters are assigned, so the model (native threads) and the
   * assignment (JavaScript) overlap.
   */
  async *explain(source: EcgSource, batchSize = 32): AsyncGenerator<ExplainedEcg> {
    this.checkInput(source.leads, source.samples, source.fs);
    let pending: { items: SourceItem[]; run: Promise<ActivationBatch> } | undefined;
    const finish = function* (this: TlcPipeline, got: ActivationBatch, items: SourceItem[]): Generator<ExplainedEcg> {
      const r = this.assign(got, source.samples, source.fs);
      for (let i = 0; i < items.length; i++) yield { item: items[i]!, outputs: r.outputs[i]!, explanation: r.explanations[i]! };
    };
    for await (const b of source.batches(batchSize)) {
      const run = this.reader.run(b.x);
      run.catch(() => undefined); // awaited below, in order
      if (pending) yield* finish.call(this, await pending.run, pending.items);
      pending = { items: b.items, run };
    }
    if (pending) yield* finish.call(this, await pending.run, pending.items);
  }

  /**
   * Explains every record of a source made through a card: a record's model
   * inputs (windows) are explained, then stitched into one explanation over
   * the record's whole duration (stitch.ts). Records of plain tensor sources
   * are their own single input.
   */
  async *explainRecords(source: EcgSource, batchSize = 32): AsyncGenerator<TlcExplainedRecord> {
    let parts: ExplainedEcg[] = [];
    for await (const e of this.explain(source, batchSize)) {
      parts.push(e);
      const w = e.item.window;
      if (w && parts.length < w.of) continue;
      const starts = parts.map((p) => p.item.window?.start ?? 0);
      const nSamples = w?.nSamples ?? e.explanation.nSamples;
      yield { id: e.item.id, explanation: stitchExplanations(parts.map((p) => p.explanation), starts, nSamples), windows: parts };
      parts = [];
    }
  }

  async release(): Promise<void> {
    await this.reader.release();
  }
}

/** One record explained over its whole duration, with the explanations of its model inputs. */
export interface TlcExplainedRecord {
  id: string;
  explanation: TlcExplanation;
  windows: ExplainedEcg[];
}

const round = (v: number, d = 4): number => Number(v.toFixed(d));

/**
 * The stable per-ECG JSON of `ecgx tlc explain --json` (issue 5): one entry per
 * group with its block-resolution sequence, entropy, segments (input samples)
 * and proportions, then the input-resolution sequences and entropies.
 */
export function explanationJson(record: string, e: TlcExplanation): Record<string, unknown> {
  return {
    record,
    fs: e.fs,
    nSamples: e.nSamples,
    layers: e.groups.map((g) => ({
      name: g.name, k: g.k, resolution: round(g.resolution, 6),
      sequence: Array.from(g.sequence.blockLabels),
      entropy: Array.from(g.sequence.blockEntropy, (v) => round(v)),
      segments: g.segments.map((s) => ({ start: s.start, end: s.end, cluster: s.cluster, meanEntropy: round(s.meanEntropy) })),
      proportions: Array.from(g.proportions, (v) => round(v, 6)),
    })),
    input: { sequence: e.groups.map((g) => Array.from(g.sequence.labels)), entropy: e.groups.map((g) => Array.from(g.sequence.entropy, (v) => round(v))) },
    agreement: e.agreement ? { ari: e.agreement.ari.map((r) => r.map((v) => round(v))), nmi: e.agreement.nmi.map((r) => r.map((v) => round(v))) } : null,
  };
}

/** Where wave intervals come from: the records' annotations (LUDB, synthetic ground truth) or ecgDelineate. */
export type WaveSource = 'annotations' | 'delineate';

/** Wave intervals of an explained ECG: its annotations, or the delineator's fused waves on the model input. */
export function wavesOf(item: SourceItem, x: Float32Array | undefined, leads: string[] | undefined, fs: number, mode: WaveSource): WaveAnnotations | undefined {
  if (mode === 'annotations') return item.waves;
  if (!x || !leads) return undefined;
  const d = ecgDelineate(makeEcg({ signal: x, fs, leads, meta: { recordId: item.id } }));
  return d.waves['*'] ? { '*': d.waves['*'] } : undefined;
}

export interface TlcEvaluateOptions extends TlcOptions {
  /** Test folds to evaluate (default: every fold with a checkpoint). */
  folds?: number[];
  /** Wave source for the alignment (default 'annotations'; no alignment when no test ECG has waves). */
  waves?: WaveSource;
  forest?: ForestOptions;
  batchSize?: number;
  threads?: number;
  progress?: boolean;
  /** Use only the first N records of the run's task (quick checks). */
  maxRecords?: number;
  /**
   * A TLC fitted already (ecgx tlc fit --run): only the fold whose checkpoint
   * it was fitted on is evaluated, with it (no refit).
   */
  tlc?: FittedTlc;
  /** Half-width of the prototype windows, seconds (default 0.3). */
  prototypeS?: number;
}

export interface TlcFoldEvaluation {
  surrogate: SurrogateFoldResult;
  /** Alignment of the test ECGs' clusters with their waves (null without waves). */
  waves: GroupWaveReport[] | null;
  /** Per class: mean cluster proportions (groups side by side) of the test ECGs with and without the label. */
  classProportions: Record<string, { positive: number[]; negative: number[]; nPositive: number }>;
  /** Mean ARI between the groups' sequences over the test ECGs (null with one group). */
  meanAgreementAri: number | null;
  /** Mean input waveform per cluster around its segments' centres (test ECGs). */
  prototypes: GroupPrototypes[];
}

export interface TlcEvaluation {
  run: string;
  task: string;
  classes: string[];
  options: ReturnType<typeof resolveTlcOptions>;
  groups: string[];
  folds: TlcFoldEvaluation[];
  surrogate: SurrogateSummary;
  /** Mean ± std over folds of each group's NMI and null NMI against the waves. */
  waves: { name: string; nmi: { mean: number; std: number; n: number }; nullNmi: { mean: number; std: number; n: number }; qrsPurity: { mean: number; std: number; n: number } }[] | null;
}

function readRun(dir: string): RunRecord {
  const path = join(dir, 'run.json');
  if (!existsSync(path)) throw new IoError(path, 'not found (expected a folder written by ecgx train)');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
  } catch {
    throw new FormatError(path, 'not valid JSON');
  }
}

/** The folds of a run, its examples and preprocessing, as training resolved them. */
export async function openRun(runDir: string, maxRecords?: number): Promise<{ dir: string; run: RunRecord; plan: Awaited<ReturnType<typeof planRun>>; folds: number[] }> {
  const dir = resolve(runDir);
  const run = readRun(dir);
  const cfg = { ...run.config, ...(maxRecords !== undefined ? { maxRecords } : {}) };
  const plan = await planRun(cfg);
  const folds = plan.testFolds.filter((f) => existsSync(join(dir, `fold-${f}`, 'model.onnx')));
  if (folds.length === 0) throw new DataError(`${dir}: no fold has a checkpoint (fold-K/model.onnx)`);
  return { dir, run, plan, folds };
}

/** The output whose scores the run's metrics use: probs for classification, logits for regression. */
function scoreOutput(outputs: string[], task: string): string {
  const want = task === 'regression' ? 'logits' : 'probs';
  if (outputs.includes(want)) return want;
  if (outputs.length === 0) throw new ModelError('the model has no outputs besides the TLC layers');
  return outputs[0]!;
}

/**
 * TLC over a run's folds: fit per fold on the training part (training and
 * validation folds), explain all ECGs, surrogate forests, wave alignment.
 */
export async function evaluateTlcRun(runDir: string, opts: TlcEvaluateOptions = {}): Promise<TlcEvaluation> {
  const { dir, plan, folds: available } = await openRun(runDir, opts.maxRecords);
  let folds = opts.folds ?? available;
  for (const f of folds) if (!available.includes(f)) throw new OptionError('--fold', `fold ${f} has no checkpoint in ${dir} (folds with one: ${available.join(', ')})`);
  if (opts.tlc) {
    const given = opts.tlc;
    const match = available.find((f) => modelHash(loadModel(join(dir, `fold-${f}`, 'model.onnx'))) === given.model.sha256);
    if (match === undefined) throw new ModelError(`the TLC was not fitted on any checkpoint of ${dir} (no fold-K/model.onnx has its hash)`);
    if (opts.folds && !opts.folds.includes(match)) throw new OptionError('--fold', `the TLC belongs to fold ${match}`);
    folds = [match];
  }
  const o = opts.tlc ? opts.tlc.options : resolveTlcOptions(opts);
  const { task, card, foldOf } = plan;
  const k = task.classes.length;
  const index = new Map(task.examples.map((e, i) => [e.id, i]));
  const mode = opts.waves ?? 'annotations';
  const results: TlcFoldEvaluation[] = [];
  let groups: string[] = [];
  for (const f of folds) {
    const trainIds = task.examples.filter((e) => foldOf.get(e.id) !== f).map((e) => e.id);
    const allIds = task.examples.map((e) => e.id);
    const model = loadModel(join(dir, `fold-${f}`, 'model.onnx'));
    let tlc: FittedTlc;
    if (opts.tlc) tlc = opts.tlc;
    else {
      const reader = await ActivationReader.open(model, { ...(opts.layers ? { layers: opts.layers } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
      try {
        tlc = await fitTlcWith(reader, await datasetSource(plan.dataset, card, trainIds), opts, { ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}), ...(opts.progress !== undefined ? { progress: opts.progress } : {}) });
      } finally {
        await reader.release();
      }
    }
    groups = tlc.groupNames;
    const pipe = await TlcPipeline.open(model, tlc, opts.threads !== undefined ? { threads: opts.threads } : {});
    const d = groups.length * o.k;
    const feats = new Float64Array(allIds.length * d);
    const cnn = new Float32Array(allIds.length * k);
    const stats = new TlcWaveStats(groups, o.k);
    const protos = new TlcPrototypes(groups, o.k, card.leads.length, Math.round((opts.prototypeS ?? 0.3) * card.fs));
    const agreements: number[] = [];
    const bar = new Progress({ label: `tlc fold ${f}: explain`, total: allIds.length, unit: 'ECG', ...(opts.progress !== undefined ? { enabled: opts.progress } : {}) });
    const out = scoreOutput(pipe.outputs, task.task);
    const source = await datasetSource(plan.dataset, card, allIds);
    try {
      for await (const b of source.batches(opts.batchSize ?? 32)) {
        const r = await pipe.explainBatch(b.x, source.fs);
        const per = source.leads * source.samples;
        b.items.forEach((item, i) => {
          const row = index.get(item.id)!;
          const e = r.explanations[i]!;
          e.groups.forEach((g, gi) => feats.set(g.proportions, row * d + gi * o.k));
          const s = r.outputs[i]![out]!;
          if (s.length !== k) throw new ModelError(`output '${out}' has ${s.length} values per ECG; the run's task has ${k} outputs`);
          cnn.set(s, row * k);
          if (foldOf.get(item.id) === f) {
            const signal = b.x.data.subarray(i * per, (i + 1) * per);
            protos.add(signal, e);
            const waves = wavesOf(item, signal, card.leads, source.fs, mode);
            if (waves && Object.keys(waves).length > 0) stats.add(e, waves);
            if (e.agreement) agreements.push(meanOffDiagonal(e.agreement.ari));
          }
        });
        bar.tick(b.items.length);
      }
    } finally {
      bar.finish();
      await pipe.release();
    }
    const split = (pick: (fold: number) => boolean): { x: { data: Float64Array; n: number; d: number }; cnn: Float32Array; truth: Float32Array; rows: number[] } => {
      const rows = allIds.map((id, i) => [id, i] as const).filter(([id]) => pick(foldOf.get(id)!)).map(([, i]) => i);
      const x = new Float64Array(rows.length * d), c = new Float32Array(rows.length * k), t = new Float32Array(rows.length * k);
      rows.forEach((r, j) => {
        x.set(feats.subarray(r * d, (r + 1) * d), j * d);
        c.set(cnn.subarray(r * k, (r + 1) * k), j * k);
        t.set(task.examples[r]!.target, j * k);
      });
      return { x: { data: x, n: rows.length, d }, cnn: c, truth: t, rows };
    };
    const train = split((g) => g !== f), test = split((g) => g === f);
    const surrogate = await Progress.step(`tlc fold ${f}: surrogate forest`, () => surrogateFold(task.task, task.classes, f, train, test, { seed: o.seed, ...opts.forest }), opts.progress !== undefined ? { enabled: opts.progress } : {});
    const classProportions: TlcFoldEvaluation['classProportions'] = {};
    if (task.task !== 'regression') {
      task.classes.forEach((c, j) => {
        const pos = new Float64Array(d), neg = new Float64Array(d);
        let np = 0, nn = 0;
        for (let i = 0; i < test.x.n; i++) {
          const target = test.truth[i * k + j]! > 0.5;
          const acc = target ? pos : neg;
          for (let u = 0; u < d; u++) acc[u]! += test.x.data[i * d + u]!;
          if (target) np++;
          else nn++;
        }
        classProportions[c] = { positive: Array.from(pos, (v) => round(v / Math.max(1, np))), negative: Array.from(neg, (v) => round(v / Math.max(1, nn))), nPositive: np };
      });
    }
    results.push({
      surrogate,
      waves: stats.count > 0 ? stats.report() : null,
      classProportions,
      meanAgreementAri: agreements.length ? agreements.reduce((a, b) => a + b, 0) / agreements.length : null,
      prototypes: protos.report(),
    });
  }
  const withWaves = results.filter((r) => r.waves);
  return {
    run: dir, task: task.task, classes: task.classes, options: o, groups,
    folds: results,
    surrogate: summarizeSurrogate(results.map((r) => r.surrogate)),
    waves: withWaves.length === 0 ? null : groups.map((name, gi) => ({
      name,
      nmi: meanStd(withWaves.map((r) => r.waves![gi]!.nmi)),
      nullNmi: meanStd(withWaves.map((r) => r.waves![gi]!.null.nmi)),
      qrsPurity: meanStd(withWaves.map((r) => bestPurity(r.waves![gi]!, 'QRS'))),
    })),
  };
}

function meanOffDiagonal(m: number[][]): number {
  let s = 0, n = 0;
  for (let a = 0; a < m.length; a++) for (let b = a + 1; b < m.length; b++) {
    s += m[a]![b]!;
    n++;
  }
  return n > 0 ? s / n : NaN;
}

/** The highest purity among the clusters whose dominant wave is `wave` (0 when none is). */
export function bestPurity(r: GroupWaveReport, wave: 'P' | 'QRS' | 'T' | 'other'): number {
  const w = r.classes.indexOf(wave);
  let best = 0;
  r.dominantWave.forEach((d, c) => {
    if (d === wave) best = Math.max(best, r.clusterWaveFraction[c]![w]!);
  });
  return best;
}

export interface TlcSweepRow {
  k: number;
  /** Per group: inertia (k-means) or BIC (GMM) and silhouette on the fitting sample. */
  groups: { name: string; inertia?: number; bic?: number; silhouette: number }[];
  /** Surrogate fidelity on the fold (%). */
  fidelity: number;
  forestAuroc: number | null;
}

/**
 * A sweep over K on one fold of a run: fit criteria of each group's clusterer
 * and the fold's surrogate fidelity for each K.
 */
export async function sweepTlcRun(runDir: string, ks: readonly number[], opts: TlcEvaluateOptions & { fold?: number } = {}): Promise<TlcSweepRow[]> {
  const { folds } = await openRun(runDir, opts.maxRecords);
  const fold = opts.fold ?? folds[0]!;
  const rows: TlcSweepRow[] = [];
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 2) throw new OptionError('--k', `expected integers >= 2, got ${k}`);
    const ev = await evaluateTlcRun(runDir, { ...opts, k, folds: [fold], waves: opts.waves ?? 'annotations' });
    const fr = ev.folds[0]!;
    rows.push({ k, groups: [], fidelity: fr.surrogate.fidelity, forestAuroc: fr.surrogate.forest['auroc'] ?? null });
  }
  // Fit criteria on the fold's fitting sample (one activation pass, every K).
  const { dir, plan } = await openRun(runDir, opts.maxRecords);
  const o = resolveTlcOptions(opts);
  const trainIds = plan.task.examples.filter((e) => plan.foldOf.get(e.id) !== fold).map((e) => e.id);
  const reader = await ActivationReader.open(join(dir, `fold-${fold}`, 'model.onnx'), { ...(opts.layers ? { layers: opts.layers } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  try {
    const s = await collectSamples(reader, await datasetSource(plan.dataset, plan.card, trainIds), o, opts.progress !== undefined ? { progress: opts.progress } : {});
    rows.forEach((row) => {
      row.groups = s.points.map((p, g) => {
        const c = groupClusterer(o, p.n, row.k).fit(p);
        const z = c.transform(p);
        const sil = silhouetteScore(z, c.predict(p), { seed: o.seed });
        const inner = c.clusterer;
        return 'inertia' in inner ? { name: s.groups[g]!, inertia: inner.inertia, silhouette: sil } : { name: s.groups[g]!, bic: inner.bic(z), silhouette: sil };
      });
    });
  } finally {
    await reader.release();
  }
  return rows;
}

/** Markdown report of a run evaluation: surrogate per fold, mean ± std, wave alignment per group. */
export function formatTlcEvaluation(ev: TlcEvaluation): string {
  const f2 = (v: number | undefined | null, d = 2): string => (v === undefined || v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
  const ms = (m: { mean: number; std: number; n: number } | undefined, d = 2): string => (m ? (m.n > 1 ? `${f2(m.mean, d)} ± ${f2(m.std, d)}` : f2(m.mean, d)) : 'n/a');
  const reg = ev.task === 'regression';
  const lines: string[] = [];
  lines.push(`# TLC evaluation of ${ev.run}`, '');
  lines.push(`Task ${ev.task} (${ev.classes.join(', ')}); groups ${ev.groups.join(', ')}; K = ${ev.options.k}, ${ev.options.method}${ev.options.concat ? ', concatenated' : ''}, seed ${ev.options.seed}.`, '');
  lines.push('## Surrogate random forest on cluster proportions', '');
  if (reg) {
    lines.push('| fold | n test | R² to CNN | forest MAE | CNN MAE | forest R² | CNN R² |', '|---|---|---|---|---|---|---|');
    for (const f of ev.folds) {
      const s = f.surrogate;
      lines.push(`| ${s.fold} | ${s.nTest} | ${f2(s.r2ToCnn, 3)} | ${f2(s.forest['mae'])} | ${f2(s.cnn['mae'])} | ${f2(s.forest['r2'], 3)} | ${f2(s.cnn['r2'], 3)} |`);
    }
    const S = ev.surrogate;
    lines.push(`| mean ± std | | ${ms({ ...S.fidelity, mean: S.fidelity.mean / 100, std: S.fidelity.std / 100 }, 3)} | ${ms(S.forest['mae'])} | ${ms(S.cnn['mae'])} | ${ms(S.forest['r2'], 3)} | ${ms(S.cnn['r2'], 3)} |`);
  } else {
    lines.push('| fold | n test | fidelity % | exact match % | forest accuracy | CNN accuracy | forest AUROC | CNN AUROC |', '|---|---|---|---|---|---|---|---|');
    for (const f of ev.folds) {
      const s = f.surrogate;
      lines.push(`| ${s.fold} | ${s.nTest} | ${f2(s.fidelity, 1)} | ${f2(s.exactMatch, 1)} | ${f2(s.forest['accuracy'], 3)} | ${f2(s.cnn['accuracy'], 3)} | ${f2(s.forest['auroc'], 3)} | ${f2(s.cnn['auroc'], 3)} |`);
    }
    const S = ev.surrogate;
    lines.push(`| mean ± std | | ${ms(S.fidelity, 1)} | ${ms(S.exactMatch, 1)} | ${ms(S.forest['accuracy'], 3)} | ${ms(S.cnn['accuracy'], 3)} | ${ms(S.forest['auroc'], 3)} | ${ms(S.cnn['auroc'], 3)} |`);
  }
  if (ev.waves) {
    lines.push('', '## Clusters vs waves (test ECGs)', '');
    lines.push('| group | NMI | NMI, waves shifted half a beat | best QRS-cluster purity |', '|---|---|---|---|');
    for (const w of ev.waves) lines.push(`| ${w.name} | ${ms(w.nmi, 3)} | ${ms(w.nullNmi, 3)} | ${ms(w.qrsPurity, 3)} |`);
    const first = ev.folds.find((f) => f.waves)!;
    lines.push('', `Fold ${first.surrogate.fold}: dominant wave (purity) of each cluster, and mean entropy on wave boundaries vs inside waves:`, '');
    for (const w of first.waves!) {
      const cl = w.dominantWave.map((d, c) => (d === null ? `c${c}: -` : `c${c}: ${d} (${f2(w.clusterWaveFraction[c]![w.classes.indexOf(d)]!, 2)})`));
      lines.push(`- ${w.name}: ${cl.join(', ')}; entropy boundary ${f2(w.entropyBoundary, 3)} vs inside ${f2(w.entropyInside, 3)}`);
    }
  }
  const cp = ev.folds[0]?.classProportions ?? {};
  if (Object.keys(cp).length > 0) {
    const names = ev.groups.flatMap((g) => Array.from({ length: ev.options.k }, (_, c) => `${g}:c${c}`));
    lines.push('', `Fold ${ev.folds[0]!.surrogate.fold}: clusters most enriched per class (mean proportion in test ECGs with the label minus without):`, '');
    for (const [cls, v] of Object.entries(cp)) {
      const diff = v.positive.map((p, i) => [names[i]!, p - v.negative[i]!] as const).sort((a, b) => b[1] - a[1]).slice(0, 3);
      lines.push(`- ${cls} (${v.nPositive} ECGs): ${diff.map(([n, d]) => `${n} ${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} pt`).join(', ')}`);
    }
  }
  return lines.join('\n') + '\n';
}
