/**
 * A small typed builder that emits ONNX graphs (opset 17, IR 8) for 1D models
 * on `[batch, channels, time]` tensors. It tracks static shapes as it goes, so
 * every tensor of the built graph has a value_info entry, and initialises
 * weights from a seeded generator, so the same seed always gives the same model.
 *
 * Weight layouts follow PyTorch (Conv `[out, in, k]`, Linear `[out, in]`), so
 * weights can be compared with, or copied from, torch models one to one.
 */
import { Rng } from '../../util/rng.js';
import { ModelError } from '../../util/errors.js';
import { makeFloatTensor, makeNode, makeValueInfo, type AttrValue, type ModelProto, type NodeProto, type TensorProto } from './proto.js';

import { broadcastShapes, type Dim } from './shapes.js';
export type { Dim };

/** A tensor of the graph being built: its name and its (statically tracked) shape. */
export interface Tensor {
  readonly name: string;
  readonly shape: readonly Dim[];
}

export const OPSET = 17;
export const IR_VERSION = 8;

export interface Conv1dOptions {
  outChannels: number;
  kernel: number;
  stride?: number;
  /**
   * Zero padding of the time axis: one number for both sides, `[left, right]`,
   * or `'same'`: output length `ceil(T / stride)`, the odd sample of padding on
   * the right (ONNX SAME_UPPER; for stride 1 the output keeps the input length).
   */
  pad?: number | [number, number] | 'same';
  dilation?: number;
  /** Default true. Off for convolutions followed by batch norm. */
  bias?: boolean;
  name?: string;
}

export interface PoolOptions {
  kernel: number;
  /** Default: the kernel (non-overlapping windows). */
  stride?: number;
  /** Padding of the time axis: one number, `[left, right]` or `'same'` (output `ceil(T / stride)`). */
  pad?: number | [number, number] | 'same';
  name?: string;
}

export class GraphBuilder {
  readonly name: string;
  private readonly rng: Rng;
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: Tensor[] = [];
  private readonly outputs: Tensor[] = [];
  private readonly shapes = new Map<string, readonly Dim[]>();
  private readonly counters = new Map<string, number>();

  constructor(opts: { seed: number; name?: string }) {
    this.rng = new Rng(opts.seed);
    this.name = opts.name ?? 'ecgx';
  }

  /** A graph input; dims are numbers or symbolic names such as `'batch'`. */
  input(name: string, dims: readonly Dim[]): Tensor {
    this.claim(name);
    const t = { name, shape: [...dims] };
    this.inputs.push(t);
    this.shapes.set(name, t.shape);
    return t;
  }

  /** 1D convolution over `[N, C, T]`; He/Kaiming-normal weights (fan_in, ReLU gain: std = sqrt(2 / (C * kernel))), zero bias. */
  conv1d(x: Tensor, o: Conv1dOptions): Tensor {
    const [n, , t] = this.expectRank(x, 3, 'conv1d');
    const inC = this.staticDim(x, 1, 'conv1d');
    const stride = o.stride ?? 1;
    const dilation = o.dilation ?? 1;
    positiveInt('conv1d outChannels', o.outChannels);
    positiveInt('conv1d kernel', o.kernel);
    positiveInt('conv1d stride', stride);
    positiveInt('conv1d dilation', dilation);
    const span = dilation * (o.kernel - 1) + 1;
    const [pl, pr] = resolvePad(o.pad ?? 0, t!, span, stride, `conv1d on '${x.name}'`);
    const outT = outLength(t!, pl + pr, span, stride, `conv1d on '${x.name}'`);
    const name = this.unique(o.name, 'conv');
    const fanIn = inC * o.kernel;
    const std = Math.sqrt(2 / fanIn);
    const w = new Float32Array(o.outChannels * fanIn);
    for (let i = 0; i < w.length; i++) w[i] = this.rng.normal(0, std);
    const inputs = [x.name, this.param(`${name}.weight`, [o.outChannels, inC, o.kernel], w)];
    if (o.bias ?? true) inputs.push(this.param(`${name}.bias`, [o.outChannels], new Float32Array(o.outChannels)));
    return this.emit('Conv', inputs, name, [n!, o.outChannels, outT], {
      kernel_shape: [o.kernel],
      strides: [stride],
      pads: [pl, pr],
      dilations: [dilation],
    });
  }

