/**
 * Where TLC's ECGs come from: model-ready tensors [N, leads, T] at one
 * sampling rate, streamed in batches so that a cohort never has to sit in
 * memory. Each item keeps its record id and, when known, its wave intervals
 * (in samples of the tensor, i.e. after preprocessing) for wave alignment.
 */
import type { EcgDataset } from '../../data/datasets/types.js';
import type { Ecg, WaveAnnotations } from '../../data/ecg.js';
import { preprocess, type PreprocessSpec } from '../../data/preprocess/index.js';
import { DataError, EcgxError, OptionError } from '../../util/errors.js';
import type { NdArray } from '../../util/npy.js';

export interface SourceItem {
  id: string;
  /** Wave intervals at the tensor's rate (after preprocessing), when the record has them. */
  waves?: WaveAnnotations;
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
 * ECG records preprocessed with `spec` (which must fix leads and length, as
 * a checkpoint's spec does). Records are read when their batch is needed.
 */
export function recordSource(load: (id: string) => Promise<Ecg>, ids: readonly string[], spec: PreprocessSpec, where = 'dataset'): EcgSource {
  if (!spec.leads || spec.length === undefined || spec.fs === undefined) {
    throw new OptionError('preprocess', 'the preprocessing must fix the sampling rate, leads and length of the model input');
  }
  const leads = spec.leads.length, samples = spec.length, per = leads * samples;
  return {
    count: ids.length, fs: spec.fs, leads, samples,
    async *batches(batchSize) {
      for (let s = 0; s < ids.length; s += batchSize) {
        const chunk = ids.slice(s, s + batchSize);
        const x = new Float32Array(chunk.length * per);
        const items: SourceItem[] = [];
        for (let i = 0; i < chunk.length; i++) {
          const id = chunk[i]!;
          let ecg: Ecg;
          try {
            ecg = preprocess(await load(id), spec);
          } catch (e) {
            if (e instanceof EcgxError) throw new DataError(`record ${id} of ${where}: ${e.message}`);
            throw e;
          }
          if (ecg.signal.length !== per) throw new DataError(`record ${id} of ${where}: preprocessing gave ${ecg.signal.length} values, expected ${leads} x ${samples}`);
          x.set(ecg.signal, i * per);
          items.push({ id, ...(ecg.waves ? { waves: ecg.waves } : {}) });
        }
        yield { x: { data: x, shape: [chunk.length, leads, samples] }, items };
      }
    },
  };
}

/** Records of a dataset (all, or `ids`), preprocessed with `spec`. */
export function datasetSource(dataset: EcgDataset, spec: PreprocessSpec, ids?: readonly string[]): EcgSource {
  const list = ids ?? dataset.records().map((r) => r.id);
  if (list.length === 0) throw new DataError(`${dataset.root}: no records to use`);
  return recordSource((id) => dataset.load(id), list, spec, dataset.root);
}
