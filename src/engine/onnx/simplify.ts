/**
 * A PyTorch export as ecgx would have built it: constant subgraphs folded and
 * explicit zero padding folded into the convolution that follows. PyTorch
 * exports compute 'same' padding of strided convolutions at run time
 * (Constant -> ConstantOfShape -> Concat -> Reshape -> Slice -> Transpose ->
 * Cast -> Pad) and alias weights through Identity nodes; onnxruntime folds
 * those in a forward session, but every gradient graph ecgx builds would copy
 * the tensor through Pad and back through its gradient. Measured in
 * bench/foreign.ts, that cost the export 6-22% of explain throughput against
 * the same network built by ecgx.
 *
 * Constant subgraphs are evaluated by onnxruntime itself (a model of just
 * those nodes, run once), so every op it supports folds exactly as it would
 * compute. The result is checked against the original on a seeded input:
 * outputs must agree, else the model is returned unchanged.
 */
import '../telemetry.js'; // before onnxruntime-node: see telemetry.ts
import * as ort from 'onnxruntime-node';
import { encodeModel, getAttr, getIntsAttr, tensorInts, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
import { Rng } from '../../util/rng.js';

/** Ops whose value is not a function of their inputs: never folded. */
const NOT_CONSTANT = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli', 'Dropout']);

const ORT_TO_ONNX: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7, bool: 9, float64: 11 };

export interface SimplifyReport {
  /** Nodes replaced by initializers. */
  folded: number;
  /** Pad nodes merged into the Conv after them. */
  fusedPads: number;
  /** Largest |difference| between the outputs before and after, on a seeded input (0 when nothing changed). */
  maxDifference: number;
  /** Why nothing was changed, when the check failed. */
  kept?: string;
}

function tensorOf(name: string, t: ort.Tensor): TensorProto | undefined {
  const dataType = ORT_TO_ONNX[t.type];
  if (dataType === undefined) return undefined;
  const d = t.data as ArrayLike<unknown> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  const raw = new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
  return { name, dims: t.dims.map(Number), dataType, rawData: raw };
}

