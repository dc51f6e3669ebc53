/**
 * The flags every command that runs a model on ECGs shares: the model, and
 * where the ECGs come from (a dataset folder, one record, or model-ready
 * tensors), plus a lead-name mapping for records named otherwise than the
 * card. Records go through the model's card (models/inputs.ts); tensors are
 * used as they are.
 */
import { resolve } from 'node:path';
import { openDataset } from '../data/datasets/registry.js';
import { DATA_FLAGS, dataOptions } from './data-flags.js';
import type { RecordInfo } from '../data/datasets/types.js';
import type { Ecg } from '../data/ecg.js';
import { idsDigest, parseShard, shardIds, type Shard } from '../data/shard.js';
import { canonicalLead } from '../data/leads.js';
import { readRecord } from '../data/wfdb/index.js';
import { loadCardedModel, type CardedModel } from '../models/predict.js';
import { DataError, OptionError } from '../util/errors.js';
import { readNpy, type NdArray } from '../util/npy.js';
import { numberOption, required } from './command.js';

export const SOURCE_FLAGS = {
  model: { type: 'string' }, data: { type: 'string' }, records: { type: 'string' }, record: { type: 'string' }, input: { type: 'string' },
  'lead-map': { type: 'string' }, 'max-records': { type: 'string' }, shard: { type: 'string' },
  ...DATA_FLAGS,
} as const;

export const SOURCE_HELP = `  --model FILE        the model (.onnx) with its card (ecgx checkpoints have one; a PyTorch export
                      gets one with 'ecgx model card'); any [batch, leads, time] model for --input
  --data DIR          records of a dataset folder (all, or those of --records)
  --records IDS       comma-separated record ids of --data
  --max-records N     only the first N records of --data
  --record PATH       one WFDB record
  --input FILE        model-ready tensors (.npy, [batch, leads, time] or [leads, time]), used as they are
  --lead-map A=B,...  record lead A is the card's lead B (for records whose leads are named otherwise)
  --shard I/N         only shard I (0 to N-1) of the records of --data (after --records, --max-records):
                      the records whose id hashes to I, so N jobs cover every record once (see 'ecgx merge')
  --labels FILE.csv   a label table joined to --data (with --label-id, --label-match, --dx-map as for
                      'ecgx dataset info'): the records' labels in stores, targets named by labels
`;

export type SourceValues = { [K in keyof typeof SOURCE_FLAGS]?: string };

/** The records of --data before --shard: how many, and a digest of their ids (shards of one cohort share both). */
export interface Cohort {
  count: number;
  digest: string;
  shard?: Shard;
}

/** ECGs for a model: records (through the card) or tensors. */
export type ModelSource =
  | {
    kind: 'records'; modelPath: string; model: CardedModel; ids: string[]; records: () => AsyncIterable<Ecg>; describe: Record<string, string>; leadMap?: Record<string, string>;
    /** Each record's listing (labels, fold, patient), where a dataset gave one. */
    info?: Map<string, RecordInfo>;
    cohort: Cohort;
  }
  | { kind: 'tensor'; modelPath: string; ids: string[]; x: NdArray; describe: Record<string, string> };

/** `--lead-map ECG1=I,ECG2=II` -> {ECG1: 'I', ECG2: 'II'} (targets canonicalised). */
export function parseLeadMap(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([^=]+)=(.+)$/.exec(part);
    if (!m) throw new OptionError('--lead-map', `expected RECORD_LEAD=CARD_LEAD pairs, got '${part}'`);
    out[canonicalLead(m[1]!)] = canonicalLead(m[2]!);
  }
  if (Object.keys(out).length === 0) throw new OptionError('--lead-map', 'expected at least one RECORD_LEAD=CARD_LEAD pair');
  return out;
}

/**
 * Opens the model and the ECGs of --data, --record or --input, checking ids,
 * the card and tensor shapes before any work.
 */
export async function openModelSource(values: SourceValues): Promise<ModelSource> {
  const modelPath = resolve(required('--model', values.model));
  const given = [values.data, values.record, values.input].filter((v) => v !== undefined).length;
  if (given !== 1) throw new OptionError('--data', 'give exactly one of --data DIR, --record PATH or --input X.npy');
  if (values.records !== undefined && values.data === undefined) throw new OptionError('--records', 'needs --data');
  if (values['max-records'] !== undefined && values.data === undefined) throw new OptionError('--max-records', 'needs --data');
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  if (shard && values.data === undefined) throw new OptionError('--shard', 'needs --data (a cohort to cut into shards)');
  const leadMap = parseLeadMap(values['lead-map']);
  if (values.input !== undefined) {
    if (leadMap) throw new OptionError('--lead-map', '--input tensors are used as they are; --lead-map goes with --data or --record');
    const path = resolve(values.input);
    const raw = readNpy(path);
    const x = raw.shape.length === 2 ? { data: raw.data, shape: [1, ...raw.shape] } : raw;
    if (x.shape.length !== 3) throw new DataError(`${values.input}: shape [${raw.shape.join(', ')}], expected [batch, leads, time] or [leads, time]`);
    if (x.shape[0] === 0) throw new DataError(`${values.input}: an empty batch (shape [${x.shape.join(', ')}]), expected at least one ECG`);
    return { kind: 'tensor', modelPath, ids: Array.from({ length: x.shape[0]! }, (_, i) => String(i)), x, describe: { input: path } };
  }
  const model = loadCardedModel(modelPath);
  const lm = leadMap ? { leadMap } : {};
  if (values.record !== undefined) {
    const ecg = readRecord(values.record).ecg;
    const ids = [ecg.meta.recordId];
    return { kind: 'records', modelPath, model, ids, records: async function* () { yield ecg; }, describe: { record: resolve(values.record) }, ...lm, cohort: { count: 1, digest: idsDigest(ids) }, info: new Map([[ecg.meta.recordId, { id: ecg.meta.recordId, meta: ecg.meta }]]) };
  }
  const ds = await openDataset(values.data!, dataOptions(values));
  const known = ds.records().map((r) => r.id);
  let ids = known;
  if (values.records !== undefined) {
    ids = values.records.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const set = new Set(known);
    const bad = ids.find((id) => !set.has(id));
    if (bad !== undefined) throw new OptionError('--records', `no record '${bad}' in ${values.data} (e.g. ${known.slice(0, 3).join(', ')})`);
  }
  const max = numberOption('--max-records', values['max-records'], { integer: true, min: 1 });
  if (max !== undefined) ids = ids.slice(0, max);
  if (ids.length === 0) throw new DataError(`${values.data}: no records to use`);
  const cohort: Cohort = { count: ids.length, digest: idsDigest(ids), ...(shard ? { shard } : {}) };
  // An empty shard is a valid shard (a small cohort cut finely): its store holds no records.
  if (shard) ids = shardIds(ids, shard);
  const keep = new Set(ids);
  const info = new Map(ds.records().filter((r) => keep.has(r.id)).map((r) => [r.id, r]));
  const none = async function* (): AsyncGenerator<Ecg> {};
  return { kind: 'records', modelPath, model, ids, records: () => (ids.length === 0 ? none() : ds.iterate(ids)), describe: { data: resolve(values.data!) }, ...lm, cohort, info };
}
