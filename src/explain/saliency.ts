/** Saliency (Simonyan et al. 2014): the gradient of the target output with respect to the input. */
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer, inputGradient } from './gradients.js';
import type { OptionDecl } from './options.js';

const OPTIONS: readonly OptionDecl[] = [
  { name: 'absolute', kind: 'boolean', default: false, help: 'the magnitude of the gradient instead of its sign' },
];

export const saliency: ExplainerFactory = {
  name: 'saliency',
  summary: 'gradient of the target output w.r.t. the input (option absolute=true: its magnitude)',
  options: OPTIONS,
  async create(model, opts = {}) {
    return new ModelExplainer('saliency', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, batchSize }) => {
      const absolute = opts.bool('absolute');
      const g = await inputGradient(model, x, target.index, batchSize);
      if (absolute) for (let i = 0; i < g.data.length; i++) g.data[i] = Math.abs(g.data[i]!);
      return { values: g };
    });
  },
};
