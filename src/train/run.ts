/**
 * A training run: task and folds resolved and checked against the data, then
 * one model per test fold (k-fold protocol: the test fold rotates, the next
 * fold validates, the rest train), each with early stopping on a validation
 * metric, its best checkpoint, and its test predictions on disk.
 *
 * RUNDIR layout (written under `RUNDIR.partial/` and renamed into place when
 * every fold is done, so RUNDIR never holds a half-finished run; an
 * interrupted run resumes from `RUNDIR.partial/` with `resume: true`):
 *   run.json                 config, versions, task, per-fold metrics, mean ± std
 *   fold-K/model.onnx        best checkpoint (inference form; metadata: task, classes, preprocessing)
 *   fold-K/predictions.csv   test-fold record ids, targets and predictions
 *   fold-K/metrics.json      test metrics and the epoch history
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { openDataset } from '../data/datasets/registry.js';
import { stratifiedFolds } from '../data/datasets/folds.js';
import { formatCsv } from '../data/datasets/csv.js';
import type { EcgDataset, LabelTableSpec, OpenDatasetOptions } from '../data/datasets/types.js';
import { NO_PATIENTS_NOTE } from '../data/datasets/summary.js';
import { buildModel, parseModelSpec, formatModelSpec, withModelMeta, type ModelSpec } from '../models/index.js';
import { trainingCard, withCard, type ModelCard } from '../models/card.js';
import { inspectModel } from '../engine/onnx/inspect.js';
import { encodeModel, type ModelProto } from '../engine/onnx/proto.js';
import { OnnxSession, ortVersion } from '../engine/runtime.js';
import { DataError, IoError, OptionError, asIoError } from '../util/errors.js';
import { OUTPUT_MARKER, checkOutput, isEcgxOutput, markOutputFolder, removeStaleTemporaries, replaceFolder, writeFileAtomic, type OutputPolicy } from '../util/atomic-write.js';
import { Progress, formatSeconds } from '../util/progress.js';
import { Rng } from '../util/rng.js';
import { batches, DEFAULT_CACHE_BYTES, EcgTensorSource, type LoaderItem } from './loader.js';
import { resolveTask, type Example, type ResolvedTask, type TaskRequest } from './task.js';
import { Trainer, withOutputAffine } from './trainer.js';
import { learningRate, type ScheduleKind } from './optimizer.js';
import { defaultBatchSize, defaultLearningRate } from './defaults.js';
import { checkMetric, computeMetrics, defaultMetric, isBetter, type MetricValues } from './evaluate.js';
import { meanStd } from './metrics.js';
import { STATE_FILE, loadFoldState, saveFoldState, type FoldProgress } from './state.js';
import { damagedRunFile, readRunFile } from './run-file.js';
import type { LossKind } from './graph.js';

export interface TrainConfig {
  /** Dataset folder. */
  data: string;
  /** A label table joined to the dataset (its labels replace the dataset's). */
  labelTable?: LabelTableSpec;
  /** Challenge dx map naming SNOMED CT labels (null: none; default: found beside the label table). */
  dxMap?: string | null;
  task?: string;
  labels?: string[];
  /** Keep only the classes with at least this many positive records. */
  minPositives?: number;
  loss?: LossKind;
  /** Model spec, e.g. 'resnet1d-small:filters=16,32,32,64'. */
  model: string;
  epochs: number;
  /** Default: scaled with the training ECGs (defaults.ts). */
  batchSize?: number;
  /** Peak learning rate; default: scaled with the batch size (defaults.ts). */
  lr?: number;
  weightDecay?: number;
  /** Global gradient-norm clip. */
  clip?: number;
  schedule?: ScheduleKind;
  /** cosine warm-up, in epochs (default 1, at most half the run). */
  warmupEpochs?: number;
  /** Target sampling rate (default: the dataset's). */
  fs?: number;
  /** Samples per lead after resampling (default: 10 s). */
  length?: number;
  bandpass?: [number, number];
  highpass?: number;
  standardize?: boolean;
  seed?: number;
  /** Early-stopping patience in epochs (default: none, i.e. all epochs; the best epoch is kept anyway). */
  patience?: number;
  /** Validation metric (default auroc, or mae for regression). */
  metric?: string;
  /** Number of folds: the dataset's own when it defines this many, else stratified folds made by ecgx. */
  cv?: number;
  /** Test folds to run (default: all). */
  folds?: number[];
  /** bce: per-class pos_weight = negatives / positives of the training fold. */
  balance?: boolean;
  threads?: number;
  /** Use only the first N records (quick runs). */
  maxRecords?: number;
  /** Preprocessed-tensor cache budget, bytes (default 1 GiB). */
  cacheBytes?: number;
}

