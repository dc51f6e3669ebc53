/**
 * Layer-wise relevance propagation as a modified backward pass: what flows
 * back is relevance R (the pass starts from R = output value at the target),
 * and the rules are
 * - layers (Conv, Gemm, MatMul, BatchNormalization, Add/Sub/Sum/Mean,
 *   pooling, reductions, Mul/Div by a constant): s = R_out / (z + ε·sign(z))
 *   (sign(0) = 1), then R_in = x ⊙ (the ordinary backward step of s): the ε
 *   rule, which spreads R_out over the inputs in proportion to their share of
 *   z, the bias and ε absorbing the rest. With rule 'zplus', weighted layers
 *   (except those reading the model's input, whose values are signed) use
 *   the positive weights W+ for both z and the backward step (captum's
 *   Alpha1_Beta0_Rule: z+ = W+ x + b).
 * - activations (Relu, Tanh, Sigmoid, ..., Dropout, Identity): R passes
 *   through unchanged; shape ops (Reshape, Flatten, Concat, Pad...) move it.
 * - BatchNormalization right after a Conv or Gemm (its only consumer) is
 *   folded into it: the pair is one layer z = W'x + b' with W' = W·γ/σ, so
 *   one denominator and, for z+, the positive part of the folded weights.
 * These are captum's LRP rules (EpsilonRule on every layer, Alpha1_Beta0_Rule
 * where chosen, pass-through ReLU/Dropout/Tanh); residual sums split relevance
 * like captum's Addition_Module. Other ops (Softmax, Exp, a product of two
 * activations...) have no LRP rule and are an error.
 */
import { getFloatAttr, getIntAttr, type GraphProto, type NodeProto } from '../../onnx/proto.js';
import type { Emitter } from '../emitter.js';
import { unsupported, type BackwardContext, type ForwardContext, type Rule } from '../rule.js';
import type { LrpRule, PreparedMode } from './index.js';

const PASS = new Set(['Relu', 'LeakyRelu', 'Elu', 'Tanh', 'Sigmoid', 'Softplus', 'HardSigmoid', 'Clip', 'Dropout', 'Identity', 'Cast', 'Neg']);
const STRUCTURAL = new Set(['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Concat', 'Split', 'Slice', 'Pad', 'Gather', 'Expand', 'Tile']);
const LAYER = new Set(['Conv', 'Gemm', 'MatMul', 'BatchNormalization', 'Add', 'Sub', 'Sum', 'Mean', 'AveragePool', 'GlobalAveragePool', 'MaxPool', 'GlobalMaxPool', 'ReduceMean', 'ReduceSum', 'Mul', 'Div']);
const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul']);

/** z + ε·sign(z), sign(0) = 1. */
function stabilised(e: Emitter, z: string, eps: number): string {
  return e.op('Add', [z, e.op('Where', [e.op('GreaterOrEqual', [z, e.scalar(0)]), e.scalar(eps), e.scalar(-eps)])]);
}

interface Plan {
  constants: Set<string>;
  /** Tensors that are the model input moved by shape ops or activations only. */
  fromInput: Set<string>;
  /** Conv/Gemm -> the BatchNormalization folded into it, and back. */
  inner: Map<NodeProto, NodeProto>;
  outer: Map<NodeProto, NodeProto>;
}

function plan(graph: GraphProto): Plan {
  const nodes = graph.node ?? [];
  const constants = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  for (const n of nodes) if (n.opType === 'Constant') for (const o of n.output ?? []) constants.add(o);
  const inputs = (graph.input ?? []).map((v) => v.name ?? '').filter((v) => !constants.has(v));
  const fromInput = new Set(inputs);
  for (const n of nodes) {
    const op = n.opType ?? '';
    if ((PASS.has(op) || STRUCTURAL.has(op)) && fromInput.has(n.input?.[0] ?? '')) for (const o of n.output ?? []) fromInput.add(o);
  }
  const consumers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const inner = new Map<NodeProto, NodeProto>();
  const outer = new Map<NodeProto, NodeProto>();
  for (const bn of nodes) {
    if (bn.opType !== 'BatchNormalization') continue;
    const t = bn.input?.[0] ?? '';
    const c = producer.get(t);
    if (!c || outputs.has(t) || (consumers.get(t) ?? []).length !== 1) continue;
    const params = (bn.input ?? []).slice(1, 5);
    if (params.length !== 4 || !params.every((p) => constants.has(p))) continue;
    const foldable = (c.opType === 'Conv' && getIntAttr(c, 'group', 1) === 1) || (c.opType === 'Gemm' && getIntAttr(c, 'transB', 0) === 1 && getIntAttr(c, 'transA', 0) === 0);
    if (!foldable || !constants.has(c.input?.[1] ?? '') || (c.input?.[2] && !constants.has(c.input[2]))) continue;
    inner.set(c, bn);
    outer.set(bn, c);
  }
  return { constants, fromInput, inner, outer };
}

