/**
 * Explaining a cohort: every method over every record (or model-ready
 * tensor), through the one input seam. Records are prepared as the model's
 * card says; each of a record's windows is explained for the record's target
 * (resolved on the record's aggregated score); window attributions are placed
 * back in record time, weighted by how much each window counts in the record's
 * score (models/inputs.ts windowWeights: 1/W for mean, the top window for
 * max). Class-agnostic maps (TLC) take, at each sample, the window whose
 * centre is nearest. The CLI's `explain` and `explain evaluate` and the web
 * app call this; nothing here writes files.
 */
import type { Ecg } from '../data/ecg.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import type { ModelCard } from '../models/card.js';
import { activate, aggregateWindows, inputBatches, nearestWindow, stitchWeighted, windowWeights, type InputBatch, type InputOptions, type OutputKind, type PreparedRecord } from '../models/inputs.js';
import { loadCardedModel, type CardedModel } from '../models/predict.js';
import { DataError, OptionError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import { Progress } from '../util/progress.js';
import { ExplainModel } from './model.js';
import type { Attribution, Explainer, Target } from './protocol.js';
import { explainerFactory } from './registry.js';

export interface ExplainPlan {
  /** Method names (aliases allowed), in the order to run. */
  methods: string[];
  /** create() options per method (canonical name). */
  options?: Record<string, Record<string, unknown>>;
  /** Default: 'regression' for regression models, else 'predicted'. */
  target?: Target;
  seed?: number;
  /** Records (or tensor rows) per explain call; default 32. */
  batchSize?: number;
  threads?: number;
  /** Progress bar (default: on a TTY). */
  progress?: boolean;
  /** Keep the model inputs and the per-window attributions (explain evaluate measures on them). */
  keepInputs?: boolean;
  /** Explainers made already (by method name), used instead of creating them; the caller releases them. */
  explainers?: Record<string, Explainer>;
}

/** One explained record (or tensor row). */
export interface ExplainedRecord {
  id: string;
  /** Samples of the record at the attribution's rate (the card's). */
  nSamples: number;
  /** The record's scores: probabilities (classification) or values (regression), windows aggregated. */
  scores: number[];
  /** Explained output column, and its class name when known. */
  target: number;
  targetName?: string;
  /** Start of each model input in the record, samples (negative when padded before). */
  windows: number[];
  /** Samples per model input. */
  inputLength: number;
  warnings: string[];
  /** The prepared record (records only): what the attribution is drawn on. */
  ecg?: Ecg;
}

export interface ExplainResult {
  model: ExplainModel;
  /** The card the records went through (records only). */
  card?: ModelCard;
  /** Sampling rate of the attributions' time axis, when known. */
  fs: number | undefined;
  records: ExplainedRecord[];
  /**
   * One per method, in plan order: values [records, rows, T] in record time
   * (T the longest record; NaN past a shorter record's end), target per
   * record. `meta` holds each method's extras per model input.
   */
  attributions: Attribution[];
  /** With keepInputs: the model inputs, each input's record and target, and the attributions per input. */
  inputs?: { x: NdArray; owner: number[]; target: number[]; attributions: Attribution[] };
}

/** What a chunk of work is: model inputs with the records they come from. */
interface Chunk {
  x: NdArray;
  owner: Int32Array;
  start: Int32Array;
  records: { id: string; nSamples: number; inputLength: number; windows: number[]; warnings: string[]; ecg?: Ecg }[];
  batch?: InputBatch;
}

/** Explains records with a carded model (file, proto with a card, or CardedModel). */
export async function explainRecords(model: string | ModelProto | CardedModel, ecgs: AsyncIterable<Ecg> | Iterable<Ecg>, plan: ExplainPlan & InputOptions & { count?: number }): Promise<ExplainResult> {
  const m = loadCardedModel(model);
  const card = m.card;
  if (card.output.task === 'embedding') throw new OptionError('model', `${m.file} is an encoder (its card's task is 'embedding'); explainers need a classifier or regressor`);
  async function* chunks(): AsyncGenerator<Chunk> {
    for await (const b of inputBatches(card, ecgs, plan.batchSize ?? 32, plan.leadMap ? { leadMap: plan.leadMap } : {})) {
      yield { x: b.x, owner: b.owner, start: b.start, batch: b, records: b.records.map((r: PreparedRecord) => ({ id: r.id, nSamples: r.ecg.nSamples, inputLength: r.inputLength, windows: r.starts, warnings: r.warnings, ecg: r.ecg })) };
    }
  }
  return run(m, card.output, card.fs, chunks(), plan, card);
}

/**
 * Explains model-ready tensors x [batch, leads, time] (each row its own
 * record, used as it is). The model needs no card; with one, its output
 * section says how scores are read.
 */
export async function explainTensors(model: string | ModelProto | CardedModel, x: NdArray, plan: ExplainPlan & { fs?: number; ids?: string[] }): Promise<ExplainResult> {
  const probe = new ExplainModel(model as ModelProto | string | CardedModel);
  if (x.shape.length !== 3) throw new DataError(`explain: input has shape [${x.shape.join(', ')}], expected [batch, leads, time]`);
  probe.checkBatch(x);
  const [n, leads, time] = x.shape as [number, number, number];
  if (n === 0) throw new DataError('explain: the input holds no ECGs (batch of 0)');
  if (plan.ids && plan.ids.length !== n) throw new OptionError('ids', `expected ${n} ids, got ${plan.ids.length}`);
  const output: OutputKind = { name: probe.output, task: probe.task ?? (probe.width === 1 ? 'regression' : 'multilabel'), kind: probe.outputKind };
  const per = leads * time, size = plan.batchSize ?? 32;
  async function* chunks(): AsyncGenerator<Chunk> {
    for (let s = 0; s < n; s += size) {
      const c = Math.min(size, n - s);
      yield {
        x: { data: x.data.subarray(s * per, (s + c) * per), shape: [c, leads, time] },
        owner: Int32Array.from({ length: c }, (_, i) => i),
        start: new Int32Array(c),
        records: Array.from({ length: c }, (_, i) => ({ id: plan.ids?.[s + i] ?? String(s + i), nSamples: time, inputLength: time, windows: [0], warnings: [] })),
      };
    }
  }
  await probe.release();
  return run(model, output, plan.fs ?? probe.fs, chunks(), { ...plan, count: n });
}

async function run(model: string | ModelProto | CardedModel, output: OutputKind, fs: number | undefined, chunks: AsyncIterable<Chunk>, plan: ExplainPlan & { count?: number }, card?: ModelCard): Promise<ExplainResult> {
  // Before any work: a per-ECG option that cannot fit the ECGs (their count is known for tensors and listed records).
  if (plan.count !== undefined) checkPerEcgCounts(plan.options, plan.count);
  const threads = plan.threads !== undefined ? { threads: plan.threads } : {};
  const em = new ExplainModel(model, threads);
  const methods = [...new Set(plan.methods.map((name) => explainerFactory(name).name))];
  if (methods.length === 0) throw new OptionError('methods', 'expected at least one method');
  const target = plan.target ?? defaultTarget(em);
  const explainers: Explainer[] = [];
  const own: Explainer[] = [];
  const records: ExplainedRecord[] = [];
  const perRecord: NdArray[][] = methods.map(() => []);
  const perInput: Attribution[][] = methods.map(() => []);
  const kept: { x: NdArray[]; owner: number[]; target: number[] } = { x: [], owner: [], target: [] };
  let checked = false;
  // Counted per method and ECG (a batch of ECGs advances the bar once per method), so slow methods show as they run.
  const bar = new Progress({ label: `explain (${methods.length} method${methods.length > 1 ? 's' : ''})`, ...(plan.count !== undefined ? { total: plan.count * methods.length } : {}), unit: 'ECG', ...(plan.progress !== undefined ? { enabled: plan.progress } : {}) });
  try {
    for (const name of methods) {
      const given = plan.explainers?.[name];
      if (given) explainers.push(given);
      else {
        const e = await explainerFactory(name).create(model, { ...(plan.options?.[name] ?? {}), ...threads });
        explainers.push(e);
        own.push(e);
      }
    }
    for await (const c of chunks) {
      const raw = await em.scores(c.x, 64);
      const windowScores = activate(output, raw, !checked);
      checked = true;
      const nRec = c.records.length;
      const recordScores = card && c.batch ? aggregateWindows(card, c.batch, windowScores) : windowScores;
      const resolved = em.resolveTarget(target, nRec, recordScores);
      const windowTarget = Array.from(c.owner, (r) => resolved.index[r]!);
      const K = recordScores.shape[1] ?? 1;
      const base = records.length;
      c.records.forEach((r, i) => records.push({
        id: r.id, nSamples: r.nSamples, scores: Array.from(recordScores.data.subarray(i * K, (i + 1) * K)),
        target: resolved.index[i]!, ...(resolved.name ? { targetName: resolved.name[i]! } : {}),
        windows: r.windows, inputLength: r.inputLength, warnings: r.warnings, ...(r.ecg ? { ecg: r.ecg } : {}),
      }));
      for (const [i, e] of explainers.entries()) {
        bar.note(`${methods[i]} on ECGs ${base + 1}-${base + nRec}`);
        const perEcg = perEcgOptions(plan.options?.[methods[i]!], c, base);
        const a = await e.explain({ x: c.x, ...(fs !== undefined ? { fs } : {}) }, { target: windowTarget, seed: plan.seed ?? 0, ...perEcg });
        perInput[i]!.push(a);
        const classAgnostic = explainerFactory(methods[i]!).classAgnostic === true;
        perRecord[i]!.push(...toRecordTime(c, a.values, classAgnostic, card && c.batch ? windowWeights(card, c.batch, windowScores, resolved.index) : undefined));
        bar.tick(nRec);
      }
      if (plan.keepInputs) {
        kept.x.push(c.x);
        kept.owner.push(...Array.from(c.owner, (r) => base + r));
        kept.target.push(...windowTarget);
      }
    }
    bar.finish();
  } finally {
    for (const e of own) await e.release?.();
  }
  if (records.length === 0) throw new DataError('explain: no records to explain');
  checkPerEcgCounts(plan.options, records.length);
  const windowLevel = perInput.map(mergeAttributions);
  const attributions = windowLevel.map((a, i) => ({
    ...a,
    values: stackRecords(perRecord[i]!),
    target: { index: records.map((r) => r.target), ...(records.every((r) => r.targetName !== undefined) ? { name: records.map((r) => r.targetName!) } : {}) },
  }));
  return {
    model: em, ...(card ? { card } : {}), fs, records, attributions,
    ...(plan.keepInputs ? { inputs: { x: concatBatches(kept.x), owner: kept.owner, target: kept.target, attributions: windowLevel } } : {}),
  };
}

/** An option value holding one row per ECG of the whole input, in input order (e.g. IG's baselines [N, leads, time]). */
interface PerEcgArray extends NdArray {
  perEcg: true;
  /** Where it was read from, for messages. */
  file?: string;
}

function isPerEcg(v: unknown): v is PerEcgArray {
  return typeof v === 'object' && v !== null && (v as { perEcg?: unknown }).perEcg === true && (v as NdArray).data instanceof Float32Array && Array.isArray((v as NdArray).shape);
}

/**
 * A chunk's share of per-ECG option values: for each model input of the
 * chunk, the row of the ECG it comes from (every window of a record gets its
 * record's row), so a result never depends on how ECGs were batched.
 */
function perEcgOptions(options: Record<string, unknown> | undefined, c: Chunk, base: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(options ?? {})) {
    if (!isPerEcg(v)) continue;
    const [n, ...rest] = v.shape as [number, ...number[]];
    const [, leads, L] = c.x.shape as [number, number, number];
    if (rest.length !== 2 || rest[0] !== leads || rest[1] !== L) throw new OptionError(name, `${v.file ? `${v.file}: ` : ''}per-ECG value of shape [${v.shape.join(', ')}] does not fit model inputs [${leads}, ${L}] (expected [N, ${leads}, ${L}])`);
    const per = leads * L;
    const data = new Float32Array(c.owner.length * per);
    c.owner.forEach((r, w) => {
      const ecg = base + r;
      if (ecg >= n) throw new OptionError(name, `${v.file ? `${v.file} ` : ''}holds ${n} ECG(s) (one per ECG, in input order), but the input has more`);
      data.set(v.data.subarray(ecg * per, (ecg + 1) * per), w * per);
    });
    out[name] = { data, shape: [c.owner.length, leads, L], perEcg: true };
  }
  return out;
}

