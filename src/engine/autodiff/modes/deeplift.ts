/**
 * DeepLIFT's rescale rule as gradient rules, in the form captum's DeepLift
 * uses: the batch is [inputs; references] (2N rows, input b paired with row
 * N + b), every op runs on both halves, and the backward step of each
 * nonlinearity multiplies the incoming gradient by Δout/Δin, the same
 * multiplier for both halves (the ordinary gradient where |Δin| < eps). Linear
 * ops keep their gradients, so (x - x') times the input gradient of the first
 * half sums to F(x) - F(x') (summation-to-delta).
 *
 * MaxPool (captum's maxpool rule): the window's Δout is routed to the input's
 * argmax when out >= out_ref, else to the reference's argmax, and divided by
 * Δin there. GlobalMaxPool follows the same rule. Softmax keeps its ordinary
 * gradient (explain logits).
 */
import { makeFloatTensor } from '../../onnx/proto.js';
import type { Emitter } from '../emitter.js';
import type { BackwardContext, Rule } from '../rule.js';
import { MAXPOOL_RULE } from '../rules/pool.js';
import type { PreparedMode } from './index.js';

/** Unary nonlinearities whose multiplier is Δout/Δin (captum: ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus). */
const RESCALED = new Set(['Relu', 'Elu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Softplus', 'HardSigmoid', 'Clip']);

/** The two halves of a [2N, ...] tensor, each flattened to [N * ...]. */
function halves(e: Emitter, t: string): [string, string] {
  const t2 = e.op('Reshape', [t, e.constInt([2, -1])]);
  return [e.op('Gather', [t2, e.constInt([0], [])], { axis: 0 }), e.op('Gather', [t2, e.constInt([1], [])], { axis: 0 })];
}

/** A flat half repeated for both halves, in the shape of `like`. */
function twice(e: Emitter, flat: string, like: string): string {
  return e.op('Reshape', [e.op('Concat', [flat, flat], { axis: 0 }), e.shapeTensor(like)]);
}

/** Δ of the halves of x, whether it is below eps, and Δ with the small ones replaced by 1 (safe to divide by). */
function deltaIn(e: Emitter, x: string, eps: number): { small: string; safe: string } {
  const [xa, xb] = halves(e, x);
  const d = e.op('Sub', [xa, xb]);
  const small = e.op('Less', [e.op('Abs', [d]), e.scalar(eps)]);
  return { small, safe: e.op('Where', [small, e.scalar(1), d]) };
}

function rescale(ordinary: Rule, eps: number): Rule {
  return {
    differentiable: [0],
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const { e } = c;
      const plain = ordinary.backward(c)[0]!;
      const { small, safe } = deltaIn(e, c.x(0), eps);
      const [ya, yb] = halves(e, c.y(0));
      const m = e.op('Div', [e.op('Sub', [ya, yb]), safe]);
      return [e.op('Where', [twice(e, small, c.x(0)), plain, e.mul(dy, twice(e, m, c.x(0)))])];
    },
  };
}

/**
 * The window's contribution dY * Δout, placed at each half's argmax: the
 * input half carries max(out, out_ref) - out_ref, the reference half
 * out - max(out, out_ref), so exactly one of them is non-zero per window.
 */
function routedDelta(c: BackwardContext, dy: string, place: (contrib: string) => string, eps: number): [multiplier: string, small: string] {
  const { e } = c;
  const x = c.x(0);
  const y = c.y(0);
  const [ya, yb] = halves(e, y);
  const mx = e.op('Max', [ya, yb]);
  const dOut = e.op('Reshape', [e.op('Concat', [e.op('Sub', [mx, yb]), e.op('Sub', [ya, mx])], { axis: 0 }), e.shapeTensor(y)]);
  const placed = place(e.mul(dy, dOut));
  const [ua, ub] = halves(e, placed);
  const { small, safe } = deltaIn(e, x, eps);
  const m = e.op('Div', [e.op('Add', [ua, ub]), safe]);
  return [twice(e, m, x), twice(e, small, x)];
}

function maxpoolRule(eps: number): Rule {
  return {
    ...(MAXPOOL_RULE.forward ? { forward: MAXPOOL_RULE.forward } : {}),
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const { e } = c;
      const plain = MAXPOOL_RULE.backward(c)[0]!;
      const x = c.x(0);
      const xs = e.info.staticShape(x);
      const size = xs ? e.constInt([xs.reduce((a, b) => a * b, 1)]) : e.op('Reshape', [e.op('Size', [x]), e.constInt([1])]);
      const flat = (t: string): string => e.op('Reshape', [t, e.constInt([-1])]);
      const [m, small] = routedDelta(c, dy, (contrib) => {
        const zeros = e.op('ConstantOfShape', [size], { value: makeFloatTensor('', [1], [0]) });
        return e.op('ScatterElements', [zeros, flat(c.saved.get('indices') as string), flat(contrib)], { axis: 0, reduction: 'add' });
      }, eps);
      return [e.op('Where', [small, plain, m])];
    },
  };
}

function globalMaxpoolRule(ordinary: Rule, eps: number): Rule {
  return {
    backward(c) {
      const dy = c.dy();
      if (!dy || !c.wants(0)) return [];
      const { e } = c;
      const plain = ordinary.backward(c)[0]!;
      const x = c.x(0);
      const [m, small] = routedDelta(c, dy, (contrib) => {
        const hit = e.op('Equal', [x, c.y(0)]);
        return e.op('Where', [hit, e.op('Expand', [contrib, e.shapeTensor(x)]), e.scalar(0)]);
      }, eps);
      return [e.op('Where', [small, plain, m])];
    },
  };
}

export function deepliftMode(eps: number): PreparedMode {
  const cache = new Map<string, Rule>();
  const mp = maxpoolRule(eps);
  return {
    rule(n, ordinary) {
      const op = n.opType ?? '';
      if (!ordinary) return ordinary;
      if (op === 'MaxPool') return mp;
      if (op === 'GlobalMaxPool') return globalMaxpoolRule(ordinary, eps);
      if (!RESCALED.has(op)) return ordinary;
      let r = cache.get(op);
      if (!r) cache.set(op, (r = rescale(ordinary, eps)));
      return r;
    },
  };
}
