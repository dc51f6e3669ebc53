/**
 * A model with its card, and predictions on records through the one input
 * seam: records are prepared as the card says, every window is run, and the
 * window scores are aggregated to one score per record and class.
 */
import type { Ecg } from '../data/ecg.js';
import { inspectModel, type ModelInfo } from '../engine/onnx/inspect.js';
import { loadModel, type ModelProto } from '../engine/onnx/proto.js';
import { OnnxSession } from '../engine/runtime.js';
import type { NdArray } from '../util/npy.js';
import { modelCard, type ModelCard } from './card.js';
import { activate, aggregateWindows, inputBatches, type InputBatch, type InputOptions } from './inputs.js';

/** A model, its graph summary and the card it runs by. */
export interface CardedModel {
  /** The model file, or '<model>' for one in memory (for messages). */
  file: string;
  proto: ModelProto;
  info: ModelInfo;
  card: ModelCard;
}

/** Loads a model (file or proto) with its card (metadata, sidecar, or an older checkpoint's metadata). */
export function loadCardedModel(model: string | ModelProto | CardedModel, file?: string): CardedModel {
  if (typeof model === 'object' && 'card' in model && 'proto' in model) return model;
  const f = typeof model === 'string' ? model : file ?? '<model>';
  const proto = typeof model === 'string' ? loadModel(model) : (model as ModelProto);
  const info = inspectModel(proto);
  return { file: f, proto, info, card: modelCard(proto, f, info) };
}

export interface Prediction {
  id: string;
  /** Class name -> probability (classification), or output name -> value (regression), after windows are aggregated. */
  values: Record<string, number>;
  /** Model inputs the record gave (windows). */
  windows: number;
  /** What the input seam filled in or noticed for this record. */
  warnings: string[];
}

export interface Predictor {
  model: CardedModel;
  card: ModelCard;
  /** Runs one prepared batch: the raw output of every window and the aggregated record scores. */
  run(batch: InputBatch): Promise<{ raw: NdArray; windowScores: NdArray; scores: NdArray }>;
  /** Predictions for records, in order. */
  predict(ecgs: Iterable<Ecg> | AsyncIterable<Ecg>, batchSize?: number): Promise<Prediction[]>;
  release(): Promise<void>;
}

export async function openPredictor(model: string | ModelProto | CardedModel, opts: { threads?: number } & InputOptions = {}): Promise<Predictor> {
  const m = loadCardedModel(model);
  const card = m.card;
  const session = await OnnxSession.create(m.proto, opts.threads !== undefined ? { threads: opts.threads } : {});
  const names = card.output.task === 'embedding' ? [] : card.output.classes;
  let checked = false;
  const run = async (batch: InputBatch): Promise<{ raw: NdArray; windowScores: NdArray; scores: NdArray }> => {
    const raw = (await session.run({ [card.input.name]: batch.x }, { outputs: [card.output.name], batchSize: 64 }))[card.output.name]!;
    // The output kind is checked on the first batch: a wrong card shows there.
    const windowScores = activate(card.output, raw, !checked);
    const scores = aggregateWindows(card, batch, windowScores);
    checked = true;
    return { raw, windowScores, scores };
  };
  return {
    model: m,
    card,
    run,
    async predict(ecgs, batchSize = 32) {
      const out: Prediction[] = [];
      for await (const b of inputBatches(card, ecgs, batchSize, opts)) {
        const { scores } = await run(b);
        const K = scores.shape[1]!;
        const cols = names.length === K ? names : Array.from({ length: K }, (_, j) => `output${j}`);
        b.records.forEach((r, i) => out.push({ id: r.id, values: Object.fromEntries(cols.map((c, j) => [c, scores.data[i * K + j]!])), windows: r.starts.length, warnings: r.warnings }));
      }
      return out;
    },
    release: () => session.release(),
  };
}