  /** Batch normalisation over channels (axis 1), inference form: `gamma * (x - mean) / sqrt(var + eps) + beta`. gamma 1, beta 0, mean 0, var 1. */
  batchNorm(x: Tensor, o: { eps?: number; momentum?: number; name?: string } = {}): Tensor {
    if (x.shape.length < 2) throw new ModelError(`batchNorm: '${x.name}' has rank ${x.shape.length}, expected >= 2`);
    const c = this.staticDim(x, 1, 'batchNorm');
    const name = this.unique(o.name, 'bn');
    const ones = new Float32Array(c).fill(1);
    const zeros = new Float32Array(c);
    const inputs = [
      x.name,
      this.param(`${name}.weight`, [c], ones),
      this.param(`${name}.bias`, [c], zeros),
      this.param(`${name}.running_mean`, [c], zeros),
      this.param(`${name}.running_var`, [c], ones),
    ];
    // ONNX momentum weighs the old running value (PyTorch's 0.1 is ONNX's 0.9).
    return this.emit('BatchNormalization', inputs, name, x.shape, { epsilon: { float: o.eps ?? 1e-5 }, momentum: { float: o.momentum ?? 0.9 } });
  }

  relu(x: Tensor, name?: string): Tensor {
    return this.emit('Relu', [x.name], this.unique(name, 'relu'), x.shape);
  }

  sigmoid(x: Tensor, name?: string): Tensor {
    return this.emit('Sigmoid', [x.name], this.unique(name, 'sigmoid'), x.shape);
  }

  /** Softmax along `axis` (default: the last). */
  softmax(x: Tensor, axis = -1, name?: string): Tensor {
    normAxis(axis, x.shape.length, 'softmax');
    return this.emit('Softmax', [x.name], this.unique(name, 'softmax'), x.shape, { axis });
  }

  /** Elementwise sum with NumPy broadcasting. */
  add(a: Tensor, b: Tensor, name?: string): Tensor {
    return this.emit('Add', [a.name, b.name], this.unique(name, 'add'), broadcastNamed(a, b));
  }

  /** Max pooling over time; padded samples never win. */
  maxPool1d(x: Tensor, o: PoolOptions): Tensor {
    return this.pool('MaxPool', 'maxpool', x, o, {});
  }

  /** Average pooling over time; padded samples are not counted (count_include_pad = 0). */
  avgPool1d(x: Tensor, o: PoolOptions): Tensor {
    return this.pool('AveragePool', 'avgpool', x, o, { count_include_pad: 0 });
  }

  /** Mean over time: `[N, C, T]` -> `[N, C, 1]` (ONNX GlobalAveragePool; follow with flatten). */
  globalAvgPool(x: Tensor, name?: string): Tensor {
    const [n, c] = this.expectRank(x, 3, 'globalAvgPool');
    return this.emit('GlobalAveragePool', [x.name], this.unique(name, 'gap'), [n!, c!, 1]);
  }

  /** `[N, ...]` -> `[N, prod(...)]`. */
  flatten(x: Tensor, name?: string): Tensor {
    if (x.shape.length < 1) throw new ModelError(`flatten: '${x.name}' is a scalar`);
    const rest = x.shape.slice(1);
    const size = rest.every((d) => typeof d === 'number') ? (rest as number[]).reduce((a, b) => a * b, 1) : rest.join('*');
    return this.emit('Flatten', [x.name], this.unique(name, 'flatten'), [x.shape[0]!, size], { axis: 1 });
  }

