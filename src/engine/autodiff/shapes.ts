/**
 * Best-effort static shape inference with symbolic dimensions, for the
 * gradient builder. A dimension is a number when static and a string when
 * symbolic: two equal strings are the same size at run time (`batch`), and
 * dims this pass cannot work out get a fresh name that equals nothing else.
 * A tensor whose rank is unknown has no entry; rules then fall back to forms
 * that read shapes at run time.
 *
 * Small integer tensors (shapes, axes, starts...) also get their values
 * propagated (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as PyTorch
 * exports `x.view(x.size(0), -1)`), so that such reshapes keep static shapes.
 */
import { DType, getAttr, getIntAttr, getIntsAttr, tensorDims, tensorFloat32, tensorInts, valueInfoDims, type GraphProto, type NodeProto, type TensorProto } from '../onnx/proto.js';

export type Dim = number | string;
export type Shape = Dim[];

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

  /** Infers shapes for a whole graph: inputs, initializers, value_info, then nodes in order. */
  static ofGraph(graph: GraphProto, opset: number): ShapeInfo {
    const info = new ShapeInfo(opset);
    for (const vi of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
      const dims = vi.type?.tensorType?.shape ? valueInfoDims(vi).map((d) => (d === '?' ? info.unknownDim() : d)) : undefined;
      info.set(vi.name ?? '', dims, vi.type?.tensorType?.elemType ?? undefined);
    }
    for (const t of graph.initializer ?? []) info.addInitializer(t);
    for (const n of graph.node ?? []) info.inferNode(n);
    return info;
  }

  inferNode(node: NodeProto): void {
    try {
      inferNode(this, node);
    } catch {
      // Best effort: a node this pass cannot follow leaves its outputs unknown.
    }
  }
}

const SAME_SHAPE = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Softplus', 'Identity', 'Dropout', 'Softmax', 'LogSoftmax',
  'Clip', 'Erf', 'BatchNormalization', 'Not', 'Sign', 'Reciprocal', 'Floor', 'Ceil', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Gelu',
  'InstanceNormalization', 'LayerNormalization', 'Round', 'Sin', 'Cos', 'Softsign', 'IsNaN', 'Mish',
]);
const BOOL_OUT = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor', 'Where', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'Mod']);

export function broadcastShapes(info: ShapeInfo, shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k]!;
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (d !== e) d = typeof d === 'number' && typeof e === 'number' ? Math.max(d, e) : typeof d === 'number' ? d : typeof e === 'number' ? e : info.unknownDim();
    }
    out.push(d);
  }
  return out;
}

function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

function numel(s: Shape): Dim {
  return s.every((d) => typeof d === 'number') ? (s as number[]).reduce((a, b) => a * b, 1) : '?';
}

/** Axes of a node given as attribute (older opsets) or as input `inputIndex` (newer). */
export function nodeAxes(info: ShapeInfo, node: NodeProto, inputIndex: number): number[] | undefined | null {
  const fromAttr = getAttr(node, 'axes');
  if (Array.isArray(fromAttr)) return fromAttr;
  const name = node.input?.[inputIndex];
  if (!name) return null; // absent: op default
  return info.ints(name);
}

function arith(op: string, a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case 'Add': return a + b;
      case 'Sub': return a - b;
      case 'Mul': return a * b;
      case 'Div': return Math.trunc(a / b);
    }
  }
  if (op === 'Mul' && (a === 1 || b === 1)) return a === 1 ? b : a;
  return '?';
}

