/**
 * The training graph: the model's `logits`, a loss appended as ONNX nodes,
 * and its gradient with respect to every trainable parameter, in training
 * mode (BatchNorm with batch statistics, Dropout with fed masks).
 *
 * Parameters are graph inputs fed every step (`parameters: 'input'`), so one
 * onnxruntime session serves the whole run: onnxruntime-node cannot
 * overwrite initializers, and re-creating a session per step costs more
 * than a step of a small model (measured in bench/train.ts).
 */
import { ModelError } from '../util/errors.js';
import { makeFloatTensor, makeNode, makeValueInfo, tensorDims, type ModelProto, type NodeProto, type TensorProto } from '../engine/onnx/proto.js';
import { gradientGraph, gradientGraphInfo, type GradientGraphInfo } from '../engine/autodiff/index.js';

/**
 * bce: binary cross-entropy with logits, mean over samples and classes, with
 * optional per-class pos_weight (PyTorch's BCEWithLogitsLoss).
 * ce: softmax cross-entropy against one-hot targets, mean over samples.
 * mse / l1: mean squared / absolute error on (standardised) targets.
 */
export type LossKind = 'bce' | 'ce' | 'mse' | 'l1';

export interface LossSpec {
  kind: LossKind;
  /** bce only: weight of the positive term per class (length k). */
  posWeight?: number[];
}

/** Name of the targets input ([batch, k]) and of the scalar loss output. */
export const TARGET_INPUT = 'target';
export const LOSS_OUTPUT = 'loss';

export interface TrainableParameter {
  name: string;
  shape: number[];
  /** Weight decay applies to weights of rank >= 2 (conv, linear), not to BN scales/shifts or biases. */
  decay: boolean;
}

/**
 * Trainable parameters: float initializers other than BatchNorm running
 * statistics and Dropout ratios. BatchNorm running statistics are returned
 * separately (`runningStats`), updated by momentum, not by gradients.
 */
export function trainableParameters(model: ModelProto): { params: TrainableParameter[]; runningStats: string[] } {
  const nodes = model.graph?.node ?? [];
  const frozen = new Set<string>();
  const running: string[] = [];
  for (const n of nodes) {
    const ins = n.input ?? [];
    if (n.opType === 'BatchNormalization') {
      for (const i of [3, 4]) if (ins[i]) { frozen.add(ins[i]!); running.push(ins[i]!); }
    }
    if (n.opType === 'Dropout') for (const i of [1, 2]) if (ins[i]) frozen.add(ins[i]!);
  }
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  const params = (model.graph?.initializer ?? [])
    .filter((t) => (t.dataType ?? 1) === 1 && !frozen.has(t.name ?? '') && used.has(t.name ?? ''))
    .map((t: TensorProto) => {
      const shape = tensorDims(t);
      return { name: t.name!, shape, decay: shape.length >= 2 };
    });
  return { params, runningStats: running };
}

