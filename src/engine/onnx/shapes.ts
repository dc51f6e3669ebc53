/**
 * Static shape inference over the ONNX ops that ECG models use, for exported
 * models that carry no value_info. Best effort: a dimension that cannot be
 * known statically is '?', an op outside the list leaves its outputs unknown.
 * Small integer tensors (Shape -> Gather -> Concat -> Reshape, as PyTorch
 * exports `x.view(x.size(0), -1)`) are evaluated so that reshapes resolve.
 */
import { DType, getAttr, getIntAttr, getIntsAttr, tensorDims, tensorInts, toNumber, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

/** A dimension: a number when static, a name (e.g. `batch`) when symbolic, '?' when unknown. */
export type Dim = number | string;

/** A tensor's element type (ONNX code) and shape; `shape` undefined when even the rank is unknown. */
export interface TensorType {
  elemType: number;
  shape: Dim[] | undefined;
}

export const UNKNOWN: Dim = '?';

const SAME_SHAPE = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Gelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign', 'Erf',
  'Softmax', 'LogSoftmax', 'Identity', 'Dropout', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'LRN',
  'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'Clip', 'Not', 'Mish',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Where']);
const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Not']);

function dimsOfValueInfo(v: ValueInfoProto): Dim[] | undefined {
  const shape = v.type?.tensorType?.shape;
  if (!shape) return undefined;
  return (shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue) : UNKNOWN));
}

/**
 * Types of every tensor of the graph: inputs, initializers and value_info as
 * given, everything else inferred in node order.
 */