function inferNode(info: ShapeInfo, node: NodeProto): void {
  const op = node.opType ?? '';
  const ins = node.input ?? [];
  const outs = node.output ?? [];
  const sh = (i: number): Shape | undefined => (ins[i] ? info.shape(ins[i]!) : undefined);
  const val = (i: number): Dim[] | undefined => (ins[i] ? info.values.get(ins[i]!) : undefined);
  const inType = ins[0] ? info.types.get(ins[0]) : undefined;
  const out = (s: Shape | undefined, type = inType, i = 0): void => info.set(outs[i] ?? '', s, type);

  if (SAME_SHAPE.has(op)) {
    const type = BOOL_OUT.has(op) ? DType.BOOL : inType;
    out(sh(0) ? [...sh(0)!] : undefined, type);
    if (op === 'Dropout' && outs[1]) out(sh(0) ? [...sh(0)!] : undefined, DType.BOOL, 1);
    if (op === 'BatchNormalization') for (let i = 1; i < outs.length; i++) out(sh(1) ? [...sh(1)!] : undefined, inType, i);
    if (op === 'Identity' && val(0)) info.values.set(outs[0]!, [...val(0)!]);
    return;
  }
  if (op === 'Cast') {
    out(sh(0) ? [...sh(0)!] : undefined, getIntAttr(node, 'to', DType.FLOAT));
    if (val(0)) info.values.set(outs[0]!, [...val(0)!]);
    return;
  }
  if (BROADCAST.has(op)) {
    const shapes = ins.filter((n) => n).map((n) => info.shape(n));
    const type = BOOL_OUT.has(op) ? DType.BOOL : op === 'Where' ? info.types.get(ins[1] ?? '') : inType;
    if (shapes.every((s) => s)) out(broadcastShapes(info, shapes as Shape[]), type);
    else out(undefined, type);
    if (['Add', 'Sub', 'Mul', 'Div'].includes(op) && val(0) && val(1)) {
      const a = val(0)!, b = val(1)!;
      const n = Math.max(a.length, b.length);
      info.values.set(outs[0]!, Array.from({ length: n }, (_, i) => arith(op, a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!)));
    }
    return;
  }
  switch (op) {
    case 'Constant': {
      const t = getAttr(node, 'value');
      if (t && typeof t === 'object' && !Array.isArray(t)) info.addInitializer({ ...(t as TensorProto), name: outs[0] });
      else {
        const vi = getAttr(node, 'value_ints');
        const v = getAttr(node, 'value_int');
        const vf = getAttr(node, 'value_float');
        if (Array.isArray(vi)) { out([vi.length], DType.INT64); info.values.set(outs[0]!, vi); }
        else if (typeof v === 'number' && (node.attribute ?? []).some((a) => a.name === 'value_int')) { out([], DType.INT64); info.values.set(outs[0]!, [v]); }
        else if (typeof vf === 'number') out([], DType.FLOAT);
      }
      return;
    }
    case 'Shape': {
      const s = sh(0);
      if (s) {
        const start = normAxis(getIntAttr(node, 'start', 0), s.length);
        const endRaw = getAttr(node, 'end');
        const end = typeof endRaw === 'number' ? normAxis(endRaw, s.length) : s.length;
        const v = s.slice(Math.max(0, start), Math.min(s.length, end));
        out([v.length], DType.INT64);
        info.values.set(outs[0]!, v);
      } else out(undefined, DType.INT64);
      return;
    }
    case 'Size': {
      out([], DType.INT64);
      const s = sh(0);
      if (s) info.values.set(outs[0]!, [numel(s)]);
      return;
    }
    case 'ConstantOfShape': {
      const v = val(0);
      const t = getAttr(node, 'value') as TensorProto | undefined;
      out(v ? [...v] : undefined, t?.dataType ?? DType.FLOAT);
      return;
    }
    case 'Gather': {
      const s = sh(0), is = sh(1);
      const axis = getIntAttr(node, 'axis', 0);
      if (s && is) {
        const a = normAxis(axis, s.length);
        out([...s.slice(0, a), ...is, ...s.slice(a + 1)]);
      }
      const v = val(0), idx = ins[1] ? info.ints(ins[1]) : undefined;
      if (v && idx && (sh(0)?.length ?? 1) === 1) info.values.set(outs[0]!, idx.map((i) => v[i < 0 ? i + v.length : i]!));
      return;
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const s = sh(0);
      const axes = nodeAxes(info, node, 1);
      if (val(0)) info.values.set(outs[0]!, [...val(0)!]);
      if (!s || axes === undefined) return out(undefined);
      if (op === 'Unsqueeze') {
        const r = s.length + axes!.length;
        const ax = axes!.map((a) => normAxis(a, r));
        const res: Shape = [];
        let k = 0;
        for (let i = 0; i < r; i++) res.push(ax.includes(i) ? 1 : s[k++]!);
        return out(res);
      }
      const ax = axes === null ? s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : axes.map((a) => normAxis(a, s.length));
      return out(s.filter((_, i) => !ax.includes(i)));
    }
    case 'Concat': {
      const shapes = ins.map((n) => info.shape(n));
      if (ins.every((n) => info.values.has(n))) info.values.set(outs[0]!, ins.flatMap((n) => info.values.get(n)!));
      if (!shapes.every((s) => s)) return out(undefined);
      const r = shapes[0]!.length;
      const a = normAxis(getIntAttr(node, 'axis', 0), r);
      const res = [...shapes[0]!];
      let total: Dim = 0;
      for (const s of shapes) total = arith('Add', total, s![a]!);
      res[a] = total === '?' ? info.unknownDim() : total;
      return out(res);
    }
    case 'Reshape': {
      const s = sh(0), v = val(1);
      if (val(0)) info.values.set(outs[0]!, [...val(0)!]);
      if (!v) return out(sh(1) && typeof sh(1)![0] === 'number' ? Array.from({ length: sh(1)![0] as number }, () => info.unknownDim()) : undefined);
      const allowZero = getIntAttr(node, 'allowzero', 0) === 1;
      const res: Shape = v.map((d, i) => (d === 0 && !allowZero && s ? s[i]! : d));
      const neg = res.findIndex((d) => d === -1);
      if (neg >= 0) {
        const total = s ? numel(s) : '?';
        const rest = res.filter((_, i) => i !== neg);
        const known = numel(rest);
        if (typeof total === 'number' && typeof known === 'number') res[neg] = total / known;
        else if (s) {
          // Cancel symbolic factors present on both sides (e.g. batch).
          const num = [...s];
          const den = [...rest];
          for (let i = den.length - 1; i >= 0; i--) {
            const j = num.indexOf(den[i]!);
            if (j >= 0 && typeof den[i] === 'string') { num.splice(j, 1); den.splice(i, 1); }
          }
          const n = numel(num), d = numel(den);
          res[neg] = typeof n === 'number' && typeof d === 'number' ? n / d : num.length === 1 && den.every((x) => x === 1) ? num[0]! : info.unknownDim();
        } else res[neg] = info.unknownDim();
      }
      return out(res.map((d) => (d === '?' ? info.unknownDim() : d)));
    }
    case 'Flatten': {
      const s = sh(0);
      if (!s) return out(undefined);
      const a = normAxis(getIntAttr(node, 'axis', 1), s.length);
      const p = (x: Shape): Dim => { const n = numel(x); return n === '?' ? (x.length === 1 ? x[0]! : x.filter((d) => d !== 1).length === 1 ? x.find((d) => d !== 1)! : info.unknownDim()) : n; };
      return out([p(s.slice(0, a)), p(s.slice(a))]);
    }
    case 'Transpose': {
      const s = sh(0);
      if (!s) return out(undefined);
      const perm = getIntsAttr(node, 'perm', s.map((_, i) => s.length - 1 - i));
      return out(perm.map((p) => s[p]!));
    }
    case 'Expand': {
      const s = sh(0), v = val(1);
      if (s && v) out(broadcastShapes(info, [s, v.map((d) => (d === '?' ? info.unknownDim() : d))]));
      return;
    }
    case 'Slice': {
      const s = sh(0);
      if (!s) return out(undefined);
      const starts = info.ints(ins[1] ?? ''), ends = info.ints(ins[2] ?? '');
      const axes = ins[3] ? info.ints(ins[3]) : s.map((_, i) => i).slice(0, starts?.length ?? 0);
      const steps = ins[4] ? info.ints(ins[4]) : starts?.map(() => 1);
      if (!starts || !ends || !axes || !steps) return out(s.map(() => info.unknownDim()));
      const res = [...s];
      axes.forEach((ax, k) => {
        const a = normAxis(ax, s.length);
        const d = s[a]!;
        if (typeof d !== 'number') { res[a] = starts[k] === 0 && ends[k]! >= 2 ** 31 - 1 && steps[k] === 1 ? d : info.unknownDim(); return; }
        res[a] = sliceLength(d, starts[k]!, ends[k]!, steps[k]!);
      });
      if (val(0) && s.length === 1 && typeof s[0] === 'number') {
        const v = val(0)!;
        const [st, en, sp] = [starts[0]!, ends[0]!, steps[0]!];
        const r = sliceRange(v.length, st, en, sp);
        const vals: Dim[] = [];
        for (let i = r.start; sp > 0 ? i < r.end : i > r.end; i += sp) vals.push(v[i]!);
        info.values.set(outs[0]!, vals);
      }
      return out(res);
    }
    case 'Pad': {
      const s = sh(0);
      const pads = ins[1] ? info.ints(ins[1]) : getIntsAttr(node, 'pads', []);
      if (!s || !pads) return out(s?.map(() => info.unknownDim()));
      const axes = ins[3] ? info.ints(ins[3]) : s.map((_, i) => i);
      if (!axes) return out(s.map(() => info.unknownDim()));
      const res = [...s];
      axes.forEach((ax, k) => {
        const a = normAxis(ax, s.length);
        res[a] = typeof s[a] === 'number' ? (s[a] as number) + pads[k]! + pads[k + axes.length]! : pads[k] === 0 && pads[k + axes.length] === 0 ? s[a]! : info.unknownDim();
      });
      return out(res);
    }
    case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': case 'ReduceL2': case 'ReduceSumSquare': case 'ReduceLogSumExp':
    case 'ArgMax': case 'ArgMin': {
      const s = sh(0);
      const keep = getIntAttr(node, 'keepdims', 1) === 1;
      const type = op.startsWith('Arg') ? DType.INT64 : inType;
      if (!s) return out(undefined, type);
      let axes: number[] | undefined | null = op.startsWith('Arg') ? [getIntAttr(node, 'axis', 0)] : nodeAxes(info, node, 1);
      if (axes === undefined) return out(s.map(() => info.unknownDim()), type);
      if (axes === null || axes.length === 0) axes = getIntAttr(node, 'noop_with_empty_axes', 0) === 1 ? [] : s.map((_, i) => i);
      const ax = axes.map((a) => normAxis(a, s.length));
      return out(keep ? s.map((d, i) => (ax.includes(i) ? 1 : d)) : s.filter((_, i) => !ax.includes(i)), type);
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool': {
      const s = sh(0);
      return out(s ? [s[0]!, s[1]!, ...s.slice(2).map(() => 1)] : undefined);
    }
    case 'Conv': case 'MaxPool': case 'AveragePool': case 'ConvTranspose': {
      const s = sh(0);
      if (!s) return out(undefined);
      const w = op.startsWith('Conv') ? sh(1) : undefined;
      const spatial = s.length - 2;
      const kernel = getIntsAttr(node, 'kernel_shape', w ? (w.slice(2) as number[]) : []);
      const strides = getIntsAttr(node, 'strides', new Array(spatial).fill(1));
      const dil = getIntsAttr(node, 'dilations', new Array(spatial).fill(1));
      const pads = getIntsAttr(node, 'pads', new Array(2 * spatial).fill(0));
      const autoPad = (getAttr(node, 'auto_pad') as string | undefined) ?? 'NOTSET';
      const ceil = getIntAttr(node, 'ceil_mode', 0) === 1;
      let channels: Dim = s[1]!;
      if (op === 'Conv') channels = w ? w[0]! : info.unknownDim();
      if (op === 'ConvTranspose') channels = w && typeof w[1] === 'number' ? w[1] * getIntAttr(node, 'group', 1) : info.unknownDim();
      const res: Shape = [s[0]!, channels];
      for (let i = 0; i < spatial; i++) {
        const L = s[2 + i]!;
        const k = kernel[i]!;
        if (typeof L !== 'number' || k === undefined) { res.push(info.unknownDim()); continue; }
        if (op === 'ConvTranspose') {
          const op2 = getIntsAttr(node, 'output_padding', new Array(spatial).fill(0))[i]!;
          const outShape = getIntsAttr(node, 'output_shape', []);
          res.push(outShape.length ? outShape[i]! : strides[i]! * (L - 1) + op2 + ((k - 1) * dil[i]! + 1) - pads[i]! - pads[i + spatial]!);
          continue;
        }
        if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') { res.push(Math.ceil(L / strides[i]!)); continue; }
        const p = autoPad === 'VALID' ? 0 : pads[i]! + pads[i + spatial]!;
        const num = L + p - ((k - 1) * dil[i]! + 1);
        let o = (ceil ? Math.ceil(num / strides[i]!) : Math.floor(num / strides[i]!)) + 1;
        if (ceil && (o - 1) * strides[i]! >= L + pads[i]!) o--; // last window must start inside the input or left pad
        res.push(o);
      }
      out(res);
      if (op === 'MaxPool' && outs[1]) out([...res], DType.INT64, 1);
      return;
    }
    case 'MatMul': {
      const a = sh(0), b = sh(1);
      if (!a || !b) return out(undefined);
      const a2 = a.length === 1 ? [1, a[0]!] : a, b2 = b.length === 1 ? [b[0]!, 1] : b;
      const batch = broadcastShapes(info, [a2.slice(0, -2), b2.slice(0, -2)]);
      const res = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
      if (a.length === 1) res.splice(res.length - 2, 1);
      if (b.length === 1) res.pop();
      return out(res);
    }
    case 'Gemm': {
      const a = sh(0), b = sh(1);
      if (!a || !b) return out(undefined);
      const m = getIntAttr(node, 'transA', 0) ? a[1]! : a[0]!;
      const n = getIntAttr(node, 'transB', 0) ? b[0]! : b[1]!;
      return out([m, n]);
    }
    case 'Range': {
      const [s, l, d] = [0, 1, 2].map((i) => info.ints(ins[i]!)?.[0]);
      out([s !== undefined && l !== undefined && d !== undefined ? Math.max(0, Math.ceil((l - s) / d)) : info.unknownDim()], info.types.get(ins[0] ?? ''));
      return;
    }
    case 'NonZero': {
      const s = sh(0);
      out(s ? [s.length, info.unknownDim()] : undefined, DType.INT64);
      return;
    }
    case 'Split': {
      const s = sh(0);
      if (!s) return;
      const a = normAxis(getIntAttr(node, 'axis', 0), s.length);
      const split = ins[1] ? info.ints(ins[1]) : getIntsAttr(node, 'split', []);
      outs.forEach((o, i) => {
        const res = [...s];
        const L = s[a]!;
        res[a] = split && split.length ? split[i]! : typeof L === 'number' ? Math.ceil(L / outs.length) : info.unknownDim();
        info.set(o, res, inType);
      });
      return;
    }
    case 'Tile': {
      const s = sh(0), r = val(1);
      if (s && r) out(s.map((d, i) => arith('Mul', d, r[i]!)).map((d) => (d === '?' ? info.unknownDim() : d)));
      return;
    }
    default:
      return;
  }
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