  /**
   * Fully connected layer on `[N, F]` (ONNX Gemm, weight `[out, F]`).
   * Init as PyTorch's nn.Linear: weight and bias uniform in ±1/sqrt(F).
   */
  linear(x: Tensor, outFeatures: number, o: { bias?: boolean; name?: string } = {}): Tensor {
    const [n] = this.expectRank(x, 2, 'linear');
    const f = this.staticDim(x, 1, 'linear');
    positiveInt('linear outFeatures', outFeatures);
    const name = this.unique(o.name, 'linear');
    const bound = 1 / Math.sqrt(f);
    const w = new Float32Array(outFeatures * f);
    for (let i = 0; i < w.length; i++) w[i] = this.rng.range(-bound, bound);
    const inputs = [x.name, this.param(`${name}.weight`, [outFeatures, f], w)];
    if (o.bias ?? true) {
      const b = new Float32Array(outFeatures);
      for (let i = 0; i < b.length; i++) b[i] = this.rng.range(-bound, bound);
      inputs.push(this.param(`${name}.bias`, [outFeatures], b));
    }
    return this.emit('Gemm', inputs, name, [n!, outFeatures], { transB: 1 });
  }

  /**
   * Dropout with ratio `p` (an initializer `<name>.ratio`, second input). The
   * graph is inference-mode: onnxruntime passes the tensor through unchanged;
   * training turns it on through the ONNX `training_mode` semantics.
   */
  dropout(x: Tensor, p: number, name?: string): Tensor {
    if (!(p >= 0 && p < 1)) throw new ModelError(`dropout: ratio ${p} is outside [0, 1)`);
    const nm = this.unique(name, 'dropout');
    const ratio = this.param(`${nm}.ratio`, [], Float32Array.of(p));
    return this.emit('Dropout', [x.name, ratio], nm, x.shape);
  }

  /** An Identity node, to give a tensor a stable, addressable name (e.g. `block3`). */
  identity(x: Tensor, name: string): Tensor {
    this.claim(name);
    return this.emit('Identity', [x.name], name, x.shape);
  }

  /**
   * Any other ONNX op with one output, for ops the builder has no method for.
   * The caller states the output shape; initializer inputs are made with `constant`.
   */
  op(opType: string, inputs: readonly Tensor[], outShape: readonly Dim[], attrs: Record<string, AttrValue> = {}, name?: string): Tensor {
    return this.emit(opType, inputs.map((t) => t.name), this.unique(name, opType.toLowerCase()), outShape, attrs);
  }

  /** A float initializer (constant tensor). */
  constant(name: string, dims: readonly number[], data: Float32Array): Tensor {
    return { name: this.param(name, dims, data), shape: [...dims] };
  }

  /** Marks `t` as a graph output, renamed through an Identity node when `name` differs. */
  output(t: Tensor, name?: string): void {
    const out = name !== undefined && name !== t.name ? this.identity(t, name) : t;
    if (this.outputs.some((o) => o.name === out.name)) throw new ModelError(`output '${out.name}' is declared twice`);
    this.outputs.push(out);
  }

