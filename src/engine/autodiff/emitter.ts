/**
 * Appends nodes to the graph being built, with unique names, cached constants
 * and shape tracking (every emitted node goes through the static shape pass,
 * so later rules still see shapes). Also the few multi-node idioms every
 * gradient rule needs: reductions in the form the opset wants, and summing a
 * broadcast gradient back to an operand's shape.
 */
import { DType, makeFloatTensor, makeInt64Tensor, makeNode, type AttrValue, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { ShapeInfo, type Shape } from '../onnx/shapes.js';

export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly constCache = new Map<string, string>();
  private readonly shapeCache = new Map<string, string>();
  /** Highest opset a rule needed (e.g. 16 for ScatterElements with reduction). */
  minOpset: number;

  constructor(readonly info: ShapeInfo, private readonly used: Set<string>, readonly opset: number) {
    this.minOpset = opset;
  }

  /** A tensor name not used anywhere in the graph yet. */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_');
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Appends a node as is (already named outputs) and infers its output shapes. */
  push(node: NodeProto): void {
    for (const o of node.output ?? []) if (o) this.used.add(o);
    this.nodes.push(node);
    this.info.inferNode(node);
  }

  /** Emits a node with `nOut` fresh outputs named after `base`. */
  add(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, o: { base?: string; nOut?: number; domain?: string; outputs?: string[] } = {}): string[] {
    const base = o.base ?? `ad_${opType}`;
    const outs = o.outputs ?? Array.from({ length: o.nOut ?? 1 }, (_, i) => this.fresh(i === 0 ? base : `${base}_${i}`));
    const node = makeNode(opType, inputs, outs, attrs, this.fresh(`node_${outs[0]}`));
    if (o.domain) node.domain = o.domain;
    this.push(node);
    return outs;
  }

  /** Emits a single-output node and returns its output name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, base?: string): string {
    return this.add(opType, inputs, attrs, base ? { base } : {})[0]!;
  }

  /** A float32 constant (initializer), shared between identical requests. */
  constFloat(values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    const key = `f${dims.join('x')}:${Array.from(values).join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh(values.length === 1 ? `ad_const_${values[0]}` : 'ad_const');
    this.initializers.push(makeFloatTensor(name, dims, values instanceof Float32Array ? values : Float32Array.from(values)));
    this.info.set(name, [...dims], DType.FLOAT);
    this.constCache.set(key, name);
    return name;
  }

  scalar(v: number): string {
    return this.constFloat([v], []);
  }

  /** An int64 constant, 1-D unless `dims` says otherwise. */
  constInt(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('ad_ints');
    const t = makeInt64Tensor(name, dims, values);
    this.initializers.push(t);
    this.info.addInitializer(t);
    this.constCache.set(key, name);
    return name;
  }

  /** Shape(x), emitted once per tensor. */
  shapeOf(x: string): string {
    const hit = this.shapeCache.get(x);
    if (hit) return hit;
    const s = this.op('Shape', [x], {}, `${x}_shape`);
    this.shapeCache.set(x, s);
    return s;
  }

  /** A 1-D int64 tensor holding x's shape: a constant when static. */
  shapeTensor(x: string): string {
    const s = this.info.staticShape(x);
    return s ? this.constInt(s) : this.shapeOf(x);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.op('ReduceSum', [x, this.constInt(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    if (this.opset >= 18) return this.op('ReduceMean', [x, this.constInt(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op('ReduceMean', [x], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return axes.length ? this.op('Unsqueeze', [x, this.constInt(axes)]) : x;
  }

  squeeze(x: string, axes: readonly number[]): string {
    return axes.length ? this.op('Squeeze', [x, this.constInt(axes)]) : x;
  }

  /** Reshape x to the shape of `like`. */
  reshapeLike(x: string, like: string): string {
    const a = this.info.shape(x), b = this.info.shape(like);
    if (a && b && sameShape(a, b)) return x;
    return this.op('Reshape', [x, this.shapeTensor(like)]);
  }

  zerosLike(x: string): string {
    return this.op('ConstantOfShape', [this.shapeTensor(x)], { value: makeFloatTensor('', [1], [0]) }, `${x}_zeros`);
  }

  /** x broadcast to [channels] along axis 1 of a rank-`rank` tensor: reshaped to [C, 1, ...]. */
  channelView(x: string, rank: number): string {
    if (rank <= 2) return x;
    return this.unsqueeze(x, Array.from({ length: rank - 2 }, (_, i) => i + 1));
  }

  /**
   * Sums gradient `g` (of a broadcast result) back to the shape of operand `x`.
   * Static when the shapes say which axes were broadcast; otherwise the axes
   * are found at run time by comparing the two shapes.
   */
  sumTo(g: string, x: string): string {
    const gs = this.info.shape(g), xs = this.info.shape(x);
    if (gs && xs && sameShape(gs, xs)) return g;
    if (gs && xs && gs.length >= xs.length) {
      const lead = gs.length - xs.length;
      const axes: number[] = [];
      let dynamic = false;
      for (let i = 0; i < lead; i++) axes.push(i);
      xs.forEach((d, i) => {
        const o = gs[lead + i]!;
        if (d === o) return;
        if (d === 1) axes.push(lead + i);
        else if (typeof d === 'string') dynamic = true; // x's dim may be 1 at run time
      });
      if (!dynamic) {
        const r = this.reduceSum(g, axes, true);
        return lead > 0 ? this.squeeze(r, Array.from({ length: lead }, (_, i) => i)) : r;
      }
    }
    return this.sumToDynamic(g, x);
  }

  /** sumTo with the broadcast axes worked out at run time (ranks need not be known). */
  private sumToDynamic(g: string, x: string): string {
    const gShape = this.shapeOf(g), xShape = this.shapeOf(x);
    const rankDiff = this.op('Sub', [this.op('Size', [gShape]), this.op('Size', [xShape])]);
    const ones = this.op('ConstantOfShape', [this.op('Reshape', [rankDiff, this.constInt([1])])], { value: makeInt64Tensor('', [1], [1]) });
    const padded = this.op('Concat', [ones, xShape], { axis: 0 });
    const differs = this.op('Not', [this.op('Equal', [padded, gShape])]);
    const axes = this.op('Reshape', [this.op('NonZero', [differs]), this.constInt([-1])]);
    const r = this.op('ReduceSum', [g, axes], { keepdims: 1, noop_with_empty_axes: 1 });
    return this.op('Reshape', [r, xShape]);
  }

  /** Sum of several gradient contributions. */
  sum(parts: string[]): string {
    if (parts.length === 1) return parts[0]!;
    return this.op('Sum', parts);
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
