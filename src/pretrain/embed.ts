/**
 * Embeddings of a dataset by a pretrained encoder: each record preprocessed
 * as the encoder's metadata says (rate, length, leads), then the encoder's
 * `embedding` output, one row per record.
 */
import { openDataset } from '../data/datasets/registry.js';
import type { EcgDataset, RecordInfo } from '../data/datasets/types.js';
import type { PreprocessSpec } from '../data/preprocess/index.js';
import { shardIds, shardText, type Shard } from '../data/shard.js';
import { loadModel, type ModelProto } from '../engine/onnx/proto.js';
import { OnnxSession } from '../engine/runtime.js';
import { batches, EcgTensorSource } from '../train/loader.js';
import { modelCard, type ModelCard } from '../models/card.js';
import { DataError, FormatError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import { EMBEDDING_OUTPUT } from './encoder.js';

export interface Embeddings {
  ids: string[];
  records: RecordInfo[];
  /** [N, F] */
  values: NdArray;
  dataset: EcgDataset;
}

export interface EmbedOptions {
  maxRecords?: number;
  /** Only this shard of the (first maxRecords) records: data/shard.ts. */
  shard?: Shard;
  threads?: number;
  /** Called with records done so far. */
  onBatch?: (done: number) => void;
}

/** The card of an encoder written by ecgx pretrain (its input: leads, rate, length, preprocessing). */
export function encoderCard(model: ModelProto, file = '<encoder>'): ModelCard {
  const card = modelCard(model, file);
  if (card.output.task !== 'embedding') throw new FormatError(file, `the card's task is '${card.output.task}', expected an encoder ('embedding', written by ecgx pretrain)`, { field: 'card.output.task' });
  return card;
}

export async function embedDataset(encoder: string | ModelProto, data: string | EcgDataset, o: EmbedOptions = {}): Promise<Embeddings> {
  const file = typeof encoder === 'string' ? encoder : '<encoder>';
  const model = typeof encoder === 'string' ? loadModel(encoder) : encoder;
  if (!(model.graph?.output ?? []).some((v) => v.name === EMBEDDING_OUTPUT)) throw new FormatError(file, `the model has no '${EMBEDDING_OUTPUT}' output (expected an encoder written by ecgx pretrain)`);
  const card = encoderCard(model, file);
  const dataset = typeof data === 'string' ? await openDataset(data) : data;
  let records = dataset.records();
  if (o.maxRecords !== undefined) records = records.slice(0, o.maxRecords);
  if (records.length === 0) throw new DataError(`${dataset.root}: the dataset has no records`);
  if (o.shard) {
    const keep = new Set(shardIds(records.map((r) => r.id), o.shard));
    records = records.filter((r) => keep.has(r.id));
    if (records.length === 0) throw new DataError(`${dataset.root}: shard ${shardText(o.shard)} holds none of its records (fewer records than shards)`);
  }
  const source = new EcgTensorSource(dataset, card);
  const session = await OnnxSession.create(model, o.threads !== undefined ? { threads: o.threads } : {});
  const rows: Float32Array[] = [];
  let f = 0, done = 0;
  try {
    const items = records.map((r) => ({ id: r.id, target: new Float32Array(0) }));
    for await (const b of batches(source, items, { batchSize: 64 })) {
      const r = (await session.run({ ecg: b.x }, { outputs: [EMBEDDING_OUTPUT], batchSize: 64 }))[EMBEDDING_OUTPUT]!;
      f = r.shape[1]!;
      rows.push(r.data);
      done += b.ids.length;
      o.onBatch?.(done);
    }
  } finally {
    await session.release();
  }
  const values = new Float32Array(records.length * f);
  let at = 0;
  for (const r of rows) {
    values.set(r, at);
    at += r.length;
  }
  return { ids: records.map((r) => r.id), records, values: { data: values, shape: [records.length, f] }, dataset };
}
