/**
 * Static shape inference over the ONNX ops that ECG models use: for exported
 * models that carry no value_info (`inferShapes`, inspect, the runtime), and
 * node by node as the gradient builder adds nodes (`ShapeInfo`). Best effort:
 * an op outside the list, or a node whose attributes this pass cannot follow,
 * leaves its outputs unknown (the runtime reports the real error).
 *
 * A dimension is a number when static and a string when symbolic. Two equal
 * names are the same size at run time (`batch`); a dimension this pass cannot
 * work out gets a fresh name (`?0`, `?1`...) that equals nothing else, so two
 * unknown sizes are never taken for one (when broadcasting, or cancelling
 * factors to solve a reshape's -1). `inferShapes` writes them all as '?'.
 *
 * Small integer tensors (shapes, axes, starts...) get their values propagated,
 * symbolic entries included (Shape -> Gather -> Unsqueeze -> Concat -> Reshape,
 * as PyTorch exports `x.view(x.size(0), -1)`), so such reshapes stay static.
 * Declared shapes (inputs, value_info, outputs) win over inferred ones, dim by
 * dim, except where inference knows a size the declaration leaves open.
 */
import { DType, getAttr, getIntAttr, getIntsAttr, opsetVersion, tensorDims, tensorFloat32, tensorInts, valueInfoDims, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

/** A dimension: a number when static, a name (e.g. `batch`) when symbolic, '?' (or `?N` inside inference) when unknown. */
export type Dim = number | string;
export type Shape = Dim[];

/** A tensor's element type (ONNX code) and shape; `shape` undefined when even the rank is unknown. */
export interface TensorType {
  elemType: number;
  shape: Dim[] | undefined;
}

/** How `inferShapes` writes an unknown dimension. */
export const UNKNOWN: Dim = '?';

/** An unknown dimension: '?' as read from a value_info, or a fresh `?N` made by inference. */
export function isUnknownDim(d: Dim): boolean {
  return typeof d === 'string' && d.startsWith('?');
}

/**
 * Shapes (and small integer values) of a graph's tensors, grown node by node.
 * A tensor whose rank is unknown has no shape entry; the gradient rules then
 * fall back to forms that read shapes at run time.
 */
export class ShapeInfo {
  readonly shapes = new Map<string, Shape>();
  /** Values of small int64/int32 tensors (flattened), possibly symbolic. */
  readonly values = new Map<string, Dim[]>();
  /** Values of scalar float constants (e.g. a Dropout ratio). */
  readonly scalars = new Map<string, number>();
  /** Element type of each tensor when known (ONNX DataType code). */
  readonly types = new Map<string, number>();
  private fresh = 0;

  constructor(readonly opset: number) {}

  /** A new unknown dimension, equal to no other. */
  unknownDim(): string {
    return `?${this.fresh++}`;
  }

  shape(name: string): Shape | undefined {
    return this.shapes.get(name);
  }

  /** All dims static numbers? */
  staticShape(name: string): number[] | undefined {
    const s = this.shapes.get(name);
    return s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
  }

  rank(name: string): number | undefined {
    return this.shapes.get(name)?.length;
  }

  /** Static integer values of a tensor (all numbers), if known. */
  ints(name: string): number[] | undefined {
    const v = this.values.get(name);
    return v && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
  }

  set(name: string, shape: Shape | undefined, type?: number): void {
    if (shape) this.shapes.set(name, shape);
    if (type !== undefined) this.types.set(name, type);
  }

  addInitializer(t: TensorProto): void {
    const dims = tensorDims(t);
    this.set(t.name ?? '', dims, t.dataType ?? DType.FLOAT);
    const n = dims.reduce((a, b) => a * b, 1);
    if ((t.dataType === DType.INT64 || t.dataType === DType.INT32) && n <= 64) this.values.set(t.name ?? '', tensorInts(t));
    if ((t.dataType === DType.FLOAT || t.dataType === DType.DOUBLE) && n === 1) this.scalars.set(t.name ?? '', tensorFloat32(t)[0]!);
  }

  /** Broadcast of shapes; a symbolic dim against a static size takes the size, two different symbols a fresh unknown. */
  broadcast(shapes: readonly (readonly Dim[])[]): Shape | undefined {
    return broadcastShapes(shapes, (a, b) => (typeof a === 'number' ? a : typeof b === 'number' ? b : this.unknownDim()));
  }

  /** Infers shapes for a whole graph: inputs, value_info, outputs, initializers, then nodes in order. */
  static ofGraph(graph: GraphProto, opset: number): ShapeInfo {
    const info = new ShapeInfo(opset);
    for (const vi of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
      const dims = vi.type?.tensorType?.shape ? valueInfoDims(vi).map((d) => (isUnknownDim(d) ? info.unknownDim() : d)) : undefined;
      info.set(vi.name ?? '', dims, vi.type?.tensorType?.elemType ?? undefined);
    }
    for (const t of graph.initializer ?? []) info.addInitializer(t);
    for (const n of graph.node ?? []) info.inferNode(n);
    return info;
  }

  /** Infers the outputs of one node from what is known of its inputs. */
  inferNode(node: NodeProto): void {
    try {
      inferNode(this, node);
    } catch {
      // Best effort: a node this pass cannot follow leaves its outputs unknown.
    }
  }

  /** An inferred shape for `name`, merged with what a declaration already says (see the module comment). */
  setInferred(name: string, shape: Shape | undefined, type?: number): void {
    const declared = this.shapes.get(name);
    this.set(name, declared && shape ? refine(declared, shape) : shape, this.types.has(name) ? undefined : type);
  }
}

function refine(declared: Shape, inferred: Shape): Shape {
  if (declared.length !== inferred.length) return declared;
  return declared.map((d, i) => (typeof d === 'number' ? d : typeof inferred[i] === 'number' || isUnknownDim(d) ? inferred[i]! : d));
}

/**
 * NumPy (multidirectional) broadcasting: `undefined` when two static sizes
 * differ and neither is 1. Where a symbolic dim meets a different dim
 * (neither 1) only the run-time sizes decide, so `symbolic(a, b)` answers:
 * shape inference takes the static size or a fresh unknown (`ShapeInfo.broadcast`),
 * the graph builder refuses (its symbolic dims must match by name).
 */
export function broadcastShapes(shapes: readonly (readonly Dim[])[], symbolic: (a: Dim, b: Dim) => Dim): Dim[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e === 1 || e === d) continue;
      if (d === 1) d = e;
      else if (typeof d === 'number' && typeof e === 'number') return undefined;
      else d = symbolic(d, e);
    }
    out.push(d);
  }
  return out;
}

