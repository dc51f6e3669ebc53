/**
 * Unlabelled pretraining data from one or more dataset folders: every
 * record preprocessed to the model's input ([leads, samples] at one rate),
 * with its cohort and patient for the samplers.
 *
 * Cohort of a record: with several folders, the folder's name (each folder is
 * one database or site, as in CAPE); with one folder, `meta.cohort` (the
 * metadata column), or the folder's name when records carry none.
 */
import { basename } from 'node:path';
import { openDataset } from '../data/datasets/registry.js';
import { STANDARD_LEADS } from '../data/leads.js';
import { trainingCard, type ModelCard } from '../models/card.js';
import { EcgTensorSource, DEFAULT_CACHE_BYTES } from '../train/loader.js';
import { DataError, OptionError } from '../util/errors.js';
import type { SampleInfo } from './sampler.js';

export interface PretrainRecord extends SampleInfo {
  /** Index of the folder in the list given. */
  source: number;
  id: string;
}

export interface PretrainData {
  sources: EcgTensorSource[];
  records: PretrainRecord[];
  /** The card of the encoder's input (12 standard leads, rate, length, high-pass). */
  card: ModelCard;
  cohorts: Record<string, number>;
}

export interface PretrainDataOptions {
  /** Target rate, Hz (default: the first folder's). */
  fs?: number;
  /** Samples per lead (default 10 s). */
  length?: number;
  /** First N records of each folder. */
  maxRecords?: number;
  highpass?: number;
  cacheBytes?: number;
  onRecord?: () => void;
}

export async function openPretrainData(dirs: readonly string[], o: PretrainDataOptions = {}): Promise<PretrainData> {
  if (dirs.length === 0) throw new OptionError('data', 'expected at least one dataset folder');
  const datasets = [];
  for (const d of dirs) datasets.push(await openDataset(d));
  const fs = o.fs ?? datasets[0]!.fs;
  const card = trainingCard({ fs, length: o.length ?? Math.round(10 * fs), leads: [...STANDARD_LEADS], ...(o.highpass !== undefined ? { highpass: o.highpass } : {}) }, { task: 'embedding', classes: [], name: 'embedding' });
  const names = datasets.map((ds) => basename(ds.root));
  if (dirs.length > 1 && new Set(names).size !== names.length) throw new OptionError('data', `folder names must differ (they name the cohorts): ${names.join(', ')}`);
  const records: PretrainRecord[] = [];
  const sources: EcgTensorSource[] = [];
  for (const [s, ds] of datasets.entries()) {
    let recs = ds.records();
    if (o.maxRecords !== undefined) recs = recs.slice(0, o.maxRecords);
    if (recs.length === 0) throw new DataError(`${ds.root}: the dataset has no records`);
    const source = new EcgTensorSource(ds, card);
    sources.push(source);
    for (const r of recs) {
      const cohort = dirs.length > 1 ? names[s]! : (r.meta.cohort ?? names[s]!);
      records.push({ source: s, id: r.id, cohort, ...(r.meta.patientId !== undefined ? { patient: r.meta.patientId } : {}) });
    }
    const ids = recs.map((r) => r.id);
    const budget = o.cacheBytes ?? DEFAULT_CACHE_BYTES;
    await source.fill(ids, budget / datasets.length, o.onRecord);
  }
  const cohorts: Record<string, number> = {};
  for (const r of records) cohorts[r.cohort] = (cohorts[r.cohort] ?? 0) + 1;
  return { sources, records, card, cohorts };
}

/** The preprocessed signal of a record. */
export function recordSignal(data: PretrainData, i: number): Promise<Float32Array> {
  const r = data.records[i]!;
  return data.sources[r.source]!.get(r.id);
}
