/**
 * Ops that only move or select elements: Flatten, Reshape, Squeeze,
 * Unsqueeze, Transpose, Concat, Slice, Pad, Expand, Gather, Tile.
 * Cheap closed forms where they exist (Slice with unit steps becomes a Pad,
 * a constant Pad becomes a Slice); otherwise the generic "index map": run
 * the op on a tensor of element indices, and scatter-add the gradient back
 * through the indices it selected.
 */
import { DType, getIntAttr, getIntsAttr } from '../../onnx/proto.js';
import { sliceRange } from '../../onnx/shapes.js';
import type { BackwardContext, Rule } from '../rule.js';

const INT_MAX = 2 ** 31 - 1; // Slice ends past the end; int64 max is clamped the same way

/** Shape-only ops: dX is dY reshaped to x's shape. */
const reshapeBack: Rule = {
  differentiable: [0],
  backward(c) {
    const dy = c.dy();
    return dy && c.wants(0) ? [c.e.reshapeLike(dy, c.x(0))] : [];
  },
};

/**
 * Generic backward for element-selecting ops: `apply(iota)` is the op run on
 * x's flat element indices (iota shaped like x); `sentinel` marks elements
 * that come from no input element (constant padding).
 */
function indexMapBackward(c: BackwardContext, dy: string, apply: (iota: string, sentinel: string) => string): string {
  const { e } = c;
  const x = c.x(0);
  e.minOpset = Math.max(e.minOpset, 16); // ScatterElements with reduction
  const size = e.op('Size', [x]);
  const iota = e.op('Reshape', [e.op('Range', [e.constInt([0], []), size, e.constInt([1], [])]), e.shapeOf(x)]);
  const mapped = apply(iota, size);
  const size1 = e.op('Reshape', [e.op('Add', [size, e.constInt([1], [])]), e.constInt([1])]);
  const zeros = e.op('ConstantOfShape', [size1], { value: { name: '', dims: [1], dataType: DType.FLOAT, rawData: new Uint8Array(4) } });
  const flat = (t: string): string => e.op('Reshape', [t, e.constInt([-1])]);
  const acc = e.op('ScatterElements', [zeros, flat(mapped), flat(dy)], { axis: 0, reduction: 'add' });
  const body = e.op('Slice', [acc, e.constInt([0]), e.op('Reshape', [size, e.constInt([1])])]);
  return e.op('Reshape', [body, e.shapeOf(x)]);
}

function sliceParams(c: BackwardContext): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } | undefined {
  const starts = c.info.ints(c.x(1)), ends = c.info.ints(c.x(2));
  const rank = c.info.rank(c.x(0));
  if (!starts || !ends || rank === undefined) return undefined;
  const axes = c.x(3) ? c.info.ints(c.x(3)) : starts.map((_, i) => i);
  const steps = c.x(4) ? c.info.ints(c.x(4)) : starts.map(() => 1);
  if (!axes || !steps) return undefined;
  return { starts, ends, axes: axes.map((a) => (a < 0 ? a + rank : a)), steps };
}