/**
 * Types of every tensor of the graph: inputs, initializers and value_info as
 * given, everything else inferred in node order; unknown dims are '?'.
 */
export function inferShapes(model: ModelProto): Map<string, TensorType> {
  const g = model.graph ?? {};
  const info = ShapeInfo.ofGraph(g, opsetVersion(model));
  const names = new Set([...info.types.keys(), ...info.shapes.keys(), ...(g.node ?? []).flatMap((n) => n.output ?? []).filter((n) => n)]);
  const types = new Map<string, TensorType>();
  for (const name of names) {
    const shape = info.shape(name)?.map((d) => (isUnknownDim(d) ? UNKNOWN : d));
    types.set(name, { elemType: info.types.get(name) ?? DType.FLOAT, shape });
  }
  return types;
}

/** A value info from a TensorType; unknown dims carry neither a value nor a name. */
export function valueInfoOf(name: string, t: TensorType): ValueInfoProto {
  const tensorType: NonNullable<NonNullable<ValueInfoProto['type']>['tensorType']> = { elemType: t.elemType };
  if (t.shape) tensorType.shape = { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : isUnknownDim(d) ? {} : { dimParam: d })) };
  return { name, type: { tensorType } };
}

/** Axes of a node given as attribute (older opsets) or as input `inputIndex` (newer): `null` when absent (op default), `undefined` when only known at run time. */
export function nodeAxes(info: ShapeInfo, node: NodeProto, inputIndex: number): number[] | undefined | null {
  const fromAttr = getAttr(node, 'axes');
  if (Array.isArray(fromAttr)) return fromAttr;
  const name = node.input?.[inputIndex];
  if (!name) return null;
  return info.ints(name);
}

/** Normalised [start, end) of a Slice along a dim of length n (ONNX clamping rules). */
export function sliceRange(n: number, start: number, end: number, step: number): { start: number; end: number } {
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), n);
    e = Math.min(Math.max(e, 0), n);
  } else {
    s = Math.min(Math.max(s, 0), n - 1);
    e = Math.min(Math.max(e, -1), n - 1);
  }
  return { start: s, end: e };
}

export function sliceLength(n: number, start: number, end: number, step: number): number {
  const r = sliceRange(n, start, end, step);
  return Math.max(0, step > 0 ? Math.ceil((r.end - r.start) / step) : Math.ceil((r.start - r.end) / -step));
}