/** Folds every node whose inputs are all constant into initializers (evaluated by onnxruntime). */
export async function foldConstants(model: ModelProto): Promise<{ model: ModelProto; folded: number }> {
  const g = model.graph ?? {};
  const nodes = g.node ?? [];
  const constant = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const foldable = new Set<NodeProto>();
  for (const n of nodes) {
    if (NOT_CONSTANT.has(n.opType ?? '') || (n.input ?? []).length === 0 && n.opType !== 'Constant') continue;
    if ((n.input ?? []).every((i) => i === '' || constant.has(i))) {
      foldable.add(n);
      for (const o of n.output ?? []) constant.add(o);
    }
  }
  if (foldable.size === 0) return { model, folded: 0 };
  const kept = nodes.filter((n) => !foldable.has(n));
  const needed = new Set([...kept.flatMap((n) => n.input ?? []), ...(g.output ?? []).map((o) => o.name ?? '')]);
  const targets = [...foldable].flatMap((n) => n.output ?? []).filter((o) => needed.has(o));
  let values: Record<string, ort.Tensor> = {};
  if (targets.length > 0) {
    const reads = new Set([...foldable].flatMap((n) => n.input ?? []));
    const sub: ModelProto = { ...model, graph: { ...g, node: [...foldable], input: [], output: targets.map((name) => ({ name })), valueInfo: [], initializer: (g.initializer ?? []).filter((t) => reads.has(t.name ?? '')) } };
    const session = await ort.InferenceSession.create(encodeModel(sub), { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
    try {
      values = await session.run({}, targets);
    } finally {
      await session.release();
    }
  }
  const computed: TensorProto[] = [];
  for (const name of targets) {
    const t = tensorOf(name, values[name]!);
    if (!t) return { model, folded: 0 }; // a type ecgx does not store: leave the graph alone
    computed.push(t);
  }
  const used = new Set([...kept.flatMap((n) => n.input ?? []), ...(g.output ?? []).map((o) => o.name ?? '')]);
  const initializer = [...(g.initializer ?? []).filter((t) => used.has(t.name ?? '') && !targets.includes(t.name ?? '')), ...computed];
  return { model: { ...model, graph: { ...g, node: kept, initializer } }, folded: foldable.size };
}

/**
 * Merges a zero-valued constant Pad on the time axis into the 1-D Conv that is
 * its only consumer (Conv pads are [begin, end] per spatial axis).
 */
export function fusePadsIntoConvs(model: ModelProto): { model: ModelProto; fused: number } {
  const g = model.graph ?? {};
  const nodes = [...(g.node ?? [])];
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const outputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const consumers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const drop = new Set<NodeProto>();
  const replaced = new Map<NodeProto, NodeProto>();
  for (const pad of nodes) {
    if (pad.opType !== 'Pad') continue;
    const out = pad.output?.[0] ?? '';
    const users = consumers.get(out) ?? [];
    const conv = users[0];
    if (users.length !== 1 || conv?.opType !== 'Conv' || conv.input?.[0] !== out || outputs.has(out)) continue;
    const mode = getAttr(pad, 'mode');
    if (mode !== undefined && mode !== 'constant') continue;
    const [, padsName, valueName, axesName] = pad.input ?? [];
    const pads = padsName ? inits.get(padsName) : undefined;
    if (!pads || (axesName ?? '') !== '') continue;
    if (valueName) {
      const v = inits.get(valueName);
      if (!v || !isZero(v)) continue;
    }
    const p = tensorInts(pads);
    if (p.length !== 6 || p[0] !== 0 || p[1] !== 0 || p[3] !== 0 || p[4] !== 0 || p[2]! < 0 || p[5]! < 0) continue;
    const autoPad = getAttr(conv, 'auto_pad');
    if (autoPad !== undefined && autoPad !== 'NOTSET') continue;
    const cp = getIntsAttr(conv, 'pads', [0, 0]);
    if (cp.length !== 2) continue;
    const attrs = (conv.attribute ?? []).filter((a) => a.name !== 'pads');
    attrs.push({ name: 'pads', type: 7, ints: [cp[0]! + p[2]!, cp[1]! + p[5]!] });
    replaced.set(conv, { ...conv, input: [pad.input![0]!, ...(conv.input ?? []).slice(1)], attribute: attrs });
    drop.add(pad);
  }
  if (drop.size === 0) return { model, fused: 0 };
  const node = nodes.filter((n) => !drop.has(n)).map((n) => replaced.get(n) ?? n);
  const used = new Set(node.flatMap((n) => n.input ?? []));
  const initializer = (g.initializer ?? []).filter((t) => used.has(t.name ?? '') || outputs.has(t.name ?? ''));
  return { model: { ...model, graph: { ...g, node, initializer } }, fused: drop.size };
}

function isZero(t: TensorProto): boolean {
  const raw = t.rawData;
  if (raw && raw.length) return raw.every((b) => b === 0);
  return [...(t.floatData ?? []), ...(t.int64Data ?? []).map(Number), ...(t.int32Data ?? [])].every((v) => Number(v) === 0);
}

/** Largest |difference| of the float outputs of two models on one seeded input (time axis `length` when symbolic). */
async function outputDifference(a: ModelProto, b: ModelProto, length: number): Promise<number> {
  const input = a.graph?.input?.[0];
  const dims = (input?.type?.tensorType?.shape?.dim ?? []).map((d, i) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : i === 0 ? 2 : length));
  const rng = new Rng(3);
  const x = Float32Array.from({ length: dims.reduce((s, v) => s * v, 1) }, () => rng.normal());
  let worst = 0;
  const outs: Record<string, ort.Tensor>[] = [];
  for (const m of [a, b]) {
    const s = await ort.InferenceSession.create(encodeModel(m), { logSeverityLevel: 3 });
    try {
      outs.push(await s.run({ [input!.name!]: new ort.Tensor('float32', x, dims) }));
    } finally {
      await s.release();
    }
  }
  for (const [k, t] of Object.entries(outs[0]!)) {
    const u = outs[1]![k];
    if (!u || t.type !== 'float32') continue;
    const p = t.data as Float32Array, q = u.data as Float32Array;
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i]! - q[i]!));
  }
  return worst;
}

/**
 * Folds constants and pads (see the file comment), then checks that the
 * outputs did not change (to 1e-4, relative to their scale); returns the
 * original model when they did, with the reason.
 */
export async function simplifyModel(model: ModelProto, opts: { length?: number } = {}): Promise<{ model: ModelProto; report: SimplifyReport }> {
  const a = await foldConstants(model);
  const b = fusePadsIntoConvs(a.model);
  if (a.folded === 0 && b.fused === 0) return { model, report: { folded: 0, fusedPads: 0, maxDifference: 0 } };
  let diff: number;
  try {
    diff = await outputDifference(model, b.model, opts.length ?? 1000);
  } catch (e) {
    return { model, report: { folded: 0, fusedPads: 0, maxDifference: 0, kept: `the simplified graph did not run (${(e as Error).message.split('\n')[0]})` } };
  }
  if (!(diff <= 1e-4)) return { model, report: { folded: 0, fusedPads: 0, maxDifference: diff, kept: `outputs changed by ${diff.toExponential(1)}` } };
  return { model: b.model, report: { folded: a.folded, fusedPads: b.fused, maxDifference: diff } };
}