export function inferShapes(model: ModelProto): Map<string, TensorType> {
  const g = model.graph ?? {};
  const types = new Map<string, TensorType>();
  const values = new Map<string, number[]>(); // small int tensors known statically
  for (const t of g.initializer ?? []) {
    types.set(t.name ?? '', { elemType: t.dataType ?? DType.FLOAT, shape: tensorDims(t) });
    if (isInt(t.dataType) && tensorDims(t).reduce((a, b) => a * b, 1) <= 64) values.set(t.name ?? '', tensorInts(t));
  }
  for (const v of [...(g.input ?? []), ...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    const name = v.name ?? '';
    if (types.has(name) && (g.initializer ?? []).some((t) => t.name === name)) continue;
    const shape = dimsOfValueInfo(v);
    if (shape && !types.has(name)) types.set(name, { elemType: v.type?.tensorType?.elemType ?? DType.FLOAT, shape });
  }
  for (const node of g.node ?? []) {
    let outs: TensorType[] = [];
    try {
      outs = inferNode(node, types, values);
    } catch {
      outs = []; // malformed attributes: leave unknown, the runtime reports the real error
    }
    (node.output ?? []).forEach((name, i) => {
      if (!name) return;
      const known = types.get(name);
      const inferred = outs[i];
      if (!known || !known.shape) types.set(name, inferred ?? known ?? { elemType: DType.FLOAT, shape: undefined });
    });
  }
  return types;
}

function isInt(dt: number | null | undefined): boolean {
  return dt === DType.INT64 || dt === DType.INT32;
}

function inferNode(node: NodeProto, types: Map<string, TensorType>, values: Map<string, number[]>): TensorType[] {
  const op = node.opType ?? '';
  const ins = (node.input ?? []).map((n) => (n ? types.get(n) : undefined));
  const x = ins[0];
  const xs = x?.shape;
  const et = x?.elemType ?? DType.FLOAT;
  const val = (i: number): number[] | undefined => {
    const n = node.input?.[i];
    return n ? values.get(n) : undefined;
  };
  const setVal = (v: number[] | undefined): void => {
    if (v && node.output?.[0]) values.set(node.output[0], v);
  };
  if (SAME_SHAPE.has(op)) {
    if (op === 'Dropout') return [{ elemType: et, shape: xs }, { elemType: DType.BOOL, shape: xs }];
    return [{ elemType: et, shape: xs }];
  }
  if (BROADCAST.has(op)) {
    const shapes = (op === 'Where' ? ins.slice(1) : ins).concat(op === 'Where' ? [ins[0]] : []);
    const out = shapes.reduce<Dim[] | undefined>((acc, t) => (acc && t?.shape ? broadcast(acc, t.shape) : undefined), []);
    const elemType = BOOL_OUT.has(op) ? DType.BOOL : op === 'Where' ? (ins[1]?.elemType ?? DType.FLOAT) : et;
    const a = val(0), b = val(1);
    if (a && b && a.length === b.length && ['Add', 'Sub', 'Mul', 'Div'].includes(op)) {
      setVal(a.map((v, i) => (op === 'Add' ? v + b[i]! : op === 'Sub' ? v - b[i]! : op === 'Mul' ? v * b[i]! : Math.trunc(v / b[i]!))));
    }
    return [{ elemType, shape: out }];
  }
  switch (op) {
    case 'Cast': {
      setVal(val(0));
      return [{ elemType: getIntAttr(node, 'to', DType.FLOAT), shape: xs }];
    }
    case 'Constant': {
      const t = getAttr(node, 'value');
      if (t && typeof t === 'object' && !Array.isArray(t)) {
        const tp = t as TensorProto;
        if (isInt(tp.dataType)) setVal(tensorInts(tp));
        return [{ elemType: tp.dataType ?? DType.FLOAT, shape: tensorDims(tp) }];
      }
      const ints = getAttr(node, 'value_ints');
      if (Array.isArray(ints)) {
        setVal(ints);
        return [{ elemType: DType.INT64, shape: [ints.length] }];
      }
      const i = getAttr(node, 'value_int');
      if (typeof i === 'number') {
        setVal([i]);
        return [{ elemType: DType.INT64, shape: [] }];
      }
      return [{ elemType: DType.FLOAT, shape: undefined }];
    }
    case 'Shape': {
      if (!xs) return [{ elemType: DType.INT64, shape: [UNKNOWN] }];
      const start = normalize(getIntAttr(node, 'start', 0), xs.length, true);
      const end = normalize(getIntAttr(node, 'end', xs.length), xs.length, true);
      const dims = xs.slice(start, end);
      if (dims.every((d) => typeof d === 'number')) setVal(dims as number[]);
      return [{ elemType: DType.INT64, shape: [dims.length] }];
    }
    case 'Conv':
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool': {
      if (!xs) return [{ elemType: et, shape: undefined }];
      const w = ins[1]?.shape;
      const spatial = xs.length - 2;
      const kernel = op === 'Conv' ? getIntsAttr(node, 'kernel_shape', w ? (w.slice(2) as number[]) : []) : getIntsAttr(node, 'kernel_shape', []);
      if (kernel.length !== spatial || kernel.some((k) => typeof k !== 'number')) return [{ elemType: et, shape: undefined }];
      const strides = getIntsAttr(node, 'strides', Array(spatial).fill(1));
      const dil = getIntsAttr(node, 'dilations', Array(spatial).fill(1));
      const pads = getIntsAttr(node, 'pads', Array(2 * spatial).fill(0));
      const autoPad = String(getAttr(node, 'auto_pad') ?? 'NOTSET');
      const ceil = getIntAttr(node, 'ceil_mode', 0) === 1;
      const out: Dim[] = [xs[0]!, op === 'Conv' ? (w?.[0] ?? UNKNOWN) : xs[1]!];
      for (let i = 0; i < spatial; i++) {
        const t = xs[i + 2]!;
        const span = dil[i]! * (kernel[i]! - 1) + 1;
        const s = strides[i]!;
        if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(typeof t === 'number' ? Math.ceil(t / s) : s === 1 ? t : UNKNOWN);
        else {
          const total = autoPad === 'VALID' ? 0 : pads[i]! + pads[i + spatial]!;
          if (typeof t !== 'number') out.push(s === 1 && total === span - 1 ? t : UNKNOWN);
          else out.push((ceil ? Math.ceil : Math.floor)((t + total - span) / s) + 1);
        }
      }
      return op === 'MaxPool' ? [{ elemType: et, shape: out }, { elemType: DType.INT64, shape: out }] : [{ elemType: et, shape: out }];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return [{ elemType: et, shape: xs ? [xs[0]!, xs[1]!, ...xs.slice(2).map(() => 1)] : undefined }];
    case 'Flatten': {
      if (!xs) return [{ elemType: et, shape: undefined }];
      const axis = normalize(getIntAttr(node, 'axis', 1), xs.length, true);
      return [{ elemType: et, shape: [product(xs.slice(0, axis)), product(xs.slice(axis))] }];
    }
    case 'Gemm': {
      const a = xs, b = ins[1]?.shape;
      if (!a || !b || a.length !== 2 || b.length !== 2) return [{ elemType: et, shape: undefined }];
      const m = getIntAttr(node, 'transA', 0) ? a[1]! : a[0]!;
      const n = getIntAttr(node, 'transB', 0) ? b[0]! : b[1]!;
      return [{ elemType: et, shape: [m, n] }];
    }
    case 'MatMul': {
      const a = xs, b = ins[1]?.shape;
      if (!a || !b || a.length === 0 || b.length === 0) return [{ elemType: et, shape: undefined }];
      const a2 = a.length === 1 ? [1, a[0]!] : a;
      const b2 = b.length === 1 ? [b[0]!, 1] : b;
      const batch = broadcast(a2.slice(0, -2), b2.slice(0, -2));
      const out = [...(batch ?? []), a2[a2.length - 2]!, b2[b2.length - 1]!];
      if (a.length === 1) out.splice(out.length - 2, 1);
      if (b.length === 1) out.splice(out.length - 1, 1);
      return [{ elemType: et, shape: batch ? out : undefined }];
    }
    case 'Reshape': {
      const target = val(1);
      if (!target) return [{ elemType: et, shape: ins[1]?.shape?.length === 1 && typeof ins[1].shape[0] === 'number' ? Array(ins[1].shape[0]).fill(UNKNOWN) : undefined }];
      const allowZero = getIntAttr(node, 'allowzero', 0) === 1;
      const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (xs?.[i] ?? UNKNOWN) : d));
      const neg = out.indexOf(-1);
      if (neg >= 0) {
        // Solve for -1 over all dims, or over the trailing dims when the leading (batch) dim is kept.
        const whole = xs ? product(xs) : UNKNOWN;
        const rest = product(out.filter((_, i) => i !== neg));
        const tail = xs && neg !== 0 && out[0] === xs[0] ? product(xs.slice(1)) : UNKNOWN;
        const restTail = product(out.filter((_, i) => i !== neg && i !== 0));
        if (typeof whole === 'number' && typeof rest === 'number' && rest > 0) out[neg] = whole / rest;
        else if (typeof tail === 'number' && typeof restTail === 'number' && restTail > 0) out[neg] = tail / restTail;
        else out[neg] = UNKNOWN;
      }
      setVal(val(0));
      return [{ elemType: et, shape: out }];
    }
    case 'Transpose': {
      if (!xs) return [{ elemType: et, shape: undefined }];
      const perm = getIntsAttr(node, 'perm', xs.map((_, i) => xs.length - 1 - i));
      return [{ elemType: et, shape: perm.map((p) => xs[p]!) }];
    }
    case 'Unsqueeze': {
      const axes = val(1) ?? getIntsAttr(node, 'axes', []);
      if (!xs) return [{ elemType: et, shape: undefined }];
      const rank = xs.length + axes.length;
      const norm = axes.map((a) => normalize(a, rank, false)).sort((a, b) => a - b);
      const out = [...xs];
      for (const a of norm) out.splice(a, 0, 1);
      const v = val(0);
      if (v) setVal(v);
      return [{ elemType: et, shape: out }];
    }
    case 'Squeeze': {
      if (!xs) return [{ elemType: et, shape: undefined }];
      const given = val(1) ?? getIntsAttr(node, 'axes', []);
      const axes = given.length ? given.map((a) => normalize(a, xs.length, false)) : xs.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      const v = val(0);
      if (v) setVal(v);
      return [{ elemType: et, shape: xs.filter((_, i) => !axes.includes(i)) }];
    }
    case 'Concat': {
      const shapes = ins.map((t) => t?.shape);
      if (shapes.some((s) => !s) || shapes.length === 0) return [{ elemType: et, shape: undefined }];
      const first = shapes[0]!;
      const axis = normalize(getIntAttr(node, 'axis', 0), first.length, false);
      const out = [...first];
      out[axis] = shapes.reduce<Dim>((acc, s) => (typeof acc === 'number' && typeof s![axis] === 'number' ? acc + (s![axis] as number) : UNKNOWN), 0);
      const vs = (node.input ?? []).map((_, i) => val(i));
      if (vs.every((v) => v !== undefined)) setVal(vs.flat() as number[]);
      return [{ elemType: et, shape: out }];
    }
    case 'Gather': {
      if (!xs) return [{ elemType: et, shape: undefined }];
      const axis = normalize(getIntAttr(node, 'axis', 0), xs.length, false);
      const idx = ins[1]?.shape;
      if (!idx) return [{ elemType: et, shape: undefined }];
      const v = val(0), iv = val(1);
      if (v && iv && axis === 0) setVal(iv.map((i) => v[i < 0 ? i + v.length : i]!));
      return [{ elemType: et, shape: [...xs.slice(0, axis), ...idx, ...xs.slice(axis + 1)] }];
    }
    case 'Slice': {
      if (!xs) return [{ elemType: et, shape: undefined }];
      const starts = val(1), ends = val(2);
      if (!starts || !ends) return [{ elemType: et, shape: xs.map(() => UNKNOWN) }];
      const axes = val(3) ?? starts.map((_, i) => i);
      const steps = val(4) ?? starts.map(() => 1);
      const out = [...xs];
      axes.forEach((a0, i) => {
        const a = normalize(a0, xs.length, false);
        const d = xs[a]!;
        if (typeof d !== 'number') {
          out[a] = UNKNOWN;
          return;
        }
        const step = steps[i]!;
        const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
        const s = step > 0 ? clamp(starts[i]!, 0, d) : clamp(starts[i]!, -1, d - 1);
        const e = step > 0 ? clamp(ends[i]!, 0, d) : clamp(ends[i]!, -1, d - 1);
        out[a] = Math.max(0, Math.ceil((e - s) / step));
      });
      const v = val(0);
      if (v && xs.length === 1 && axes.length === 1) {
        const step = steps[0]!;
        const n = v.length;
        const s = Math.min(Math.max(starts[0]! < 0 ? starts[0]! + n : starts[0]!, 0), n);
        const e = Math.min(Math.max(ends[0]! < 0 ? ends[0]! + n : ends[0]!, 0), n);
        if (step === 1) setVal(v.slice(s, e));
      }
      return [{ elemType: et, shape: out }];
    }
    case 'Pad': {
      const pads = val(1) ?? getIntsAttr(node, 'pads', []);
      if (!xs || pads.length !== 2 * xs.length) return [{ elemType: et, shape: xs?.map(() => UNKNOWN) }];
      return [{ elemType: et, shape: xs.map((d, i) => (typeof d === 'number' ? d + pads[i]! + pads[i + xs.length]! : pads[i] === 0 && pads[i + xs.length] === 0 ? d : UNKNOWN)) }];
    }
    case 'ReduceMean':
    case 'ReduceSum':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'ReduceProd':
    case 'ReduceL2': {
      if (!xs) return [{ elemType: et, shape: undefined }];
      const axes0 = val(1) ?? getIntsAttr(node, 'axes', []);
      const keep = getIntAttr(node, 'keepdims', 1) === 1;
      const noop = getIntAttr(node, 'noop_with_empty_axes', 0) === 1;
      if (axes0.length === 0 && noop) return [{ elemType: et, shape: xs }];
      const axes = axes0.length ? axes0.map((a) => normalize(a, xs.length, false)) : xs.map((_, i) => i);
      const out: Dim[] = [];
      xs.forEach((d, i) => {
        if (!axes.includes(i)) out.push(d);
        else if (keep) out.push(1);
      });
      return [{ elemType: et, shape: out }];
    }
    case 'ArgMax':
    case 'ArgMin': {
      if (!xs) return [{ elemType: DType.INT64, shape: undefined }];
      const axis = normalize(getIntAttr(node, 'axis', 0), xs.length, false);
      const keep = getIntAttr(node, 'keepdims', 1) === 1;
      return [{ elemType: DType.INT64, shape: keep ? xs.map((d, i) => (i === axis ? 1 : d)) : xs.filter((_, i) => i !== axis) }];
    }
    case 'Upsample':
    case 'Resize':
      return [{ elemType: et, shape: xs?.map(() => UNKNOWN) }];
    default:
      return [];
  }
}

function normalize(axis: number, rank: number, clampToRank: boolean): number {
  const a = axis < 0 ? axis + rank : axis;
  return clampToRank ? Math.min(Math.max(a, 0), rank) : a;
}

function product(dims: Dim[]): Dim {
  let p = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return dims.length === 1 ? d : UNKNOWN;
    p *= d;
  }
  return p;
}

function broadcast(a: Dim[], b: Dim[]): Dim[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === 'number' && typeof y === 'number') return undefined;
    else out.push(typeof x === 'number' ? x : typeof y === 'number' ? y : x);
  }
  return out;
}

/** A value info from a TensorType; unknown dims carry neither a value nor a name. */
export function valueInfoOf(name: string, t: TensorType): ValueInfoProto {
  const tensorType: NonNullable<NonNullable<ValueInfoProto['type']>['tensorType']> = { elemType: t.elemType };
  if (t.shape) tensorType.shape = { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === UNKNOWN ? {} : { dimParam: d })) };
  return { name, type: { tensorType } };
}