const SAME_SHAPE = new Set([
  'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Gelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign', 'Erf', 'Mish',
  'Softmax', 'LogSoftmax', 'Identity', 'Dropout', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'LRN',
  'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'Clip', 'Sin', 'Cos', 'Not', 'IsNaN',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'Where', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);
const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp', 'ArgMax', 'ArgMin']);
const WINDOW = new Set(['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'LpPool']);

function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

/** Element count when every dim is static. */
function numel(s: readonly Dim[]): number | undefined {
  return s.every((d) => typeof d === 'number') ? (s as number[]).reduce((a, b) => a * b, 1) : undefined;
}

/** Integer arithmetic on (possibly symbolic) values, as ONNX int64 ops do it. */
function arith(info: ShapeInfo, op: string, a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case 'Add': return a + b;
      case 'Sub': return a - b;
      case 'Mul': return a * b;
      case 'Div': return Math.trunc(a / b);
    }
  }
  if ((op === 'Mul' && b === 1) || (op === 'Div' && b === 1) || ((op === 'Add' || op === 'Sub') && b === 0)) return a;
  if ((op === 'Mul' && a === 1) || (op === 'Add' && a === 0)) return b;
  return info.unknownDim();
}

/** The dims' product: static, the one dim other than 1s, or a fresh unknown. */
function product(info: ShapeInfo, s: readonly Dim[]): Dim {
  const n = numel(s);
  if (n !== undefined) return n;
  const rest = s.filter((d) => d !== 1);
  return rest.length === 1 ? rest[0]! : info.unknownDim();
}

function inferNode(info: ShapeInfo, node: NodeProto): void {
  const op = node.opType ?? '';
  const ins = node.input ?? [];
  const outs = node.output ?? [];
  const sh = (i: number): Shape | undefined => (ins[i] ? info.shape(ins[i]!) : undefined);
  const val = (i: number): Dim[] | undefined => (ins[i] ? info.values.get(ins[i]!) : undefined);
  const setVal = (v: Dim[] | undefined): void => {
    if (v && outs[0]) info.values.set(outs[0], [...v]);
  };
  const inType = ins[0] ? info.types.get(ins[0]) : undefined;
  const out = (s: Shape | undefined, type = inType, i = 0): void => {
    if (outs[i]) info.setInferred(outs[i]!, s, type);
  };
  const unknownLike = (s: Shape | undefined): Shape | undefined => s?.map(() => info.unknownDim());

  if (SAME_SHAPE.has(op)) {
    const s = sh(0);
    out(s && [...s], BOOL_OUT.has(op) ? DType.BOOL : inType);
    if (op === 'Dropout') out(s && [...s], DType.BOOL, 1);
    if (op === 'BatchNormalization') for (let i = 1; i < outs.length; i++) out(sh(1) && [...sh(1)!], inType, i); // training mode: running mean / var
    if (op === 'Identity') setVal(val(0));
    return;
  }
  if (BROADCAST.has(op)) {
    const shapes = ins.filter((n) => n).map((n) => info.shape(n));
    const type = BOOL_OUT.has(op) ? DType.BOOL : op === 'Where' ? info.types.get(ins[1] ?? '') : inType;
    out(shapes.every((s) => s) ? info.broadcast(shapes as Shape[]) : undefined, type);
    const a = val(0), b = val(1);
    if (['Add', 'Sub', 'Mul', 'Div'].includes(op) && a && b && (a.length === b.length || a.length === 1 || b.length === 1)) {
      setVal(Array.from({ length: Math.max(a.length, b.length) }, (_, i) => arith(info, op, a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!)));
    }
    return;
  }
  if (WINDOW.has(op)) return inferWindow(info, node, sh(0), op.startsWith('Conv') ? sh(1) : undefined, out);
  if (REDUCE.has(op)) {
    const s = sh(0);
    const arg = op.startsWith('Arg');
    const type = arg ? DType.INT64 : inType;
    if (!s) return out(undefined, type);
    const keep = getIntAttr(node, 'keepdims', 1) === 1;
    let axes: number[] | undefined | null = arg ? [getIntAttr(node, 'axis', 0)] : nodeAxes(info, node, 1);
    if (axes === undefined) return out(unknownLike(s), type);
    if (axes === null || axes.length === 0) axes = getIntAttr(node, 'noop_with_empty_axes', 0) === 1 ? [] : s.map((_, i) => i);
    const ax = axes.map((a) => normAxis(a, s.length));
    return out(keep ? s.map((d, i) => (ax.includes(i) ? 1 : d)) : s.filter((_, i) => !ax.includes(i)), type);
  }
  switch (op) {
    case 'Cast':
      out(sh(0) && [...sh(0)!], getIntAttr(node, 'to', DType.FLOAT));
      return setVal(val(0));
    case 'Constant': {
      const t = getAttr(node, 'value');
      if (t && typeof t === 'object' && !Array.isArray(t)) return info.addInitializer({ ...(t as TensorProto), name: outs[0] });
      const ints = getAttr(node, 'value_ints'), int = getAttr(node, 'value_int');
      const floats = getAttr(node, 'value_floats'), float = getAttr(node, 'value_float');
      if (Array.isArray(ints)) {
        out([ints.length], DType.INT64);
        setVal(ints);
      } else if (typeof int === 'number') {
        out([], DType.INT64);
        setVal([int]);
      } else if (Array.isArray(floats)) out([floats.length], DType.FLOAT);
      else if (typeof float === 'number') out([], DType.FLOAT);
      return;
    }
    case 'Shape': {
      const s = sh(0);
      if (!s) return out([info.unknownDim()], DType.INT64);
      const clamp = (a: number): number => Math.min(Math.max(normAxis(a, s.length), 0), s.length);
      const start = clamp(getIntAttr(node, 'start', 0));
      const v = s.slice(start, Math.max(start, clamp(getIntAttr(node, 'end', s.length))));
      out([v.length], DType.INT64);
      return setVal(v);
    }
    case 'Size': {
      out([], DType.INT64);
      const s = sh(0);
      return setVal(s && [numel(s) ?? info.unknownDim()]);
    }
    case 'ConstantOfShape': {
      const v = val(0);
      const t = getAttr(node, 'value') as TensorProto | undefined;
      return out(v ? [...v] : ins[0] && typeof sh(0)?.[0] === 'number' ? Array.from({ length: sh(0)![0] as number }, () => info.unknownDim()) : undefined, t?.dataType ?? DType.FLOAT);
    }
    case 'Gather': {
      const s = sh(0), is = sh(1);
      if (s && is) {
        const a = normAxis(getIntAttr(node, 'axis', 0), s.length);
        out([...s.slice(0, a), ...is, ...s.slice(a + 1)]);
      }
      const v = val(0), idx = ins[1] ? info.ints(ins[1]) : undefined;
      if (v && idx && (s?.length ?? 1) === 1) setVal(idx.map((i) => v[i < 0 ? i + v.length : i]!));
      return;
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const s = sh(0);
      const axes = nodeAxes(info, node, 1);
      setVal(val(0));
      if (!s || axes === undefined) return out(undefined);
      if (op === 'Unsqueeze') {
        const r = s.length + axes!.length;
        const ax = axes!.map((a) => normAxis(a, r));
        const res: Shape = [];
        let k = 0;
        for (let i = 0; i < r; i++) res.push(ax.includes(i) ? 1 : s[k++]!);
        return out(res);
      }
      const ax = axes === null || axes.length === 0 ? s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : axes.map((a) => normAxis(a, s.length));
      return out(s.filter((_, i) => !ax.includes(i)));
    }
    case 'Concat': {
      const shapes = ins.map((n) => info.shape(n));
      if (ins.length && ins.every((n) => info.values.has(n))) setVal(ins.flatMap((n) => info.values.get(n)!));
      if (!shapes.length || !shapes.every((s) => s)) return out(undefined);
      const a = normAxis(getIntAttr(node, 'axis', 0), shapes[0]!.length);
      const res = [...shapes[0]!];
      res[a] = shapes.slice(1).reduce<Dim>((total, s) => arith(info, 'Add', total, s![a]!), shapes[0]![a]!);
      return out(res);
    }
    case 'Reshape':
      setVal(val(0));
      return out(reshaped(info, node, sh(0), val(1), sh(1)));
    case 'Flatten': {
      const s = sh(0);
      if (!s) return out(undefined);
      const a = Math.min(normAxis(getIntAttr(node, 'axis', 1), s.length), s.length);
      return out([product(info, s.slice(0, a)), product(info, s.slice(a))]);
    }
    case 'Transpose': {
      const s = sh(0);
      if (!s) return out(undefined);
      const perm = getIntsAttr(node, 'perm', s.map((_, i) => s.length - 1 - i));
      return out(perm.map((p) => s[p]!));
    }
    case 'Expand': {
      const s = sh(0), v = val(1);
      return out(s && v ? info.broadcast([s, v]) : undefined);
    }
    case 'Tile': {
      const s = sh(0), r = val(1);
      return out(s && r ? s.map((d, i) => arith(info, 'Mul', d, r[i]!)) : unknownLike(s));
    }
    case 'Slice': {
      const s = sh(0);
      if (!s) return out(undefined);
      const starts = info.ints(ins[1] ?? ''), ends = info.ints(ins[2] ?? '');
      const axes = ins[3] ? info.ints(ins[3]) : s.map((_, i) => i).slice(0, starts?.length ?? 0);
      const steps = ins[4] ? info.ints(ins[4]) : starts?.map(() => 1);
      if (!starts || !ends || !axes || !steps) return out(unknownLike(s));
      const res = [...s];
      axes.forEach((ax, k) => {
        const a = normAxis(ax, s.length);
        const d = s[a]!;
        if (typeof d === 'number') res[a] = sliceLength(d, starts[k]!, ends[k]!, steps[k]!);
        else res[a] = starts[k] === 0 && ends[k]! >= 2 ** 31 - 1 && steps[k] === 1 ? d : info.unknownDim(); // x[:, 0:] keeps a symbolic length
      });
      const v = val(0);
      if (v && s.length === 1 && typeof s[0] === 'number') {
        const step = steps[0]!;
        const r = sliceRange(v.length, starts[0]!, ends[0]!, step);
        const vals: Dim[] = [];
        for (let i = r.start; step > 0 ? i < r.end : i > r.end; i += step) vals.push(v[i]!);
        setVal(vals);
      }
      return out(res);
    }
    case 'Pad': {
      const s = sh(0);
      const pads = ins[1] ? info.ints(ins[1]) : getIntsAttr(node, 'pads', []);
      const axes = ins[3] ? info.ints(ins[3]) : s?.map((_, i) => i);
      if (!s || !pads || !axes || pads.length !== 2 * axes.length) return out(unknownLike(s));
      const res = [...s];
      axes.forEach((ax, k) => {
        const a = normAxis(ax, s.length);
        const [before, after] = [pads[k]!, pads[k + axes.length]!];
        res[a] = typeof s[a] === 'number' ? (s[a] as number) + before + after : before === 0 && after === 0 ? s[a]! : info.unknownDim();
      });
      return out(res);
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const s = sh(0);
      return out(s ? [s[0]!, s[1]!, ...s.slice(2).map(() => 1)] : undefined);
    }
    case 'MatMul': {
      const a = sh(0), b = sh(1);
      if (!a || !b || a.length === 0 || b.length === 0) return out(undefined);
      const a2 = a.length === 1 ? [1, a[0]!] : a, b2 = b.length === 1 ? [b[0]!, 1] : b;
      const batch = info.broadcast([a2.slice(0, -2), b2.slice(0, -2)]);
      if (!batch) return out(undefined);
      const res = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
      if (a.length === 1) res.splice(res.length - 2, 1);
      if (b.length === 1) res.pop();
      return out(res);
    }
    case 'Gemm': {
      const a = sh(0), b = sh(1);
      if (!a || !b || a.length !== 2 || b.length !== 2) return out(undefined);
      return out([getIntAttr(node, 'transA', 0) ? a[1]! : a[0]!, getIntAttr(node, 'transB', 0) ? b[0]! : b[1]!]);
    }
    case 'Upsample':
    case 'Resize':
      return out(unknownLike(sh(0)));
    case 'Range': {
      const [s, l, d] = [0, 1, 2].map((i) => info.ints(ins[i] ?? '')?.[0]);
      return out([s !== undefined && l !== undefined && d !== undefined ? Math.max(0, Math.ceil((l - s) / d)) : info.unknownDim()], info.types.get(ins[0] ?? ''));
    }
    case 'NonZero': {
      const s = sh(0);
      return out(s ? [s.length, info.unknownDim()] : undefined, DType.INT64);
    }
    case 'Split': {
      const s = sh(0);
      if (!s) return;
      const a = normAxis(getIntAttr(node, 'axis', 0), s.length);
      const split = ins[1] ? info.ints(ins[1]) : getIntsAttr(node, 'split', []);
      const L = s[a]!;
      outs.forEach((_, i) => {
        const res = [...s];
        res[a] = split && split.length ? split[i]! : typeof L === 'number' ? Math.ceil(L / outs.length) : info.unknownDim();
        out(res, inType, i);
      });
      return;
    }
    default:
      return;
  }
}

/** Reshape's output: 0 copies the input dim (unless allowzero), -1 is solved, cancelling symbolic factors (e.g. batch) present on both sides. */
function reshaped(info: ShapeInfo, node: NodeProto, s: Shape | undefined, target: Dim[] | undefined, targetShape: Shape | undefined): Shape | undefined {
  if (!target) return typeof targetShape?.[0] === 'number' && targetShape.length === 1 ? Array.from({ length: targetShape[0] }, () => info.unknownDim()) : undefined;
  const allowZero = getIntAttr(node, 'allowzero', 0) === 1;
  const res: Shape = target.map((d, i) => (d === 0 && !allowZero ? (s?.[i] ?? info.unknownDim()) : d));
  const neg = res.indexOf(-1);
  if (neg < 0) return res;
  if (!s) {
    res[neg] = info.unknownDim();
    return res;
  }
  const num = [...s];
  const den = res.filter((_, i) => i !== neg);
  for (let i = den.length - 1; i >= 0; i--) {
    const j = typeof den[i] === 'string' ? num.indexOf(den[i]!) : -1;
    if (j >= 0) {
      num.splice(j, 1);
      den.splice(i, 1);
    }
  }
  const n = numel(num), d = numel(den);
  res[neg] = n !== undefined && d !== undefined && d > 0 ? n / d : num.filter((x) => x !== 1).length === 1 && d === 1 ? num.find((x) => x !== 1)! : info.unknownDim();
  return res;
}

/** Conv, ConvTranspose and the pools: output lengths from kernel, strides, dilations, pads / auto_pad and ceil_mode. */
function inferWindow(info: ShapeInfo, node: NodeProto, s: Shape | undefined, w: Shape | undefined, out: (s: Shape | undefined, type?: number, i?: number) => void): void {
  if (!s) return out(undefined);
  const op = node.opType ?? '';
  const spatial = s.length - 2;
  const kernel = getIntsAttr(node, 'kernel_shape', w ? (w.slice(2).filter((d) => typeof d === 'number') as number[]) : []);
  const strides = getIntsAttr(node, 'strides', new Array(spatial).fill(1));
  const dil = getIntsAttr(node, 'dilations', new Array(spatial).fill(1));
  const pads = getIntsAttr(node, 'pads', new Array(2 * spatial).fill(0));
  const autoPad = String(getAttr(node, 'auto_pad') ?? 'NOTSET');
  const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
  const ceil = getIntAttr(node, 'ceil_mode', 0) === 1;
  let channels: Dim = s[1]!;
  if (op === 'Conv') channels = w?.[0] ?? info.unknownDim();
  if (op === 'ConvTranspose') channels = typeof w?.[1] === 'number' ? w[1] * getIntAttr(node, 'group', 1) : info.unknownDim();
  const res: Shape = [s[0]!, channels];
  const outputShape = getIntsAttr(node, 'output_shape', []);
  for (let i = 0; i < spatial; i++) {
    const L = s[2 + i]!;
    const st = strides[i]!;
    const span = kernel.length === spatial ? dil[i]! * (kernel[i]! - 1) + 1 : undefined;
    if (op === 'ConvTranspose') {
      const outPad = getIntsAttr(node, 'output_padding', new Array(spatial).fill(0))[i]!;
      if (outputShape.length) res.push(outputShape[i]!);
      else if (typeof L !== 'number') res.push(st === 1 && (same || (span !== undefined && pads[i]! + pads[i + spatial]! === span - 1 && outPad === 0)) ? L : info.unknownDim());
      else if (same) res.push(L * st);
      else res.push(span === undefined ? info.unknownDim() : st * (L - 1) + outPad + span - pads[i]! - pads[i + spatial]!);
      continue;
    }
    if (same) {
      res.push(typeof L === 'number' ? Math.ceil(L / st) : st === 1 ? L : info.unknownDim());
      continue;
    }
    const total = autoPad === 'VALID' ? 0 : pads[i]! + pads[i + spatial]!;
    if (span === undefined) res.push(info.unknownDim());
    else if (typeof L !== 'number') res.push(st === 1 && total === span - 1 ? L : info.unknownDim()); // 'same'-padded, stride 1: length kept
    else {
      let o = (ceil ? Math.ceil : Math.floor)((L + total - span) / st) + 1;
      if (ceil && (o - 1) * st >= L + pads[i]!) o--; // the last window must start inside the input or its left pad
      res.push(o);
    }
  }
  out(res);
  if (op === 'MaxPool') out([...res], DType.INT64, 1);
}
