/**
 * Guided backpropagation: at each Relu, dX = ReLU(dY) where x > 0 (the
 * ordinary mask times the positive part of the incoming gradient), as
 * captum's GuidedBackprop modifies nn.ReLU. Every other op is unchanged.
 */
import type { Rule } from '../rule.js';
import type { PreparedMode } from './index.js';

const GUIDED_RELU: Rule = {
  differentiable: [0],
  backward(c) {
    const dy = c.dy();
    if (!dy || !c.wants(0)) return [];
    const { e } = c;
    return [e.op('Where', [e.op('Greater', [c.y(0), e.scalar(0)]), e.op('Relu', [dy]), e.scalar(0)])];
  },
};

export function guidedMode(): PreparedMode {
  return { rule: (n, ordinary) => (n.opType === 'Relu' ? GUIDED_RELU : ordinary) };
}