export interface TrainRunOptions {
  /** Continue RUNDIR.partial (config from its run.json). */
  resume?: boolean;
  /**
   * Replace an existing RUNDIR (only one ecgx wrote), and start over from an
   * interrupted RUNDIR.partial that saved progress.
   */
  force?: boolean;
  /** One line per epoch and per fold (default: stderr). */
  log?: (line: string) => void;
  /** Progress bar per epoch (default: on a TTY). */
  progress?: boolean;
  /** Stop after this many epochs in this call (tests of resuming). Default: none. */
  stopAfterEpochs?: number;
}

export interface FoldResult {
  fold: number;
  valFold: number;
  nTrain: number;
  nVal: number;
  nTest: number;
  bestEpoch: number;
  epochs: number;
  /** Batch size and peak learning rate the fold trained with (given, or the defaults for its data: defaults.ts). */
  batchSize?: number;
  lr?: number;
  test: MetricValues;
}

export interface RunRecord {
  config: Required<Pick<TrainConfig, 'data' | 'model' | 'epochs'>> & TrainConfig;
  versions: Record<string, string>;
  task: { name: string; task: string; loss: string; classes: string[]; dropped: Record<string, number>; records: number; excludedClasses?: Record<string, number> };
  /** How folds were made and what that implies (e.g. patients straddling folds). */
  notes?: string[];
  /** The card every checkpoint of the run carries (its input and output; layers once built). */
  card: ModelCard;
  metric: string;
  folds: FoldResult[];
  /** Mean ± std over folds of each test metric. */
  summary: Record<string, { mean: number; std: number; n: number }>;
  complete: boolean;
  /** Set when the run stopped early on purpose (stopAfterEpochs). */
  interrupted?: boolean;
}

interface Plan {
  dataset: EcgDataset;
  task: ResolvedTask;
  /** The card of the run's models (leads, rate, length, preprocessing, output). */
  card: ModelCard;
  modelSpec: ModelSpec;
  foldOf: Map<string, number>;
  foldIds: number[];
  testFolds: number[];
  metric: string;
  notes: string[];
}

/** The openDataset options a config asks for. */
export function datasetOptions(cfg: Pick<TrainConfig, 'labelTable' | 'dxMap'>): OpenDatasetOptions {
  const o: OpenDatasetOptions = {};
  if (cfg.labelTable !== undefined) o.labels = cfg.labelTable;
  if (cfg.dxMap !== undefined) o.dxMap = cfg.dxMap;
  return o;
}

