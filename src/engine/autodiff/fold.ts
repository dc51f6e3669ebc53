/**
 * Inference-mode BatchNormalization folded into the Conv before it, ahead of
 * differentiation. onnxruntime already fuses the pair in the forward pass,
 * but the gradient graph would still scale dY by gamma/sigma per channel
 * (one full pass over the largest activations of the network) before the
 * Conv's input gradient; with the scale inside the Conv's weights, that pass
 * disappears and the adjoint kernel (a constant) carries it.
 *
 * A pair folds when the Conv's weights (and bias) and the BN's parameters are
 * initializers, the Conv's output is read by the BN only, and none of the
 * tensors involved is one the caller needs by name (`keep`: the
 * differentiated tensor, wrt tensors, graph outputs). The Conv takes the BN's
 * output name, so every later node is unchanged.
 */
import { DType, getFloatAttr, getIntAttr, makeFloatTensor, tensorDims, tensorFloat32, type GraphProto, type NodeProto, type TensorProto } from '../onnx/proto.js';

/** Off only to measure what folding saves (bench/explain-breakdown.ts). */
export const foldOptions = { batchNorm: true };

export function foldBatchNorms(graph: GraphProto, keep: ReadonlySet<string>): { graph: GraphProto; folded: number } {
  const nodes = graph.node ?? [];
  const inits = new Map<string, TensorProto>((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const inputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const readers = new Map<string, number>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  // A float initializer that no graph input overrides.
  const constant = (t: string | undefined): TensorProto | undefined => {
    const init = t ? inits.get(t) : undefined;
    return init && !inputs.has(t!) && (init.dataType ?? DType.FLOAT) === DType.FLOAT ? init : undefined;
  };

  const replaced = new Map<NodeProto, NodeProto | null>();
  const added: TensorProto[] = [];
  const used = new Set([...inits.keys(), ...nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])])]);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  for (const bn of nodes) {
    if (bn.opType !== 'BatchNormalization' || (bn.domain && bn.domain !== 'ai.onnx')) continue;
    if (getIntAttr(bn, 'training_mode', 0) !== 0 || (bn.output ?? []).filter((o) => o).length !== 1) continue;
    const [t, gammaName, betaName, meanName, varName] = bn.input ?? [];
    const conv = producer.get(t ?? '');
    if (!conv || conv.opType !== 'Conv' || (conv.domain && conv.domain !== 'ai.onnx') || replaced.has(conv)) continue;
    if (readers.get(t!) !== 1 || outputs.has(t!) || keep.has(t!)) continue;
    const [x, wName, bName] = conv.input ?? [];
    const names = [wName, bName, gammaName, betaName, meanName, varName].filter((n): n is string => !!n);
    if (names.some((n) => keep.has(n))) continue;
    const [w, b, gamma, beta, mean, v] = [constant(wName), bName ? constant(bName) : undefined, constant(gammaName), constant(betaName), constant(meanName), constant(varName)];
    if (!w || (bName && !b) || !gamma || !beta || !mean || !v) continue;
    const dims = tensorDims(w);
    const cout = dims[0]!;
    const [g, be, mu, va] = [gamma, beta, mean, v].map(tensorFloat32);
    if ([g, be, mu, va].some((a) => a!.length !== cout)) continue;
    const wd = tensorFloat32(w);
    const bd = b ? tensorFloat32(b) : new Float32Array(cout);
    const eps = getFloatAttr(bn, 'epsilon', 1e-5);
    const per = wd.length / cout;
    const w2 = new Float32Array(wd.length);
    const b2 = new Float32Array(cout);
    for (let c = 0; c < cout; c++) {
      const s = g![c]! / Math.sqrt(va![c]! + eps);
      for (let j = 0; j < per; j++) w2[c * per + j] = wd[c * per + j]! * s;
      b2[c] = (bd[c]! - mu![c]!) * s + be![c]!;
    }
    const wNew = fresh(`${wName}_bnfold`), bNew = fresh(`${bName || `${wName}_bias`}_bnfold`);
    added.push(makeFloatTensor(wNew, dims, w2), makeFloatTensor(bNew, [cout], b2));
    replaced.set(conv, { ...conv, input: [x!, wNew, bNew], output: [bn.output!.find((o) => o)!] });
    replaced.set(bn, null);
  }
  if (replaced.size === 0) return { graph, folded: 0 };
  const node = nodes.flatMap((n) => {
    const r = replaced.get(n);
    return r === undefined ? [n] : r ? [r] : [];
  });
  const gone = new Set([...replaced.entries()].filter(([, r]) => r !== null).map(([c]) => c.output?.[0] ?? ''));
  return {
    graph: { ...graph, node, initializer: [...(graph.initializer ?? []), ...added], valueInfo: (graph.valueInfo ?? []).filter((v) => !gone.has(v.name ?? '')) },
    folded: replaced.size / 2,
  };
}
