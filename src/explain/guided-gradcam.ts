/**
 * Guided Grad-CAM (Selvaraju et al. 2017), as captum's GuidedGradCam and
 * ExECG: the guided-backpropagation map times the Grad-CAM map of a layer
 * (ReLU'd, upsampled to the input length, 'nearest' by default as captum's
 * interpolate), per lead. It inherits guided backpropagation's insensitivity
 * to the upper layers' weights.
 */
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';
import { resolveLayer } from './layers.js';
import { layerCam } from './gradcam.js';

const OPTIONS: readonly OptionDecl[] = [
  { name: 'layer', kind: 'text', defaultText: "the card's Grad-CAM layer, else the last residual block", help: "the [batch, channels, time] tensor of the Grad-CAM factor ('ecgx model info' lists them)" },
  { name: 'upsample', kind: 'choice', default: 'nearest', choices: ['nearest', 'linear'], help: 'how the layer map is stretched to the input length' },
];

export const guidedGradcam: ExplainerFactory = {
  name: 'guided-gradcam',
  summary: 'guided backpropagation times the upsampled Grad-CAM map of a layer, per lead',
  options: OPTIONS,
  async create(model, opts = {}) {
    const m = ModelExplainer.open(model, opts);
    const layer = resolveLayer(m, opts['layer'], 'guided-gradcam.layer');
    return new ModelExplainer('guided-gradcam', m, opts, OPTIONS, async (ctx) => {
      const { model, x, target, batchSize } = ctx;
      const { map } = await layerCam(ctx, 'guided-gradcam', layer, 'gradcam');
      const [n, leads, time] = x.shape as [number, number, number];
      const guided = await model.gradients([model.input], [], { kind: 'guided' });
      const g = (await guided.run(x, target.index, batchSize)).grads[model.input]!;
      const values = new Float32Array(n * leads * time);
      for (let b = 0; b < n; b++) for (let l = 0; l < leads; l++) for (let t = 0; t < time; t++) {
        const i = (b * leads + l) * time + t;
        values[i] = g.data[i]! * map[b * time + t]!;
      }
      return { values: { data: values, shape: [n, leads, time] }, meta: { layer } };
    });
  },
};