export function lrpMode(graph: GraphProto, rule: LrpRule, eps: number): PreparedMode {
  const p = plan(graph);
  /** z+ of a weighted layer (or folded pair) and its positive weights, by the weighted node. */
  const zplus = new Map<NodeProto, { z: string; w: string }>();
  const usesZplus = (n: NodeProto): boolean => rule === 'zplus' && WEIGHTED.has(n.opType ?? '') && p.constants.has(n.input?.[1] ?? '') && !p.fromInput.has(n.input?.[0] ?? '');

  /** Emits z+ = op(x, W+, b) next to the forward node (W+ of the folded weights for a folded pair). */
  const forwardZplus = (c: ForwardContext, ordinary: Rule): void => {
    if (ordinary.forward) ordinary.forward(c);
    else c.e.push(c.node);
    if (!c.onPath || !usesZplus(c.node)) return;
    const { e, node } = c;
    const [x, w, b] = node.input ?? [];
    const bn = p.inner.get(node);
    let weight = w!;
    let bias = b || undefined;
    if (bn) {
      // Folded: scale = γ / sqrt(var + eps) per output channel; W' = W·scale, b' = (b - μ)·scale + β.
      const [, gamma, beta, mean, v] = bn.input ?? [];
      const scale = e.op('Div', [gamma!, e.op('Sqrt', [e.op('Add', [v!, e.scalar(getFloatAttr(bn, 'epsilon', 1e-5))])])]);
      const rank = e.info.rank(w!) ?? 2;
      weight = e.mul(w!, e.unsqueeze(scale, Array.from({ length: rank - 1 }, (_, i) => i + 1)));
      const shifted = bias ? e.op('Sub', [bias, mean!]) : e.op('Neg', [mean!]);
      bias = e.op('Add', [e.mul(shifted, scale), beta!]);
    }
    const wplus = e.op('Relu', [weight]);
    const ins = [x!, wplus, ...(bias ? [bias] : [])];
    // The node itself (strides, pads, transB... kept) on W+ and b.
    const z = e.fresh(`${node.output![0]}_zplus`);
    e.push({ ...node, name: e.fresh(`node_${z}`), input: ins, output: [z] });
    zplus.set(node, { z, w: wplus });
  };

  /** R_in = x ⊙ (ordinary backward of s), with W+ in place of W where z+ applies. */
  const relevanceIn = (c: BackwardContext, ordinary: Rule, s: string, divideHere: boolean): (string | undefined)[] => {
    const zp = zplus.get(c.node);
    const sHere = divideHere ? c.e.op('Div', [s, stabilised(c.e, zp?.z ?? c.y(0), eps)]) : s;
    const ctx: BackwardContext = { ...c, dy: (i = 0) => (i === 0 ? sHere : undefined), x: (i) => (i === 1 && zp ? zp.w : c.x(i)) };
    return ordinary.backward(ctx).map((g, i) => (g !== undefined && c.wants(i) ? c.e.mul(c.x(i), g) : undefined));
  };

  const layer = (ordinary: Rule): Rule => ({
    ...(ordinary.differentiable ? { differentiable: ordinary.differentiable } : {}),
    forward: (c) => forwardZplus(c, ordinary),
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      const op = c.node.opType ?? '';
      const ins = c.node.input ?? [];
      if ((op === 'Mul' && ins.filter((i) => p.constants.has(i)).length !== 1) || (op === 'Div' && !p.constants.has(ins[1] ?? ''))) {
        unsupported(c.node, 'LRP needs a constant operand for Mul/Div (a product of two activations has no LRP rule)');
      }
      // A folded Conv/Gemm: its BatchNormalization already divided by the pair's z.
      return relevanceIn(c, ordinary, dy, !p.inner.has(c.node));
    },
  });

  /** The BatchNormalization of a folded pair: divides by the pair's z; with z+, passes s on as is (W'+ holds γ/σ). */
  const foldedNorm = (ordinary: Rule): Rule => ({
    differentiable: [0],
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const conv = p.outer.get(c.node)!;
      const zp = zplus.get(conv);
      const s = c.e.op('Div', [dy, stabilised(c.e, zp?.z ?? c.y(0), eps)]);
      if (zp) return [s];
      return [ordinary.backward({ ...c, dy: (i = 0) => (i === 0 ? s : undefined) })[0]];
    },
  });

  const pass: Rule = {
    differentiable: [0],
    backward(c) {
      const dy = c.dy();
      return dy && c.wants(0) ? [dy] : [];
    },
  };

  const none = (op: string): Rule => ({
    backward(c) {
      unsupported(c.node, `LRP has no rule for op '${op}' (supported: layers ${[...LAYER].join(', ')}; activations ${[...PASS].join(', ')}; shape ops)`);
    },
  });

  const cache = new Map<NodeProto, Rule>();
  return {
    rule(n, ordinary) {
      const hit = cache.get(n);
      if (hit) return hit;
      const op = n.opType ?? '';
      let r: Rule | undefined;
      if (!ordinary) r = undefined;
      else if (PASS.has(op)) r = pass;
      else if (STRUCTURAL.has(op)) r = ordinary;
      else if (p.outer.has(n)) r = foldedNorm(ordinary);
      else if (LAYER.has(op)) r = layer(ordinary);
      else r = none(op);
      if (r) cache.set(n, r);
      return r;
    },
    seed: (e, of, seed) => e.mul(seed, of),
  };
}
