/**
 * One model's training state and its step: the training graph on one
 * onnxruntime session, parameters and BatchNorm running statistics held in
 * TypeScript, AdamW updates, dropout masks drawn from a seeded Rng.
 */
import { OnnxSession } from '../engine/runtime.js';
import { makeFloatTensor, makeNode, makeValueInfo, tensorDims, tensorFloat32, valueInfoDims, type ModelProto, type NodeProto } from '../engine/onnx/proto.js';
import type { NdArray } from '../util/npy.js';
import { ModelError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { LOSS_OUTPUT, TARGET_INPUT, trainingGraph, withInitializers, type LossGraph, type LossSpec, type TrainingGraph } from './graph.js';
import { AdamW, clipGradNorm, type AdamWOptions, type AdamWState } from './optimizer.js';

export interface TrainerOptions {
  loss: LossSpec | LossGraph;
  optimizer?: AdamWOptions;
  /** Global gradient-norm clip (default: none). */
  clipNorm?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  /**
   * onnxruntime's memory pattern for the training session (default off: with
   * it, the step's peak RSS was ~1.3x higher at the same speed; see
   * bench/engine.ts).
   */
  memoryPattern?: boolean;
}

export interface StepResult {
  loss: number;
  /** Gradient norm before clipping. */
  gradNorm: number;
}

/** Everything that resuming a run needs, besides the config. */
export interface TrainerState {
  params: Record<string, Float32Array>;
  running: Record<string, Float32Array>;
  optimizer: AdamWState;
}

export class Trainer {
  /** The inference model the trainer started from (its initializers are not updated; see `inferenceModel`). */
  readonly model: ModelProto;
  readonly graph: TrainingGraph;
  readonly params = new Map<string, Float32Array>();
  readonly running = new Map<string, Float32Array>();
  readonly optimizer: AdamW;
  private readonly session: OnnxSession;
  private readonly opts: TrainerOptions;
  /** Dropout mask inputs: name, ratio, declared dims (first = batch). */
  private readonly masks: { name: string; ratio: number; dims: (number | string)[]; buffer?: NdArray }[];
  private readonly outputs: string[];

  private constructor(model: ModelProto, graph: TrainingGraph, session: OnnxSession, opts: TrainerOptions) {
    this.model = model;
    this.graph = graph;
    this.session = session;
    this.opts = opts;
    this.optimizer = new AdamW(opts.optimizer);
    const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
    for (const p of graph.params) this.params.set(p.name, tensorFloat32(inits.get(p.name)!).slice());
    for (const r of graph.runningStats) this.running.set(r, tensorFloat32(inits.get(r)!).slice());
    const inputs = new Map((graph.model.graph?.input ?? []).map((v) => [v.name ?? '', v]));
    this.masks = graph.info.training.dropout.map((d) => ({ name: d.mask, ratio: d.ratio, dims: valueInfoDims(inputs.get(d.mask)!) }));
    const bn = graph.info.training.batchNorm.flatMap((b) => [b.mean, b.var]);
    this.outputs = [LOSS_OUTPUT, ...bn, ...Object.values(graph.info.gradients)];
  }

  static async create(model: ModelProto, opts: TrainerOptions): Promise<Trainer> {
    const graph = trainingGraph(model, opts.loss);
    const session = await OnnxSession.create(graph.model, { ...(opts.threads !== undefined ? { threads: opts.threads } : {}), memoryPattern: opts.memoryPattern ?? false });
    return new Trainer(model, graph, session, opts);
  }

  /**
   * One optimizer step on a batch: x [B, leads, samples], y [B, k]. BatchNorm
   * normalises with the batch statistics and its running averages move by
   * running = momentum * running + (1 - momentum) * batch (ONNX convention,
   * biased batch variance); dropout masks come from `rng`.
   */
  async step(x: NdArray, y: NdArray, lr: number, rng: Rng): Promise<StepResult> {
    const b = x.shape[0]!;
    const feeds: Record<string, NdArray> = { ecg: x, [TARGET_INPUT]: y };
    for (const [name, value] of this.params) feeds[name] = { data: value, shape: this.shapeOf(name) };
    // The mask buffers are reused: a fresh 14 MB of masks per step cost a third more in allocation and page faults.
    for (const m of this.masks) feeds[m.name] = m.buffer = dropoutMask(m.dims, b, m.ratio, rng, m.name, m.buffer?.data);
    const out = await this.session.run(feeds, { outputs: this.outputs, batchSize: b });
    const loss = out[LOSS_OUTPUT]!.data[0]!;
    if (!Number.isFinite(loss)) throw new ModelError(`training diverged: the loss is ${loss} (lower --lr, or clip gradients with --clip)`);
    for (const bn of this.graph.info.training.batchNorm) {
      momentumUpdate(this.running.get(bn.runningMean)!, out[bn.mean]!.data, bn.momentum);
      momentumUpdate(this.running.get(bn.runningVar)!, out[bn.var]!.data, bn.momentum);
    }
    const grads: Record<string, Float32Array> = {};
    for (const p of this.graph.params) grads[p.name] = out[this.graph.info.gradients[p.name]!]!.data;
    const gradNorm = clipGradNorm(grads, this.opts.clipNorm ?? Infinity);
    this.optimizer.update(this.graph.params.map((p) => ({ name: p.name, value: this.params.get(p.name)!, decay: p.decay })), grads, lr);
    return { loss, gradNorm };
  }

  /** The inference model with the current parameters and running statistics (BN in inference form, dropout identity). */
  inferenceModel(): ModelProto {
    return withInitializers(this.model, new Map([...this.params, ...this.running]));
  }

  state(): TrainerState {
    return {
      params: Object.fromEntries([...this.params].map(([k, v]) => [k, v.slice()])),
      running: Object.fromEntries([...this.running].map(([k, v]) => [k, v.slice()])),
      optimizer: this.optimizer.state(),
    };
  }

  load(s: TrainerState): void {
    for (const [k, v] of Object.entries(s.params)) this.set(this.params, k, v);
    for (const [k, v] of Object.entries(s.running)) this.set(this.running, k, v);
    this.optimizer.load(s.optimizer);
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private set(map: Map<string, Float32Array>, k: string, v: Float32Array): void {
    const cur = map.get(k);
    if (!cur || cur.length !== v.length) throw new ModelError(`trainer state: '${k}' does not match the model (${v.length} values)`);
    cur.set(v);
  }

  private shapeOf(name: string): number[] {
    return this.graph.params.find((p) => p.name === name)!.shape;
  }
}

function momentumUpdate(running: Float32Array, batch: Float32Array, momentum: number): void {
  for (let i = 0; i < running.length; i++) running[i] = momentum * running[i]! + (1 - momentum) * batch[i]!;
}

/** A dropout mask: each element 0 with probability `ratio` (to 2^-16, Rng.fillMask), else 1 / (1 - that probability); into `reuse` when it has the size. */
export function dropoutMask(dims: readonly (number | string)[], batch: number, ratio: number, rng: Rng, name = 'mask', reuse?: Float32Array): NdArray {
  const shape = dims.map((d, i) => (i === 0 ? batch : d));
  if (shape.some((d) => typeof d !== 'number')) throw new ModelError(`dropout mask '${name}' has a symbolic dim besides the batch: [${dims.join(', ')}]`);
  const s = shape as number[];
  const n = s.reduce((a, b) => a * b, 1);
  const data = reuse?.length === n ? reuse : new Float32Array(n);
  // Scaled by the probability the mask is drawn with, so that E[mask] = 1 exactly.
  const keep = 1 / (1 - Rng.maskProbability(ratio));
  if (ratio <= 0) data.fill(1);
  else rng.fillMask(data, ratio, keep);
  return { data, shape: s };
}

/**
 * The model with `output` mapped through y * scale + shift per column (e.g.
 * to report a regression in original units from a head trained on
 * standardised targets). The original tensor is renamed `<output>_standardized`.
 */
export function withOutputAffine(model: ModelProto, output: string, scale: number[], shift: number[]): ModelProto {
  const graph = model.graph!;
  const raw = `${output}_standardized`;
  const rename = (s: string): string => (s === output ? raw : s);
  const nodes: NodeProto[] = (graph.node ?? []).map((n) => ({ ...n, input: (n.input ?? []).map(rename), output: (n.output ?? []).map(rename) }));
  const out = (graph.output ?? []).find((o) => o.name === output);
  if (!out) throw new ModelError(`withOutputAffine: no output '${output}'`);
  const dims = valueInfoDims(out);
  const scaled = `${output}.scaled`;
  nodes.push(makeNode('Mul', [raw, `${output}.scale`], [scaled], {}, scaled));
  nodes.push(makeNode('Add', [scaled, `${output}.shift`], [output], {}, `${output}.shift_add`));
  const k = scale.length;
  return {
    ...model,
    graph: {
      ...graph,
      node: nodes,
      initializer: [...(graph.initializer ?? []), makeFloatTensor(`${output}.scale`, [k], Float32Array.from(scale)), makeFloatTensor(`${output}.shift`, [k], Float32Array.from(shift))],
      valueInfo: [...(graph.valueInfo ?? []), makeValueInfo(raw, dims), makeValueInfo(scaled, dims)],
    },
  };
}

/** Values of initializers of a model, by name (e.g. to compare checkpoints). */
export function initializerValues(model: ModelProto): Map<string, { data: Float32Array; shape: number[] }> {
  return new Map((model.graph?.initializer ?? []).filter((t) => (t.dataType ?? 1) === 1).map((t) => [t.name ?? '', { data: tensorFloat32(t), shape: tensorDims(t) }]));
}
