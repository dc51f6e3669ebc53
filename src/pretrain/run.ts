/**
 * A self-supervised pretraining run: contrastive (NT-Xent over patient pairs
 * or augmented views) or masked-segment reconstruction, with mixed or
 * in-distribution (IDB) batches, on the training stage's Trainer.
 *
 * RUNDIR layout (built in `RUNDIR.partial/`, renamed into place at the end;
 * `resume` continues an interrupted `RUNDIR.partial/` from its last epoch):
 *   pretrain.json   config, versions, data summary, per-epoch history
 *   encoder.onnx    the encoder: `embedding` [batch, F] (+ `projection`), blocks block1..N,
 *                   metadata: preprocessing, fs, leads, ecgx.pretrain (method, batches, epochs)
 *   model.onnx      the whole pretraining model (with projection head or decoder)
 *   state.bin       trainer state (parameters, BN statistics, AdamW moments; see train/state.ts)
 *   .ecgx           marker: an ecgx output folder
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeModel, type ModelProto } from '../engine/onnx/proto.js';
import { formatModelSpec, parseModelSpec, withModelMeta } from '../models/index.js';
import { Trainer } from '../train/trainer.js';
import { learningRate } from '../train/optimizer.js';
import { STATE_FILE, loadFoldState, saveFoldState, type FoldProgress } from '../train/state.js';
import { checkDiscardablePartial, startPartial, versions } from '../train/run.js';
import { damagedRunFile, readRunFile } from '../train/run-file.js';
import { withCard } from '../models/card.js';
import type { LossGraph } from '../train/graph.js';
import type { NdArray } from '../util/npy.js';
import { DataError, OptionError } from '../util/errors.js';
import { checkOutput, isEcgxOutput, markOutputFolder, removeStaleTemporaries, replaceFolder, writeFileAtomic, type OutputPolicy } from '../util/atomic-write.js';
import { Progress, formatSeconds } from '../util/progress.js';
import { Rng } from '../util/rng.js';
import { augmentView, checkAugment, DEFAULT_AUGMENT, timeMask, type AugmentOptions } from './augment.js';
import { contrastiveModel, exportEncoder, maskedModel, type PretrainMethod } from './encoder.js';
import { maskedReconstructionLoss, ntXentLoss } from './losses.js';
import { epochBatches, PatientIndex, patientKey, positiveWeights, type BatchMode } from './sampler.js';
import { openPretrainData, recordSignal, type PretrainData } from './data.js';

/** Metadata key of the pretraining summary in encoder.onnx (JSON). */
export const PRETRAIN_META_KEY = 'ecgx.pretrain';

export interface PretrainConfig {
  data: string[];
  method: PretrainMethod;
  batches: BatchMode;
  epochs: number;
  /** Records per batch (contrastive: 2x rows, anchors and partners). Default 32. */
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  /** NT-Xent temperature (default 0.1). */
  temperature?: number;
  seed?: number;
  /** Trunk spec (default resnet1d-small). */
  model?: string;
  maxRecords?: number;
  fs?: number;
  length?: number;
  highpass?: number;
  /** contrastive: pair two ECGs of one patient when the data has patients (default true). */
  patientPairs?: boolean;
  augment?: Partial<AugmentOptions>;
  /** masked: fraction of time masked (default 0.3, in 4 segments). */
  maskFraction?: number;
  projectionDim?: number;
  clip?: number;
  threads?: number;
}

export interface PretrainEpoch {
  epoch: number;
  loss: number;
  lr: number;
  seconds: number;
  ecgPerSecond: number;
}

export interface PretrainRecordFile {
  config: PretrainConfig;
  versions: Record<string, string>;
  data: { records: number; cohorts: Record<string, number>; multiVisitPatients: number; card: unknown };
  history: PretrainEpoch[];
  complete: boolean;
}

export interface PretrainRunOptions {
  resume?: boolean;
  force?: boolean;
  log?: (line: string) => void;
  progress?: boolean;
  /** Stop after this many epochs in this call (tests of resuming). */
  stopAfterEpochs?: number;
}

function subSeed(seed: number, ...parts: number[]): number {
  let h = seed >>> 0;
  for (const p of parts) h = Math.imul(h ^ (p + 0x9e3779b9), 0x85ebca6b) >>> 0;
  return h;
}

