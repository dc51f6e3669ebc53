/**
 * Pretraining models built from a model-zoo trunk (resnet1d up to its
 * flattened features `head.flatten`, blocks `block1..N` kept by name) plus a
 * head grafted on with the GraphBuilder:
 *   - contrastive: `embedding` [batch, F] (the trunk features, what probes and
 *     downstream tasks use) and `projection` [batch, D] (MLP F -> hidden -> D,
 *     SimCLR's g(.), where the contrastive loss is taken);
 *   - masked: `embedding` and `reconstruction` [batch, leads, samples] from a
 *     light convolutional decoder on the last block (two convolutions, then
 *     a "pixel shuffle" that unfolds channels back into time).
 * `exportEncoder` keeps `embedding` (and `projection` when present) only.
 */
import { GraphBuilder, type Tensor, type Dim } from '../engine/onnx/builder.js';
import { makeInt64Tensor, makeNode, makeValueInfo, valueInfoDims, type ModelProto, type NodeProto, type TensorProto } from '../engine/onnx/proto.js';
import { pruneToOutputs } from '../engine/autodiff/index.js';
import { buildModel, parseModelSpec, type ModelSpec } from '../models/index.js';
import { ModelError, OptionError } from '../util/errors.js';

export const EMBEDDING_OUTPUT = 'embedding';
export const PROJECTION_OUTPUT = 'projection';
export const RECONSTRUCTION_OUTPUT = 'reconstruction';
/** The trunk tensor the heads read: resnet1d's flattened features. */
const TRUNK_FEATURES = 'head.flatten';

export type PretrainMethod = 'contrastive' | 'masked';

export interface EncoderContext {
  leads: number;
  samples: number;
  fs?: number;
  leadNames?: string[];
  seed: number;
}

export interface HeadOptions {
  /** Projection size D (default 64). */
  projectionDim?: number;
  /** Hidden width of the projection MLP (default 128). */
  projectionHidden?: number;
  /** Decoder channels (default 32). */
  decoderChannels?: number;
}

/** The trunk of a zoo model: every node up to `head.flatten`, whose shape is returned. */
function trunk(spec: ModelSpec, ctx: EncoderContext): { model: ModelProto; features: Dim[] } {
  if (!spec.name.startsWith('resnet1d')) throw new OptionError('model', `pretraining needs a resnet1d trunk (blocks block1..N, features head.flatten), got '${spec.name}'`);
  const full = buildModel(spec, { leads: ctx.leads, samples: ctx.samples, task: 'regression', outputs: 1, seed: ctx.seed, ...(ctx.fs !== undefined ? { fs: ctx.fs } : {}), ...(ctx.leadNames ? { leadNames: ctx.leadNames } : {}) });
  const vi = (full.graph?.valueInfo ?? []).find((v) => v.name === TRUNK_FEATURES);
  if (!vi) throw new ModelError(`model '${spec.name}' has no '${TRUNK_FEATURES}' tensor`);
  return { model: full, features: valueInfoDims(vi) };
}

/**
 * `base` cut at the tensors `from`, followed by what `build` adds with a
 * GraphBuilder (whose inputs stand for those tensors), then `extra` raw nodes.
 * Graph inputs and metadata are `base`'s; outputs are those `build` declares
 * plus `extraOutputs`.
 */
function graft(
  base: ModelProto,
  from: { name: string; shape: Dim[] }[],
  seed: number,
  build: (g: GraphBuilder, inputs: Tensor[]) => void,
  extra: { nodes: NodeProto[]; initializers: TensorProto[]; valueInfo: [string, Dim[]][]; outputs: [string, Dim[]][] } = { nodes: [], initializers: [], valueInfo: [], outputs: [] },
): ModelProto {
  const cut = pruneToOutputs(base, from.map((f) => f.name));
  const g = new GraphBuilder({ seed, name: 'head' });
  const inputs = from.map((f) => g.input(f.name, f.shape));
  build(g, inputs);
  const head = g.build().graph!;
  const bg = cut.graph!;
  const cutNames = new Set(from.map((f) => f.name));
  return {
    ...base,
    graph: {
      ...bg,
      name: base.graph?.name ?? 'encoder',
      node: [...(bg.node ?? []), ...(head.node ?? []), ...extra.nodes],
      initializer: [...(bg.initializer ?? []), ...(head.initializer ?? []), ...extra.initializers],
      input: base.graph!.input ?? [],
      output: [...(head.output ?? []).filter((o) => !cutNames.has(o.name ?? '')), ...extra.outputs.map(([n, d]) => makeValueInfo(n, d))],
      valueInfo: [...(base.graph!.valueInfo ?? []), ...(head.valueInfo ?? []), ...extra.valueInfo.map(([n, d]) => makeValueInfo(n, d))],
    },
  };
}

