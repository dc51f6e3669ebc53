/** Gradient x input (Shrikumar et al. 2016): first-order contribution of each sample to the target output. */
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer, inputGradient } from './gradients.js';

export const inputXGradient: ExplainerFactory = {
  name: 'input-x-gradient',
  summary: 'input times the gradient of the target output w.r.t. the input',
  options: [],
  async create(model, opts = {}) {
    return new ModelExplainer('input-x-gradient', ModelExplainer.open(model, opts), opts, [], async ({ model, x, target, batchSize }) => {
      const g = await inputGradient(model, x, target.index, batchSize);
      for (let i = 0; i < g.data.length; i++) g.data[i] = g.data[i]! * x.data[i]!;
      return { values: g };
    });
  },
};