/** Checks that per-ECG option values hold exactly one row per ECG explained. */
function checkPerEcgCounts(options: ExplainPlan['options'], count: number): void {
  for (const [method, o] of Object.entries(options ?? {})) {
    for (const [name, v] of Object.entries(o)) {
      if (isPerEcg(v) && v.shape[0] !== count) throw new OptionError(`${method}.${name}`, `${v.file ? `${v.file} ` : ''}holds ${v.shape[0]} ECG(s) (one per ECG, in input order), but ${count} ECG(s) were explained`);
    }
  }
}

/** The target when none is asked for: the regression output, else each record's predicted class. */
export function defaultTarget(model: ExplainModel): Target {
  return model.task === 'regression' || model.width === 1 ? 'regression' : 'predicted';
}

/** Window attributions of a chunk [windows, rows, L] -> one [rows, T] per record. */
function toRecordTime(c: Chunk, values: NdArray, classAgnostic: boolean, weights: Float32Array | undefined): NdArray[] {
  const [nw, rows, L] = values.shape as [number, number, number];
  if (nw !== c.owner.length) throw new RangeError(`explain: ${nw} attribution rows for ${c.owner.length} model inputs`);
  const batch = c.batch ?? pseudoBatch(c);
  if (!classAgnostic) return stitchWeighted(batch, values, weights ?? new Float32Array(nw).fill(1));
  // Categorical/uncertainty maps do not add up across windows: each sample takes its most central window's value.
  let w0 = 0;
  return c.records.map((r) => {
    const owner = nearestWindow(r.windows, L, r.nSamples);
    const out = new Float32Array(rows * r.nSamples).fill(NaN);
    for (let t = 0; t < r.nSamples; t++) {
      const w = owner[t]!;
      if (w < 0) continue;
      const j = t - r.windows[w]!;
      for (let q = 0; q < rows; q++) out[q * r.nSamples + t] = values.data[((w0 + w) * rows + q) * L + j]!;
    }
    w0 += r.windows.length;
    return { data: out, shape: [rows, r.nSamples] };
  });
}

