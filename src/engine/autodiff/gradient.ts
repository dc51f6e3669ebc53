/**
 * Reverse-mode autodiff over ONNX graphs: `gradientGraph` returns ONE graph
 * that computes the model's forward outputs and the gradient of a scalar
 * (the sum over the batch of a tensor, or of one of its columns) with respect
 * to any tensors: graph inputs, parameters, or intermediate activations.
 *
 * Only nodes on a path from a `wrt` tensor to `of` get backward steps, forward
 * values are reused, and parameters are held fixed unless listed in `wrt`.
 */
import { ModelError } from '../../util/errors.js';
import type { NdArray } from '../../util/npy.js';
import { DType, makeValueInfo, opsetVersion, tensorDims, tensorFloat32, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/proto.js';
import { Emitter } from './emitter.js';
import { RULES, NON_DIFFERENTIABLE } from './rules/index.js';
import { nodeLabel, type BackwardContext, type ForwardContext, type GradMode, type Rule, type TrainingIo } from './rule.js';
import { ShapeInfo, type Shape } from '../onnx/shapes.js';
import { sanitizeName } from './names.js';
import { prepareMode, type GradientModification } from './modes/index.js';
import { foldBatchNorms, foldOptions } from './fold.js';

export { sanitizeName } from './names.js';

export type { GradMode, TrainingIo } from './rule.js';
export type { GradientModification, LrpRule } from './modes/index.js';

export interface GradientOptions {
  /** Tensor to differentiate (a graph output or any intermediate tensor). */
  of: string;
  /** Column of `of` along axis 1 (e.g. a class); default: the sum of all elements. */
  index?: number;
  /**
   * 'sum' (default): the gradient of the sum (over the batch and all other
   * axes) of `of` (or of `of[:, index]`). 'input': the graph gets an input
   * `seed_<of>` with `of`'s shape holding the upstream gradient, and computes
   * the vector-Jacobian product.
   */
  seed?: 'sum' | 'input';
  /** Graph inputs, initializers (parameters) or intermediate tensors. */
  wrt: string[];
  /**
   * 'inference' (default): BatchNormalization uses running statistics, Dropout
   * is the identity. 'training': BatchNormalization normalises with batch
   * statistics (and outputs them, see GradientGraphInfo.training.batchNorm),
   * Dropout multiplies by a mask fed as an input (GradientGraphInfo.training.dropout).
   */
  mode?: GradMode;
  /**
   * How parameters listed in wrt appear in the gradient graph. 'constant'
   * (default): they stay initializers, and the gradient is taken at their
   * stored values. 'input': they become graph inputs without a default (their
   * initializers are removed; onnxruntime-node cannot override an
   * initializer), so a trainer feeds updated values each step without
   * rebuilding the session; parameterValues() gives their current values.
   */
  parameters?: 'constant' | 'input';
  /**
   * A modified-gradient mode (modes/): guided backpropagation, DeepLIFT's
   * rescale rule (the batch holds [inputs; references]) or LRP (relevance
   * instead of gradients). Inference mode only.
   */
  modify?: GradientModification;
}

/** What gradientGraph added to the graph; stored in the model's metadata (key `ecgx.autodiff`). */
export interface GradientGraphInfo {
  of: string;
  index: number | null;
  mode: GradMode;
  /** Name of the seed input (seed: 'input'), else null. */
  seedInput: string | null;
  /** wrt tensor -> name of the graph output holding its gradient. */
  gradients: Record<string, string>;
  /** Parameters turned into graph inputs (option parameters: 'input'): feed them each run, e.g. from parameterValues(originalModel, names). */
  parameterInputs: string[];
  training: TrainingIo;
  /** The modified-gradient mode, when one was used. */
  modify?: GradientModification;
}

export const METADATA_KEY = 'ecgx.autodiff';

export function gradientGraph(model: ModelProto, opts: GradientOptions): ModelProto {
  const given = model.graph;
  if (!given) throw new ModelError('autodiff: model has no graph');
  const opset = opsetVersion(model);
  if (opset < 13) throw new ModelError(`autodiff: model uses ONNX opset ${opset}; gradients need opset 13 or newer (export with opset_version >= 13)`);
  const mode = opts.mode ?? 'inference';
  // Modified-gradient modes define their own rules for BatchNormalization (LRP folds it its own way).
  const graph = mode === 'inference' && !opts.modify && foldOptions.batchNorm ? foldBatchNorms(given, new Set([opts.of, ...opts.wrt])).graph : given;
  const nodes = graph.node ?? [];
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputNames = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  const produced = new Set(nodes.flatMap((n) => n.output ?? []));
  const exists = (t: string): boolean => produced.has(t) || initNames.has(t) || inputNames.has(t);
  if (!exists(opts.of)) throw new ModelError(`autodiff: tensor '${opts.of}' (of) is not in the graph (outputs: ${(graph.output ?? []).map((o) => o.name).join(', ')})`);
  if (opts.wrt.length === 0) throw new ModelError('autodiff: wrt is empty (expected at least one tensor)');
  for (const w of opts.wrt) if (!exists(w)) throw new ModelError(`autodiff: tensor '${w}' (wrt) is not in the graph`);

  const info = ShapeInfo.ofGraph(graph, opset);
  const used = new Set<string>([...produced, ...initNames, ...inputNames, ...nodes.map((n) => n.name ?? '')]);
  const e = new Emitter(info, used, opset);
  // Rules are for the default ONNX domain; a custom-domain op of the same name (com.microsoft...) gets none.
  if (opts.modify && mode !== 'inference') throw new ModelError(`autodiff: modified gradients (${opts.modify.kind}) are for inference mode only`);
  const modified = opts.modify ? prepareMode(opts.modify, graph) : undefined;
  const ordinaryRule = (n: NodeProto): Rule | undefined => (!n.domain || n.domain === 'ai.onnx' ? RULES[n.opType ?? ''] : undefined);
  const ruleOf = (n: NodeProto): Rule | undefined => (modified ? modified.rule(n, ordinaryRule(n)) : ordinaryRule(n));
  const slots = (n: NodeProto): number[] => {
    if (NON_DIFFERENTIABLE.has(n.opType ?? '')) return [];
    const r = ruleOf(n);
    return r?.differentiable ? [...r.differentiable] : (n.input ?? []).map((_, i) => i);
  };

  // Tensors downstream of a wrt tensor, and tensors upstream of `of`, along differentiable slots.
  const fromWrt = new Set(opts.wrt);
  for (const n of nodes) {
    if (slots(n).some((i) => fromWrt.has((n.input ?? [])[i] ?? ''))) for (const o of n.output ?? []) if (o) fromWrt.add(o);
  }
  const toOf = new Set([opts.of]);
  const onPath = new Set<NodeProto>();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if (!(n.output ?? []).some((o) => toOf.has(o))) continue;
    const ins = n.input ?? [];
    const live = slots(n).filter((i) => ins[i] && fromWrt.has(ins[i]!));
    if (live.length === 0) continue;
    onPath.add(n);
    for (const i of live) toOf.add(ins[i]!);
  }
  for (const n of onPath) {
    if (!ruleOf(n)) throw new ModelError(`autodiff: no gradient rule for ${nodeLabel(n)} (op '${n.domain ? `${n.domain}.` : ''}${n.opType}' is not supported)`);
  }

  // Forward pass: the model's nodes, in training form or with extra outputs where a rule asks.
  const training: TrainingIo = { batchNorm: [], dropout: [] };
  const saved = new Map<NodeProto, Map<string, unknown>>();
  const fctx = (n: NodeProto): ForwardContext => {
    let s = saved.get(n);
    if (!s) saved.set(n, (s = new Map()));
    return { node: n, e, info, mode, training, onPath: onPath.has(n), saved: s };
  };
  for (const n of nodes) {
    const r = ruleOf(n);
    if (r?.forward && (onPath.has(n) || mode === 'training')) r.forward(fctx(n));
    else e.push(n);
  }

  // Seed: d(sum of of[, index])/d(of), or an input holding the upstream gradient.
  const grads = new Map<string, string[]>();
  const addGrad = (t: string, g: string): void => {
    const list = grads.get(t);
    if (list) list.push(g);
    else grads.set(t, [g]);
  };
  const extraInputs: ValueInfoProto[] = [];
  let seedInput: string | null = null;
  const ofShape = info.shape(opts.of);
  if ((opts.seed ?? 'sum') === 'input') {
    seedInput = e.fresh(`seed_${sanitizeName(opts.of)}`);
    extraInputs.push(declare(seedInput, ofShape));
    info.set(seedInput, ofShape ? [...ofShape] : undefined, DType.FLOAT);
    addGrad(opts.of, modified?.seed ? modified.seed(e, opts.of, seedInput) : seedInput);
  } else {
    const ones = seedOnes(e, opts.of, opts.index);
    addGrad(opts.of, modified?.seed ? modified.seed(e, opts.of, ones) : ones);
  }

  // Backward pass over the nodes on a path, in reverse order.
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if (!onPath.has(n)) continue;
    const outs = n.output ?? [];
    const dys = outs.map((o) => {
      const list = grads.get(o);
      return list && list.length ? e.sum(list) : undefined;
    });
    if (dys.every((d) => d === undefined)) continue;
    const ins = n.input ?? [];
    const live = new Set(slots(n).filter((i) => ins[i] && fromWrt.has(ins[i]!) && toOf.has(ins[i]!)));
    const ctx: BackwardContext = {
      ...fctx(n),
      x: (i) => ins[i] ?? '',
      y: (i) => outs[i] ?? '',
      dy: (i = 0) => dys[i],
      wants: (i) => live.has(i),
    };
    const res = ruleOf(n)!.backward(ctx);
    for (const i of live) {
      const g = res[i];
      if (g !== undefined) addGrad(ins[i]!, g);
    }
  }

  // Outputs: the forward outputs, BN batch statistics (training), then one gradient per wrt tensor.
  const outputs: ValueInfoProto[] = [...(graph.output ?? [])];
  for (const bn of training.batchNorm) {
    outputs.push(declare(bn.mean, info.shape(bn.mean)), declare(bn.var, info.shape(bn.var)));
  }
  const gradients: Record<string, string> = {};
  for (const w of opts.wrt) {
    if (gradients[w]) continue;
    const list = grads.get(w);
    const g = list && list.length ? e.sum(list) : e.zerosLike(w);
    const name = e.fresh(`grad_${sanitizeName(w)}`);
    e.add('Identity', [g], {}, { outputs: [name] });
    gradients[w] = name;
    outputs.push(declare(name, info.shape(w)));
  }

  const parameterInputs = opts.parameters === 'input' ? opts.wrt.filter((w) => initNames.has(w) && !inputNames.has(w)) : [];
  for (const p of parameterInputs) {
    const t = (graph.initializer ?? []).find((x) => x.name === p)!;
    extraInputs.push(makeValueInfo(p, tensorDims(t), t.dataType ?? DType.FLOAT));
  }
  const params = new Set(parameterInputs);
  for (const d of training.dropout) extraInputs.push(declare(d.mask, info.shape(d.mask)));

  const read = new Set([...e.nodes.flatMap((n) => n.input ?? []), ...outputs.map((o) => o.name ?? '')]);
  const meta: GradientGraphInfo = { of: opts.of, index: opts.index ?? null, mode, seedInput, gradients, parameterInputs, training, ...(opts.modify ? { modify: opts.modify } : {}) };
  const opsetImport = (model.opsetImport ?? []).map((o) => (!o.domain || o.domain === 'ai.onnx' ? { ...o, version: Math.max(opset, e.minOpset) } : o));
  return {
    ...model,
    irVersion: Math.max(Number(model.irVersion ?? 8), 8),
    opsetImport,
    metadataProps: [...(model.metadataProps ?? []).filter((p) => p.key !== METADATA_KEY), { key: METADATA_KEY, value: JSON.stringify(meta) }],
    graph: {
      ...graph,
      node: e.nodes,
      // Initializers no node reads any more (e.g. running statistics in training mode) are dropped: onnxruntime would warn about each.
      initializer: [...(graph.initializer ?? []).filter((t) => !params.has(t.name ?? '')), ...e.initializers].filter((t) => read.has(t.name ?? '')),
      input: [...(graph.input ?? []), ...extraInputs],
      output: outputs,
    },
  };
}

