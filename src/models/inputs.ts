/**
 * The one seam from records to model input. A model card (models/card.ts) and
 * records go in; model-ready batches [windows, leads, L] come out, each
 * window tied to its record and its start in the record, so that outputs
 * aggregate back to one score per record and time series (attributions,
 * cluster sequences) map back to record time. Training, prediction, every
 * explainer, TLC, the report and the web app build their input here.
 *
 * Nothing is silent: a record whose rate, leads or length does not fit the
 * card is a DataError naming the card field and the `ecgx model card` flag
 * that would make it fit; what the seam did fill in (zero leads, missing
 * samples) comes back as one-line warnings on the prepared record.
 */
import type { Ecg } from '../data/ecg.js';
import { canonicalLead } from '../data/leads.js';
import { preprocess } from '../data/preprocess/index.js';
import { ecgQualityWarnings } from '../data/quality.js';
import { deriveEcg, mapWaves } from '../data/preprocess/derive.js';
import { DataError, EcgxError, ModelError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import type { ModelCard, PreprocessStep } from './card.js';

/** A record made ready for a model: preprocessed at the card's rate, and the windows the model sees. */
export interface PreparedRecord {
  id: string;
  /**
   * The record after lead selection and the card's preprocessing, at the
   * card's rate and in the model's units, over its whole duration: the time
   * axis of its attributions and cluster sequences. Waves move with it.
   */
  ecg: Ecg;
  /** Samples per model input (the card's length, or the record's for any-length models). */
  inputLength: number;
  /** Start of each model input in `ecg` samples (negative when padded before the record). */
  starts: number[];
  /** What the seam filled in or noticed, one line each (zero leads, missing samples, flat leads). */
  warnings: string[];
}

export interface InputOptions {
  /** Record lead name -> card lead name, for records whose leads are named otherwise (e.g. {ECG1: 'I'}). */
  leadMap?: Record<string, string>;
}

/**
 * Prepares one record for the card's model. Throws a DataError naming the
 * record and the card field when the record cannot fit.
 */
export function prepareRecord(card: ModelCard, raw: Ecg, opts: InputOptions = {}): PreparedRecord {
  const id = raw.meta.recordId;
  const warnings: string[] = [];
  const mapped = opts.leadMap ? renameLeads(raw, opts.leadMap) : raw;
  if (mapped.nSamples < 1) throw new DataError(`record ${id}: it has no samples`);
  if (!mapped.signal.some((v) => Number.isFinite(v))) throw new DataError(`record ${id}: every sample is missing (NaN); nothing to give the model`);
  // Flat, very short, or every lead rescaled to one range (LUDB): it runs, but the scores mean little.
  warnings.push(...ecgQualityWarnings(mapped).map((w) => `record ${id}: ${w}`));
  let ecg = selectCardLeads(card, mapped, warnings);
  if (ecg.fs !== card.fs && !card.preprocess.some((s) => s.op === 'resample')) {
    throw new DataError(`record ${id} is at ${ecg.fs} Hz; the model card says ${card.fs} Hz and has no 'resample' step (allow it with 'ecgx model card --resample', or resample the records)`);
  }
  try {
    for (const step of card.preprocess) ecg = applyStep(card, ecg, step);
  } catch (e) {
    if (e instanceof EcgxError) throw new DataError(`record ${id}: ${e.message}`);
    throw e;
  }
  let missing = 0;
  for (const v of ecg.signal) if (!Number.isFinite(v)) missing++;
  if (missing > 0) {
    warnings.push(`record ${id}: ${missing} missing sample(s) (NaN) set to 0 in the model input`);
    ecg = deriveEcg(ecg, { signal: ecg.signal.map((v) => (Number.isFinite(v) ? v : 0)) });
  }
  const { inputLength, starts } = planWindows(card, ecg.nSamples, id);
  return { id, ecg, inputLength, starts, warnings };
}

function renameLeads(ecg: Ecg, map: Record<string, string>): Ecg {
  const leads = ecg.leads.map((l) => map[l] ?? l);
  const waves = ecg.waves && Object.fromEntries(Object.entries(ecg.waves).map(([k, v]) => [map[k] ?? k, v]));
  return deriveEcg(ecg, { signal: ecg.signal, leads: leads.map(canonicalLead), waves });
}

function selectCardLeads(card: ModelCard, ecg: Ecg, warnings: string[]): Ecg {
  const want = card.leads;
  const absent = want.filter((l) => !ecg.leads.includes(l));
  if (absent.length > 0) {
    const id = ecg.meta.recordId;
    if (card.missingLeads === 'refuse') {
      const extra = ecg.leads.filter((l) => !want.includes(l));
      const offer = extra.length > 0 && extra.length >= absent.length
        ? ` If the record's ${extra.join(', ')} are the model's ${absent.join(', ')}, map them with --lead-map ${extra.slice(0, absent.length).map((e, i) => `${e}=${absent[i]}`).join(',')};`
        : '';
      throw new DataError(`record ${id} has leads [${ecg.leads.join(' ')}]; the model card needs [${want.join(' ')}] and ${absent.join(', ')} ${absent.length === 1 ? 'is' : 'are'} missing.${offer} or let missing leads be zeros with 'ecgx model card --missing-leads zero'`);
    }
    warnings.push(`record ${id}: ${absent.length} of the model's ${want.length} leads missing (${absent.join(', ')}), given to the model as zeros`);
  }
  const n = ecg.nSamples;
  const signal = new Float32Array(want.length * n);
  want.forEach((name, k) => {
    const i = ecg.leads.indexOf(name);
    if (i >= 0) signal.set(ecg.signal.subarray(i * n, (i + 1) * n), k * n);
  });
  const waves = ecg.waves && Object.fromEntries(Object.entries(mapWaves(ecg.waves, (s) => s, n)).filter(([key]) => key === '*' || want.includes(key)));
  return deriveEcg(ecg, { signal, leads: [...want], waves });
}

/** One preprocessing step of the card, through the same functions `preprocess` uses. */
function applyStep(card: ModelCard, ecg: Ecg, step: PreprocessStep): Ecg {
  switch (step.op) {
    case 'resample':
      return ecg.fs === card.fs ? ecg : preprocess(ecg, { fs: card.fs });
    case 'highpass':
      return preprocess(ecg, { highpass: step.hz, filterOrder: step.order });
    case 'bandpass':
      return preprocess(ecg, { bandpass: step.hz, filterOrder: step.order });
    case 'notch':
      return preprocess(ecg, { notch: step.hz, notchQ: step.q });
    case 'zscore': {
      if (!step.mean || !step.std) return preprocess(ecg, { standardize: true });
      const n = ecg.nSamples;
      const signal = new Float32Array(ecg.signal.length);
      for (let l = 0; l < ecg.leads.length; l++) {
        const m = step.mean[l]!, s = step.std[l]!;
        for (let t = 0; t < n; t++) signal[l * n + t] = (ecg.signal[l * n + t]! - m) / s;
      }
      return deriveEcg(ecg, { signal });
    }
    case 'units':
      return step.to === 'mV' ? ecg : deriveEcg(ecg, { signal: ecg.signal.map((v) => v * 1000) });
  }
}

/** Where the model inputs of a record of `n` samples (at the card's rate) start. */
export function planWindows(card: ModelCard, n: number, id = 'the record'): { inputLength: number; starts: number[] } {
  const L = card.length;
  if (L === null || n === L) return { inputLength: L ?? n, starts: [0] };
  const fit = card.fit;
  const secs = (s: number): string => `${(s / card.fs).toFixed(2).replace(/\.?0+$/, '')} s`;
  if (n > L) {
    if (fit.longer === 'refuse') {
      throw new DataError(`record ${id} has ${n} samples at ${card.fs} Hz (${secs(n)}); the model takes ${L} (${secs(L)}) and its card neither crops nor windows longer records (set 'ecgx model card --crop start|center' or '--window ${L} --stride S')`);
    }
    if (fit.longer === 'crop') return { inputLength: L, starts: [fit.anchor === 'start' ? 0 : Math.floor((n - L) / 2)] };
    // Windows every `stride` samples, plus one flush with the end so that every sample is covered.
    const stride = fit.stride!;
    const starts: number[] = [];
    for (let s = 0; s + L <= n; s += stride) starts.push(s);
    if (starts[starts.length - 1]! + L < n) starts.push(n - L);
    return { inputLength: L, starts };
  }
  if (fit.shorter === 'refuse') {
    throw new DataError(`record ${id} has ${n} samples at ${card.fs} Hz (${secs(n)}); the model takes ${L} (${secs(L)}) and its card does not pad shorter records (set 'ecgx model card --pad')`);
  }
  return { inputLength: L, starts: [fit.anchor === 'start' ? 0 : -Math.floor((L - n) / 2)] };
}

/** Writes window `start` of `ecg` ([leads, n]) into `out` ([leads, L], zeros outside the record). */
export function copyWindow(ecg: Ecg, start: number, L: number, out: Float32Array): void {
  const n = ecg.nSamples;
  out.fill(0);
  const from = Math.max(0, start), to = Math.min(n, start + L);
  if (to <= from) return;
  for (let l = 0; l < ecg.leads.length; l++) out.set(ecg.signal.subarray(l * n + from, l * n + to), l * L + (from - start));
}

/** A batch of model inputs: every window of `records`, in record order. */
export interface InputBatch {
  records: PreparedRecord[];
  /** [windows, leads, L] float32. */
  x: NdArray;
  /** Index into `records` of each window. */
  owner: Int32Array;
  /** Start in its record of each window. */
  start: Int32Array;
}

/** Stacks the windows of records that share one input length into a batch. */
export function stackWindows(records: PreparedRecord[]): InputBatch {
  const L = records[0]!.inputLength, leads = records[0]!.ecg.leads.length;
  if (records.some((r) => r.inputLength !== L)) throw new RangeError('stackWindows: records of one batch need one input length');
  const total = records.reduce((s, r) => s + r.starts.length, 0);
  const data = new Float32Array(total * leads * L);
  const owner = new Int32Array(total), start = new Int32Array(total);
  let w = 0;
  records.forEach((r, i) => {
    for (const s of r.starts) {
      copyWindow(r.ecg, s, L, data.subarray(w * leads * L, (w + 1) * leads * L));
      owner[w] = i;
      start[w] = s;
      w++;
    }
  });
  return { records, x: { data, shape: [total, leads, L] }, owner, start };
}

/**
 * Batches of model input from records, `batchSize` records at a time (fewer
 * when the input length changes, for any-length models). Each record is
 * prepared when its batch is needed, so a cohort streams.
 */
export async function* inputBatches(card: ModelCard, ecgs: AsyncIterable<Ecg> | Iterable<Ecg>, batchSize: number, opts: InputOptions = {}): AsyncGenerator<InputBatch> {
  let pending: PreparedRecord[] = [];
  for await (const e of ecgs) {
    const p = prepareRecord(card, e, opts);
    if (pending.length > 0 && (pending.length >= batchSize || p.inputLength !== pending[0]!.inputLength)) {
      yield stackWindows(pending);
      pending = [];
    }
    pending.push(p);
  }
  if (pending.length > 0) yield stackWindows(pending);
}

/**
 * Record scores [records, K] from window scores [windows, K] (already
 * activated, see activate): each record's windows aggregated by the card's
 * rule (max or mean; one window is its own score).
 */
export function aggregateWindows(card: ModelCard, batch: InputBatch, windowScores: NdArray): NdArray {
  const K = windowScores.shape[1] ?? 1, nRec = batch.records.length;
  const out = new Float32Array(nRec * K);
  const count = new Int32Array(nRec);
  const max = card.fit.aggregate === 'max';
  if (max) out.fill(-Infinity);
  for (let w = 0; w < batch.owner.length; w++) {
    const r = batch.owner[w]!;
    count[r]!++;
    for (let k = 0; k < K; k++) {
      const v = windowScores.data[w * K + k]!;
      out[r * K + k] = max ? Math.max(out[r * K + k]!, v) : out[r * K + k]! + v;
    }
  }
  if (!max) for (let r = 0; r < nRec; r++) for (let k = 0; k < K; k++) out[r * K + k]! /= count[r]!;
  return { data: out, shape: [nRec, K] };
}

/** What `activate` needs to know of an output (a card's output section). */
export type OutputKind = Pick<ModelCard['output'], 'name' | 'task' | 'kind'>;

/** Raw output [n, K] -> scores per the card (probabilities for classification, values for regression). */
export function activate(output: OutputKind, raw: NdArray, check = true): NdArray {
  const n = raw.shape[0]!, K = raw.shape.length > 1 ? raw.shape[1]! : 1;
  const x = raw.data;
  const { task, kind } = output;
  if (kind !== 'logits' || (task !== 'multilabel' && task !== 'multiclass')) {
    if (check && kind === 'probabilities') checkProbabilities(output, x, n, K);
    return { data: x, shape: [n, K] };
  }
  const y = new Float32Array(x.length);
  if (task === 'multilabel') for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
  else {
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, x[i * K + k]!);
      let s = 0;
      for (let k = 0; k < K; k++) s += (y[i * K + k] = Math.exp(x[i * K + k]! - m));
      for (let k = 0; k < K; k++) y[i * K + k]! /= s;
    }
  }
  return { data: y, shape: [n, K] };
}