export function checkPretrainConfig(cfg: PretrainConfig): void {
  if (!Number.isInteger(cfg.epochs) || cfg.epochs < 0) throw new OptionError('epochs', `expected an integer >= 0 (0 exports the initialisation), got ${cfg.epochs}`);
  if (cfg.method !== 'contrastive' && cfg.method !== 'masked') throw new OptionError('method', `expected contrastive|masked, got '${String(cfg.method)}'`);
  if (cfg.batches !== 'mixed' && cfg.batches !== 'idb') throw new OptionError('batches', `expected mixed|idb, got '${String(cfg.batches)}'`);
  const bs = cfg.batchSize ?? 32;
  if (!Number.isInteger(bs) || bs < 2) throw new OptionError('batchSize', `expected an integer >= 2, got ${bs}`);
  if (cfg.temperature !== undefined && !(cfg.temperature > 0)) throw new OptionError('temperature', `expected a number > 0, got ${cfg.temperature}`);
  if (cfg.lr !== undefined && !(cfg.lr > 0)) throw new OptionError('lr', `expected a number > 0, got ${cfg.lr}`);
  const mf = cfg.maskFraction ?? 0.3;
  if (!(mf > 0 && mf < 1)) throw new OptionError('maskFraction', `expected a fraction in (0, 1), got ${mf}`);
  checkAugment({ ...DEFAULT_AUGMENT, ...cfg.augment });
  parseModelSpec(cfg.model ?? 'resnet1d-small');
}

/** The pretraining model and its loss, built from the config (the same seed gives the same initialisation). */
export function pretrainModel(cfg: PretrainConfig, leads: number, samples: number, fs: number, leadNames: string[]): { model: ModelProto; loss: LossGraph } {
  const spec = parseModelSpec(cfg.model ?? 'resnet1d-small');
  const ctx = { leads, samples, fs, leadNames, seed: cfg.seed ?? 1 };
  if (cfg.method === 'contrastive') return { model: contrastiveModel(spec, ctx, cfg.projectionDim !== undefined ? { projectionDim: cfg.projectionDim } : {}), loss: ntXentLoss(cfg.temperature ?? 0.1) };
  return { model: maskedModel(spec, ctx), loss: maskedReconstructionLoss() };
}

/** One batch's input and target: contrastive [2B rows of views] and positive weights, or masked input and signal+mask. */
export async function makeBatch(cfg: PretrainConfig, data: PretrainData, idx: readonly number[], partners: PatientIndex | undefined, rng: Rng): Promise<{ x: NdArray; y: NdArray }> {
  const L = data.card.leads.length, T = data.card.length!, fs = data.card.fs;
  const per = L * T;
  const B = idx.length;
  if (cfg.method === 'contrastive') {
    const aug = { ...DEFAULT_AUGMENT, ...cfg.augment };
    const rows = [...idx, ...idx.map((i) => (partners ? partners.partner(i, rng) : i))];
    const x = new Float32Array(2 * B * per);
    const ids: string[] = [];
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r]!;
      const signal = await recordSignal(data, i);
      x.set(augmentView({ data: signal, leads: L, samples: T }, fs, aug, rng).data, r * per);
      // Row identity: the patient when pairs are patient-based, else the anchor record (its two views).
      const anchor = idx[r % B]!;
      ids.push(partners ? (patientKey(data.records[i]!) ?? `#${anchor}`) : `#${anchor}`);
    }
    return { x: { data: x, shape: [2 * B, L, T] }, y: { data: positiveWeights(ids), shape: [2 * B, 2 * B] } };
  }
  const x = new Float32Array(B * per);
  const y = new Float32Array(B * (L + 1) * T);
  for (let b = 0; b < B; b++) {
    const signal = await recordSignal(data, idx[b]!);
    const m = timeMask({ data: signal, leads: L, samples: T }, cfg.maskFraction ?? 0.3, rng, 4);
    x.set(m.signal.data, b * per);
    y.set(signal, b * (L + 1) * T);
    for (let t = 0; t < T; t++) y[b * (L + 1) * T + L * T + t] = m.mask[t]!;
  }
  return { x: { data: x, shape: [B, L, T] }, y: { data: y, shape: [B, L + 1, T] } };
}

