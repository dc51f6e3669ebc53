/**
 * 1-D convolution graphs, run as 2-D ones of height 1.
 *
 * onnxruntime's CPU provider gives 2-D Conv, MaxPool, AveragePool and the
 * global pools its blocked-channel kernels (NCHWc: channels in blocks of 8 or
 * 16 for AVX2/AVX-512, direct convolution, ReLU and residual Add fused), and
 * keeps whole Conv -> BN -> ReLU -> Add chains in that layout; the same ops
 * on [batch, channels, time] tensors get none of it (im2col + GEMM, a layout
 * change per op). ECG models are 1-D, so this rewrite is where their speed
 * comes from: on the explain bench model (batch 32, 2 threads) the forward
 * pass took 15.5 instead of 29.5 ms and saliency 65 instead of 88 ms
 * (bench/explain-breakdown.ts measures it, option `conv1d as 1-D`).
 *
 * How: a rank-3 tensor entering a 1-D window op gets an axis of size 1 at
 * position 2; the op runs with [1, k] kernels; its output stays rank 4
 * through the elementwise ops after it (where every other operand is rank 3,
 * whose broadcast is unchanged by the same new axis, or has one element);
 * any other reader, and a graph output, gets the rank-3 tensor back by a
 * Squeeze, under its own name. onnxruntime runs Unsqueeze and Squeeze as
 * views, so the values are those of the 1-D graph up to the summation order
 * of the blocked kernels (a few float32 ulps). Tensors keep their names
 * wherever the original graph's readers see them; the 4-D twins are new names.
 */
import { getAttr, opsetVersion, type AttributeProto, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
import { ShapeInfo } from './shapes.js';

/** Window ops whose 1-D form is rewritten (their spatial attributes get a leading 1 / 0). */
const WINDOW_OPS = new Set(['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool']);
/** Ops that act element by element with NumPy broadcasting (all outputs the shape of the broadcast). */
const ELEMENTWISE = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign', 'Gelu', 'Mish', 'Erf',
  'Identity', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Sign', 'Floor', 'Ceil', 'Round', 'Not', 'Cast', 'Clip', 'Dropout',
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Where', 'Greater', 'Less', 'Equal', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor',
]);
const INTS = 7;