/** Checks everything that can be checked before training: a DataError/OptionError names the first problem. */
export async function planRun(cfg: TrainConfig): Promise<Plan> {
  if (!Number.isInteger(cfg.epochs) || cfg.epochs < 1) throw new OptionError('--epochs', `expected an integer >= 1, got ${cfg.epochs}`);
  if (cfg.lr !== undefined && !(cfg.lr > 0 && cfg.lr <= 10)) throw new OptionError('--lr', `expected > 0 and <= 10, got ${cfg.lr}`);
  const twice = cfg.folds?.find((f, i) => cfg.folds!.indexOf(f) !== i);
  if (twice !== undefined) throw new OptionError('--fold', `fold ${twice} is given twice (expected each fold once)`);
  const modelSpec = parseModelSpec(cfg.model);
  const dataset = await openDataset(cfg.data, datasetOptions(cfg));
  let records = dataset.records();
  if (cfg.maxRecords !== undefined) records = records.slice(0, cfg.maxRecords);
  if (records.length === 0) throw new DataError(`${dataset.root}: the dataset has no records`);
  const req: TaskRequest = {};
  if (cfg.task !== undefined) req.task = cfg.task;
  if (cfg.labels !== undefined) req.labels = cfg.labels;
  if (cfg.loss !== undefined) req.loss = cfg.loss;
  if (cfg.minPositives !== undefined) req.minPositives = cfg.minPositives;
  const task = resolveTask(dataset, req, records);
  const metric = checkMetric(task.task, cfg.metric ?? defaultMetric(task.task));

  // Folds: the dataset's (PTB-XL strat_fold) when their count fits, else stratified folds made here.
  const own = [...new Set(task.examples.map((e) => e.fold).filter((f): f is number => f !== undefined))].sort((a, b) => a - b);
  const useOwn = own.length >= 2 && task.examples.every((e) => e.fold !== undefined) && (cfg.cv === undefined || cfg.cv === own.length);
  const foldOf = new Map<string, number>();
  const notes: string[] = [];
  if (useOwn) for (const e of task.examples) foldOf.set(e.id, e.fold!);
  else {
    const k = cfg.cv;
    if (k === undefined) throw new OptionError('--cv', `${dataset.root} defines no folds: give --cv K to make K stratified folds`);
    const labels = task.task === 'regression' ? [] : task.classes;
    const recs = task.examples.map((e) => e.info);
    stratifiedFolds(recs, k, cfg.seed ?? 1, labels).forEach((f, i) => foldOf.set(task.examples[i]!.id, f));
    const withPatient = recs.filter((r) => r.meta.patientId !== undefined).length;
    notes.push(`${k} folds made by ecgx (seed ${cfg.seed ?? 1}), stratified on ${labels.length > 0 ? `${labels.length} label(s)` : 'nothing (regression)'}`);
    if (withPatient < recs.length) notes.push(withPatient === 0 ? NO_PATIENTS_NOTE : `${recs.length - withPatient} of ${recs.length} records have no patient id: each is its own patient, so a patient's ECGs may fall in two folds`);
  }
  const foldIds = [...new Set(foldOf.values())].sort((a, b) => a - b);
  if (foldIds.length < 3) throw new DataError(`the k-fold protocol needs at least 3 folds (test, validation, training); the data has ${foldIds.length}`);
  const testFolds = cfg.folds ?? foldIds;
  for (const f of testFolds) if (!foldIds.includes(f)) throw new DataError(`fold ${f} is missing (the folds are ${foldIds.join(', ')})`);

  // Every fold to run needs training records, and every class a positive in its training part.
  for (const f of testFolds) {
    const { train, val } = splitFold(task.examples, foldOf, foldIds, f);
    if (train.length === 0 || val.length === 0) throw new DataError(`fold ${f}: no ${train.length === 0 ? 'training' : 'validation'} records`);
    if (task.task !== 'regression') {
      task.classes.forEach((c, j) => {
        if (!train.some((e) => e.target[j]! > 0.5)) throw new DataError(`label '${c}' has no positive record in the training part of fold ${f} (test fold ${f}, validation fold ${nextFold(foldIds, f)})`);
      });
    } else if (train.length < 2) throw new DataError(`fold ${f}: regression needs at least 2 training records`);
  }

  const first = await dataset.load(task.examples[0]!.id);
  const fs = cfg.fs ?? dataset.fs;
  const length = cfg.length ?? Math.round(10 * fs);
  // Build once to reject bad model options before any work; its blocks name the card's layers.
  const probe = buildModel(modelSpec, { leads: first.leads.length, samples: length, task: task.task, outputs: task.classes.length, seed: 0 });
  const card = trainingCard(
    { leads: first.leads, fs, length, ...(cfg.bandpass ? { bandpass: cfg.bandpass } : {}), ...(cfg.highpass !== undefined ? { highpass: cfg.highpass } : {}), ...(cfg.standardize ? { standardize: true } : {}) },
    { task: task.task, classes: task.classes, ...(task.task === 'regression' ? { unit: task.name === 'age' ? 'years' : undefined } : {}) },
    inspectModel(probe),
  );
  return { dataset, task, card, modelSpec, foldOf, foldIds, testFolds, metric, notes };
}