/** The encoder with everything a user of it needs in its metadata. */
function encoderFile(model: ModelProto, cfg: PretrainConfig, data: PretrainData, epochs: number): ModelProto {
  let m = exportEncoder(model);
  m = withModelMeta(m, { fs: data.card.fs, leads: data.card.leads });
  const info = { method: cfg.method, batches: cfg.batches, epochs, model: formatModelSpec(parseModelSpec(cfg.model ?? 'resnet1d-small')), cohorts: data.cohorts };
  const keep = (m.metadataProps ?? []).filter((p) => p.key !== PRETRAIN_META_KEY);
  return withCard({ ...m, metadataProps: [...keep, { key: PRETRAIN_META_KEY, value: JSON.stringify(info) }] }, { ...data.card, layers: {} });
}

export async function pretrainRun(cfgIn: PretrainConfig, outDir: string, opts: PretrainRunOptions = {}): Promise<PretrainRecordFile> {
  const out = resolve(outDir);
  const partial = `${out}.partial`;
  const policy = { force: Boolean(opts.force) };
  let cfg = cfgIn;
  checkOutput(out, 'folder', policy);
  if (opts.resume) {
    const path = join(partial, 'pretrain.json');
    if (!existsSync(path)) throw new OptionError('resume', `no interrupted run at ${partial}`);
    cfg = readRunFile<PretrainRecordFile>(path, 'ecgx pretrain').config;
    try {
      if (!Array.isArray(cfg.data) || cfg.data.some((d) => typeof d !== 'string')) throw new OptionError('config.data', 'expected a list of folders');
      checkPretrainConfig(cfg);
    } catch (e) {
      if (e instanceof OptionError) throw damagedRunFile(path, 'ecgx pretrain', `its config is not valid (${e.message})`, 'config');
      throw e;
    }
    removeStaleTemporaries(partial);
    if (!isEcgxOutput(partial)) markOutputFolder(partial); // a run begun by an earlier ecgx
  } else {
    checkPretrainConfig(cfg);
    checkDiscardablePartial(partial, policy, hasPretrainProgress);
    startPartial(partial);
  }
  try {
    return await pretrainInPartial(cfg, out, partial, policy, opts);
  } catch (e) {
    // A run that saved no epoch leaves nothing behind (unreadable data, say).
    if (!opts.resume && !hasPretrainProgress(partial)) rmSync(partial, { recursive: true, force: true });
    throw e;
  }
}

/** True when an interrupted pretraining run in `partial` saved an epoch. */
export function hasPretrainProgress(partial: string): boolean {
  return existsSync(join(partial, STATE_FILE));
}