/** The model with its 1-D window ops run in 2-D (see the module comment); the same object when there are none. */
export function conv1dAs2d(model: ModelProto): ModelProto {
  const graph = model.graph;
  if (!graph) return model;
  const opset = opsetVersion(model);
  const info = ShapeInfo.ofGraph(graph, opset);
  const nodes = graph.node ?? [];
  // Subgraphs (If, Loop, Scan) may read outer tensors by name, which the rewrite could leave only as twins.
  if (nodes.some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length))) return model;
  const isWindow1d = (n: NodeProto): boolean => {
    if ((n.domain && n.domain !== 'ai.onnx') || !WINDOW_OPS.has(n.opType ?? '') || info.rank(n.input?.[0] ?? '') !== 3) return false;
    if (n.opType === 'Conv' && info.rank(n.input?.[1] ?? '') !== 3) return false;
    const ks = getAttr(n, 'kernel_shape');
    return ks === undefined || (Array.isArray(ks) && ks.length === 1);
  };
  if (!nodes.some(isWindow1d)) return model;

  const used = new Set<string>([...nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']), ...(graph.initializer ?? []).map((t) => t.name ?? ''), ...(graph.input ?? []).map((v) => v.name ?? '')]);
  const fresh = (base: string): string => {
    let name = `${base}__h1`;
    for (let i = 1; used.has(name); i++) name = `${base}__h1_${i}`;
    used.add(name);
    return name;
  };
  const axisName = fresh('conv2d_axis');
  const extraInit: TensorProto[] = [];
  if (opset >= 13) extraInit.push({ name: axisName, dims: [1], dataType: 7, int64Data: [2] });
  const axisOp = (opType: 'Unsqueeze' | 'Squeeze', input: string, output: string): NodeProto => (opset >= 13
    ? { opType, input: [input, axisName], output: [output], name: fresh(`${output}_${opType}`) }
    : { opType, input: [input], output: [output], name: fresh(`${output}_${opType}`), attribute: [{ name: 'axes', type: INTS, ints: [2] }] });

  const out: NodeProto[] = [];
  /** Rank-3 name -> its rank-4 twin. */
  const twin = new Map<string, string>();
  /** Rank-3 names that exist in the rewritten graph (produced as such, inputs, initializers, or squeezed back). */
  const flat = new Set<string>([...(graph.input ?? []).map((v) => v.name ?? ''), ...(graph.initializer ?? []).map((t) => t.name ?? '')]);
  const lifted = (t: string): string => {
    let u = twin.get(t);
    if (!u) {
      u = fresh(t);
      out.push(axisOp('Unsqueeze', t, u));
      twin.set(t, u);
    }
    return u;
  };
  const asRank3 = (t: string): string => {
    if (t && twin.has(t) && !flat.has(t)) {
      out.push(axisOp('Squeeze', twin.get(t)!, t));
      flat.add(t);
    }
    return t;
  };
  const oneElement = (t: string): boolean => (info.staticShape(t) ?? [0]).every((d) => d === 1);
  /** How an elementwise node's inputs enter its 2-D form, or undefined to leave it 1-D. */
  const liftedInputs = (n: NodeProto): string[] | undefined => {
    const ins = n.input ?? [];
    if (!ins.some((i) => i && twin.has(i))) return undefined;
    const r: string[] = [];
    for (const i of ins) {
      if (!i || twin.has(i)) r.push(i ? twin.get(i)! : i);
      else if (info.rank(i) === 3) r.push(lifted(i));
      else if (oneElement(i)) r.push(i);
      else return undefined;
    }
    return r;
  };

  for (const n of nodes) {
    const outs = n.output ?? [];
    let rewritten: NodeProto | undefined;
    if (isWindow1d(n)) {
      const ins = [...(n.input ?? [])];
      ins[0] = lifted(ins[0]!);
      if (n.opType === 'Conv') ins[1] = lifted(ins[1]!);
      rewritten = { ...n, input: ins, attribute: (n.attribute ?? []).map(spatialAttr2d) };
    } else if (n.opType === 'BatchNormalization' && outs.filter(Boolean).length === 1 && twin.has(n.input?.[0] ?? '')) {
      rewritten = { ...n, input: [twin.get(n.input![0]!)!, ...(n.input ?? []).slice(1)] };
    } else if ((!n.domain || n.domain === 'ai.onnx') && ELEMENTWISE.has(n.opType ?? '')) {
      const ins = liftedInputs(n);
      if (ins) rewritten = { ...n, input: ins };
    }
    if (!rewritten) {
      out.push({ ...n, input: (n.input ?? []).map(asRank3) });
      for (const o of outs) if (o) flat.add(o);
      continue;
    }
    const outs4 = outs.map((o) => (o ? fresh(o) : o));
    outs.forEach((o, i) => o && twin.set(o, outs4[i]!));
    out.push({ ...rewritten, output: outs4 });
  }
  for (const o of graph.output ?? []) asRank3(o.name ?? '');
  // Shapes declared for rank-3 names that now exist only as their twins would describe nothing.
  const present = new Set([...out.flatMap((n) => n.output ?? []), ...flat]);
  return {
    ...model,
    graph: {
      ...graph,
      node: out,
      initializer: [...(graph.initializer ?? []), ...extraInit],
      valueInfo: (graph.valueInfo ?? []).filter((v) => present.has(v.name ?? '')),
    },
  };
}

/** kernel_shape, strides, dilations [a] -> [1, a]; pads [b, e] -> [0, b, 0, e]. */
function spatialAttr2d(a: AttributeProto): AttributeProto {
  if (a.type !== INTS) return a;
  const v = (a.ints ?? []).map(Number);
  if (a.name === 'kernel_shape' || a.name === 'strides' || a.name === 'dilations') return { ...a, ints: [1, ...v] };
  if (a.name === 'pads' && v.length === 2) return { ...a, ints: [0, v[0]!, 0, v[1]!] };
  return a;
}
