/**
 * What a model is made of: inputs, outputs, layers, parameters, and which
 * intermediate tensors explainers can address (residual block outputs first).
 * Works on ecgx models (value_info everywhere, blocks named `block1..N`) and
 * on PyTorch exports (names like `/layer4/relu_1/Relu_output_0`, often no
 * value_info), whose residual blocks are found from the graph's structure.
 */
import { ModelError } from '../../util/errors.js';
import { DType, opsetVersion, tensorDims, type ModelProto, type NodeProto } from './proto.js';
import { inferShapes, valueInfoOf, UNKNOWN, type Dim, type TensorType } from './shapes.js';

export interface TensorInfo {
  name: string;
  /** Numbers for static dims, names for symbolic ones (`batch`), '?' when unknown. */
  shape: Dim[];
  /** Element type, e.g. 'float32'. */
  dtype: string;
}

export interface NodeInfo {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}

export type ExplainableKind = 'block' | 'conv' | 'activation';

export interface ExplainableTensor {
  name: string;
  shape: Dim[];
  /** 'block': output of a residual block; 'conv': a convolution's output; 'activation': a ReLU-like output. */
  kind: ExplainableKind;
}

export interface ModelInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  nodes: NodeInfo[];
  initializers: { name: string; shape: number[]; count: number }[];
  /** Elements of all float initializers of rank >= 1 (weights, biases and batch-norm statistics). */
  parameters: number;
  opset: number;
  /** Intermediate `[batch, channels, time]` tensors in graph order; blocks also listed in `blocks`. */
  explainable: ExplainableTensor[];
  /** Names of the residual block outputs, in graph order (the "last three blocks" of TLC are the last three). */
  blocks: string[];
  metadata: Record<string, string>;
}

const DTYPE_NAMES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

export function dtypeName(code: number): string {
  return DTYPE_NAMES[code] ?? `type${code}`;
}

const ACTIVATIONS = new Set(['Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Gelu', 'HardSwish', 'Mish', 'Tanh']);
/** Ops between a residual add and its block's output (Ribeiro: add -> BN -> ReLU -> dropout). */
const POST_ADD = new Set(['BatchNormalization', 'Dropout', 'Identity', ...ACTIVATIONS]);
const BLOCK_NAME = /^block\d+$/;

export function inspectModel(model: ModelProto): ModelInfo {
  const g = model.graph ?? {};
  const types = inferShapes(model);
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const info = (name: string): TensorInfo => {
    const t = types.get(name);
    return { name, shape: t?.shape ?? [UNKNOWN], dtype: dtypeName(t?.elemType ?? DType.FLOAT) };
  };
  const initializers = (g.initializer ?? []).map((t) => {
    const shape = tensorDims(t);
    return { name: t.name ?? '', shape, count: shape.reduce((a, b) => a * b, 1) };
  });
  const parameters = (g.initializer ?? [])
    .filter((t) => (t.dataType === DType.FLOAT || t.dataType === DType.DOUBLE || t.dataType === 10 || t.dataType === 16) && tensorDims(t).length >= 1)
    .reduce((acc, t) => acc + tensorDims(t).reduce((a, b) => a * b, 1), 0);
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  const blocks = findBlocks(g.node ?? [], inits);
  const explainable = findExplainable(g.node ?? [], blocks, types);
  return {
    inputs: (g.input ?? []).filter((v) => !inits.has(v.name ?? '')).map((v) => info(v.name ?? '')),
    outputs: (g.output ?? []).map((v) => info(v.name ?? '')),
    nodes: (g.node ?? []).map((n, i) => ({ name: n.name || `${n.opType ?? 'node'}_${i}`, opType: n.opType ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])] })),
    initializers,
    parameters,
    opset: opsetVersion(model),
    explainable,
    blocks: explainable.filter((e) => e.kind === 'block').map((e) => e.name),
    metadata,
  };
}

/**
 * Residual block outputs: for each Add of two computed tensors (a skip
 * connection), follow the chain of BN/activation/dropout/Identity ops after it
 * and take its last activation or Identity (torchvision: add -> ReLU; Ribeiro
 * and ecgx: add -> BN -> ReLU [-> Identity blockN] -> dropout); with no
 * activation after it, the sum itself. Identities named `blockN` always count.
 */
