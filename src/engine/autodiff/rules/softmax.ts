/** Softmax and LogSoftmax along one axis (opset 13 semantics), written with the forward output. */
import { getIntAttr } from '../../onnx/proto.js';
import type { Rule } from '../rule.js';

export const SOFTMAX_RULES: Record<string, Rule> = {
  /** dX = y * (dY - sum(dY * y, axis)) */
  Softmax: {
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const { e } = c;
      const y = c.y(0);
      const axis = getIntAttr(c.node, 'axis', -1);
      const dot = e.reduceSum(e.mul(dy, y), [axis], true);
      return [e.mul(y, e.op('Sub', [dy, dot]))];
    },
  },
  /** dX = dY - exp(y) * sum(dY, axis) */
  LogSoftmax: {
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const { e } = c;
      const axis = getIntAttr(c.node, 'axis', -1);
      const total = e.reduceSum(dy, [axis], true);
      return [e.op('Sub', [dy, e.mul(e.op('Exp', [c.y(0)]), total)])];
    },
  },
};
