/**
 * Guided backpropagation (Springenberg et al. 2015): the input gradient with
 * every Relu passing only positive gradients (engine/autodiff/modes/guided.ts),
 * as captum's GuidedBackprop. Known weakness: its maps depend little on the
 * upper layers' weights (Adebayo et al. 2018; Nie et al. 2018 show it mostly
 * reconstructs the input), which the cascading randomisation check shows
 * (explain/metrics/randomization.ts).
 */
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';

const OPTIONS: readonly OptionDecl[] = [];

export const guidedBackprop: ExplainerFactory = {
  name: 'guided-backprop',
  summary: 'input gradient with Relus passing positive gradients only (insensitive to upper-layer weights: see the randomisation check)',
  options: OPTIONS,
  async create(model, opts = {}) {
    return new ModelExplainer('guided-backprop', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, batchSize }) => {
      const s = await model.gradients([model.input], [], { kind: 'guided' });
      return { values: (await s.run(x, target.index, batchSize)).grads[model.input]! };
    });
  },
};