/** Declared probabilities outside [0, 1] (or multiclass rows not summing to 1) mean the card's output kind is wrong. */
function checkProbabilities(output: OutputKind, x: Float32Array, n: number, K: number): void {
  const tol = 1e-3;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const v = x[i * K + k]!;
      if (!(v >= -tol && v <= 1 + tol)) {
        throw new ModelError(`card.output.kind: the card says '${output.name}' holds probabilities, but the model gave ${v.toPrecision(4)}; set 'ecgx model card --output-kind logits'`);
      }
      s += v;
    }
    if (output.task === 'multiclass' && Math.abs(s - 1) > 1e-2 * Math.max(1, K / 10)) {
      throw new ModelError(`card.output.kind: the card says '${output.name}' holds multiclass probabilities, but a row sums to ${s.toPrecision(4)}; set 'ecgx model card --output-kind logits' or '--task multilabel'`);
    }
  }
}

/**
 * How much each window of a record counts in the record's score for column
 * `k`, i.e. d(record score)/d(window output): 1/W each for 'mean'; 1 for the
 * window with the highest score and 0 for the rest for 'max'. `windowScores`
 * are the activated window scores [windows, K].
 */
export function windowWeights(card: ModelCard, batch: InputBatch, windowScores: NdArray, k: readonly number[]): Float32Array {
  const K = windowScores.shape[1] ?? 1;
  const weights = new Float32Array(batch.owner.length);
  const first = new Int32Array(batch.records.length).fill(-1);
  const count = new Int32Array(batch.records.length);
  for (let w = 0; w < batch.owner.length; w++) {
    const r = batch.owner[w]!;
    count[r]!++;
    if (first[r] === -1) first[r] = w;
  }
  for (let r = 0; r < batch.records.length; r++) {
    const W = count[r]!, w0 = first[r]!, col = k[r]!;
    if (card.fit.aggregate === 'max') {
      let best = w0;
      for (let w = w0 + 1; w < w0 + W; w++) if (windowScores.data[w * K + col]! > windowScores.data[best * K + col]!) best = w;
      weights[best] = 1;
    } else for (let w = w0; w < w0 + W; w++) weights[w] = 1 / W;
  }
  return weights;
}

