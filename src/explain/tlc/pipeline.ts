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
import { fitTlcWith, collectSamples, groupClusterer, resolveTlcOptions, FittedTlc, type TemperatureFit, type TlcExplanation, type TlcOptions } from './fit.js';
import { datasetSource, type EcgSource, type SourceItem } from './source.js';
import { surrogateFold, summarizeSurrogate, type SurrogateFoldResult, type SurrogateSummary } from './surrogate.js';
import { TlcWaveStats, type GroupWaveReport } from './waves.js';
import { TlcEntropyStats, type GroupEntropyReport } from './entropy.js';
import { Rng } from '../../util/rng.js';
import { silhouetteScore } from './sweep.js';
import { stitchExplanations } from './stitch.js';
import type { EcgDataset } from '../../data/datasets/types.js';
import { stratifiedFolds } from '../../data/datasets/folds.js';
import type { ModelCard } from '../../models/card.js';
import type { ModelTask } from '../../models/meta.js';
import { activate } from '../../models/inputs.js';
import { loadCardedModel, type CardedModel } from '../../models/predict.js';
import { resolveTask, type Example } from '../../train/task.js';
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
  /**
   * Use a seeded fraction in (0, 1] of each fold's training ECGs to fit TLC
   * and the forests (robustness to the training-set size; default 1).
   */
  trainFraction?: number;
  /**
   * Entropy under noise: Gaussian noise of this standard deviation (in the
   * model input's units: mV unless the card standardises) is added to every
   * lead of each test ECG over the input fraction [from, to) (default 0.4-0.6),
   * and the stretch's entropy is compared with the clean ECG's.
   */
  noise?: { sigma: number; from?: number; to?: number };
  /** Called with each fold's fitted TLC (e.g. to save it). */
  onFitted?: (fold: number, tlc: FittedTlc) => void;
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
  /** Training ECGs TLC and the forests were fitted on (after trainFraction). */
  nTrainUsed: number;
  /** How each group's temperature was chosen (the 'heldout' rule). */
  temperature: TemperatureFit[] | null;
  /** What the test ECGs' entropy separates (entropy.ts). */
  entropy: GroupEntropyReport[];
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
  waves: { name: string; nmi: Stat; nullNmi: Stat; qrsPurity: Stat; purity: Stat; nullPurity: Stat; entropyBoundary: Stat; entropyInside: Stat }[] | null;
  /** Per class (or target band), the clusters whose mean proportion rises most with the label, averaged over folds (points of proportion). */
  enrichment: Record<string, { nPositive: number; top: { cluster: string; diff: Stat }[] }>;
  /** Per group, mean ± std over folds of the entropy figures (entropy.ts). */
  entropy: { name: string; mean: Stat; median: Stat; above05: Stat; histogram: number[]; wrongAuroc: Stat; meanWrong: Stat; meanRight: Stat; classAuroc: Record<string, Stat>; noise?: { insideClean: Stat; insideNoisy: Stat; outsideNoisy: Stat; changed: Stat; auroc: Stat } }[];
}

type Stat = { mean: number; std: number; n: number };

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

/**
 * What a TLC evaluation runs over: records with their targets, the folds
 * they fall in, the card they go through, and the model each test fold is
 * scored with (a training run's fold checkpoint, or one model for every
 * fold of a dataset).
 */
export interface TlcStudy {
  /** The run folder or the model file (for messages and the evaluation record). */
  name: string;
  dataset: EcgDataset;
  card: ModelCard;
  task: { task: ModelTask; classes: string[]; examples: Example[] };
  foldOf: Map<string, number>;
  /** Test folds that can be evaluated. */
  folds: number[];
  model(fold: number): ModelProto;
}

/** A training run as a TLC study: its task and folds as training resolved them, each fold with its checkpoint. */
export async function runStudy(runDir: string, maxRecords?: number): Promise<TlcStudy> {
  const { dir, plan, folds } = await openRun(runDir, maxRecords);
  return { name: dir, dataset: plan.dataset, card: plan.card, task: plan.task, foldOf: plan.foldOf, folds, model: (f) => loadModel(join(dir, `fold-${f}`, 'model.onnx')) };
}

