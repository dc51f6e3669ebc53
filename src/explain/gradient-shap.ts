/**
 * GradientSHAP (expected gradients; Lundberg & Lee 2017, Erion et al. 2021),
 * as captum's GradientShap: for each ECG, `samples` draws of a reference x'
 * from the background set, a point alpha ~ U(0, 1) on the path and input
 * noise eps ~ N(0, sigma^2); the attribution is the mean over draws of
 * (x + eps - x') ⊙ ∇F(x' + alpha (x + eps - x')). Every draw of ECG b comes
 * from Rng(seed) restarted for b, so an ECG's attribution does not depend on
 * its batch.
 */
import { Rng } from '../util/rng.js';
import type { NdArray } from '../util/npy.js';
import type { ExplainerFactory } from './protocol.js';
import type { ExplainModel } from './model.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';
import { baselineSet, baselineSetFromText, NOISE_FRACTION, type BaselineSet } from './baseline-sets.js';

/** The random choices of one (ECG, sample): the reference, the path point, the input noise ([leads * time], or none). */
export interface ShapDraw {
  reference: number;
  alpha: number;
  noise?: Float32Array;
}

/**
 * GradientSHAP from draws: draw(b, s) is the s-th draw of ECG b, asked for in
 * order (b ascending, then s). The captum reference test feeds captum's own
 * draws; rows are made and run in chunks of batchSize, so memory stays bounded.
 */
export async function gradientShapFromDraws(model: ExplainModel, x: NdArray, refs: BaselineSet, samples: number, draw: (b: number, s: number) => ShapDraw, index: readonly number[], batchSize: number): Promise<Float32Array> {
  const [n, leads, time] = x.shape as [number, number, number];
  const per = leads * time;
  const session = await model.gradients([model.input]);
  const sum = new Float64Array(n * per);
  const rows = n * samples;
  for (let start = 0; start < rows; start += batchSize) {
    const count = Math.min(batchSize, rows - start);
    const pts = new Float32Array(count * per);
    const diffs = new Float32Array(count * per);
    const owner: number[] = [];
    for (let r = 0; r < count; r++) {
      const b = Math.floor((start + r) / samples);
      const d = draw(b, (start + r) % samples);
      owner.push(b);
      const ref = refs.get(b, d.reference);
      for (let i = 0; i < per; i++) {
        const diff = x.data[b * per + i]! + (d.noise ? d.noise[i]! : 0) - ref[i]!;
        diffs[r * per + i] = diff;
        pts[r * per + i] = ref[i]! + d.alpha * diff;
      }
    }
    const g = (await session.run({ data: pts, shape: [count, leads, time] }, owner.map((b) => index[b]!), batchSize)).grads[model.input]!.data;
    owner.forEach((b, r) => {
      for (let i = 0; i < per; i++) sum[b * per + i] += diffs[r * per + i]! * g[r * per + i]!;
    });
  }
  return Float32Array.from(sum, (v) => v / samples);
}

const OPTIONS: readonly OptionDecl[] = [
  { name: 'baselines', kind: 'text', default: 'noise', help: `background references: noise (seeded, each lead's mean + N(0, (${NOISE_FRACTION} x range)^2)), zero, mean, or FILE.npy [K, leads, time]`, fromText: baselineSetFromText('gradient-shap.baselines') },
  { name: 'count', kind: 'int', default: 8, min: 1, max: 4096, help: "references drawn for 'noise' baselines" },
  { name: 'samples', kind: 'int', default: 32, min: 1, max: 65_536, help: 'draws (reference, path point, noise) per ECG' },
  { name: 'sigma', kind: 'number', default: 0, min: 0, max: 10, help: "input noise sd, as a fraction of each ECG's range (captum's stdevs; 0: none)" },
];

export const gradientShap: ExplainerFactory = {
  name: 'gradient-shap',
  summary: 'expected gradients: seeded draws of a reference, a path point and input noise (samples=32)',
  options: OPTIONS,
  conformance: { samples: 4, count: 3, sigma: 0.05 },
  async create(model, opts = {}) {
    return new ModelExplainer('gradient-shap', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, seed, batchSize }) => {
      const samples = opts.int('samples');
      const sigmaFrac = opts.num('sigma');
      const set = baselineSet(opts.raw('baselines') ?? 'noise', x, opts.int('count'), seed, 'gradient-shap.baselines');
      opts.record('baselines', set.label);
      const [n, leads, time] = x.shape as [number, number, number];
      const per = leads * time;
      // Per ECG: Rng restarted from the seed (a stream apart from the 'noise' references').
      let rng = new Rng(seed);
      let sd = 0;
      const draw = (b: number, s: number): ShapDraw => {
        if (s === 0) {
          rng = new Rng(seed ^ 0x5eed5);
          let lo = Infinity;
          let hi = -Infinity;
          for (let i = b * per; i < (b + 1) * per; i++) {
            lo = Math.min(lo, x.data[i]!);
            hi = Math.max(hi, x.data[i]!);
          }
          sd = sigmaFrac * (hi - lo);
        }
        return { reference: rng.int(set.count), alpha: rng.uniform(), ...(sd > 0 ? { noise: Float32Array.from({ length: per }, () => sd * rng.normal()) } : {}) };
      };
      const values = await gradientShapFromDraws(model, x, set, samples, draw, target.index, batchSize);
      return { values: { data: values, shape: [n, leads, time] } };
    });
  },
};