export const MOVEMENT_RULES: Record<string, Rule> = {
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: {
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const perm = getIntsAttr(c.node, 'perm', []);
      if (perm.length === 0) return [c.e.op('Transpose', [dy])]; // reversing twice
      const inv = new Array<number>(perm.length);
      perm.forEach((p, i) => (inv[p] = i));
      return [c.e.op('Transpose', [dy], { perm: inv })];
    },
  },
  Concat: {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      const { e } = c;
      const ins = c.node.input ?? [];
      const axis = getIntAttr(c.node, 'axis', 0);
      const sizes = ins.map((x) => {
        const s = c.info.shape(x);
        if (!s) return undefined;
        const d = s[axis < 0 ? axis + s.length : axis];
        return typeof d === 'number' ? d : undefined;
      });
      const split = sizes.every((d) => d !== undefined)
        ? e.constInt(sizes as number[])
        : e.op('Concat', ins.map((x) => e.op('Gather', [e.shapeOf(x), e.constInt([axis])], { axis: 0 })), { axis: 0 });
      const parts = e.add('Split', [dy, split], { axis }, { nOut: ins.length });
      return ins.map((_, i) => (c.wants(i) ? parts[i] : undefined));
    },
  },
  /** Split: the output gradients concatenated back (zeros for outputs no gradient reaches). */
  Split: {
    differentiable: [0],
    backward(c) {
      if (!c.wants(0)) return [];
      const outs = c.node.output ?? [];
      const parts = outs.map((o, i) => c.dy(i) ?? c.e.zerosLike(o));
      return [c.e.op('Concat', parts, { axis: getIntAttr(c.node, 'axis', 0) })];
    },
  },
  Slice: {
    differentiable: [0],
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const p = sliceParams(c);
      const xs = c.info.shape(c.x(0));
      if (p && xs && p.steps.every((s) => s === 1)) {
        // Unit steps: the gradient is dY zero-padded back to x's extent.
        const pads = new Array<number>(2 * xs.length).fill(0);
        let ok = true;
        p.axes.forEach((a, k) => {
          const n = xs[a]!;
          if (typeof n !== 'number') {
            if (!(p.starts[k] === 0 && p.ends[k]! >= INT_MAX)) ok = false;
            return;
          }
          const r = sliceRange(n, p.starts[k]!, p.ends[k]!, 1);
          pads[a] += r.start;
          pads[a + xs.length] += n - Math.max(r.end, r.start);
        });
        if (ok) return [pads.every((v) => v === 0) ? dy : c.e.op('Pad', [dy, c.e.constInt(pads)])];
      }
      const ins = c.node.input ?? [];
      return [indexMapBackward(c, dy, (iota) => c.e.op('Slice', [iota, ...ins.slice(1)]))];
    },
  },
  Pad: {
    differentiable: [0],
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const { e } = c;
      const mode = (c.node.attribute ?? []).find((a) => a.name === 'mode');
      const modeName = mode?.s ? new TextDecoder().decode(mode.s) : 'constant';
      const pads = c.info.ints(c.x(1));
      const rank = c.info.rank(c.x(0));
      const axes = c.x(3) ? c.info.ints(c.x(3)) : rank !== undefined ? Array.from({ length: rank }, (_, i) => i) : undefined;
      if (modeName === 'constant' && pads && axes && pads.every((v) => v >= 0)) {
        const n = axes.length;
        const live = axes.map((a, k) => ({ a, b: pads[k]!, e: pads[k + n]! })).filter((p) => p.b || p.e);
        if (live.length === 0) return [dy];
        return [e.op('Slice', [dy, e.constInt(live.map((p) => p.b)), e.constInt(live.map((p) => (p.e ? -p.e : INT_MAX))), e.constInt(live.map((p) => p.a))])];
      }
      const ins = c.node.input ?? [];
      return [indexMapBackward(c, dy, (iota, sentinel) => {
        const rest = ins.slice(1).map((t, i) => (i === 1 && t ? sentinel : t));
        if (modeName === 'constant' && !ins[2]) rest[1] = sentinel;
        return e.op('Pad', [iota, ...rest], { mode: modeName });
      })];
    },
  },
  Expand: {
    differentiable: [0],
    backward(c) {
      const dy = c.dy();
      return dy && c.wants(0) ? [c.e.sumTo(dy, c.x(0))] : [];
    },
  },
  Gather: {
    differentiable: [0],
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      return [indexMapBackward(c, dy, (iota) => c.e.op('Gather', [iota, c.x(1)], { axis: getIntAttr(c.node, 'axis', 0) }))];
    },
  },
  Tile: {
    differentiable: [0],
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      return [indexMapBackward(c, dy, (iota) => c.e.op('Tile', [iota, c.x(1)]))];
    },
  },
};
