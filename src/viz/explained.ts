/**
 * What a chart of an explained record needs, from files: the folder `ecgx
 * explain` wrote (explain.json and one .npy per method) and a fitted TLC
 * with its model. No model is run for attributions: explain.json carries the
 * model card, so the record is prepared exactly as it was for the model.
 *
 * Time: attributions are in record time at the card's rate (explain/run.ts).
 * The chart draws the record through the same card, so sample t of the
 * attribution is sample t of the trace:
 *  - 'record' (default): the card's lead selection and resampling only, so
 *    the trace stays in mV on the mV grid (its filters and scaling change
 *    amplitudes, never timing: the card's filters are zero-phase and its
 *    resampling removes its delay);
 *  - 'model': every step of the card (filters, z-scores, units): what the
 *    model saw, in its own units.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ecg, WaveAnnotations } from '../data/ecg.js';
import type { ModelCard } from '../models/card.js';
import { prepareRecord, type InputOptions } from '../models/inputs.js';
import { loadCardedModel } from '../models/predict.js';
import { METHOD_ALIASES } from '../explain/registry.js';
import { FittedTlc } from '../explain/tlc/fit.js';
import { TlcPipeline } from '../explain/tlc/pipeline.js';
import { recordSource } from '../explain/tlc/source.js';
import { alignClusters } from '../explain/tlc/alignment.js';
import { DataError, FormatError, IoError, OptionError } from '../util/errors.js';
import { readNpy, type NdArray } from '../util/npy.js';
import type { AttributionOverlay, ClusterBands, EntropyTrace } from './overlays.js';

/** One record's row of explain.json. */
export interface SavedRecord {
  id: string;
  /** Samples of the record at the card's rate. */
  nSamples: number;
  /** Score per class (or values, for a model without class names). */
  scores: Record<string, number> | number[];
  target: { index: number; name?: string };
  warnings: string[];
}