/** The stitching view of a tensor chunk: one window per record, at 0. */
function pseudoBatch(c: Chunk): InputBatch {
  return { records: c.records.map((r) => ({ id: r.id, ecg: { nSamples: r.nSamples } as Ecg, inputLength: r.inputLength, starts: r.windows, warnings: r.warnings })), x: c.x, owner: c.owner, start: c.start };
}

/** Per-record maps [rows, T_i] -> [records, rows, max T] (NaN past each record's end). */
function stackRecords(maps: NdArray[]): NdArray {
  const rows = maps[0]!.shape[0]!, T = Math.max(...maps.map((m) => m.shape[1]!));
  const data = new Float32Array(maps.length * rows * T).fill(NaN);
  maps.forEach((m, i) => {
    const t = m.shape[1]!;
    for (let q = 0; q < rows; q++) data.set(m.data.subarray(q * t, (q + 1) * t), (i * rows + q) * T);
  });
  return { data, shape: [maps.length, rows, T] };
}

function concatBatches(xs: NdArray[]): NdArray {
  const n = xs.reduce((s, x) => s + x.shape[0]!, 0);
  const data = new Float32Array(xs.reduce((s, x) => s + x.data.length, 0));
  let o = 0;
  for (const x of xs) {
    data.set(x.data, o);
    o += x.data.length;
  }
  return { data, shape: [n, ...xs[0]!.shape.slice(1)] };
}

/** One attribution from a method's per-chunk results: values concatenated over the batch axis, and the meta entries its factory declares per input. */
function mergeAttributions(parts: Attribution[]): Attribution {
  const first = parts[0]!;
  const perInput = new Set(explainerFactory(first.method).perInputMeta ?? []);
  const meta: Record<string, unknown> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.meta ?? {})) {
      const prev = meta[k];
      meta[k] = perInput.has(k) && Array.isArray(v) && Array.isArray(prev) ? [...prev, ...v] : v;
    }
  }
  const index = parts.flatMap((p) => p.target.index);
  const names = parts.every((p) => p.target.name) ? parts.flatMap((p) => p.target.name!) : undefined;
  return {
    method: first.method,
    values: concatBatches(parts.map((p) => p.values)),
    target: names ? { index, name: names } : { index },
    options: first.options,
    timing: { ms: parts.reduce((s, p) => s + p.timing.ms, 0) },
    ...(Object.keys(meta).length ? { meta } : {}),
  };
}
