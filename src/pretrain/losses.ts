/**
 * Pretraining losses written as ONNX nodes appended to the model (LossGraph),
 * so that autodiff differentiates them like any other part of the graph.
 *
 * NT-Xent / InfoNCE (SimCLR; SupCon's L_out when a row has several positives)
 * on the projections z [N, D], N = 2B rows laid out [anchors..., partners...]:
 *   u_i = z_i / |z_i|,  s_ij = u_i . u_j / tau,  s_ii = -1e9 (no self-pair)
 *   loss = -(1/N) sum_i sum_j w_ij log softmax_j(s_i.)
 * with the positive weights w [N, N] (rows sum to 1) fed as `target`.
 *
 * Masked reconstruction: `target` [B, leads + 1, T] holds the clean signal
 * (leads channels) and the time mask (last channel, 1 = masked);
 *   loss = sum over masked samples and leads of (rec - x)^2 / (leads * masked samples).
 */
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo, type ModelProto, type NodeProto, type TensorProto, type AttrValue } from '../engine/onnx/proto.js';
import { LOSS_OUTPUT, TARGET_INPUT, type LossGraph } from '../train/graph.js';
import { ModelError, OptionError } from '../util/errors.js';
import { PROJECTION_OUTPUT, RECONSTRUCTION_OUTPUT } from './encoder.js';

/** Appends nodes to a model's graph, naming each `<prefix>.<op><k>`. */
class LossNodes {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private k = 0;
  constructor(private readonly prefix: string) {}
  op(type: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const name = out ?? `${this.prefix}.${type.toLowerCase()}${++this.k}`;
    this.nodes.push(makeNode(type, inputs, [name], attrs, name));
    return name;
  }
  float(name: string, v: number): string {
    this.inits.push(makeFloatTensor(`${this.prefix}.${name}`, [], [v]));
    return `${this.prefix}.${name}`;
  }
  ints(name: string, v: number[]): string {
    this.inits.push(makeInt64Tensor(`${this.prefix}.${name}`, [v.length], v));
    return `${this.prefix}.${name}`;
  }
  appendTo(model: ModelProto, targetDims: (number | string)[]): ModelProto {
    const g = model.graph!;
    return {
      ...model,
      graph: {
        ...g,
        node: [...(g.node ?? []), ...this.nodes],
        initializer: [...(g.initializer ?? []), ...this.inits],
        input: [...(g.input ?? []), makeValueInfo(TARGET_INPUT, targetDims)],
        output: [...(g.output ?? []), makeValueInfo(LOSS_OUTPUT, [])],
      },
    };
  }
}

function outputDims(model: ModelProto, name: string): (number | string)[] {
  const o = (model.graph?.output ?? []).find((v) => v.name === name);
  if (!o) throw new ModelError(`the model has no '${name}' output`);
  return (o.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
}

/** NT-Xent with temperature `tau` on output `of` (default `projection`); `target` [N, N] = positiveWeights(...). */
export function ntXentLoss(tau: number, of = PROJECTION_OUTPUT): LossGraph {
  if (!(tau > 0)) throw new OptionError('temperature', `expected a number > 0, got ${tau}`);
  return (model) => {
    const dims = outputDims(model, of);
    const d = dims[1];
    if (dims.length !== 2 || typeof d !== 'number') throw new ModelError(`ntXentLoss: '${of}' must be [batch, D] with a static D`);
    const n = new LossNodes('ntxent');
    // |z|^2 = D * mean(z^2): ReduceMean takes axes as an attribute in opset 17.
    const sq = n.op('ReduceMean', [n.op('Mul', [of, of])], { axes: [1], keepdims: 1 });
    const norm = n.op('Sqrt', [n.op('Add', [n.op('Mul', [sq, n.float('dim', d)]), n.float('eps', 1e-12)])]);
    const u = n.op('Div', [of, norm]);
    const sim = n.op('Mul', [n.op('MatMul', [u, n.op('Transpose', [u], { perm: [1, 0] })]), n.float('inv_tau', 1 / tau)]);
    const self = n.op('Mul', [n.op('EyeLike', [sim]), n.float('minus_inf', -1e9)]);
    const logp = n.op('LogSoftmax', [n.op('Add', [sim, self])], { axis: 1 });
    const perRow = n.op('ReduceSum', [n.op('Mul', [TARGET_INPUT, logp]), n.ints('axis1', [1])], { keepdims: 0 });
    n.op('Neg', [n.op('ReduceMean', [perRow], { keepdims: 0 })], {}, LOSS_OUTPUT);
    return n.appendTo(model, [dims[0]!, dims[0]!]);
  };
}

/** Masked-segment MSE on output `of` (default `reconstruction`, [B, leads, T]); `target` [B, leads + 1, T] = signal + mask. */
export function maskedReconstructionLoss(of = RECONSTRUCTION_OUTPUT): LossGraph {
  return (model) => {
    const dims = outputDims(model, of);
    const [b, leads, t] = dims;
    if (dims.length !== 3 || typeof leads !== 'number' || typeof t !== 'number') throw new ModelError(`maskedReconstructionLoss: '${of}' must be [batch, leads, T] with static leads and T`);
    const n = new LossNodes('masked');
    const axis1 = n.ints('axis1', [1]);
    const clean = n.op('Slice', [TARGET_INPUT, n.ints('start_clean', [0]), n.ints('end_clean', [leads]), axis1]);
    const mask = n.op('Slice', [TARGET_INPUT, n.ints('start_mask', [leads]), n.ints('end_mask', [leads + 1]), axis1]);
    const diff = n.op('Sub', [of, clean]);
    const se = n.op('ReduceSum', [n.op('Mul', [n.op('Mul', [diff, diff]), mask])], { keepdims: 0 });
    const count = n.op('Add', [n.op('Mul', [n.op('ReduceSum', [mask], { keepdims: 0 }), n.float('lead_count', leads)]), n.float('one', 1)]);
    n.op('Div', [se, count], {}, LOSS_OUTPUT);
    return n.appendTo(model, [b!, leads + 1, t]);
  };
}

/** NT-Xent in float64 on the host: the reference the graph is tested against. */
export function ntXentReference(z: Float32Array | Float64Array, n: number, d: number, w: Float32Array, tau: number): number {
  const u = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += z[i * d + k]! ** 2;
    const r = Math.sqrt(s + 1e-12);
    for (let k = 0; k < d; k++) u[i * d + k] = z[i * d + k]! / r;
  }
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const s: number[] = [];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += u[i * d + k]! * u[j * d + k]!;
      s.push(j === i ? -Infinity : dot / tau);
    }
    const m = Math.max(...s);
    const lse = m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0));
    for (let j = 0; j < n; j++) if (w[i * n + j]) loss -= w[i * n + j]! * (s[j]! - lse);
  }
  return loss / n;
}