/** The model with a `target` input and a scalar `loss` output computed from `logits`. */
export function withLoss(model: ModelProto, loss: LossSpec, logits = 'logits'): ModelProto {
  const graph = model.graph;
  if (!graph) throw new ModelError('withLoss: model has no graph');
  const out = (graph.output ?? []).find((o) => o.name === logits);
  if (!out) throw new ModelError(`withLoss: the model has no '${logits}' output`);
  const dims = out.type?.tensorType?.shape?.dim ?? [];
  const k = Number(dims[1]?.dimValue ?? NaN);
  if (!Number.isInteger(k) || k < 1) throw new ModelError(`withLoss: '${logits}' must be [batch, k] with a static k`);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const shapes: [string, (number | string)[]][] = [];
  let counter = 0;
  const op = (type: string, inputs: string[], attrs: Parameters<typeof makeNode>[3] = {}, scalar = false): string => {
    const name = `loss.${type.toLowerCase()}${++counter}`;
    nodes.push(makeNode(type, inputs, [name], attrs, name));
    shapes.push([name, scalar ? [] : ['batch', k]]);
    return name;
  };
  const constant = (name: string, data: number[], d: number[]): string => {
    inits.push(makeFloatTensor(name, d, Float32Array.from(data)));
    return name;
  };
  const z = logits, y = TARGET_INPUT;
  let elementwise: string;
  switch (loss.kind) {
    case 'bce': {
      // (1 - y) z + (1 + (w - 1) y) softplus(-z), softplus(-z) = relu(-z) + log(1 + exp(-|z|)) (stable for any z).
      const one = constant('loss.one', [1], []);
      const softNeg = op('Add', [op('Relu', [op('Neg', [z])]), op('Log', [op('Add', [one, op('Exp', [op('Neg', [op('Abs', [z])])])])])]);
      let weight = one;
      if (loss.posWeight) {
        if (loss.posWeight.length !== k) throw new ModelError(`withLoss: pos_weight has ${loss.posWeight.length} entries for ${k} outputs`);
        const wm1 = constant('loss.pos_weight_minus_1', loss.posWeight.map((w) => w - 1), [k]);
        weight = op('Add', [one, op('Mul', [wm1, y])]);
      }
      elementwise = op('Add', [op('Mul', [op('Sub', [one, y]), z]), op('Mul', [weight, softNeg])]);
      break;
    }
    case 'ce': {
      if (k < 2) throw new ModelError('withLoss: cross-entropy needs at least 2 outputs');
      // Sum over classes of -y log softmax(z); the mean below divides by k too, so scale by k.
      const logp = op('LogSoftmax', [z], { axis: 1 });
      elementwise = op('Mul', [op('Mul', [y, logp]), constant('loss.minus_k', [-k], [])]);
      break;
    }
    case 'mse': {
      const d = op('Sub', [z, y]);
      elementwise = op('Mul', [d, d]);
      break;
    }
    case 'l1':
      elementwise = op('Abs', [op('Sub', [z, y])]);
      break;
  }
  nodes.push(makeNode('ReduceMean', [elementwise], [LOSS_OUTPUT], { keepdims: 0 }, 'loss.mean'));
  return {
    ...model,
    graph: {
      ...graph,
      node: [...(graph.node ?? []), ...nodes],
      initializer: [...(graph.initializer ?? []), ...inits],
      input: [...(graph.input ?? []), makeValueInfo(TARGET_INPUT, ['batch', k])],
      output: [...(graph.output ?? []), makeValueInfo(LOSS_OUTPUT, [])],
      valueInfo: [...(graph.valueInfo ?? []), ...shapes.map(([n, d]) => makeValueInfo(n, d))],
    },
  };
}

/**
 * A loss written by the caller (e.g. a contrastive loss over embeddings):
 * returns the model with a scalar `loss` output and a `target` input, which
 * Trainer.step feeds with its `y` (any shape whose first dim is the batch).
 */
export type LossGraph = (model: ModelProto) => ModelProto;

export interface TrainingGraph {
  model: ModelProto;
  info: GradientGraphInfo;
  params: TrainableParameter[];
  runningStats: string[];
}

/** `withLoss` (or a LossGraph), then the gradient of the loss w.r.t. every trainable parameter, in training mode, parameters as inputs. */
export function trainingGraph(model: ModelProto, loss: LossSpec | LossGraph): TrainingGraph {
  const { params, runningStats } = trainableParameters(model);
  if (params.length === 0) throw new ModelError('trainingGraph: the model has no trainable parameters');
  const g = withoutUnusedInitializers(gradientGraph(typeof loss === 'function' ? loss(model) : withLoss(model, loss), { of: LOSS_OUTPUT, wrt: params.map((p) => p.name), mode: 'training', parameters: 'input' }));
  return { model: g, info: gradientGraphInfo(g)!, params, runningStats };
}

/** Drops initializers no node reads (running statistics and dropout ratios in the training form), which onnxruntime would warn about. */
function withoutUnusedInitializers(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  return { ...model, graph: { ...graph, initializer: (graph.initializer ?? []).filter((t) => used.has(t.name ?? '')) } };
}

/** A copy of `model` whose initializers named in `values` hold those values (same shapes). */
export function withInitializers(model: ModelProto, values: ReadonlyMap<string, Float32Array>): ModelProto {
  const graph = model.graph!;
  const initializer = (graph.initializer ?? []).map((t) => {
    const v = values.get(t.name ?? '');
    if (!v) return t;
    const dims = tensorDims(t);
    if (dims.reduce((a, b) => a * b, 1) !== v.length) throw new ModelError(`withInitializers: '${t.name}' has ${v.length} values for shape [${dims.join(', ')}]`);
    return makeFloatTensor(t.name!, dims, v);
  });
  return { ...model, graph: { ...graph, initializer } };
}
