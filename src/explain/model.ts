/**
 * What every explainer needs from a model: its input and explained output,
 * target resolution (class index or name, predicted class, regression), a
 * forward session for scores, and gradient sessions built once per set of
 * tensors and reused for every batch and every class.
 *
 * Gradient graphs take the upstream gradient as an input (`seed: 'input'`),
 * fed with a one-hot row per ECG at its target column, so one graph serves
 * every class and every mix of per-ECG targets ('predicted').
 */
import { gradientGraph, gradientGraphInfo, type GradientModification } from '../engine/autodiff/index.js';
import { inspectModel, withExtraOutputs, type ModelInfo } from '../engine/onnx/inspect.js';
import { loadModel, type ModelProto } from '../engine/onnx/proto.js';
import { OnnxSession } from '../engine/runtime.js';
import { readModelMeta, type ModelMeta } from '../models/meta.js';
import { findCard, type CardTask, type ModelCard } from '../models/card.js';
import type { CardedModel } from '../models/predict.js';
import { DataError, ModelError, OptionError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import type { ResolvedTarget, Target } from './protocol.js';

export interface ExplainModelOptions {
  /** Graph output explained; default the card's output, else the first (ecgx and torch exports: `logits`, before sigmoid/softmax). */
  output?: string;
  /** onnxruntime intra-op threads. */
  threads?: number;
}

/** Results of one gradient run: the explained output, the gradients (by wrt tensor) and kept activations. */
export interface GradientRun {
  output: NdArray;
  grads: Record<string, NdArray>;
  activations: Record<string, NdArray>;
}

export class ExplainModel {
  readonly proto: ModelProto;
  /** The model file, or '<model>' for an in-memory model (for messages). */
  readonly file: string;
  readonly info: ModelInfo;
  readonly meta: ModelMeta;
  /** The model card, when the model has one (models without one still explain model-ready tensors). */
  readonly card: ModelCard | undefined;
  readonly input: string;
  readonly output: string;
  /** Columns of the explained output (classes, or 1 for a single regression target). */
  readonly width: number;
  readonly threads: number | undefined;
  private forwardSession: Promise<OnnxSession> | undefined;
  private readonly gradientSessions = new Map<string, Promise<GradientSession>>();

  constructor(model: ModelProto | string | CardedModel, opts: ExplainModelOptions = {}) {
    const carded = typeof model === 'object' && 'card' in model && 'proto' in model ? model : undefined;
    this.file = carded ? carded.file : typeof model === 'string' ? model : '<model>';
    this.proto = carded ? carded.proto : typeof model === 'string' ? loadModel(model) : (model as ModelProto);
    this.info = carded ? carded.info : inspectModel(this.proto);
    this.meta = readModelMeta(this.proto, this.file);
    this.card = carded ? carded.card : findCard(this.proto, this.file, this.info);
    this.threads = opts.threads;
    if (this.info.inputs.length !== 1) throw new ModelError(`${this.file}: explainers need a model with one input [batch, leads, time], this one has ${this.info.inputs.length} (${this.info.inputs.map((i) => i.name).join(', ')})`);
    this.input = this.card?.input.name ?? this.info.inputs[0]!.name;
    const outputs = this.info.outputs.map((o) => o.name);
    this.output = opts.output ?? this.card?.output.name ?? outputs[0] ?? '';
    if (!outputs.includes(this.output)) throw new OptionError('output', `model has no output '${this.output}' (outputs: ${outputs.join(', ')})`);
    const shape = this.info.outputs.find((o) => o.name === this.output)!.shape;
    const w = shape.length === 1 ? 1 : shape[1];
    if (shape.length > 2 || typeof w !== 'number') throw new ModelError(`${this.file}: output '${this.output}' has shape [${shape.join(', ')}], expected [batch, outputs] with a static number of outputs`);
    this.width = w;
  }

  /** Input `[leads, time]` the model declares (numbers where static). */
  get inputDims(): (number | string)[] {
    return this.info.inputs[0]!.shape.slice(1);
  }

  /** Class names when the card (or older metadata) has one per output column. */
  get classNames(): string[] | undefined {
    const names = this.card?.output.classes ?? this.meta.classNames;
    return names && names.length === this.width ? names : undefined;
  }

  /** The task of the explained output: the card's, older metadata's, else undefined. */
  get task(): CardTask | undefined {
    return this.card?.output.task ?? this.meta.task;
  }

  /** Whether the explained output holds logits (default), probabilities or values. */
  get outputKind(): 'logits' | 'probabilities' | 'values' {
    if (this.card && this.output === this.card.output.name) return this.card.output.kind;
    return this.task === 'regression' ? 'values' : 'logits';
  }

  /** Input sampling rate in Hz, when the card (or older metadata) records it. */
  get fs(): number | undefined {
    return this.card?.fs ?? this.meta.fs;
  }

  /** The explained output for `x` ([batch, width]). */
  async scores(x: NdArray, batchSize = 64): Promise<NdArray> {
    this.forwardSession ??= OnnxSession.create(this.proto, this.sessionOptions());
    const s = await this.forwardSession;
    return (await s.run({ [this.input]: x }, { outputs: [this.output], batchSize }))[this.output]!;
  }

  /**
   * The output column explained for each of `n` ECGs. `scores` (the outputs
   * for the batch) is needed for 'predicted' only.
   */
  resolveTarget(target: Target, n: number, scores?: NdArray): ResolvedTarget {
    const K = this.width;
    let index: number[];
    if (target === 'predicted') {
      if (!scores) throw new Error('resolveTarget: predicted needs the scores');
      index = Array.from({ length: n }, (_, b) => {
        let best = 0;
        for (let k = 1; k < K; k++) if (scores.data[b * K + k]! > scores.data[b * K + best]!) best = k;
        return best;
      });
    } else if (typeof target === 'object') {
      if (target.length !== n) throw new OptionError('target', `expected one class index per ECG (${n}), got ${target.length}`);
      for (const k of target) if (!Number.isInteger(k) || k < 0 || k >= K) throw new OptionError('target', `class index ${k} is out of range (the model has ${K} outputs: 0..${K - 1})`);
      index = [...target];
    } else if (target === 'regression') {
      if (K !== 1 && this.task !== 'regression') throw new OptionError('target', `'regression' needs a regression model with one output; '${this.output}' has ${K} (give a class index or name)`);
      if (K !== 1) throw new OptionError('target', `the regression model has ${K} outputs; give the output index (0..${K - 1})`);
      index = Array<number>(n).fill(0);
    } else if (typeof target === 'number') {
      if (!Number.isInteger(target) || target < 0 || target >= K) throw new OptionError('target', `class index ${target} is out of range (the model has ${K} outputs: 0..${K - 1})`);
      index = Array<number>(n).fill(target);
    } else {
      const names = this.classNames;
      const k = names?.indexOf(target) ?? -1;
      if (k < 0) {
        const known = names ? `expected one of ${names.join(', ')}` : 'the model records no class names; give a class index';
        throw new OptionError('target', `unknown class '${target}' (${known}, predicted or regression)`);
      }
      index = Array<number>(n).fill(k);
    }
    const names = this.classNames;
    return names ? { index, name: index.map((k) => names[k]!) } : { index };
  }

  /**
   * A gradient session for d(output[b, target_b])/d(wrt), also returning the
   * activations `keep`; built on first use and cached by (wrt, keep, modify).
   * `modify` selects a modified-gradient mode (guided backprop, DeepLIFT, LRP).
   */
  gradients(wrt: string[], keep: string[] = [], modify?: GradientModification): Promise<GradientSession> {
    const key = JSON.stringify([wrt, keep, modify ?? null]);
    let s = this.gradientSessions.get(key);
    if (!s) {
      s = GradientSession.create(this, wrt, keep, modify);
      this.gradientSessions.set(key, s);
    }
    return s;
  }

  /** Checks that `x` is [batch, leads, time] matching the model's declared input. */
  checkBatch(x: NdArray): { n: number; leads: number; time: number } {
    if (x.shape.length !== 3) throw new DataError(`explain: input has shape [${x.shape.join(', ')}], expected [batch, leads, time]`);
    const [n, leads, time] = x.shape as [number, number, number];
    const [dl, dt] = this.inputDims;
    if ((typeof dl === 'number' && dl !== leads) || (typeof dt === 'number' && dt !== time)) {
      throw new DataError(`explain: input has shape [${x.shape.join(', ')}], the model expects [batch, ${dl}, ${dt}]`);
    }
    if (x.data.length !== n * leads * time) throw new DataError(`explain: input data has ${x.data.length} values, shape [${x.shape.join(', ')}] needs ${n * leads * time}`);
    return { n, leads, time };
  }

  sessionOptions(): { threads?: number } {
    return this.threads !== undefined ? { threads: this.threads } : {};
  }

  async release(): Promise<void> {
    const all = [...(this.forwardSession ? [this.forwardSession] : []), ...this.gradientSessions.values()];
    this.forwardSession = undefined;
    this.gradientSessions.clear();
    for (const s of all) await (await s).release();
  }
}

/** One gradient graph of a model's explained output, seeded per ECG. */
export class GradientSession {
  private constructor(
    private readonly session: OnnxSession,
    private readonly seedInput: string,
    private readonly input: string,
    private readonly output: string,
    private readonly width: number,
    private readonly gradNames: Record<string, string>,
    private readonly keep: string[],
  ) {}

  static async create(model: ExplainModel, wrt: string[], keep: string[], modify?: GradientModification): Promise<GradientSession> {
    const base = keep.length ? withExtraOutputs(model.proto, keep) : model.proto;
    const graph = gradientGraph(base, { of: model.output, seed: 'input', wrt, mode: 'inference', ...(modify ? { modify } : {}) });
    const info = gradientGraphInfo(graph)!;
    const session = await OnnxSession.create(graph, model.sessionOptions());
    return new GradientSession(session, info.seedInput!, model.input, model.output, model.width, info.gradients, keep);
  }

  /** Runs `x` with ECG b seeded at column index[b]; results for every ECG of x. */
  async run(x: NdArray, index: readonly number[], batchSize = 64): Promise<GradientRun> {
    const n = x.shape[0]!;
    const seed = new Float32Array(n * this.width);
    for (let b = 0; b < n; b++) seed[b * this.width + index[b]!] = 1;
    const wrt = Object.keys(this.gradNames);
    const got = await this.session.run(
      { [this.input]: x, [this.seedInput]: { data: seed, shape: [n, this.width] } },
      { outputs: [this.output, ...wrt.map((w) => this.gradNames[w]!), ...this.keep.filter((k) => k !== this.output)], batchSize },
    );
    return {
      output: got[this.output]!,
      grads: Object.fromEntries(wrt.map((w) => [w, got[this.gradNames[w]!]!])),
      activations: Object.fromEntries(this.keep.map((k) => [k, got[k]!])),
    };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