function nextFold(ids: number[], f: number): number {
  return ids[(ids.indexOf(f) + 1) % ids.length]!;
}

function splitFold(examples: Example[], foldOf: Map<string, number>, ids: number[], test: number): { train: Example[]; val: Example[]; test: Example[] } {
  const val = nextFold(ids, test);
  const out = { train: [] as Example[], val: [] as Example[], test: [] as Example[] };
  for (const e of examples) {
    const f = foldOf.get(e.id)!;
    (f === test ? out.test : f === val ? out.val : out.train).push(e);
  }
  return out;
}

/** Seeds for one (fold, epoch, purpose), so that an epoch's randomness does not depend on what ran before it. */
function subSeed(seed: number, ...parts: number[]): number {
  let h = seed >>> 0;
  for (const p of parts) h = Math.imul(h ^ (p + 0x9e3779b9), 0x85ebca6b) >>> 0;
  return h;
}

export function versions(): Record<string, string> {
  const v: Record<string, string> = { node: process.version, onnxruntime: ortVersion() };
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    v['ecgx'] = pkg.version;
  } catch {
    v['ecgx'] = 'unknown';
  }
  try {
    v['git'] = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dirname(new URL(import.meta.url).pathname), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  return v;
}

/** Trains (and tests) every requested fold; returns the run record also written to RUNDIR/run.json. */
export async function trainRun(cfgIn: TrainConfig, outDir: string, opts: TrainRunOptions = {}): Promise<RunRecord> {
  const out = resolve(outDir);
  const partial = `${out}.partial`;
  const policy = { force: Boolean(opts.force) };
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  let cfg = cfgIn;
  checkOutput(out, 'folder', policy);
  if (opts.resume) {
    if (!existsSync(join(partial, 'run.json'))) throw new OptionError('--resume', `${partial} holds no interrupted run to resume`);
    cfg = resumedConfig(readRunFile<RunRecord>(join(partial, 'run.json'), 'ecgx train').config, join(partial, 'run.json'));
    removeStaleTemporaries(partial);
    if (!isEcgxOutput(partial)) markOutputFolder(partial); // a run begun by an earlier ecgx
  } else {
    checkDiscardablePartial(partial, policy, hasTrainProgress);
  }
  const plan = await planRun(cfg);
  if (!opts.resume) startPartial(partial);
  try {
    return await runFolds(plan, cfg, out, partial, policy, log, opts);
  } catch (e) {
    // A run that saved nothing resumable leaves nothing behind (a rejected input, say).
    if (!opts.resume && !hasTrainProgress(partial)) rmSync(partial, { recursive: true, force: true });
    throw e;
  }
}

/** The config of an interrupted run, checked enough that resuming fails on a damaged run.json with a clear error. */
function resumedConfig(config: RunRecord['config'], path: string): TrainConfig {
  if (typeof config.data !== 'string' || config.data === '') throw damagedRunFile(path, 'ecgx train', "config.data is not a folder name", 'config.data');
  if (typeof config.model !== 'string') throw damagedRunFile(path, 'ecgx train', 'config.model is not a model spec', 'config.model');
  if (!Number.isInteger(config.epochs) || config.epochs < 1) throw damagedRunFile(path, 'ecgx train', 'config.epochs is not a positive integer', 'config.epochs');
  return config;
}