/**
 * Any model with a card on a labelled dataset as a TLC study: the records
 * whose labels name the card's classes (or, for a regression on age, whose
 * age is known), in `cv` seeded stratified folds (default 5); TLC is fitted
 * per fold on the other folds' records, with the same model throughout.
 */
export async function modelStudy(model: string | ModelProto | CardedModel, dataset: EcgDataset, opts: { cv?: number; seed?: number; maxRecords?: number } = {}): Promise<TlcStudy> {
  const m = loadCardedModel(model);
  const card = m.card;
  let records = dataset.records();
  if (opts.maxRecords !== undefined) records = records.slice(0, opts.maxRecords);
  const classes = card.output.classes;
  if (card.output.task === 'embedding') throw new OptionError('model', `${m.file} is an encoder (its card's task is 'embedding'); TLC's surrogate needs a classifier or regressor`);
  let task: ReturnType<typeof resolveTask>;
  if (card.output.task === 'regression') {
    if (classes.length !== 1 || classes[0] !== 'age') throw new DataError(`${m.file}: a regression TLC study needs the target in the records; ecgx reads 'age' from them, the card's output is '${classes.join(', ')}'`);
    task = resolveTask(dataset, { task: 'age' }, records);
  } else {
    const known = new Set(records.flatMap((r) => r.meta.labels ?? []));
    const missing = classes.filter((c) => !known.has(c));
    if (missing.length === classes.length) throw new DataError(`${dataset.root}: no record has a label named like the model's classes (${classes.join(', ')}); TLC's surrogate needs them (join a label table with --labels)`);
    task = resolveTask(dataset, { labels: classes, ...(card.output.task === 'multiclass' ? { loss: 'ce' as const } : {}) }, records);
  }
  const k = opts.cv ?? 5;
  const foldOf = new Map<string, number>();
  const labels = card.output.task === 'regression' ? [] : classes;
  stratifiedFolds(task.examples.map((e) => e.info), k, opts.seed ?? 1, labels).forEach((f, i) => foldOf.set(task.examples[i]!.id, f));
  const folds = [...new Set(foldOf.values())].sort((a, b) => a - b);
  return { name: m.file, dataset, card, task: { task: card.output.task, classes, examples: task.examples }, foldOf, folds, model: () => m.proto };
}

/**
 * TLC over a run's folds: fit per fold on the training part (training and
 * validation folds), explain all ECGs, surrogate forests, wave alignment.
 */
export async function evaluateTlcRun(runDir: string, opts: TlcEvaluateOptions = {}): Promise<TlcEvaluation> {
  const study = await runStudy(runDir, opts.maxRecords);
  const { name: dir, folds: available } = study;
  let folds = opts.folds ?? available;
  for (const f of folds) if (!available.includes(f)) throw new OptionError('--fold', `fold ${f} has no checkpoint in ${dir} (folds with one: ${available.join(', ')})`);
  if (opts.tlc) {
    const given = opts.tlc;
    const match = available.find((f) => modelHash(study.model(f)) === given.model.sha256);
    if (match === undefined) throw new ModelError(`the TLC was not fitted on any checkpoint of ${dir} (no fold-K/model.onnx has its hash)`);
    if (opts.folds && !opts.folds.includes(match)) throw new OptionError('--fold', `the TLC belongs to fold ${match}`);
    folds = [match];
  }
  return evaluateTlcStudy(study, folds, opts);
}

/**
 * TLC over the folds of a study (a run, or one model on a labelled dataset):
 * per test fold, TLC fitted on the other folds' records (or the TLC given),
 * every record explained through the card (a windowed model's windows
 * stitched into one explanation and one aggregated score per record),
 * surrogate forests on cluster proportions, waves, entropy and prototypes of
 * the test fold's model inputs.
 */