/** Trunk + `embedding` + projection MLP (`projection`). */
export function contrastiveModel(spec: ModelSpec | string, ctx: EncoderContext, o: HeadOptions = {}): ModelProto {
  const s = typeof spec === 'string' ? parseModelSpec(spec) : spec;
  const { model, features } = trunk(s, ctx);
  return graft(model, [{ name: TRUNK_FEATURES, shape: features }], ctx.seed + 1, (g, [f]) => {
    g.output(g.identity(f!, EMBEDDING_OUTPUT));
    const h = g.relu(g.linear(f!, o.projectionHidden ?? 128, { name: 'proj.fc1' }), 'proj.relu');
    g.output(g.linear(h, o.projectionDim ?? 64, { name: 'proj.fc2' }), PROJECTION_OUTPUT);
  });
}

/** Trunk + `embedding` + convolutional decoder from the last block to `reconstruction` [batch, leads, samples]. */
export function maskedModel(spec: ModelSpec | string, ctx: EncoderContext, o: HeadOptions = {}): ModelProto {
  const s = typeof spec === 'string' ? parseModelSpec(spec) : spec;
  const { model, features } = trunk(s, ctx);
  const down = s.options['downsample'] as number[];
  const last = `block${down.length}`;
  const lastInfo = (model.graph?.valueInfo ?? []).find((v) => v.name === last);
  if (!lastInfo) throw new ModelError(`model '${s.name}' has no '${last}' tensor`);
  const lastShape = valueInfoDims(lastInfo);
  const r = down.reduce((a, b) => a * b, 1);
  const tLatent = lastShape[2] as number;
  const L = ctx.leads;
  const ch = o.decoderChannels ?? 32;
  // Pixel shuffle: channel l * r + k of time step t becomes lead l, sample t * r + k.
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const vis: [string, Dim[]][] = [];
  const shape = (name: string, dims: number[]): string => {
    inits.push(makeInt64Tensor(name, [dims.length], dims));
    return name;
  };
  nodes.push(makeNode('Reshape', ['decoder.out', shape('decoder.shape4', [0, L, r, tLatent])], ['decoder.split'], {}, 'decoder.split'));
  vis.push(['decoder.split', ['batch', L, r, tLatent]]);
  nodes.push(makeNode('Transpose', ['decoder.split'], ['decoder.interleave'], { perm: [0, 1, 3, 2] }, 'decoder.interleave'));
  vis.push(['decoder.interleave', ['batch', L, tLatent, r]]);
  const full = tLatent * r;
  const merged = full === ctx.samples ? RECONSTRUCTION_OUTPUT : 'decoder.merged';
  nodes.push(makeNode('Reshape', ['decoder.interleave', shape('decoder.shape3', [0, L, full])], [merged], {}, 'decoder.merged'));
  if (full !== ctx.samples) {
    vis.push([merged, ['batch', L, full]]);
    // 'same' padding with stride rounds the length up: drop the extra samples at the end.
    nodes.push(makeNode('Slice', [merged, shape('decoder.starts', [0]), shape('decoder.ends', [ctx.samples]), shape('decoder.axes', [2])], [RECONSTRUCTION_OUTPUT], {}, 'decoder.crop'));
  }
  return graft(
    model,
    [{ name: TRUNK_FEATURES, shape: features }, { name: last, shape: lastShape }],
    ctx.seed + 1,
    (g, [f, b]) => {
      g.output(g.identity(f!, EMBEDDING_OUTPUT));
      const h = g.relu(g.conv1d(b!, { outChannels: ch, kernel: 5, pad: 'same', name: 'decoder.conv1' }), 'decoder.relu');
      g.conv1d(h, { outChannels: L * r, kernel: 5, pad: 'same', name: 'decoder.out' });
    },
    { nodes, initializers: inits, valueInfo: vis, outputs: [[RECONSTRUCTION_OUTPUT, ['batch', L, ctx.samples]]] },
  );
}

/** The encoder to ship: only what `embedding` (and `projection`, if present) need; metadata kept. */
export function exportEncoder(model: ModelProto): ModelProto {
  const outs = (model.graph?.output ?? []).map((o) => o.name ?? '').filter((n) => n === EMBEDDING_OUTPUT || n === PROJECTION_OUTPUT);
  if (!outs.includes(EMBEDDING_OUTPUT)) throw new ModelError(`the model has no '${EMBEDDING_OUTPUT}' output (not a pretraining model)`);
  const pruned = pruneToOutputs(model, outs);
  const g = pruned.graph!;
  const used = new Set((g.node ?? []).flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]));
  return { ...pruned, graph: { ...g, input: model.graph!.input ?? [], valueInfo: (g.valueInfo ?? []).filter((v) => used.has(v.name ?? '')) } };
}