async function pretrainInPartial(cfg: PretrainConfig, out: string, partial: string, policy: OutputPolicy, opts: PretrainRunOptions): Promise<PretrainRecordFile> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const bar0 = new Progress({ label: 'pretrain: reading data', unit: 'ECG', ...(opts.progress !== undefined ? { enabled: opts.progress } : {}) });
  const data = await openPretrainData(cfg.data, { ...(cfg.fs !== undefined ? { fs: cfg.fs } : {}), ...(cfg.length !== undefined ? { length: cfg.length } : {}), ...(cfg.maxRecords !== undefined ? { maxRecords: cfg.maxRecords } : {}), ...(cfg.highpass !== undefined ? { highpass: cfg.highpass } : {}), onRecord: () => bar0.tick() });
  bar0.finish();
  const L = data.card.leads.length, T = data.card.length!;
  const seed = cfg.seed ?? 1;
  const batchSize = cfg.batchSize ?? 32;
  const index = cfg.method === 'contrastive' && (cfg.patientPairs ?? true) ? new PatientIndex(data.records) : undefined;
  const partners = index && index.multiVisitPatients > 0 ? index : undefined;
  const record: PretrainRecordFile = {
    config: cfg,
    versions: versions(),
    data: { records: data.records.length, cohorts: data.cohorts, multiVisitPatients: index?.multiVisitPatients ?? 0, card: data.card },
    history: [],
    complete: false,
  };
  if (!opts.resume) writeFileAtomic(join(partial, 'pretrain.json'), JSON.stringify(record, null, 2)); // resumable from here on
  const { model, loss } = pretrainModel(cfg, L, T, data.card.fs, data.card.leads);
  const trainer = await Trainer.create(model, { loss, optimizer: { weightDecay: cfg.weightDecay ?? 1e-4 }, ...(cfg.clip !== undefined ? { clipNorm: cfg.clip } : { clipNorm: 5 }), ...(cfg.threads !== undefined ? { threads: cfg.threads } : {}) });
  let progress: FoldProgress = { epoch: 0, badEpochs: 0, history: [], stopped: false };
  const resumed = opts.resume ? loadFoldState(partial) : undefined;
  if (resumed) {
    trainer.load(resumed.state);
    progress = resumed.progress;
    log(`pretrain: resuming after epoch ${progress.epoch}`);
  }
  const stepsPerEpoch = epochBatches(data.records, { batchSize, mode: cfg.batches }, new Rng(seed)).length;
  if (stepsPerEpoch === 0 && cfg.epochs > 0) throw new DataError('no batch of at least 2 records (too few records per cohort for the batch mode)');
  const schedule = { kind: 'cosine' as const, lr: cfg.lr ?? 1e-3, totalSteps: stepsPerEpoch * cfg.epochs, warmupSteps: Math.min(stepsPerEpoch, Math.floor((stepsPerEpoch * cfg.epochs) / 2)) };
  log(`pretrain ${cfg.method} (${cfg.batches} batches${cfg.method === 'contrastive' ? (partners ? `, patient pairs: ${partners.multiVisitPatients} patients with >1 ECG` : ', augmented-view pairs') : ''}): ${data.records.length} records, cohorts ${Object.entries(data.cohorts).map(([k, v]) => `${k}=${v}`).join(' ')}, ${stepsPerEpoch} steps/epoch`);
  let ranThisCall = 0;
  const epochs = (): PretrainEpoch[] => progress.history.map(({ val: _v, ...e }) => e);
  try {
    while (progress.epoch < cfg.epochs) {
      if (opts.stopAfterEpochs !== undefined && ranThisCall >= opts.stopAfterEpochs) return { ...record, history: epochs() };
      const epoch = progress.epoch + 1;
      const rng = new Rng(subSeed(seed, epoch, 1));
      const augRng = new Rng(subSeed(seed, epoch, 2));
      const dropRng = new Rng(subSeed(seed, epoch, 3));
      const bs = epochBatches(data.records, { batchSize, mode: cfg.batches }, rng);
      const bar = new Progress({ label: `pretrain epoch ${epoch}/${cfg.epochs}`, total: data.records.length, unit: 'ECG', ...(opts.progress !== undefined ? { enabled: opts.progress } : {}) });
      const t0 = performance.now();
      let lossSum = 0, steps = 0, seen = 0, lr = 0;
      for (const idx of bs) {
        const { x, y } = await makeBatch(cfg, data, idx, partners, augRng);
        lr = learningRate(schedule, (epoch - 1) * stepsPerEpoch + steps);
        const r = await trainer.step(x, y, lr, dropRng);
        lossSum += r.loss;
        steps++;
        seen += idx.length;
        bar.tick(idx.length, `loss ${(lossSum / steps).toFixed(4)}`);
      }
      const seconds = (performance.now() - t0) / 1000;
      bar.finish(`loss ${(lossSum / steps).toFixed(4)}`);
      progress.history.push({ epoch, loss: lossSum / steps, lr, seconds, ecgPerSecond: seen / seconds, val: {} });
      progress.epoch = epoch;
      saveFoldState(partial, progress, trainer.state());
      writeFileAtomic(join(partial, 'pretrain.json'), JSON.stringify({ ...record, history: epochs() }, null, 2));
      ranThisCall++;
      log(`pretrain epoch ${epoch}/${cfg.epochs} loss ${(lossSum / steps).toFixed(4)} lr ${lr.toExponential(2)} ${(seen / seconds).toFixed(1)} ECG/s ${formatSeconds(seconds)}`);
    }
    const trained = trainer.inferenceModel();
    writeFileAtomic(join(partial, 'model.onnx'), encodeModel(trained));
    writeFileAtomic(join(partial, 'encoder.onnx'), encodeModel(encoderFile(trained, cfg, data, progress.epoch)));
  } finally {
    await trainer.release();
  }
  const done: PretrainRecordFile = { ...record, history: epochs(), complete: true };
  writeFileAtomic(join(partial, 'pretrain.json'), JSON.stringify(done, null, 2));
  replaceFolder(partial, out, policy);
  return done;
}
