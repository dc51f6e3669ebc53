/** Saliency (Simonyan et al. 2014): the gradient of the target output with respect to the input. */
import { registerExplainer } from './registry.js';
import { ModelExplainer, inputGradient, MODEL_OPTIONS } from './gradients.js';

registerExplainer({
  name: 'saliency',
  summary: 'gradient of the target output w.r.t. the input (option absolute=true: its magnitude)',
  async create(model, opts = {}) {
    return new ModelExplainer('saliency', ModelExplainer.open(model, opts), opts, [...MODEL_OPTIONS, 'absolute'], async ({ model, x, target, opts, batchSize }) => {
      const absolute = opts.bool('absolute', false);
      const g = await inputGradient(model, x, target.index, batchSize);
      if (absolute) for (let i = 0; i < g.data.length; i++) g.data[i] = Math.abs(g.data[i]!);
      return { values: g };
    });
  },
});