/** True when an interrupted run in `partial` saved an epoch or finished a fold. */
export function hasTrainProgress(partial: string): boolean {
  let entries: string[];
  try {
    entries = readdirSync(partial).filter((d) => /^fold-\d+$/.test(d));
  } catch {
    return false;
  }
  return entries.some((d) => existsSync(join(partial, d, STATE_FILE)) || existsSync(join(partial, d, 'metrics.json')));
}

/**
 * Before a fresh run (or pretraining run) replaces RUNDIR.partial: refuses a
 * folder ecgx did not write, and an interrupted run that saved progress
 * unless `force`.
 */
export function checkDiscardablePartial(partial: string, policy: OutputPolicy, hasProgress: (dir: string) => boolean): void {
  if (!existsSync(partial)) return;
  if (!statSync(partial).isDirectory()) throw new IoError(partial, 'exists and is not a folder (ecgx keeps an unfinished run there)');
  if (readdirSync(partial).length === 0) return;
  if (!isEcgxOutput(partial)) throw new IoError(partial, `was not written by ecgx (no ${OUTPUT_MARKER} marker file in it), so it is not replaced even with --force; remove it yourself or choose another --out`);
  if (hasProgress(partial) && !policy.force) throw new IoError(partial, 'holds an interrupted run: pass --resume to continue it, or --force to start over');
}

/** A fresh, marked RUNDIR.partial (removing what checkDiscardablePartial allowed to go). */
export function startPartial(partial: string): void {
  try {
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    markOutputFolder(partial);
  } catch (e) {
    throw asIoError(e, partial, 'write');
  }
}

async function runFolds(plan: Plan, cfg: TrainConfig, out: string, partial: string, policy: OutputPolicy, log: (l: string) => void, opts: TrainRunOptions): Promise<RunRecord> {
  const { task, card } = plan;
  const record: RunRecord = {
    config: { ...cfg, data: resolve(cfg.data), ...absolutePaths(cfg), model: formatModelSpec(plan.modelSpec) },
    versions: versions(),
    task: { name: task.name, task: task.task, loss: task.loss, classes: task.classes, dropped: task.dropped, records: task.examples.length, ...(task.excludedClasses ? { excludedClasses: task.excludedClasses } : {}) },
    ...(plan.notes.length > 0 ? { notes: plan.notes } : {}),
    card,
    metric: plan.metric,
    folds: [],
    summary: {},
    complete: false,
  };
  writeFileAtomic(join(partial, 'run.json'), JSON.stringify(record, null, 2));

  const source = new EcgTensorSource(plan.dataset, card);
  const budget = cfg.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const bar = new Progress({ label: 'preprocess', total: task.examples.length, unit: 'ECG', ...(opts.progress !== undefined ? { enabled: opts.progress } : {}) });
  const cached = await source.fill(task.examples.map((e) => e.id), budget, () => bar.tick());
  bar.finish();
  const joinReport = plan.dataset.labelJoin;
  if (joinReport) log(`labels: ${joinReport.joined} of ${joinReport.records} records joined from ${joinReport.file}; ${joinReport.recordsWithoutRow} without a label row left out, ${joinReport.rowsWithoutRecord} row(s) name no record`);
  if (task.excludedClasses && Object.keys(task.excludedClasses).length > 0) log(`classes with fewer than ${cfg.minPositives} positives left out: ${Object.entries(task.excludedClasses).map(([c, n]) => `${c} (${n})`).join(', ')}`);
  for (const note of plan.notes) log(`note: ${note}`);
  log(`${task.examples.length} records, task ${task.name} (${task.task}, ${task.classes.length} outputs), ${cached ? 'preprocessed tensors cached in memory' : `streaming (cache budget ${(budget / 2 ** 20).toFixed(0)} MiB too small)`}`);

  const budgetLeft = { epochs: opts.stopAfterEpochs ?? Infinity };
  for (const f of plan.testFolds) {
    const dir = join(partial, `fold-${f}`);
    const done = join(dir, 'metrics.json');
    let result: FoldResult | undefined;
    if (existsSync(done)) result = (JSON.parse(readFileSync(done, 'utf8')) as { result: FoldResult }).result;
    else result = await trainFold(plan, cfg, source, f, dir, log, opts, budgetLeft);
    if (!result) {
      record.interrupted = true;
      writeFileAtomic(join(partial, 'run.json'), JSON.stringify(record, null, 2));
      return record;
    }
    record.folds.push(result);
    record.summary = summarize(record.folds);
    writeFileAtomic(join(partial, 'run.json'), JSON.stringify(record, null, 2));
  }
  record.complete = true;
  writeFileAtomic(join(partial, 'run.json'), JSON.stringify(record, null, 2));
  for (const f of plan.testFolds) rmSync(join(partial, `fold-${f}`, STATE_FILE), { force: true });
  replaceFolder(partial, out, policy);
  return record;
}

