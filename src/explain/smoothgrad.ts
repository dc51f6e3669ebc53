/**
 * SmoothGrad (Smilkov et al. 2017): the input gradient averaged over noisy
 * copies x + N(0, sigma^2), sigma a fraction of the ECG's range (max - min
 * over all its leads). Each ECG's noise comes from Rng(seed) alone, so an
 * ECG's attribution does not depend on the batch it is explained in.
 */
import { Rng } from '../util/rng.js';
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';

const OPTIONS: readonly OptionDecl[] = [
  { name: 'samples', kind: 'int', default: 25, min: 1, max: 4096, help: 'noisy copies per ECG' },
  { name: 'sigma', kind: 'number', default: 0.15, min: 0, max: 10, help: "noise standard deviation, as a fraction of each ECG's range (max - min)" },
  { name: 'absolute', kind: 'boolean', default: false, help: 'average the magnitude of the gradients instead of their sign' },
];

export const smoothgrad: ExplainerFactory = {
  name: 'smoothgrad',
  summary: 'input gradient averaged over seeded noisy copies (samples=25, sigma=0.15 of the range)',
  options: OPTIONS,
  conformance: { samples: 4 },
  async create(model, opts = {}) {
    return new ModelExplainer('smoothgrad', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, seed, batchSize }) => {
      const samples = opts.int('samples');
      const sigmaFrac = opts.num('sigma');
      const absolute = opts.bool('absolute');
      const [n, leads, time] = x.shape as [number, number, number];
      const per = leads * time;
      const out = new Float32Array(n * per);
      const session = await model.gradients([model.input]);
      // Rows (ECG b, sample s), b-major, in chunks of batchSize: memory stays bounded.
      const rows = n * samples;
      let rng = new Rng(seed);
      let rngOf = -1;
      let sigma = 0;
      for (let start = 0; start < rows; start += batchSize) {
        const count = Math.min(batchSize, rows - start);
        const noisy = new Float32Array(count * per);
        const index: number[] = [];
        for (let r = 0; r < count; r++) {
          const b = Math.floor((start + r) / samples);
          if (b !== rngOf) {
            rng = new Rng(seed);
            rngOf = b;
            let lo = Infinity;
            let hi = -Infinity;
            for (let i = b * per; i < (b + 1) * per; i++) {
              lo = Math.min(lo, x.data[i]!);
              hi = Math.max(hi, x.data[i]!);
            }
            sigma = sigmaFrac * (hi - lo);
          }
          for (let i = 0; i < per; i++) noisy[r * per + i] = x.data[b * per + i]! + sigma * rng.normal();
          index.push(target.index[b]!);
        }
        const g = (await session.run({ data: noisy, shape: [count, leads, time] }, index, batchSize)).grads[model.input]!;
        for (let r = 0; r < count; r++) {
          const b = Math.floor((start + r) / samples);
          for (let i = 0; i < per; i++) {
            const v = g.data[r * per + i]!;
            out[b * per + i] += (absolute ? Math.abs(v) : v) / samples;
          }
        }
      }
      return { values: { data: out, shape: [n, leads, time] } };
    });
  },
};
