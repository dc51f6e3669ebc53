/**
 * Layer-wise relevance propagation (Bach et al. 2015; Montavon et al. 2019)
 * as a modified backward pass over the model's own ONNX graph
 * (engine/autodiff/modes/lrp.ts): ε rule, or z+ (alpha 1, beta 0) on the
 * weighted layers that do not read the input; BatchNormalization folded into
 * the Conv/Gemm before it; residual Adds split relevance by their operands'
 * shares. Relevance starts as the target output's value, so with no biases
 * and a small ε it is conserved: the input relevances sum to the output
 * (meta.relevanceSum next to meta.output; biases and ε absorb the rest).
 */
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';
import type { LrpRule } from '../engine/autodiff/index.js';

const OPTIONS: readonly OptionDecl[] = [
  { name: 'lrpRule', kind: 'choice', default: 'epsilon', choices: ['epsilon', 'zplus'], help: 'LRP rule: ε everywhere, or z+ on weighted layers past the first' },
  { name: 'epsilon', kind: 'number', default: 1e-9, min: 0, max: 1e6, help: 'stabiliser ε of z + ε·sign(z) (captum: 1e-9)' },
];

export const lrp: ExplainerFactory = {
  name: 'lrp',
  summary: 'layer-wise relevance propagation (lrpRule=epsilon|zplus), BatchNorm folded, relevance sum vs output in meta',
  options: OPTIONS,
  perInputMeta: ['relevanceSum', 'output'],
  async create(model, opts = {}) {
    return new ModelExplainer('lrp', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, batchSize }) => {
      const rule = opts.choice<LrpRule>('lrpRule');
      const epsilon = opts.num('epsilon');
      const s = await model.gradients([model.input], [], { kind: 'lrp', rule, epsilon });
      const run = await s.run(x, target.index, batchSize);
      const values = run.grads[model.input]!;
      const [n] = x.shape as [number];
      const per = values.data.length / n;
      const K = model.width;
      const relevanceSum: number[] = [];
      const output: number[] = [];
      for (let b = 0; b < n; b++) {
        let sum = 0;
        for (let i = b * per; i < (b + 1) * per; i++) sum += values.data[i]!;
        relevanceSum.push(sum);
        output.push(run.output.data[b * K + target.index[b]!]!);
      }
      return { values, meta: { relevanceSum, output } };
    });
  },
};