/** Label table and dx map paths made absolute, so that --resume and later readers of run.json find them from anywhere. */
function absolutePaths(cfg: TrainConfig): Pick<TrainConfig, 'labelTable' | 'dxMap'> {
  const o: Pick<TrainConfig, 'labelTable' | 'dxMap'> = {};
  if (cfg.labelTable) o.labelTable = { ...cfg.labelTable, file: resolve(cfg.labelTable.file) };
  if (typeof cfg.dxMap === 'string') o.dxMap = resolve(cfg.dxMap);
  return o;
}

export function summarize(folds: FoldResult[]): RunRecord['summary'] {
  const keys = [...new Set(folds.flatMap((f) => Object.keys(f.test)))];
  return Object.fromEntries(keys.map((k) => [k, meanStd(folds.map((f) => f.test[k] ?? NaN))]));
}

async function trainFold(plan: Plan, cfg: TrainConfig, source: EcgTensorSource, fold: number, dir: string, log: (l: string) => void, opts: TrainRunOptions, budgetLeft: { epochs: number }): Promise<FoldResult | undefined> {
  mkdirSync(dir, { recursive: true });
  const { task, card } = plan;
  const split = splitFold(task.examples, plan.foldOf, plan.foldIds, fold);
  const valFold = nextFold(plan.foldIds, fold);
  const seed = cfg.seed ?? 1;
  const k = task.classes.length;
  // Regression targets are standardised with the training part's mean and sd; the checkpoint maps back.
  let scale = new Array<number>(k).fill(1), shift = new Array<number>(k).fill(0);
  if (task.task === 'regression') {
    const ys = split.train.map((e) => e.target[0]!);
    const m = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sd = Math.sqrt(ys.reduce((a, b) => a + (b - m) ** 2, 0) / ys.length) || 1;
    scale = [sd];
    shift = [m];
  }
  const toItem = (e: Example): LoaderItem => ({ id: e.id, target: Float32Array.from(e.target, (v, j) => (v - shift[j]!) / scale[j]!) });
  const trainItems = split.train.map(toItem);
  let posWeight: number[] | undefined;
  if (cfg.balance && task.loss === 'bce') {
    posWeight = task.classes.map((_, j) => {
      const pos = split.train.filter((e) => e.target[j]! > 0.5).length;
      return (split.train.length - pos) / pos;
    });
  }
  const leads = card.leads.length, samples = card.length!;
  const model = buildModel(plan.modelSpec, { leads, samples, task: task.task, outputs: k, classNames: task.classes, fs: card.fs, leadNames: card.leads, seed: subSeed(seed, fold) });
  const trainer = await Trainer.create(model, {
    loss: posWeight ? { kind: task.loss, posWeight } : { kind: task.loss },
    optimizer: { weightDecay: cfg.weightDecay ?? 0.01 },
    ...(cfg.clip !== undefined ? { clipNorm: cfg.clip } : {}),
    ...(cfg.threads !== undefined ? { threads: cfg.threads } : {}),
  });
  const batchSize = cfg.batchSize ?? defaultBatchSize(trainItems.length);
  const lr = cfg.lr ?? defaultLearningRate(batchSize);
  if (cfg.batchSize === undefined || cfg.lr === undefined) {
    log(`fold ${fold}: batch ${batchSize}${cfg.batchSize === undefined ? ` (default for ${trainItems.length} training ECGs)` : ''}, learning rate ${Number(lr.toPrecision(3))}${cfg.lr === undefined ? ` (default for a batch of ${batchSize})` : ''}`);
  }
  const stepsPerEpoch = trainItems.length > batchSize ? Math.floor(trainItems.length / batchSize) : 1;
  const totalSteps = stepsPerEpoch * cfg.epochs;
  const warm = Math.min(Math.round((cfg.warmupEpochs ?? 1) * stepsPerEpoch), Math.floor(totalSteps / 2));
  const schedule = { kind: cfg.schedule ?? 'cosine', lr, totalSteps, warmupSteps: warm } as const;
  const checkpoint = (): ModelProto => {
    let m = trainer.inferenceModel();
    if (task.task === 'regression') m = withOutputAffine(m, 'logits', scale, shift);
    m = withModelMeta(m, { task: task.task, classNames: task.classes, fs: card.fs, leads: card.leads });
    return withCard(m, card);
  };

  let progress: FoldProgress = { epoch: 0, badEpochs: 0, history: [], stopped: false };
  const resumed = loadFoldState(dir);
  if (resumed) {
    trainer.load(resumed.state);
    progress = resumed.progress;
    log(`fold ${fold}: resuming after epoch ${progress.epoch}`);
  }
  try {
    while (progress.epoch < cfg.epochs && !progress.stopped) {
      if (budgetLeft.epochs <= 0) return undefined;
      const epoch = progress.epoch + 1;
      const rng = new Rng(subSeed(seed, fold, epoch, 1));
      const dropRng = new Rng(subSeed(seed, fold, epoch, 2));
      const bar = new Progress({ label: `fold ${fold} epoch ${epoch}/${cfg.epochs}`, total: stepsPerEpoch * batchSize, unit: 'ECG', ...(opts.progress !== undefined ? { enabled: opts.progress } : {}) });
      const t0 = performance.now();
      let lossSum = 0, steps = 0, seen = 0, lr = 0;
      for await (const b of batches(source, trainItems, { batchSize, rng, dropLast: true })) {
        lr = learningRate(schedule, (epoch - 1) * stepsPerEpoch + steps);
        const r = await trainer.step(b.x, b.y, lr, dropRng);
        lossSum += r.loss;
        steps++;
        seen += b.ids.length;
        bar.tick(b.ids.length, `loss ${(lossSum / steps).toFixed(4)}`);
      }
      const seconds = (performance.now() - t0) / 1000;
      const val = await evaluateModel(checkpoint(), source, split.val, task, cfg.threads);
      const m = val.metrics[plan.metric]!;
      bar.finish(`loss ${(lossSum / steps).toFixed(4)} val ${plan.metric} ${m.toFixed(4)}`);
      progress.history.push({ epoch, loss: lossSum / steps, lr, seconds, ecgPerSecond: seen / seconds, val: val.metrics });
      if (isBetter(plan.metric, m, progress.bestMetric)) {
        progress.bestMetric = m;
        progress.bestEpoch = epoch;
        progress.badEpochs = 0;
        writeFileAtomic(join(dir, 'model.onnx'), encodeModel(checkpoint()));
      } else {
        progress.badEpochs++;
        if (cfg.patience !== undefined && progress.badEpochs >= cfg.patience) progress.stopped = true;
      }
      progress.epoch = epoch;
      saveFoldState(dir, progress, trainer.state());
      budgetLeft.epochs--;
      log(`fold ${fold} epoch ${epoch}/${cfg.epochs} loss ${(lossSum / steps).toFixed(4)} val ${plan.metric} ${m.toFixed(4)}${progress.bestEpoch === epoch ? ' *' : ''} ${(seen / seconds).toFixed(1)} ECG/s ${formatSeconds(seconds)}${progress.stopped ? ` (early stop: no better ${plan.metric} for ${cfg.patience} epochs)` : ''}`);
    }
  } finally {
    await trainer.release();
  }
  if (progress.bestEpoch === undefined) {
    // No epoch gave a finite validation metric (e.g. a validation fold without both classes): keep the last model.
    writeFileAtomic(join(dir, 'model.onnx'), encodeModel(checkpoint()));
    progress.bestEpoch = progress.epoch;
  }
  const best = await evaluateModel(join(dir, 'model.onnx'), source, split.test, task, cfg.threads);
  if (task.task === 'regression') {
    // The baseline any regression must beat: predicting the training mean for everyone.
    best.metrics['mae_baseline'] = split.test.reduce((a, e) => a + Math.abs(e.target[0]! - shift[0]!), 0) / split.test.length;
  }
  writePredictions(join(dir, 'predictions.csv'), fold, task, split.test, best.scores);
  const result: FoldResult = { fold, valFold, nTrain: split.train.length, nVal: split.val.length, nTest: split.test.length, bestEpoch: progress.bestEpoch, epochs: progress.epoch, batchSize, lr, test: best.metrics };
  writeFileAtomic(join(dir, 'metrics.json'), JSON.stringify({ result, history: progress.history, posWeight: posWeight ?? null, targetScale: task.task === 'regression' ? { mean: shift[0], sd: scale[0] } : null }, null, 2));
  const main = best.metrics[plan.metric]!;
  log(`fold ${fold}: test ${plan.metric} ${main.toFixed(4)} (best epoch ${progress.bestEpoch}; ${split.train.length} train, ${split.val.length} val, ${split.test.length} test)`);
  return result;
}

