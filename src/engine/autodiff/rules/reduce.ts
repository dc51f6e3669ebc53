/** ReduceSum / ReduceMean: the gradient broadcast back over the reduced axes (divided by their size for the mean). */
import { DType, getIntAttr } from '../../onnx/proto.js';
import { nodeAxes } from '../../onnx/shapes.js';
import { unsupported, type BackwardContext, type Rule } from '../rule.js';

function reduceBackward(mean: boolean) {
  return (c: BackwardContext): (string | undefined)[] => {
    const dy = c.dy();
    if (!dy || !c.wants(0)) return [];
    const { e } = c;
    const x = c.x(0);
    const axes = nodeAxes(c.info, c.node, 1);
    if (axes === undefined) unsupported(c.node, 'axes are computed at run time (expected a constant)');
    const all = axes === null || axes.length === 0;
    if (all && getIntAttr(c.node, 'noop_with_empty_axes', 0) === 1) return [dy];
    // keepdims=0 dropped the axes: put them back (negative axes count from the end of x's rank, as Unsqueeze's do).
    let g = dy;
    if (getIntAttr(c.node, 'keepdims', 1) === 0 && !all) g = e.unsqueeze(dy, axes!);
    if (mean) {
      const xs = c.info.staticShape(x), ys = c.info.staticShape(c.y(0));
      if (xs && ys) g = e.mul(g, e.scalar(ys.reduce((a, b) => a * b, 1) / xs.reduce((a, b) => a * b, 1)));
      else g = e.op('Div', [g, e.op('Cast', [e.op('Div', [e.op('Size', [x]), e.op('Size', [c.y(0)])])], { to: DType.FLOAT })]);
    }
    return [e.op('Expand', [g, e.shapeTensor(x)], {}, `${x}_grad`)];
  };
}

export const REDUCE_RULES: Record<string, Rule> = {
  ReduceSum: { differentiable: [0], backward: reduceBackward(false) },
  ReduceMean: { differentiable: [0], backward: reduceBackward(true) },
};
