/**
 * Where TLC's ECGs come from: model-ready tensors [N, leads, T] at one
 * sampling rate, streamed in batches so that a cohort never has to sit in
 * memory. Each item keeps its record id and, when known, its wave intervals
 * (in samples of the tensor, i.e. after preprocessing) for wave alignment.
 */
import type { EcgDataset } from '../../data/datasets/types.js';
import type { Ecg, WaveAnnotations } from '../../data/ecg.js';
import { mapWaves } from '../../data/preprocess/derive.js';
import type { ModelCard } from '../../models/card.js';
import { copyWindow, prepareRecord, type InputOptions, type PreparedRecord } from '../../models/inputs.js';
import { DataError, EcgxError, OptionError } from '../../util/errors.js';
import type { NdArray } from '../../util/npy.js';

export interface SourceItem {
  id: string;
  /** Wave intervals at the tensor's rate (after preprocessing), when the record has them. */
  waves?: WaveAnnotations;
  /** For records through a card: which of its record's model inputs this is, where it starts, and the record's length. */
  window?: { index: number; start: number; of: number; nSamples: number };
  /** What the input seam filled in or noticed for the record (zero leads, flat or rescaled leads, ...). */
  warnings?: string[];
}

export interface SourceBatch {
  /** [items.length, leads, T] */
  x: NdArray;
  items: SourceItem[];
}

export interface EcgSource {
  /** Number of ECGs. */
  readonly count: number;
  /** Sampling rate of the tensors, Hz. */
  readonly fs: number;
  readonly leads: number;
  /** Samples per lead (every ECG has the same). */
  readonly samples: number;
  /** The ECGs in order, `batchSize` at a time (the last batch may be smaller). */
  batches(batchSize: number): AsyncIterable<SourceBatch>;
}

/** ECGs already in a tensor [N, leads, T]. */
export function tensorSource(x: NdArray, fs: number, ids?: readonly string[], waves?: readonly (WaveAnnotations | undefined)[]): EcgSource {
  if (x.shape.length !== 3) throw new OptionError('ecgs', `expected a [batch, leads, time] tensor, got shape [${x.shape.join(', ')}]`);
  const [n, leads, samples] = x.shape as [number, number, number];
  if (ids && ids.length !== n) throw new OptionError('ids', `expected ${n} record ids, got ${ids.length}`);
  if (!(fs > 0)) throw new OptionError('fs', `expected a sampling rate > 0 Hz, got ${fs}`);
  const per = leads * samples;
  return {
    count: n, fs, leads, samples,
    async *batches(batchSize) {
      for (let s = 0; s < n; s += batchSize) {
        const c = Math.min(batchSize, n - s);
        const items = Array.from({ length: c }, (_, i): SourceItem => {
          const w = waves?.[s + i];
          return { id: ids?.[s + i] ?? String(s + i), ...(w ? { waves: w } : {}) };
        });
        yield { x: { data: x.data.subarray(s * per, (s + c) * per), shape: [c, leads, samples] }, items };
      }
    },
  };
}

/**
 * Records made model input through the card (models/inputs.ts): every
 * window of a record is one item, in record order, with its place in the
 * record (`window`) and its waves moved into it. `records` opens the records
 * afresh for each pass. The number of inputs is known from the first record;
 * every record must give as many (records of one length, as PTB-XL, CODE-15%
 * and LUDB have), else a DataError names the record.
 */
export async function recordSource(card: ModelCard, records: () => AsyncIterable<Ecg>, count: number, where = 'dataset', opts: InputOptions = {}): Promise<EcgSource> {
  if (card.length === null) throw new OptionError('card.length', 'TLC needs a fixed input length (the card takes any length)');
  if (count === 0) throw new DataError(`${where}: no records to use`);
  const prepare = (e: Ecg): PreparedRecord => {
    try {
      return prepareRecord(card, e, opts);
    } catch (err) {
      if (err instanceof EcgxError && !err.message.startsWith('record ')) throw new DataError(`record ${e.meta.recordId} of ${where}: ${err.message}`);
      throw err;
    }
  };
  let perRecord = 0;
  for await (const e of records()) {
    perRecord = prepare(e).starts.length;
    break;
  }
  const leads = card.leads.length, samples = card.length, per = leads * samples;
  return {
    count: count * perRecord, fs: card.fs, leads, samples,
    async *batches(batchSize) {
      let x = new Float32Array(batchSize * per), items: SourceItem[] = [];
      const flush = (): SourceBatch => {
        const out = { x: { data: x.subarray(0, items.length * per), shape: [items.length, leads, samples] }, items };
        x = new Float32Array(batchSize * per);
        items = [];
        return out;
      };
      for await (const e of records()) {
        const rec = prepare(e);
        if (rec.starts.length !== perRecord) throw new DataError(`record ${rec.id} of ${where} gives ${rec.starts.length} model inputs, the first record ${perRecord}: TLC on a windowed model needs records of one length`);
        for (const [w, start] of rec.starts.entries()) {
          copyWindow(rec.ecg, start, samples, x.subarray(items.length * per, (items.length + 1) * per));
          const waves = rec.ecg.waves && mapWaves(rec.ecg.waves, (t) => t - start, samples);
          items.push({ id: rec.id, ...(waves ? { waves } : {}), window: { index: w, start, of: perRecord, nSamples: rec.ecg.nSamples }, ...(rec.warnings.length ? { warnings: rec.warnings } : {}) });
          if (items.length === batchSize) yield flush();
        }
      }
      if (items.length) yield flush();
    },
  };
}

/** Records of a dataset (all, or `ids`), through the card. */
export function datasetSource(dataset: EcgDataset, card: ModelCard, ids?: readonly string[], opts: InputOptions = {}): Promise<EcgSource> {
  const list = ids ?? dataset.records().map((r) => r.id);
  if (list.length === 0) throw new DataError(`${dataset.root}: no records to use`);
  return recordSource(card, () => dataset.iterate([...list]), list.length, dataset.root, opts);
}
