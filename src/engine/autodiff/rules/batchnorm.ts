/**
 * BatchNormalization. Inference form: an affine map per channel with the
 * running statistics. Training form (mode 'training'): the node is rewritten
 * into primitives that normalise with the batch mean and (biased) variance,
 * which are also graph outputs `bn_mean_<Y>` / `bn_var_<Y>` ([C]) so a trainer
 * can update the running averages; its backward step is the fused formula
 *   dX = a * (dY - mean(dY) - xc * invstd^2 * mean(dY * xc)),  a = scale * invstd.
 */
import { getFloatAttr } from '../../onnx/proto.js';
import { sanitizeName } from '../names.js';
import { unsupported, type BackwardContext, type ForwardContext, type Rule } from '../rule.js';

interface TrainSaved {
  xc: string;
  invstd: string;
  a: string;
  axes: number[];
  rank: number;
}

function rankOf(c: ForwardContext): number {
  const r = c.info.rank(c.node.input?.[0] ?? '');
  if (r === undefined) unsupported(c.node, 'the rank of the input is unknown');
  return r;
}

export const BATCHNORM_RULE: Rule = {
  differentiable: [0, 1, 2],
  forward(c) {
    if (c.mode !== 'training') return c.e.push(c.node);
    const { e, node } = c;
    const [x, scale, bias, runMean, runVar] = node.input ?? [];
    const y = node.output![0]!;
    const rank = rankOf(c);
    const eps = getFloatAttr(node, 'epsilon', 1e-5);
    const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
    const mean = e.reduceMean(x!, axes, true); // [1, C, 1]
    const xc = e.op('Sub', [x!, mean]);
    const v = e.reduceMean(e.mul(xc, xc), axes, true);
    const invstd = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [v, e.scalar(eps)])])]);
    const a = e.mul(invstd, e.channelView(scale!, rank));
    e.add('Add', [e.mul(xc, a), e.channelView(bias!, rank)], {}, { outputs: [y] });
    const meanOut = e.fresh(`bn_mean_${sanitizeName(y)}`), varOut = e.fresh(`bn_var_${sanitizeName(y)}`);
    e.add('Squeeze', [mean, e.constInt(axes)], {}, { outputs: [meanOut] });
    e.add('Squeeze', [v, e.constInt(axes)], {}, { outputs: [varOut] });
    const momentum = getFloatAttr(node, 'momentum', 0.9);
    // Opset 14+ training-mode nodes may also name running-statistics outputs: fill them per the ONNX spec.
    if (node.output![1]) e.add('Add', [e.mul(runMean!, e.scalar(momentum)), e.mul(meanOut, e.scalar(1 - momentum))], {}, { outputs: [node.output![1]] });
    if (node.output![2]) e.add('Add', [e.mul(runVar!, e.scalar(momentum)), e.mul(varOut, e.scalar(1 - momentum))], {}, { outputs: [node.output![2]] });
    c.training.batchNorm.push({ node: node.name ?? y, input: x!, mean: meanOut, var: varOut, runningMean: runMean!, runningVar: runVar!, momentum });
    c.saved.set('train', { xc, invstd, a, axes, rank } satisfies TrainSaved);
  },
  backward(c) {
    const dy = c.dy();
    if (!dy) return [];
    const t = c.saved.get('train') as TrainSaved | undefined;
    return t ? trainingBackward(c, dy, t) : inferenceBackward(c, dy);
  },
};

function inferenceBackward(c: BackwardContext, dy: string): (string | undefined)[] {
  const { e } = c;
  const rank = rankOf(c);
  const eps = getFloatAttr(c.node, 'epsilon', 1e-5);
  const [x, scale, , mean, v] = [0, 1, 2, 3, 4].map((i) => c.x(i));
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const invstd = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [v!, e.scalar(eps)])])]); // [C]
  const dx = c.wants(0) ? e.mul(dy, e.channelView(e.mul(invstd, scale!), rank)) : undefined;
  let dscale: string | undefined;
  if (c.wants(1)) {
    const xhat = e.mul(e.op('Sub', [x!, e.channelView(mean!, rank)]), e.channelView(invstd, rank));
    dscale = e.reduceSum(e.mul(dy, xhat), axes, false);
  }
  const dbias = c.wants(2) ? e.reduceSum(dy, axes, false) : undefined;
  return [dx, dscale, dbias];
}

function trainingBackward(c: BackwardContext, dy: string, t: TrainSaved): (string | undefined)[] {
  const { e } = c;
  const needStats = c.wants(0) || c.wants(1);
  const sumDyXc = needStats ? e.reduceSum(e.mul(dy, t.xc), t.axes, true) : undefined; // [1, C, 1]
  const sumDy = c.wants(0) || c.wants(2) ? e.reduceSum(dy, t.axes, true) : undefined;
  let dx: string | undefined;
  if (c.wants(0)) {
    const count = e.op('Cast', [e.op('Div', [e.op('Size', [c.x(0)]), e.op('Size', [sumDy!])])], { to: 1 });
    const inv = e.op('Reciprocal', [count]);
    // dX = a*dY + xc*k2 + k1, with k1 = -a*mean(dY), k2 = -a*invstd^2*mean(dY*xc): small per-channel factors.
    const k1 = e.op('Neg', [e.mul(e.mul(t.a, sumDy!), inv)]);
    const k2 = e.op('Neg', [e.mul(e.mul(e.mul(t.a, e.mul(t.invstd, t.invstd)), sumDyXc!), inv)]);
    dx = e.op('Add', [e.op('Add', [e.mul(dy, t.a), e.mul(t.xc, k2)]), k1]);
  }
  const squeeze = (s: string): string => e.squeeze(s, t.axes);
  const dscale = c.wants(1) ? squeeze(e.mul(sumDyXc!, t.invstd)) : undefined;
  const dbias = c.wants(2) ? squeeze(sumDy!) : undefined;
  return [dx, dscale, dbias];
}