/** Scores of a model on examples (probabilities, or predictions in original units) and their metrics. */
export async function evaluateModel(model: ModelProto | string, source: EcgTensorSource, examples: Example[], task: ResolvedTask, threads?: number): Promise<{ scores: Float32Array; metrics: MetricValues }> {
  const session = await OnnxSession.create(model, threads !== undefined ? { threads } : {});
  const output = task.task === 'regression' ? 'logits' : 'probs';
  const k = task.classes.length;
  const scores = new Float32Array(examples.length * k);
  const targets = new Float32Array(examples.length * k);
  let at = 0;
  try {
    const items = examples.map((e) => ({ id: e.id, target: e.target }));
    for await (const b of batches(source, items, { batchSize: 64 })) {
      const r = await session.run({ ecg: b.x }, { outputs: [output], batchSize: 64 });
      scores.set(r[output]!.data, at * k);
      targets.set(b.y.data, at * k);
      at += b.ids.length;
    }
  } finally {
    await session.release();
  }
  return { scores, metrics: computeMetrics(task.task, task.classes, scores, targets) };
}

/** fold-K/predictions.csv: record_id, fold, then target:<class> and prob:<class> (or pred:<name> for regression) per output. */
export function writePredictions(path: string, fold: number, task: ResolvedTask, examples: Example[], scores: Float32Array): void {
  const k = task.classes.length;
  const kind = task.task === 'regression' ? 'pred' : 'prob';
  const header = ['record_id', 'fold', ...task.classes.map((c) => `target:${c}`), ...task.classes.map((c) => `${kind}:${c}`)];
  const rows = examples.map((e, i) => [e.id, String(fold), ...Array.from(e.target, (v) => String(v)), ...Array.from(scores.subarray(i * k, (i + 1) * k), (v) => String(v))]);
  writeFileAtomic(path, formatCsv([header, ...rows]));
}
