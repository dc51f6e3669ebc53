/**
 * Broadcasting arithmetic: each operand's gradient is summed back over the
 * axes it was broadcast along (Emitter.sumTo).
 */
import { DType } from '../../onnx/proto.js';
import { unsupported, type Rule } from '../rule.js';

function minMax(pickFirst: 'GreaterOrEqual' | 'LessOrEqual'): Rule {
  return {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      const ins = c.node.input ?? [];
      if (ins.length !== 2) unsupported(c.node, `${ins.length} inputs (only the binary form is supported)`);
      const first = c.e.op(pickFirst, [c.x(0), c.x(1)]);
      const zero = c.e.scalar(0);
      return [
        c.wants(0) ? c.e.sumTo(c.e.op('Where', [first, dy, zero]), c.x(0)) : undefined,
        c.wants(1) ? c.e.sumTo(c.e.op('Where', [first, zero, dy]), c.x(1)) : undefined,
      ];
    },
  };
}

export const BINARY_RULES: Record<string, Rule> = {
  Add: {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      return [c.wants(0) ? c.e.sumTo(dy, c.x(0)) : undefined, c.wants(1) ? c.e.sumTo(dy, c.x(1)) : undefined];
    },
  },
  Sub: {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      return [c.wants(0) ? c.e.sumTo(dy, c.x(0)) : undefined, c.wants(1) ? c.e.op('Neg', [c.e.sumTo(dy, c.x(1))]) : undefined];
    },
  },
  Mul: {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      const [a, b] = [c.x(0), c.x(1)];
      return [c.wants(0) ? c.e.sumTo(c.e.mul(dy, b), a) : undefined, c.wants(1) ? c.e.sumTo(c.e.mul(dy, a), b) : undefined];
    },
  },
  Div: {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      const [a, b] = [c.x(0), c.x(1)];
      const da = c.wants(0) ? c.e.sumTo(c.e.op('Div', [dy, b]), a) : undefined;
      // d(a/b)/db = -y/b
      const db = c.wants(1) ? c.e.sumTo(c.e.op('Neg', [c.e.op('Div', [c.e.mul(dy, c.y(0)), b])]), b) : undefined;
      return [da, db];
    },
  },
  Pow: {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      const [x, p] = [c.x(0), c.x(1)];
      let dx: string | undefined;
      if (c.wants(0)) {
        // The exponent may be an integer tensor: work in x's float type.
        const pf = (c.info.types.get(p) ?? DType.FLOAT) === (c.info.types.get(x) ?? DType.FLOAT) ? p : c.e.op('Cast', [p], { to: c.info.types.get(x) ?? DType.FLOAT });
        const xp = c.e.op('Pow', [x, c.e.op('Sub', [pf, c.e.scalar(1)])]);
        dx = c.e.sumTo(c.e.mul(dy, c.e.mul(pf, xp)), x);
      }
      // d(x^p)/dp = y * log(x)
      const dp = c.wants(1) ? c.e.sumTo(c.e.mul(dy, c.e.mul(c.y(0), c.e.op('Log', [x]))), p) : undefined;
      return [dx, dp];
    },
  },
  Sum: {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      return (c.node.input ?? []).map((x, i) => (c.wants(i) ? c.e.sumTo(dy, x) : undefined));
    },
  },
  /** Variadic mean: each input gets dY / n. */
  Mean: {
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      const ins = c.node.input ?? [];
      const scaled = c.e.mul(dy, c.e.scalar(1 / ins.length));
      return ins.map((x, i) => (c.wants(i) ? c.e.sumTo(scaled, x) : undefined));
    },
  },
  /** Binary Max/Min: the gradient goes to the operand that was selected (the first one on ties). */
  Max: minMax('GreaterOrEqual'),
  Min: minMax('LessOrEqual'),
  Where: {
    differentiable: [1, 2],
    backward(c) {
      const dy = c.dy();
      if (!dy) return [];
      const cond = c.x(0);
      const zero = c.e.scalar(0);
      return [
        undefined,
        c.wants(1) ? c.e.sumTo(c.e.op('Where', [cond, dy, zero]), c.x(1)) : undefined,
        c.wants(2) ? c.e.sumTo(c.e.op('Where', [cond, zero, dy]), c.x(2)) : undefined,
      ];
    },
  },
};