/** Current values of initializers (parameters) of a model, as feeds for a gradient graph's parameter inputs. */
export function parameterValues(model: ModelProto, names: readonly string[]): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const name of names) {
    const t = (model.graph?.initializer ?? []).find((x) => x.name === name);
    if (!t) throw new ModelError(`autodiff: '${name}' is not an initializer of the model`);
    out[name] = { data: tensorFloat32(t), shape: tensorDims(t) };
  }
  return out;
}

/** Reads back what gradientGraph recorded in a model's metadata; undefined for other models. */
export function gradientGraphInfo(model: ModelProto): GradientGraphInfo | undefined {
  const p = (model.metadataProps ?? []).find((x) => x.key === METADATA_KEY);
  return p?.value ? (JSON.parse(p.value) as GradientGraphInfo) : undefined;
}

/** A float tensor's value info; without a shape where none is known (ORT accepts that). */
function declare(name: string, shape: Shape | undefined): ValueInfoProto {
  return shape ? makeValueInfo(name, shape.map((d) => (typeof d === 'string' && d.startsWith('?') ? `${name}_dim${shape.indexOf(d)}` : d))) : { name, type: { tensorType: { elemType: DType.FLOAT } } };
}

/** d(sum of `of`)/d(of) = ones; with `index`, ones in column `index` of axis 1 only. */
function seedOnes(e: Emitter, of: string, index: number | undefined): string {
  const shape = e.info.shape(of);
  if (index === undefined) return e.op('Expand', [e.scalar(1), e.shapeTensor(of)], {}, `seed_${of}`);
  if (!Number.isInteger(index) || index < 0) throw new ModelError(`autodiff: index ${index} of '${of}' must be a non-negative integer`);
  if (!shape || shape.length < 2) throw new ModelError(`autodiff: index ${index} needs '${of}' to have a known rank >= 2 (column along axis 1)`);
  const cols = shape[1]!;
  if (typeof cols === 'number') {
    if (index >= cols) throw new ModelError(`autodiff: index ${index} is out of range for '${of}' with ${cols} columns along axis 1`);
    const mask = new Float32Array(cols);
    mask[index] = 1;
    const dims = [1, cols, ...new Array(shape.length - 2).fill(1)];
    return e.op('Expand', [e.constFloat(mask, dims), e.shapeTensor(of)], {}, `seed_${of}`);
  }
  const range = e.op('Range', [e.constInt([0], []), e.op('Gather', [e.shapeOf(of), e.constInt([1], [])], { axis: 0 }), e.constInt([1], [])]);
  const mask = e.op('Cast', [e.op('Equal', [range, e.constInt([index], [])])], { to: DType.FLOAT });
  const view = e.unsqueeze(mask, [0, ...Array.from({ length: shape.length - 2 }, (_, i) => i + 2)]);
  return e.op('Expand', [view, e.shapeOf(of)], {}, `seed_${of}`);
}