/**
 * Per-window time series [windows, C, L] -> per-record series [C, T] in
 * record time: sum over windows of weight * value, each window placed at its
 * start (samples outside the record, i.e. padding, dropped; samples no window
 * covers, outside a crop, are NaN). With the weights
 * of windowWeights this is the attribution of the record's score (for
 * attributions that are linear in the explained output, exactly).
 */
export function stitchWeighted(batch: InputBatch, values: NdArray, weights: Float32Array): NdArray[] {
  const [nw, C, L] = values.shape as [number, number, number];
  if (nw !== batch.owner.length) throw new RangeError(`stitchWeighted: ${nw} windows of values, the batch has ${batch.owner.length}`);
  // Samples no window covers (outside a crop) stay NaN: the model never saw them.
  const out = batch.records.map((r) => ({ data: new Float32Array(C * r.ecg.nSamples).fill(NaN), shape: [C, r.ecg.nSamples] }));
  for (let w = 0; w < nw; w++) {
    const rec = out[batch.owner[w]!]!, T = rec.shape[1]!, s = batch.start[w]!;
    const from = Math.max(0, s), to = Math.min(T, s + L);
    for (let c = 0; c < C; c++) for (let t = from; t < to; t++) if (Number.isNaN(rec.data[c * T + t]!)) rec.data[c * T + t] = 0;
  }
  for (let w = 0; w < nw; w++) {
    const wt = weights[w]!;
    if (wt === 0) continue;
    const rec = out[batch.owner[w]!]!, T = rec.shape[1]!, s = batch.start[w]!;
    const from = Math.max(0, s), to = Math.min(T, s + L);
    for (let c = 0; c < C; c++) {
      const src = values.data.subarray((w * C + c) * L, (w * C + c + 1) * L), dst = rec.data.subarray(c * T, (c + 1) * T);
      for (let t = from; t < to; t++) dst[t]! += wt * src[t - s]!;
    }
  }
  return out;
}

/**
 * For each sample of a record of `T` samples, the window (among `starts`, of
 * length L) whose centre is nearest: where that sample has the most context on
 * both sides. Used to stitch categorical series (cluster sequences) in record
 * time. Samples no window covers get -1.
 */
export function nearestWindow(starts: readonly number[], L: number, T: number): Int32Array {
  const owner = new Int32Array(T).fill(-1);
  for (let t = 0; t < T; t++) {
    let best = -1, dist = Infinity;
    starts.forEach((s, i) => {
      if (t < s || t >= s + L) return;
      const d = Math.abs(t - (s + (L - 1) / 2));
      if (d < dist) (dist = d), (best = i);
    });
    owner[t] = best;
  }
  return owner;
}
