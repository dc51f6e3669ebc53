/**
 * Store rows from what the explainers return: an ExplainResult (explain/run.ts)
 * or TLC's stitched per-record explanations (tlc/pipeline.ts), with each
 * record's dataset listing (labels, fold, patient). Pure functions: nothing
 * here touches DuckDB or files.
 */
import type { RecordInfo } from '../../data/datasets/types.js';
import type { Ecg, WaveAnnotations } from '../../data/ecg.js';
import { ecgDelineate } from '../../delineate/index.js';
import type { ModelCard } from '../../models/card.js';
import { activate, nearestWindow } from '../../models/inputs.js';
import { waveMass, WAVE_REGIONS } from '../metrics/wave-mass.js';
import type { ExplainResult } from '../run.js';
import type { TlcExplainedRecord } from '../tlc/pipeline.js';
import type { Row, TableName } from './schema.js';

export type Rows = Record<TableName, Row[]>;

export function emptyRows(): Rows {
  return { records: [], scores: [], attributions: [], wave_mass: [], tlc: [], clusters: [], tlc_sequences: [] };
}

/** Where a record's waves come from for wave_mass. */
export type StoreWaves = 'auto' | 'annotations' | 'delineate' | 'none';

interface RecordBase {
  id: string;
  nSamples: number | null;
  fs: number | null;
  scores: ArrayLike<number>;
  classes: string[];
  regression: boolean;
  target: number | null;
  targetName: string | null;
  windows: number[] | null;
  warnings: string[];
  wavesSource: string | null;
}

function recordRows(out: Rows, r: RecordBase, info: RecordInfo | undefined): void {
  const meta = info?.meta;
  const labels = meta?.labels;
  let predicted: string | null = null;
  if (!r.regression && r.scores.length > 0) {
    let best = 0;
    for (let k = 1; k < r.scores.length; k++) if (r.scores[k]! > r.scores[best]!) best = k;
    predicted = r.classes[best] ?? String(best);
  }
  out.records.push({
    id: r.id, patient_id: meta?.patientId ?? null, age: meta?.age ?? null, sex: meta?.sex ?? null, fold: info?.fold ?? null,
    labels: labels ?? null, n_samples: r.nSamples, fs: r.fs, predicted, target: r.target, target_name: r.targetName,
    windows: r.windows, warnings: r.warnings, waves_source: r.wavesSource,
  });
  for (let k = 0; k < r.scores.length; k++) {
    const name = r.classes[k] ?? String(k);
    out.scores.push({ id: r.id, class_index: k, class: name, score: r.scores[k]!, label: labels && !r.regression ? labels.includes(name) : null });
  }
}

/** A record's waves in record time at the card's rate: its annotations, or the delineator's on the prepared record. */
export function recordWaves(ecg: Ecg | undefined, mode: StoreWaves): { waves: WaveAnnotations; source: string } | undefined {
  if (!ecg || mode === 'none') return undefined;
  if (mode !== 'delineate' && ecg.waves && Object.keys(ecg.waves).length > 0) return { waves: ecg.waves, source: 'annotations' };
  if (mode === 'annotations') return undefined;
  try {
    const d = ecgDelineate(ecg);
    return Object.keys(d.waves).length > 0 ? { waves: d.waves, source: 'delineate' } : undefined;
  } catch {
    return undefined; // a record the delineator cannot read gets no wave_mass rows, not a failed shard
  }
}

function waveRows(out: Rows, id: string, method: string, row: Float32Array, lead: number, leadName: string, waves: WaveAnnotations): void {
  const list = (leadName === 'all' ? undefined : waves[leadName]) ?? waves['*'];
  if (!list) return;
  const m = waveMass(row, [1, row.length], { '*': list });
  for (const w of WAVE_REGIONS) out.wave_mass.push({ id, method, lead_index: lead, lead: leadName, wave: w, mass: m.mass[w], share: m.massShare[w], time_share: m.timeShare[w] });
}

/** Rows of an ExplainResult (records through a card, or tensors). */
export function explainRows(result: ExplainResult, info: (id: string) => RecordInfo | undefined, opts: { waves?: StoreWaves } = {}): Rows {
  const out = emptyRows();
  const classes = result.model.classNames ?? [];
  const task = result.model.task;
  const regression = task !== undefined ? task === 'regression' : result.model.width === 1;
  const leadNames = result.card?.leads;
  let input = 0; // first model input of the record, in the methods' per-input meta
  result.records.forEach((rec, i) => {
    const T = rec.nSamples;
    const waves = recordWaves(rec.ecg, opts.waves ?? 'auto');
    recordRows(out, {
      id: rec.id, nSamples: T, fs: result.fs ?? null, scores: rec.scores, classes, regression,
      target: rec.target, targetName: rec.targetName ?? null, windows: rec.windows, warnings: rec.warnings, wavesSource: waves?.source ?? null,
    }, info(rec.id));
    for (const a of result.attributions) {
      const [, rows, width] = a.values.shape as [number, number, number];
      for (let q = 0; q < rows; q++) {
        const off = (i * rows + q) * width;
        const values = a.values.data.slice(off, off + T);
        const lead = rows === 1 ? 'all' : leadNames?.[q] ?? String(q);
        out.attributions.push({ id: rec.id, method: a.method, target: a.target.index[i]!, lead_index: q, lead, values });
        if (waves && a.method !== 'tlc') waveRows(out, rec.id, a.method, values, q, lead, waves.waves);
      }
      if (a.method === 'tlc') tlcMethodRows(out, rec.id, a.values.data.slice(i * width, i * width + T), rec.windows, rec.inputLength, input, a.meta ?? {});
    }
    input += rec.windows.length;
  });
  return out;
}