  /** The model: nodes, initializers, value_info for every intermediate tensor, and `metadata` as metadata_props. */
  build(metadata: Record<string, string> = {}): ModelProto {
    if (this.outputs.length === 0) throw new ModelError(`graph '${this.name}' has no outputs (call output() first)`);
    const io = new Set([...this.inputs, ...this.outputs].map((t) => t.name));
    const inits = new Set(this.initializers.map((t) => t.name));
    const valueInfo = [...this.shapes.entries()].filter(([k]) => !io.has(k) && !inits.has(k)).map(([k, dims]) => makeValueInfo(k, dims));
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'ecgx',
      graph: {
        name: this.name,
        node: [...this.nodes],
        initializer: [...this.initializers],
        input: this.inputs.map((t) => makeValueInfo(t.name, t.shape)),
        output: this.outputs.map((t) => makeValueInfo(t.name, t.shape)),
        valueInfo,
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
  }

  private pool(opType: string, base: string, x: Tensor, o: PoolOptions, extra: Record<string, AttrValue>): Tensor {
    const [n, c, t] = this.expectRank(x, 3, base);
    const stride = o.stride ?? o.kernel;
    positiveInt(`${base} kernel`, o.kernel);
    positiveInt(`${base} stride`, stride);
    const [pl, pr] = resolvePad(o.pad ?? 0, t!, o.kernel, stride, `${base} on '${x.name}'`);
    if (pl >= o.kernel || pr >= o.kernel) throw new ModelError(`${base} on '${x.name}': padding ${pl},${pr} must be smaller than the kernel ${o.kernel}`);
    const outT = outLength(t!, pl + pr, o.kernel, stride, `${base} on '${x.name}'`);
    return this.emit(opType, [x.name], this.unique(o.name, base), [n!, c!, outT], { kernel_shape: [o.kernel], strides: [stride], pads: [pl, pr], ...extra });
  }

  private emit(opType: string, inputs: string[], name: string, shape: readonly Dim[], attrs: Record<string, AttrValue> = {}): Tensor {
    for (const i of inputs) if (!this.shapes.has(i) && !this.initializers.some((t) => t.name === i)) throw new ModelError(`${opType} '${name}': unknown input tensor '${i}'`);
    this.nodes.push(makeNode(opType, inputs, [name], attrs, name));
    this.shapes.set(name, [...shape]);
    return { name, shape: [...shape] };
  }

  private param(name: string, dims: readonly number[], data: Float32Array): string {
    this.claim(name);
    this.initializers.push(makeFloatTensor(name, dims, data));
    return name;
  }

  /** An explicit name is used as is (and must be new); otherwise `base1`, `base2`, ... */
  private unique(explicit: string | undefined, base: string): string {
    if (explicit !== undefined) {
      this.claim(explicit);
      return explicit;
    }
    let k = this.counters.get(base) ?? 0;
    let name: string;
    do name = `${base}${++k}`;
    while (this.taken(name));
    this.counters.set(base, k);
    return name;
  }

  private taken(name: string): boolean {
    return this.shapes.has(name) || this.initializers.some((t) => t.name === name) || this.nodes.some((n) => n.name === name);
  }

  private claim(name: string): void {
    if (name.length === 0) throw new ModelError('tensor names must not be empty');
    if (this.taken(name)) throw new ModelError(`tensor name '${name}' is already used in graph '${this.name}'`);
  }

  private expectRank(x: Tensor, rank: number, op: string): Dim[] {
    if (x.shape.length !== rank) throw new ModelError(`${op}: '${x.name}' has shape [${x.shape.join(', ')}], expected rank ${rank}`);
    return [...x.shape];
  }

  private staticDim(x: Tensor, axis: number, op: string): number {
    const d = x.shape[axis];
    if (typeof d !== 'number') throw new ModelError(`${op}: dimension ${axis} of '${x.name}' must be static, got '${String(d)}'`);
    return d;
  }
}

function positiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ModelError(`${what} must be a positive integer, got ${v}`);
}

function normAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new ModelError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** [left, right] padding for a window of `span` samples (dilated kernel) moving by `stride`. */
export function resolvePad(pad: number | [number, number] | 'same', t: Dim, span: number, stride: number, where: string): [number, number] {
  if (pad === 'same') {
    if (stride === 1) {
      const total = span - 1;
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    }
    if (typeof t !== 'number') throw new ModelError(`${where}: 'same' padding with stride ${stride} needs a static time length, got '${t}'`);
    const out = Math.ceil(t / stride);
    const total = Math.max((out - 1) * stride + span - t, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  const [l, r] = typeof pad === 'number' ? [pad, pad] : pad;
  if (!Number.isInteger(l) || !Number.isInteger(r) || l < 0 || r < 0) throw new ModelError(`${where}: padding must be non-negative integers, got ${String(pad)}`);
  return [l, r];
}

/** Output length of a window op; symbolic lengths pass through only when the op keeps the length. */
export function outLength(t: Dim, totalPad: number, span: number, stride: number, where: string): Dim {
  if (typeof t !== 'number') {
    if (stride === 1 && totalPad === span - 1) return t;
    throw new ModelError(`${where}: time length '${t}' must be static for this window (stride ${stride}, padding ${totalPad})`);
  }
  const out = Math.floor((t + totalPad - span) / stride) + 1;
  if (out < 1) throw new ModelError(`${where}: input length ${t} is shorter than the window (${span} samples, padding ${totalPad})`);
  return out;
}

/** NumPy broadcasting of two shapes; symbolic dims must match by name. */
function broadcastNamed(a: Tensor, b: Tensor): Dim[] {
  const fail = (): never => {
    throw new ModelError(`cannot broadcast '${a.name}' [${a.shape.join(', ')}] with '${b.name}' [${b.shape.join(', ')}]`);
  };
  return broadcastShapes([a.shape, b.shape], fail) ?? fail();
}
