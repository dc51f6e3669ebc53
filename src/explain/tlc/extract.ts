/**
 * Block activations from the same onnxruntime run as the prediction: the
 * model is run once with the chosen layers as extra outputs, in batches of a
 * bounded number of ECGs, and each batch hands back the model's own outputs
 * (probs/logits) and, per layer, one FeatureMap [channels, blockLength] per ECG.
 */
import { createHash } from 'node:crypto';
import { loadModel, encodeModel, type ModelProto } from '../../engine/onnx/proto.js';
import { inspectModel } from '../../engine/onnx/inspect.js';
import { OnnxSession } from '../../engine/runtime.js';
import { ModelError, OptionError } from '../../util/errors.js';
import type { NdArray } from '../../util/npy.js';
import { featureMapsOfBatch, type FeatureMap } from './activations.js';

/** TLC's default layers: the outputs of the last `count` residual blocks (all of them when the model has fewer). */
export function defaultTlcLayers(model: ModelProto, count = 3): string[] {
  const blocks = inspectModel(model).blocks;
  if (blocks.length === 0) {
    throw new ModelError("the model has no residual block outputs that ecgx recognises; name the layers (--layers a,b,c; see 'ecgx model info')");
  }
  return blocks.slice(-count);
}

/**
 * SHA-256 (hex) of the model's canonical encoding, so that a fitted TLC can
 * refuse a different model. Hashing the re-encoded graph, not the file bytes,
 * gives the same hash for a model read from disk and the same model in memory.
 */
export function modelHash(model: ModelProto): string {
  return createHash('sha256').update(encodeModel(model)).digest('hex');
}

/** What one internal run returns. */
export interface ActivationBatch {
  /** Index of the batch's first ECG in the input. */
  start: number;
  count: number;
  /** The model's own outputs (graph outputs) for the batch, [count, ...]. */
  outputs: Record<string, NdArray>;
  /** maps[l][i]: layer l's activations of ECG start + i (views into the run's output). */
  maps: FeatureMap[][];
}

export interface ActivationReaderOptions {
  /** Tensor names (default: defaultTlcLayers). */
  layers?: readonly string[];
  threads?: number;
}

/** A session that returns the model's outputs together with the named layers' activations. */
export class ActivationReader {
  private constructor(
    private readonly session: OnnxSession,
    /** The model as given (without the extra outputs). */
    readonly model: ModelProto,
    readonly layers: string[],
    /** The model's own outputs, in graph order. */
    readonly outputs: string[],
    readonly inputName: string,
  ) {}

  static async open(model: ModelProto | string, opts: ActivationReaderOptions = {}): Promise<ActivationReader> {
    const proto = typeof model === 'string' ? loadModel(model) : model;
    const layers = opts.layers ? [...opts.layers] : defaultTlcLayers(proto);
    if (layers.length === 0) throw new OptionError('--layers', 'expected at least one layer name');
    if (new Set(layers).size !== layers.length) throw new OptionError('--layers', `a layer is named twice in [${layers.join(', ')}]`);
    const own = (proto.graph?.output ?? []).map((o) => o.name ?? '');
    const session = await OnnxSession.create(proto, { extraOutputs: layers, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
    if (session.inputNames.length !== 1) {
      await session.release();
      throw new ModelError(`TLC needs a model with one input [batch, leads, time]; this one has ${session.inputNames.length} (${session.inputNames.join(', ')})`);
    }
    return new ActivationReader(session, proto, layers, own.filter((o) => !layers.includes(o)), session.inputNames[0]!);
  }

  /** Declared input shape (numbers, or names for symbolic dims). */
  get inputShape(): readonly (number | string)[] {
    return this.session.inputShapes[this.inputName] ?? [];
  }

  /** Runs one batch x [count, leads, T]; `start` only labels the result. */
  async run(x: NdArray, start = 0): Promise<ActivationBatch> {
    const count = x.shape[0]!;
    const got = await this.session.run({ [this.inputName]: x }, { batchSize: Math.max(1, count) });
    const outputs: Record<string, NdArray> = {};
    for (const o of this.outputs) outputs[o] = got[o]!;
    const maps = this.layers.map((l) => {
      const t = got[l]!;
      if (t.shape.length !== 3 || t.shape[0] !== count) {
        throw new ModelError(`layer '${l}' has shape [${t.shape.join(', ')}]; TLC needs a [batch, channels, time] tensor`);
      }
      return featureMapsOfBatch(t.data, t.shape);
    });
    return { start, count, outputs, maps };
  }

  /** Runs x [N, leads, T] in batches of `batchSize` ECGs (memory: one batch's activations at a time). */
  async *batches(x: NdArray, batchSize = 32): AsyncGenerator<ActivationBatch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionError('batchSize', `expected an integer >= 1, got ${batchSize}`);
    const n = x.shape[0]!;
    const per = n > 0 ? x.data.length / n : 0;
    for (let s = 0; s < n; s += batchSize) {
      const c = Math.min(batchSize, n - s);
      yield await this.run({ data: x.data.subarray(s * per, (s + c) * per), shape: [c, ...x.shape.slice(1)] }, s);
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