export async function evaluateTlcStudy(study: TlcStudy, folds: readonly number[], opts: TlcEvaluateOptions = {}): Promise<TlcEvaluation> {
  const dir = study.name;
  if (opts.tlc) for (const f of folds) opts.tlc.checkModel(study.model(f), dir);
  const o = opts.tlc ? opts.tlc.options : resolveTlcOptions(opts);
  const { task, card, foldOf } = study;
  const k = task.classes.length;
  const index = new Map(task.examples.map((e, i) => [e.id, i]));
  const mode = opts.waves ?? 'annotations';
  const fraction = opts.trainFraction ?? 1;
  if (!(fraction > 0 && fraction <= 1)) throw new OptionError('--train-fraction', `expected a fraction in (0, 1], got ${fraction}`);
  if (opts.noise && !(opts.noise.sigma > 0 && (opts.noise.from ?? 0.4) >= 0 && (opts.noise.to ?? 0.6) <= 1 && (opts.noise.from ?? 0.4) < (opts.noise.to ?? 0.6))) {
    throw new OptionError('--noise', `expected sigma > 0 and 0 <= from < to <= 1, got ${JSON.stringify(opts.noise)}`);
  }
  const results: TlcFoldEvaluation[] = [];
  let groups: string[] = [];
  for (const f of folds) {
    let trainIds = task.examples.filter((e) => foldOf.get(e.id) !== f).map((e) => e.id);
    if (fraction < 1) {
      const keep = new Set(new Rng((o.seed ^ Math.imul(f + 1, 0x2545f491)) >>> 0).shuffle([...trainIds]).slice(0, Math.max(2, Math.round(fraction * trainIds.length))));
      trainIds = trainIds.filter((id) => keep.has(id));
    }
    const used = new Set(trainIds);
    const allIds = task.examples.map((e) => e.id).filter((id) => used.has(id) || foldOf.get(id) === f);
    const model = study.model(f);
    let tlc: FittedTlc;
    if (opts.tlc) tlc = opts.tlc;
    else {
      const reader = await ActivationReader.open(model, { ...(opts.layers ? { layers: opts.layers } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
      try {
        tlc = await fitTlcWith(reader, await datasetSource(study.dataset, card, trainIds), opts, { ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}), ...(opts.progress !== undefined ? { progress: opts.progress } : {}) });
      } finally {
        await reader.release();
      }
    }
    groups = tlc.groupNames;
    opts.onFitted?.(f, tlc);
    const pipe = await TlcPipeline.open(model, tlc, opts.threads !== undefined ? { threads: opts.threads } : {});
    const d = groups.length * o.k;
    const feats = new Float64Array(allIds.length * d);
    const cnn = new Float32Array(allIds.length * k);
    const stats = new TlcWaveStats(groups, o.k);
    const entropy = new TlcEntropyStats(groups, task.task === 'regression' ? [] : task.classes);
    const testRows: number[] = [];
    /** The record row of each test model input entropy saw (windows share their record's row). */
    const entropyRows: number[] = [];
    const noiseRng = new Rng((o.seed ^ Math.imul(f + 1, 0x68e31da4)) >>> 0);
    const protos = new TlcPrototypes(groups, o.k, card.leads.length, Math.round((opts.prototypeS ?? 0.3) * card.fs));
    const agreements: number[] = [];
    const bar = new Progress({ label: `tlc fold ${f}: explain`, total: allIds.length, unit: 'ECG', ...(opts.progress !== undefined ? { enabled: opts.progress } : {}) });
    const source = await datasetSource(study.dataset, card, allIds);
    const records = new RecordAccumulator(card);
    const rowOf = new Map(allIds.map((id, i) => [id, i]));
    try {
      for await (const b of source.batches(opts.batchSize ?? 32)) {
        const r = await pipe.explainBatch(b.x, source.fs);
        const per = source.leads * source.samples;
        let noisy: Awaited<ReturnType<TlcPipeline['explainBatch']>> | undefined, from = 0, to = 0;
        if (opts.noise) {
          from = Math.floor((opts.noise.from ?? 0.4) * source.samples);
          to = Math.ceil((opts.noise.to ?? 0.6) * source.samples);
          const x = Float32Array.from(b.x.data);
          for (let u = 0; u < b.items.length * source.leads; u++) for (let t = from; t < to; t++) x[u * source.samples + t]! += noiseRng.normal(0, opts.noise.sigma);
          noisy = await pipe.explainBatch({ data: x, shape: b.x.shape }, source.fs);
        }
        b.items.forEach((item, i) => {
          const e = r.explanations[i]!;
          // A record's model inputs (windows) make one explanation and one score.
          const done = records.add(item, e, r.outputs[i]![card.output.name]!);
          if (done) {
            const row = rowOf.get(item.id)!;
            done.explanation.groups.forEach((g, gi) => feats.set(g.proportions, row * d + gi * o.k));
            if (done.scores.length !== k) throw new ModelError(`output '${card.output.name}' has ${done.scores.length} values per ECG; the task has ${k} outputs`);
            cnn.set(done.scores, row * k);
            if (foldOf.get(item.id) === f) testRows.push(row);
          }
          if (foldOf.get(item.id) === f) {
            entropy.add(e, task.task === 'regression' ? [] : task.examples[index.get(item.id)!]!.target);
            entropyRows.push(rowOf.get(item.id)!);
            if (noisy) entropy.addNoisy(e, noisy.explanations[i]!, from, to);
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
        t.set(task.examples[index.get(allIds[r]!)!]!.target, j * k);
      });
      return { x: { data: x, n: rows.length, d }, cnn: c, truth: t, rows };
    };
    const train = split((g) => g !== f), test = split((g) => g === f);
    const surrogate = await Progress.step(`tlc fold ${f}: surrogate forest`, () => surrogateFold(task.task, task.classes, f, train, test, { seed: o.seed, ...opts.forest }), opts.progress !== undefined ? { enabled: opts.progress } : {});
    const classProportions: TlcFoldEvaluation['classProportions'] = {};
    // Classes, or for regression the quarters of the training targets (e.g. age bands).
    const bands = task.task === 'regression' ? quarterBands(train.truth) : null;
    const groupsOf: { name: string; has: (i: number) => boolean }[] = bands
      ? bands.map((b) => ({ name: b.name, has: (i: number) => test.truth[i]! >= b.lo && test.truth[i]! < b.hi }))
      : task.classes.map((c, j) => ({ name: c, has: (i: number) => test.truth[i * k + j]! > 0.5 }));
    groupsOf.forEach(({ name: c, has }) => {
      const pos = new Float64Array(d), neg = new Float64Array(d);
      let np = 0, nn = 0;
      for (let i = 0; i < test.x.n; i++) {
        const target = has(i);
        const acc = target ? pos : neg;
        for (let u = 0; u < d; u++) acc[u]! += test.x.data[i * d + u]!;
        if (target) np++;
        else nn++;
      }
      classProportions[c] = { positive: Array.from(pos, (v) => round(v / Math.max(1, np))), negative: Array.from(neg, (v) => round(v / Math.max(1, nn))), nPositive: np };
    });
    // Wrong: any class on the wrong side of 0.5 (multi-label), the wrong arg-max (multi-class), or the quarter with the largest absolute error (regression).
    const cnnOf = (row: number): Float32Array => cnn.subarray(row * k, (row + 1) * k);
    const truthOf = (row: number): Float32Array => task.examples[index.get(allIds[row]!)!]!.target;
    let wrong: boolean[];
    if (task.task === 'regression') {
      const err = testRows.map((row) => Math.abs(cnnOf(row)[0]! - truthOf(row)[0]!));
      const cut = [...err].sort((a, b) => a - b)[Math.floor(0.75 * err.length)] ?? Infinity;
      wrong = err.map((e) => e >= cut);
    } else if (task.task === 'multiclass') {
      const am = (v: ArrayLike<number>): number => Array.from(v).reduce((b, x, j, a) => (x > a[b]! ? j : b), 0);
      wrong = testRows.map((row) => am(cnnOf(row)) !== am(truthOf(row)));
    } else wrong = testRows.map((row) => Array.from(cnnOf(row)).some((p, j) => (p >= 0.5) !== (truthOf(row)[j]! > 0.5)));
    const wrongOf = new Map(testRows.map((row, i) => [row, wrong[i]!]));
    results.push({
      surrogate,
      waves: stats.count > 0 ? stats.report() : null,
      classProportions,
      meanAgreementAri: agreements.length ? agreements.reduce((a, b) => a + b, 0) / agreements.length : null,
      prototypes: protos.report(),
      nTrainUsed: trainIds.length,
      temperature: tlc.fit.temperature ?? null,
      entropy: entropy.report(entropyRows.map((row) => wrongOf.get(row)!)),
    });
  }
  const withWaves = results.filter((r) => r.waves);
  return {
    run: dir, task: task.task, classes: task.classes, options: o, groups,
    folds: results,
    surrogate: summarizeSurrogate(results.map((r) => r.surrogate), task.task === 'multilabel' ? task.classes : undefined),
    waves: withWaves.length === 0 ? null : groups.map((name, gi) => {
      const over = (pick: (w: GroupWaveReport) => number): Stat => meanStd(withWaves.map((r) => pick(r.waves![gi]!)));
      return {
        name, nmi: over((w) => w.nmi), nullNmi: over((w) => w.null.nmi), qrsPurity: over((w) => bestPurity(w, 'QRS')),
        purity: over((w) => w.purity), nullPurity: over((w) => w.null.purity), entropyBoundary: over((w) => w.entropyBoundary), entropyInside: over((w) => w.entropyInside),
      };
    }),
    enrichment: enrichmentOverFolds(results, groups, o.k),
    entropy: groups.map((name, gi) => summarizeEntropy(name, results.map((r) => r.entropy[gi]!))),
  };
}

/** The quarters of the training targets as half-open bands [lo, hi) covering everything. */
function quarterBands(y: ArrayLike<number>): { name: string; lo: number; hi: number }[] {
  const v = Array.from(y).filter(Number.isFinite).sort((a, b) => a - b);
  const q = [0.25, 0.5, 0.75].map((p) => v[Math.min(v.length - 1, Math.floor(p * v.length))]!);
  const edges = [-Infinity, ...q, Infinity];
  const fmt = (x: number): string => String(Number(x.toFixed(1)));
  return edges.slice(0, 4).map((lo, i) => {
    const hi = edges[i + 1]!;
    return { name: lo === -Infinity ? `< ${fmt(hi)}` : hi === Infinity ? `>= ${fmt(lo)}` : `${fmt(lo)}-${fmt(hi)}`, lo, hi };
  });
}

/** Per class: mean over folds of (proportion with the label - without), the three clusters that rise most. */
function enrichmentOverFolds(results: readonly TlcFoldEvaluation[], groups: readonly string[], k: number): TlcEvaluation['enrichment'] {
  const names = groups.flatMap((g) => Array.from({ length: k }, (_, c) => `${g}:c${c}`));
  const out: TlcEvaluation['enrichment'] = {};
  const classes = Object.keys(results[0]?.classProportions ?? {});
  for (const cls of classes) {
    const per = results.map((r) => r.classProportions[cls]!).filter((v) => v.nPositive > 0);
    if (per.length === 0) continue;
    const diffs = names.map((_, u) => meanStd(per.map((v) => v.positive[u]! - v.negative[u]!)));
    const top = diffs.map((diff, u) => ({ cluster: names[u]!, diff })).sort((a, b) => b.diff.mean - a.diff.mean).slice(0, 3);
    out[cls] = { nPositive: per.reduce((a, v) => a + v.nPositive, 0), top };
  }
  return out;
}

function summarizeEntropy(name: string, per: readonly GroupEntropyReport[]): TlcEvaluation['entropy'][number] {
  const over = (pick: (r: GroupEntropyReport) => number): Stat => meanStd(per.map(pick));
  const histogram = per[0]!.histogram.map((_, b) => per.reduce((a, r) => a + r.histogram[b]!, 0) / per.length);
  const classAuroc = Object.fromEntries(Object.keys(per[0]!.classes).map((c) => [c, over((r) => r.classes[c]!.auroc)]));
  const out: TlcEvaluation['entropy'][number] = {
    name, mean: over((r) => r.mean), median: over((r) => r.median), above05: over((r) => r.above05), histogram,
    wrongAuroc: over((r) => r.wrong.auroc), meanWrong: over((r) => r.wrong.meanWrong), meanRight: over((r) => r.wrong.meanRight), classAuroc,
  };
  if (per.every((r) => r.noise)) {
    out.noise = {
      insideClean: over((r) => r.noise!.insideClean), insideNoisy: over((r) => r.noise!.insideNoisy), outsideNoisy: over((r) => r.noise!.outsideNoisy),
      changed: over((r) => r.noise!.changed), auroc: over((r) => r.noise!.auroc),
    };
  }
  return out;
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
  return sweepTlcStudy(await runStudy(runDir, opts.maxRecords), ks, opts);
}

/** The sweep over K on one fold of any study (a run, or a model on a labelled dataset). */
export async function sweepTlcStudy(study: TlcStudy, ks: readonly number[], opts: TlcEvaluateOptions & { fold?: number } = {}): Promise<TlcSweepRow[]> {
  const fold = opts.fold ?? study.folds[0]!;
  if (!study.folds.includes(fold)) throw new OptionError('--fold', `fold ${fold} is not one of ${study.folds.join(', ')}`);
  const rows: TlcSweepRow[] = [];
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 2) throw new OptionError('--k', `expected integers >= 2, got ${k}`);
    const ev = await evaluateTlcStudy(study, [fold], { ...opts, k, waves: opts.waves ?? 'annotations' });
    const fr = ev.folds[0]!;
    rows.push({ k, groups: [], fidelity: fr.surrogate.fidelity, forestAuroc: fr.surrogate.forest['auroc'] ?? null });
  }
  // Fit criteria on the fold's fitting sample (one activation pass, every K).
  const o = resolveTlcOptions(opts);
  const trainIds = study.task.examples.filter((e) => study.foldOf.get(e.id) !== fold).map((e) => e.id);
  const reader = await ActivationReader.open(study.model(fold), { ...(opts.layers ? { layers: opts.layers } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  try {
    const s = await collectSamples(reader, await datasetSource(study.dataset, study.card, trainIds), o, opts.progress !== undefined ? { progress: opts.progress } : {});
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

/**
 * Collects a record's model inputs as they come (in order, `item.window.of`
 * of them) and, at the last one, gives its stitched explanation and its score
 * (each window's raw output activated as the card says, then aggregated).
 */
class RecordAccumulator {
  private parts: { item: SourceItem; e: TlcExplanation; raw: Float32Array }[] = [];
  constructor(private readonly card: ModelCard) {}

  add(item: SourceItem, e: TlcExplanation, raw: Float32Array): { explanation: TlcExplanation; scores: Float32Array } | undefined {
    this.parts.push({ item, e, raw });
    if (item.window && this.parts.length < item.window.of) return undefined;
    const parts = this.parts;
    this.parts = [];
    const K = raw.length;
    const windowScores = activate(this.card.output, { data: Float32Array.from(parts.flatMap((p) => Array.from(p.raw))), shape: [parts.length, K] });
    const scores = new Float32Array(K);
    const max = this.card.fit.aggregate === 'max';
    for (let k = 0; k < K; k++) {
      let v = max ? -Infinity : 0;
      for (let w = 0; w < parts.length; w++) v = max ? Math.max(v, windowScores.data[w * K + k]!) : v + windowScores.data[w * K + k]! / parts.length;
      scores[k] = v;
    }
    const explanation = stitchExplanations(parts.map((p) => p.e), parts.map((p) => p.item.window?.start ?? 0), item.window?.nSamples ?? e.nSamples);
    return { explanation, scores };
  }
}