function findBlocks(nodes: NodeProto[], inits: Set<string>): Set<string> {
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const i of n.input ?? []) {
      if (!consumers.has(i)) consumers.set(i, []);
      consumers.get(i)!.push(n);
    }
  }
  const isComputed = (name: string): boolean => !inits.has(name) && producer.has(name) && producer.get(name)!.opType !== 'Constant';
  const blocks = new Set<string>();
  for (const n of nodes) {
    if (n.opType === 'Identity' && BLOCK_NAME.test(n.output?.[0] ?? '')) blocks.add(n.output![0]!);
    if (n.opType !== 'Add' || (n.input ?? []).length !== 2 || !(n.input ?? []).every(isComputed)) continue;
    let cur = n.output?.[0] ?? '';
    let best = cur;
    for (let guard = 0; guard < 16; guard++) {
      const next = (consumers.get(cur) ?? []).find((c) => POST_ADD.has(c.opType ?? '') && c.input?.[0] === cur);
      if (!next) break;
      cur = next.output?.[0] ?? '';
      if (ACTIVATIONS.has(next.opType ?? '') || next.opType === 'Identity') best = cur;
    }
    blocks.add(best);
  }
  return blocks;
}

function findExplainable(nodes: NodeProto[], blocks: Set<string>, types: Map<string, TensorType>): ExplainableTensor[] {
  const out: ExplainableTensor[] = [];
  // An activation copied into a named block (ecgx: ReLU -> Identity `blockN`) is listed once, as the block.
  const seen = new Set(nodes.filter((n) => n.opType === 'Identity' && blocks.has(n.output?.[0] ?? '')).map((n) => n.input?.[0] ?? ''));
  for (const n of nodes) {
    const name = n.output?.[0];
    if (!name || seen.has(name)) continue;
    const kind: ExplainableKind | undefined = blocks.has(name) ? 'block' : n.opType === 'Conv' ? 'conv' : ACTIVATIONS.has(n.opType ?? '') ? 'activation' : undefined;
    if (!kind) continue;
    const shape = types.get(name)?.shape;
    if (shape && shape.length !== 3) continue; // explainers need [batch, channels, time]
    seen.add(name);
    out.push({ name, shape: shape ?? [UNKNOWN], kind });
  }
  return out;
}

/**
 * A copy of `model` whose graph also outputs the named intermediate tensors
 * (activations for explainers), typed from value_info or shape inference.
 * Names already among the outputs are kept once.
 */
export function withExtraOutputs(model: ModelProto, names: readonly string[]): ModelProto {
  const g = model.graph ?? {};
  const produced = new Set((g.node ?? []).flatMap((n) => n.output ?? []));
  const current = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const wanted = [...new Set(names)].filter((n) => !current.has(n));
  if (wanted.length === 0) return model;
  const inputs = new Set([...(g.input ?? []).map((v) => v.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
  for (const name of wanted) {
    if (produced.has(name)) continue;
    if (inputs.has(name)) throw new ModelError(`tensor '${name}' is a graph input or initializer, not computed by the model; it cannot be an extra output`);
    const examples = [...produced].slice(-5).join(', ');
    throw new ModelError(`model has no tensor named '${name}' (see 'ecgx model info'; e.g. ${examples})`);
  }
  const types = inferShapes(model);
  const extra = wanted.map((n) => valueInfoOf(n, types.get(n) ?? { elemType: DType.FLOAT, shape: undefined }));
  return { ...model, graph: { ...g, output: [...(g.output ?? []), ...extra] } };
}

/**
 * A copy of `model` that computes only `outputs` (any tensors of the graph):
 * nodes and initializers they do not depend on are dropped. Used to run a
 * backbone up to a block, or to check extra outputs against a shorter graph.
 */
export function truncateModel(model: ModelProto, outputs: readonly string[]): ModelProto {
  const g = model.graph ?? {};
  const producer = new Map<string, NodeProto>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const graphInputs = new Set((g.input ?? []).map((v) => v.name ?? ''));
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const keep = new Set<NodeProto>();
  const needed = new Set<string>();
  const stack = [...outputs];
  for (const o of outputs) {
    if (!producer.has(o) && !graphInputs.has(o)) throw new ModelError(`model has no tensor named '${o}' to truncate at`);
  }
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const n = producer.get(name);
    if (n && !keep.has(n)) {
      keep.add(n);
      for (const i of n.input ?? []) if (i) stack.push(i);
    }
  }
  const types = inferShapes(model);
  const existing = new Map((g.output ?? []).map((o) => [o.name ?? '', o]));
  return {
    ...model,
    graph: {
      ...g,
      node: (g.node ?? []).filter((n) => keep.has(n)),
      initializer: (g.initializer ?? []).filter((t) => needed.has(t.name ?? '')),
      input: (g.input ?? []).filter((v) => needed.has(v.name ?? '') || !inits.has(v.name ?? '')),
      output: outputs.map((o) => existing.get(o) ?? valueInfoOf(o, types.get(o) ?? { elemType: DType.FLOAT, shape: undefined })),
      valueInfo: (g.valueInfo ?? []).filter((v) => needed.has(v.name ?? '') && !outputs.includes(v.name ?? '')),
    },
  };
}
