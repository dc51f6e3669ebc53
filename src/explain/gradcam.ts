/**
 * Grad-CAM (Selvaraju et al. 2017) for 1-D signals: at a layer A [C, T'],
 * weights w_c = mean over t of dY/dA[c, t], map = ReLU(sum_c w_c A[c, :]),
 * upsampled to the input length (nearest: each value repeated, as torch's
 * repeat_interleave; or linear, as F.interpolate(align_corners=False)).
 * No normalisation, so maps stay comparable across ECGs.
 *
 * variant 'gradcam++' (Chattopadhay et al. 2018): the exp-of-score
 * derivation, whose second and third derivatives are powers of the first
 * (eq. 19): alpha[c,t] = g^2 / (2 g^2 + sum_t' A[c,t'] g^3), with g = dY/dA,
 * w_c = sum_t alpha[c,t] ReLU(g[c,t]); the overall factor exp(Y) is dropped.
 *
 * The gradient graph for the layer is built once per explainer (create()).
 */
import type { NdArray } from '../util/npy.js';
import { OptionError } from '../util/errors.js';
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer, type MethodContext } from './gradients.js';
import type { OptionDecl } from './options.js';
import { resolveLayer } from './layers.js';

export type Upsample = 'nearest' | 'linear';

/** Resamples rows [rows, from] to [rows, to]. */
export function upsampleTime(src: Float32Array, rows: number, from: number, to: number, mode: Upsample): Float32Array {
  const out = new Float32Array(rows * to);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < to; t++) {
      let v: number;
      if (mode === 'nearest') {
        v = src[r * from + Math.min(from - 1, Math.floor((t * from) / to))]!;
      } else {
        const s = Math.min(from - 1, Math.max(0, ((t + 0.5) * from) / to - 0.5));
        const i0 = Math.floor(s);
        const i1 = Math.min(from - 1, i0 + 1);
        const f = s - i0;
        v = src[r * from + i0]! * (1 - f) + src[r * from + i1]! * f;
      }
      out[r * to + t] = v;
    }
  }
  return out;
}

/** Grad-CAM maps [batch, T'] from activations and their gradients [batch, C, T']. */
export function camFromGradients(act: NdArray, grad: NdArray, variant: 'gradcam' | 'gradcam++'): Float32Array {
  const [n, C, T] = act.shape as [number, number, number];
  const cam = new Float32Array(n * T);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < C; c++) {
      const o = (b * C + c) * T;
      let w = 0;
      if (variant === 'gradcam') {
        for (let t = 0; t < T; t++) w += grad.data[o + t]!;
        w /= T;
      } else {
        let sumA = 0;
        for (let t = 0; t < T; t++) sumA += act.data[o + t]!;
        for (let t = 0; t < T; t++) {
          const g = grad.data[o + t]!;
          if (g === 0) continue;
          const g2 = g * g;
          const den = 2 * g2 + sumA * g2 * g;
          const alpha = den !== 0 ? g2 / den : 0;
          w += alpha * Math.max(g, 0);
        }
      }
      for (let t = 0; t < T; t++) cam[b * T + t] += w * act.data[o + t]!;
    }
  }
  for (let i = 0; i < cam.length; i++) cam[i] = Math.max(cam[i]!, 0);
  return cam;
}

/**
 * The upsampled Grad-CAM map [n, time] at the layer an explainer was created
 * for (a call asking for another layer is an error naming `method`.layer): the
 * shared step of Grad-CAM and guided Grad-CAM.
 */
export async function layerCam(ctx: Pick<MethodContext, 'model' | 'x' | 'target' | 'opts' | 'batchSize'>, method: string, layer: string, variant: 'gradcam' | 'gradcam++'): Promise<{ map: Float32Array; layerShape: number[] }> {
  const { model, x, target, opts, batchSize } = ctx;
  const upsample = opts.choice<Upsample>('upsample');
  const asked = opts.raw('layer');
  if (asked !== undefined && asked !== layer) throw new OptionError(`${method}.layer`, `this explainer was created for layer '${layer}'; create another one for '${String(asked)}' (its gradient graph is built at creation)`);
  opts.record('layer', layer);
  const run = await (await model.gradients([layer], [layer])).run(x, target.index, batchSize);
  const act = run.activations[layer]!;
  const [n, , Tl] = act.shape as [number, number, number];
  return { map: upsampleTime(camFromGradients(act, run.grads[layer]!, variant), n, Tl, x.shape[2]!, upsample), layerShape: act.shape.slice(1) };
}

const OPTIONS: readonly OptionDecl[] = [
  { name: 'layer', kind: 'text', defaultText: "the card's Grad-CAM layer, else the last residual block", help: "the [batch, channels, time] tensor to explain at ('ecgx model info' lists them)" },
  { name: 'upsample', kind: 'choice', default: 'nearest', choices: ['nearest', 'linear'], help: 'how the layer map is stretched to the input length' },
  { name: 'variant', kind: 'choice', default: 'gradcam', choices: ['gradcam', 'gradcam++'], help: 'Grad-CAM or Grad-CAM++ weights' },
];

export const gradcam: ExplainerFactory = {
  name: 'gradcam',
  summary: 'Grad-CAM at a layer (default: last residual block) upsampled to the input; variant=gradcam++',
  options: OPTIONS,
  async create(model, opts = {}) {
    const m = ModelExplainer.open(model, opts);
    const layer = resolveLayer(m, opts['layer'], 'gradcam.layer');
    return new ModelExplainer('gradcam', m, opts, OPTIONS, async (ctx) => {
      const { map, layerShape } = await layerCam(ctx, 'gradcam', layer, ctx.opts.choice<'gradcam' | 'gradcam++'>('variant'));
      const [n, , time] = ctx.x.shape as [number, number, number];
      return { values: { data: map, shape: [n, 1, time] }, meta: { layer, layerShape } };
    });
  },
};
