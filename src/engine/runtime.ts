/**
 * Running ONNX models on onnxruntime-node: feeds checked against the model's
 * declared inputs, work split into internal batches so memory stays bounded
 * on large cohorts, and any intermediate tensor available as an extra output.
 */
import './telemetry.js'; // before onnxruntime-node: see telemetry.ts
import * as ort from 'onnxruntime-node';
import { DataError, ModelError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import { encodeModel, loadModel, type ModelProto } from './onnx/proto.js';
import { inferShapes, type Dim } from './onnx/shapes.js';
import { withExtraOutputs } from './onnx/inspect.js';
import { conv1dAs2d } from './onnx/conv-2d.js';

export interface SessionOptions {
  /** Intra-op threads; default: onnxruntime's choice (all cores). */
  threads?: number;
  /** Intermediate tensors to expose as outputs besides the graph outputs. */
  extraOutputs?: string[];
  /**
   * Whether onnxruntime's intra-op threads spin while waiting for work;
   * default `runtimeDefaults.spinning`: on, onnxruntime's own default
   * (environment ECGX_ORT_SPINNING=0 turns it off). On the big model of
   * bench/engine.ts at load 1.5 on 2 cores, off made saliency 0.71x and the
   * block gradient 0.63x PyTorch's, against 0.96x and 0.99x on; when other
   * processes hold the cores, though, a spinning thread burns the time slice
   * its peer needs (saliency 1.5x slower at load 2.5 in
   * bench/explain-breakdown.ts): turn it off on a shared machine.
   */
  spinning?: boolean;
  /**
   * onnxruntime's memory pattern (default on): after a run it allocates one
   * block sized for the whole run's tensors and reuses it, on top of what the
   * arena already holds. Off, tensors come from the arena one by one: a
   * training step of the explain bench model (batch 32) peaked at 260 rather
   * than 345 MB RSS, at the same speed (bench/engine.ts measures the big model).
   */
  memoryPattern?: boolean;
  /**
   * Run 1-D convolutions and pools as 2-D ones of height 1, so that
   * onnxruntime's blocked-channel CPU kernels apply (onnx/conv-2d.ts); default
   * `runtimeDefaults.conv1dAs2d`: on (environment ECGX_ORT_CONV1D_AS_2D=0
   * turns it off). The session's `model` stays the graph as given.
   */
  conv1dAs2d?: boolean;
}

/** Process-wide defaults for new sessions (benchmarks flip them to measure). */
export const runtimeDefaults: { spinning: boolean; conv1dAs2d: boolean } = {
  spinning: process.env['ECGX_ORT_SPINNING'] !== '0',
  conv1dAs2d: process.env['ECGX_ORT_CONV1D_AS_2D'] !== '0',
};

export interface RunOptions {
  /** Outputs to compute; default: all the session's outputs (graph outputs, then extra outputs). */
  outputs?: string[];
  /** ECGs per internal run: bounds memory; results are concatenated. Default 64. */
  batchSize?: number;
  /** Called after each internal run with the ECGs done so far (for a Progress bar). */
  onBatch?: (done: number, total: number) => void;
}

export class OnnxSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Declared shape of each input (numbers, or names for symbolic dims). */
  readonly inputShapes: Record<string, Dim[]>;
  /** Declared or inferred shape of each output ('?' for unknown dims). */
  readonly outputShapes: Record<string, Dim[]>;
  /** The graph the session runs (with the extra outputs). */
  readonly model: ModelProto;
  private readonly session: ort.InferenceSession;

  private constructor(session: ort.InferenceSession, model: ModelProto) {
    this.session = session;
    this.model = model;
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
    const types = inferShapes(model);
    this.inputShapes = Object.fromEntries(this.inputNames.map((n) => [n, types.get(n)?.shape ?? []]));
    this.outputShapes = Object.fromEntries(this.outputNames.map((n) => [n, types.get(n)?.shape ?? []]));
  }

  /** A session for a model object or an `.onnx` path. */
  static async create(model: ModelProto | string, opts: SessionOptions = {}): Promise<OnnxSession> {
    const proto0 = typeof model === 'string' ? loadModel(model) : model;
    const proto = opts.extraOutputs?.length ? withExtraOutputs(proto0, opts.extraOutputs) : proto0;
    const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
    if (opts.threads !== undefined) {
      if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new ModelError(`threads must be a positive integer, got ${opts.threads}`);
      options.intraOpNumThreads = opts.threads;
      options.interOpNumThreads = 1;
    }
    if (opts.memoryPattern === false) options.enableMemPattern = false;
    if (!(opts.spinning ?? runtimeDefaults.spinning)) options.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
    let session: ort.InferenceSession;
    try {
      const as2d = (opts.conv1dAs2d ?? runtimeDefaults.conv1dAs2d) ? conv1dAs2d(proto) : proto;
      // The 2-D form rests on static shape inference; should onnxruntime refuse it for a graph that
      // inference misread, the graph as given still runs (and its own error is the one reported).
      session = await ort.InferenceSession.create(encodeModel(as2d), options).catch((e: unknown) => {
        if (as2d === proto) throw e;
        return ort.InferenceSession.create(encodeModel(proto), options);
      });
    } catch (e) {
      const where = typeof model === 'string' ? `${model}: ` : '';
      throw new ModelError(`${where}onnxruntime cannot load the model: ${firstLine(e)}`);
    }
    return new OnnxSession(session, proto);
  }

  /**
   * Runs the model on `feeds` (name -> float32 array). Inputs whose first
   * declared dim is symbolic (`batch`) are split into runs of `batchSize`
   * ECGs and outputs with a symbolic first dim are concatenated back, so
   * results do not depend on `batchSize`. Inputs with a static first dim
   * (e.g. parameters fed to a gradient graph) go whole to every run; outputs
   * with a static first dim (e.g. parameter gradients) need a single run.
   */
  async run(feeds: Record<string, NdArray>, opts: RunOptions = {}): Promise<Record<string, NdArray>> {
    const batchSize = opts.batchSize ?? 64;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ModelError(`batchSize must be a positive integer, got ${batchSize}`);
    const outputs = opts.outputs ?? this.outputNames;
    for (const o of outputs) {
      if (!this.outputNames.includes(o)) {
        throw new ModelError(`'${o}' is not an output of this session (outputs: ${this.outputNames.join(', ')}; intermediate tensors need extraOutputs when the session is created)`);
      }
    }
    const n = this.checkFeeds(feeds);
    const chunks = n === undefined ? 1 : Math.ceil(n / batchSize);
    if (chunks > 1) {
      for (const o of outputs) {
        const d0 = this.outputShapes[o]?.[0];
        if (typeof d0 === 'number') throw new ModelError(`output '${o}' has no batch axis (first dim ${d0}), so it cannot be gathered over internal batches; use batchSize >= ${n}`);
      }
    }
    const result: Record<string, NdArray> = {};
    for (let c = 0; c < chunks; c++) {
      const start = c * batchSize;
      const count = n === undefined ? 0 : Math.min(batchSize, n - start);
      const chunk: Record<string, ort.Tensor> = {};
      for (const name of this.inputNames) {
        const f = feeds[name]!;
        if (chunks === 1 || !this.batched(name)) {
          chunk[name] = new ort.Tensor('float32', f.data, f.shape);
          continue;
        }
        const per = f.data.length / n!;
        chunk[name] = new ort.Tensor('float32', f.data.subarray(start * per, (start + count) * per), [count, ...f.shape.slice(1)]);
      }
      let got: ort.InferenceSession.ReturnType;
      try {
        got = await this.session.run(chunk, outputs);
      } catch (e) {
        const which = chunks === 1 ? '' : ` on ECGs ${start}..${start + count - 1}`;
        throw new ModelError(`onnxruntime failed${which}: ${firstLine(e)}`);
      }
      for (const o of outputs) {
        const t = got[o]!;
        const dims = t.dims.map(Number);
        const data = asFloat32(t);
        if (chunks === 1) {
          result[o] = { data, shape: dims };
          continue;
        }
        if (dims[0] !== count) throw new ModelError(`output '${o}' has shape [${dims.join(', ')}] for ${count} ECGs: its first axis is not the batch; use batchSize >= ${n}`);
        if (!result[o]) result[o] = { data: new Float32Array((data.length / count) * n!), shape: [n!, ...dims.slice(1)] };
        const r = result[o];
        if (r.shape.slice(1).join() !== dims.slice(1).join()) throw new ModelError(`output '${o}' changes shape between batches ([${r.shape.slice(1).join(', ')}] vs [${dims.slice(1).join(', ')}])`);
        r.data.set(data, start * (data.length / count));
      }
      for (const t of Object.values(got)) t.dispose?.();
      opts.onBatch?.(start + count, n ?? 0);
    }
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  /** An input is split over internal batches when its first declared dim is not a number. */
  private batched(name: string): boolean {
    const d0 = this.inputShapes[name]?.[0];
    return typeof d0 !== 'number';
  }

  /** Checks names, ranks and static dims of the feeds; returns the common batch size of the batched inputs. */
  private checkFeeds(feeds: Record<string, NdArray>): number | undefined {
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) throw new DataError(`unknown model input '${name}' (expected ${this.inputNames.join(', ')})`);
    }
    let n: number | undefined;
    let first = '';
    for (const name of this.inputNames) {
      const f = feeds[name];
      if (!f) throw new DataError(`missing model input '${name}'`);
      const want = this.inputShapes[name] ?? [];
      const has = f.shape;
      const count = has.reduce((a, b) => a * b, 1);
      if (count !== f.data.length) throw new DataError(`input '${name}': shape [${has.join(', ')}] has ${count} elements, data has ${f.data.length}`);
      const desc = `[${want.join(', ')}]`;
      if (want.length > 0 && has.length !== want.length) throw new DataError(`input '${name}' has shape [${has.join(', ')}], expected ${desc}`);
      want.forEach((d, i) => {
        if (typeof d === 'number' && has[i] !== d) throw new DataError(`input '${name}' has shape [${has.join(', ')}], expected ${desc} (dimension ${i} must be ${d})`);
      });
      if (!this.batched(name)) continue;
      if (has.length === 0) throw new DataError(`input '${name}' is a scalar, expected a batch ${desc}`);
      if (n !== undefined && has[0] !== n) throw new DataError(`inputs disagree on the batch size: '${first}' has ${n}, '${name}' has ${has[0]}`);
      if (n === undefined) first = name;
      n = has[0]!;
    }
    return n;
  }
}

function asFloat32(t: ort.Tensor): Float32Array {
  const d = t.data;
  // onnxruntime-node copies each output into a fresh ArrayBuffer of its own (it stays valid after dispose
  // and release): no second copy (a training step's gradients are the model's size again).
  if (d instanceof Float32Array) return d;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float32Array.from(d, (v) => Number(v));
  if (ArrayBuffer.isView(d)) return Float32Array.from(d as unknown as ArrayLike<number>);
  throw new ModelError(`output tensor of type ${t.type} cannot be returned as float32`);
}

/** The onnxruntime-node version in use (for run records). */
export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}
