/**
 * LayerNormalization (opset 17): the forward node also outputs its Mean and
 * InvStdDev (as MaxPool outputs its indices), and the backward step is
 *   dX = invstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dY * scale,
 * with means over the normalised axes; dScale and dBias sum over the others.
 */
import { getIntAttr } from '../../onnx/proto.js';
import { unsupported, type Rule } from '../rule.js';

export const LAYERNORM_RULE: Rule = {
  forward(c) {
    const n = c.node;
    if (!c.onPath) return c.e.push(n);
    const outs = [...(n.output ?? [])];
    for (let i = 1; i <= 2; i++) if (!outs[i]) outs[i] = c.e.fresh(`${outs[0]}_${i === 1 ? 'mean' : 'invstd'}`);
    c.e.push({ ...n, output: outs });
    c.saved.set('stats', [outs[1], outs[2]]);
  },
  backward(c) {
    const dy = c.dy();
    if (!dy) return [];
    const { e } = c;
    const [x, scale, bias] = [c.x(0), c.x(1), c.x(2)];
    const rank = c.info.rank(x);
    if (rank === undefined) unsupported(c.node, 'the rank of the input is unknown');
    const axis0 = getIntAttr(c.node, 'axis', -1);
    const first = axis0 < 0 ? axis0 + rank : axis0;
    const axes = Array.from({ length: rank - first }, (_, i) => first + i);
    const [mean, invstd] = c.saved.get('stats') as [string, string];
    const xhat = e.mul(e.op('Sub', [x, mean]), invstd);
    let dx: string | undefined;
    if (c.wants(0)) {
      const g = e.mul(dy, scale);
      const mg = e.reduceMean(g, axes, true);
      const mgx = e.reduceMean(e.mul(g, xhat), axes, true);
      dx = e.mul(invstd, e.op('Sub', [e.op('Sub', [g, mg]), e.mul(xhat, mgx)]));
    }
    const dscale = c.wants(1) ? e.sumTo(e.mul(dy, xhat), scale) : undefined;
    const dbias = bias && c.wants(2) ? e.sumTo(dy, bias) : undefined;
    return [dx, dscale, dbias];
  },
};