/** A folder written by `ecgx explain`, read back. */
export interface SavedExplanation {
  dir: string;
  /** The card the records went through (absent for --input tensors: those cannot be matched to a record). */
  card: ModelCard | undefined;
  /** Rate of the attributions' time axis, Hz. */
  fs: number | undefined;
  leadMap: Record<string, string> | undefined;
  records: SavedRecord[];
  methods: { method: string; file: string; shape: number[] }[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads DIR/explain.json (the method files are read when asked for). */
export function readExplanationDir(dir: string): SavedExplanation {
  const path = join(dir, 'explain.json');
  if (!existsSync(path)) throw new IoError(path, `not found (expected a folder written by 'ecgx explain')`);
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FormatError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(j)) throw new FormatError(path, 'expected a JSON object');
  const bad = (field: string, what: string): never => {
    throw new FormatError(path, what, { field });
  };
  if (!Array.isArray(j['records'])) bad('records', 'expected an array of records');
  if (!Array.isArray(j['methods'])) bad('methods', 'expected an array of methods');
  const records = (j['records'] as unknown[]).map((r, i): SavedRecord => {
    if (!isObj(r) || typeof r['id'] !== 'string' || !Number.isInteger(r['nSamples']) || !isObj(r['target'])) bad(`records[${i}]`, 'expected {id, nSamples, scores, target}');
    const rec = r as Record<string, unknown>;
    const t = rec['target'] as Record<string, unknown>;
    return {
      id: rec['id'] as string, nSamples: rec['nSamples'] as number,
      scores: (rec['scores'] ?? []) as SavedRecord['scores'],
      target: { index: Number(t['index']), ...(typeof t['name'] === 'string' ? { name: t['name'] } : {}) },
      warnings: Array.isArray(rec['warnings']) ? (rec['warnings'] as unknown[]).map(String) : [],
    };
  });
  const methods = (j['methods'] as unknown[]).map((m, i) => {
    if (!isObj(m) || typeof m['method'] !== 'string' || typeof m['file'] !== 'string' || /[/\\]/.test(m['file'])) bad(`methods[${i}]`, 'expected {method, file} with a file name inside the folder');
    const o = m as Record<string, unknown>;
    return { method: o['method'] as string, file: o['file'] as string, shape: Array.isArray(o['shape']) ? (o['shape'] as number[]) : [] };
  });
  const card = isObj(j['card']) ? (j['card'] as unknown as ModelCard) : undefined;
  if (card && (!(card.fs > 0) || !Array.isArray(card.leads) || !Array.isArray(card.preprocess))) bad('card', 'expected a model card with fs, leads and preprocess');
  const fs = typeof j['fs'] === 'number' ? j['fs'] : card?.fs;
  const src = isObj(j['source']) ? j['source'] : {};
  const leadMap = isObj(src['leadMap']) ? (src['leadMap'] as Record<string, string>) : undefined;
  return { dir, card, fs, leadMap, records, methods };
}

/** The row of record `id`; a DataError listing the ids explained when it is not there. */
export function savedRecord(saved: SavedExplanation, id: string): { row: number; record: SavedRecord } {
  const row = saved.records.findIndex((r) => r.id === id);
  if (row < 0) {
    const ids = saved.records.map((r) => r.id);
    throw new DataError(`record ${id} is not in ${join(saved.dir, 'explain.json')} (it explains ${ids.length} record(s): ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', ...' : ''})`);
  }
  return { row, record: saved.records[row]! };
}

/** Methods to draw: all of the folder's, or those named (aliases such as 'ig' allowed), in the order asked. */
export function selectMethods(saved: SavedExplanation, names?: readonly string[]): SavedExplanation['methods'] {
  if (!names || names.length === 0) return saved.methods;
  return names.map((n) => {
    const m = saved.methods.find((x) => x.method === (METHOD_ALIASES[n] ?? n));
    if (!m) throw new OptionError('method', `'${n}' is not in ${join(saved.dir, 'explain.json')} (it has ${saved.methods.map((x) => x.method).join(', ')})`);
    return m;
  });
}

/** One method's attribution of one record, as a chart overlay (its own time axis: the record's samples). */
export function savedAttribution(saved: SavedExplanation, method: SavedExplanation['methods'][number], row: number, cache = new Map<string, NdArray>()): AttributionOverlay {
  const file = join(saved.dir, method.file);
  let a = cache.get(file);
  if (!a) {
    if (!existsSync(file)) throw new IoError(file, `not found (listed in ${join(saved.dir, 'explain.json')})`);
    a = readNpy(file);
    cache.set(file, a);
  }
  if (a.shape.length !== 3 || a.shape[0] !== saved.records.length) throw new FormatError(file, `shape [${a.shape.join(', ')}], expected [${saved.records.length} records, leads or 1, time]`);
  const [, rows, T] = a.shape as [number, number, number];
  const rec = saved.records[row]!;
  if (rec.nSamples > T) throw new FormatError(file, `record ${rec.id} has ${rec.nSamples} samples but the file only ${T}`);
  const values = new Float32Array(rows * rec.nSamples);
  for (let q = 0; q < rows; q++) values.set(a.data.subarray((row * rows + q) * T, (row * rows + q) * T + rec.nSamples), q * rec.nSamples);
  return { method: method.method, ...(rec.target.name !== undefined ? { target: rec.target.name } : { target: `output ${rec.target.index}` }), values, leads: rows };
}

export type DrawnSignal = 'record' | 'model';

/**
 * The record as a chart of its explanation draws it: through the card's lead
 * selection and resampling ('record', in mV), or through every step of the
 * card ('model', in the model's units). Its samples are the attribution's.
 */
export function drawnRecord(card: ModelCard, raw: Ecg, signal: DrawnSignal = 'record', opts: InputOptions = {}): { ecg: Ecg; units: string; warnings: string[] } {
  const steps = signal === 'record' ? card.preprocess.filter((s) => s.op === 'resample') : card.preprocess;
  const p = prepareRecord({ ...card, preprocess: steps }, raw, opts);
  const units = signal === 'record' ? 'mV'
    : steps.some((s) => s.op === 'zscore') ? 'z' : steps.some((s) => s.op === 'units' && s.to === 'uV') ? 'µV' : 'mV';
  return { ecg: p.ecg, units, warnings: p.warnings };
}

/** TLC overlays of one record: cluster bands and entropy per group, on the record's samples at the model card's rate. */
export interface RecordTlc {
  card: ModelCard;
  nSamples: number;
  clusters: ClusterBands[];
  entropy: EntropyTrace[];
}

/**
 * Runs a fitted TLC on one record through its model's card. With `waves`
 * (on the same samples), each cluster is named by the wave that holds most
 * of its samples on this record.
 */
export async function recordTlc(modelPath: string, tlc: FittedTlc | string, raw: Ecg, o: InputOptions & { threads?: number; waves?: { source: string; waves: WaveAnnotations } } = {}): Promise<RecordTlc> {
  const m = loadCardedModel(modelPath);
  const fitted = typeof tlc === 'string' ? FittedTlc.load(tlc) : tlc;
  const pipe = await TlcPipeline.open(m.proto, fitted, o.threads !== undefined ? { threads: o.threads } : {});
  try {
    const source = await recordSource(m.card, async function* () { yield raw; }, 1, raw.meta.recordId, o.leadMap ? { leadMap: o.leadMap } : {});
    for await (const r of pipe.explainRecords(source)) {
      const e = r.explanation;
      const clusters = e.groups.map((g): ClusterBands => {
        const labels = Int32Array.from(g.sequence.labels);
        const names = o.waves ? dominantWaves(labels, g.k, o.waves.waves) : undefined;
        return { block: g.name, labels, k: g.k, ...(names ? { names, namedBy: `dominant wave, this record's ${o.waves!.source}` } : {}) };
      });
      return { card: m.card, nSamples: e.nSamples, clusters, entropy: e.groups.map((g) => ({ block: g.name, values: Float32Array.from(g.sequence.entropy) })) };
    }
  } finally {
    await pipe.release();
  }
  throw new DataError(`record ${raw.meta.recordId}: the TLC produced no explanation`);
}

/** Per cluster: the wave class holding most of its samples ('' when the cluster is not used), over the samples the model saw. */
export function dominantWaves(labels: Int32Array, k: number, waves: WaveAnnotations): string[] {
  let a = 0, b = labels.length;
  while (a < b && labels[a]! < 0) a++;
  while (b > a && labels[b - 1]! < 0) b--;
  if (b <= a) return Array.from({ length: k }, () => '');
  const shifted: WaveAnnotations = Object.fromEntries(Object.entries(waves).map(([lead, ws]) => [lead, ws.map((w) => ({ ...w, onset: w.onset - a, offset: w.offset - a, ...(w.peak !== undefined ? { peak: w.peak - a } : {}) }))]));
  const seen = labels.subarray(a, b).map((v) => (v < 0 ? 0 : v));
  return alignClusters(seen, k, shifted).dominantWave.map((d) => d ?? '');
}