/** TLC as an explain method: the record-time entropy map, and its inputs' clusters placed in record time (each sample from its most central window). */
function tlcMethodRows(out: Rows, id: string, entropy: Float32Array, windows: number[], L: number, first: number, meta: Record<string, unknown>): void {
  const perInput = meta['clusters'] as number[][] | undefined;
  const layer = String(meta['group'] ?? 'tlc'), k = Number(meta['k'] ?? 0);
  if (!perInput) return;
  const T = entropy.length;
  const owner = nearestWindow(windows, L, T);
  const clusters = new Int16Array(T).fill(-1);
  for (let t = 0; t < T; t++) {
    const w = owner[t]!;
    if (w >= 0) clusters[t] = perInput[first + w]![t - windows[w]!]!;
  }
  tlcLayerRows(out, id, layer, k, clusters, entropy);
}

function tlcLayerRows(out: Rows, id: string, layer: string, k: number, clusters: Int16Array, entropy: Float32Array): void {
  const count = new Float64Array(k);
  let n = 0, h = 0, hn = 0, segments = 0, prev = -2;
  for (let t = 0; t < clusters.length; t++) {
    const c = clusters[t]!;
    if (c >= 0 && c < k) (count[c]! += 1), n++;
    if (c !== prev && c >= 0) segments++;
    prev = c;
    const e = entropy[t]!;
    if (Number.isFinite(e)) (h += e), hn++;
  }
  out.tlc.push({ id, layer, k, mean_entropy: hn ? h / hn : null, segments });
  for (let c = 0; c < k; c++) out.clusters.push({ id, layer, cluster: c, proportion: n ? count[c]! / n : 0 });
  out.tlc_sequences.push({ id, layer, clusters, entropy });
}

/** Rows of TLC's stitched explanations (ecgx tlc explain), with the model's scores aggregated over each record's windows as the card says. */
export function tlcRows(records: readonly TlcExplainedRecord[], card: ModelCard, info: (id: string) => RecordInfo | undefined): Rows {
  const out = emptyRows();
  const regression = card.output.task === 'regression';
  for (const r of records) {
    const e = r.explanation;
    const raw = r.windows.map((w) => w.outputs[card.output.name]!);
    const K = raw[0]?.length ?? 0;
    const data = new Float32Array(raw.length * K);
    raw.forEach((o, i) => data.set(o, i * K));
    const act = activate(card.output, { data, shape: [raw.length, K] }, false).data;
    const scores = new Float32Array(K).fill(card.fit.aggregate === 'max' ? -Infinity : 0);
    for (let w = 0; w < raw.length; w++) {
      for (let c = 0; c < K; c++) scores[c] = card.fit.aggregate === 'max' ? Math.max(scores[c]!, act[w * K + c]!) : scores[c]! + act[w * K + c]! / raw.length;
    }
    recordRows(out, {
      id: r.id, nSamples: e.nSamples, fs: e.fs, scores, classes: card.output.classes, regression, target: null, targetName: null,
      windows: r.windows.map((w) => w.item.window?.start ?? 0), warnings: r.windows[0]?.item.warnings ?? [], wavesSource: null,
    }, info(r.id));
    for (const g of e.groups) tlcLayerRows(out, r.id, g.name, g.k, Int16Array.from(g.sequence.labels), Float32Array.from(g.sequence.entropy));
  }
  return out;
}

/** Rows of predictions (ecgx predict --store): records and scores only. */
export function predictionRows(preds: readonly { id: string; values: Record<string, number>; warnings: string[] }[], card: ModelCard, info: (id: string) => RecordInfo | undefined): Rows {
  const out = emptyRows();
  for (const p of preds) {
    recordRows(out, {
      id: p.id, nSamples: null, fs: card.fs, scores: Object.values(p.values), classes: Object.keys(p.values), regression: card.output.task === 'regression',
      target: null, targetName: null, windows: null, warnings: p.warnings, wavesSource: null,
    }, info(p.id));
  }
  return out;
}
