/**
 * LIME (Ribeiro et al. 2016) over the same ECG-native features as
 * shap-waves: `samples` coalitions (the ECG itself, then each feature kept
 * with probability 1/2, from Rng(seed) restarted per ECG), weighted by an
 * exponential kernel of the cosine distance between the coalition and the
 * full ECG in feature space, exp(-d^2 / width^2), and fitted by weighted ridge
 * regression with an intercept. The coefficients are the attributions (each
 * sample gets its feature's coefficient); meta.features lists them by name.
 */
import { Rng } from '../util/rng.js';
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';
import { FEATURE_OPTIONS, ecgGame, gameSetup, spreadValues } from './coalition-game.js';
import { weightedLinearFit } from './shapley.js';

const OPTIONS: readonly OptionDecl[] = [
  ...FEATURE_OPTIONS,
  { name: 'samples', kind: 'int', default: 1000, min: 4, max: 10_000_000, help: 'coalitions evaluated per ECG' },
  { name: 'kernelWidth', kind: 'number', default: 0.25, min: 1e-6, max: 1e6, help: 'width of the exponential kernel on the cosine distance (LIME: 0.25)' },
  { name: 'ridge', kind: 'number', default: 1, min: 0, max: 1e9, help: 'ridge penalty of the surrogate (LIME: 1)' },
];

export const lime: ExplainerFactory = {
  name: 'lime',
  summary: 'LIME over ECG features (waves, beats or windows): seeded coalitions, cosine kernel, weighted ridge surrogate',
  options: OPTIONS,
  perInputMeta: ['features'],
  conformance: ({ fs }) => ({ features: 'windows', windowSeconds: 0.32, fs, samples: 24 }),
  async create(model, opts = {}) {
    return new ModelExplainer('lime', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, seed, batchSize, fs, leads }) => {
      const setup = gameSetup('lime', opts, model, x, { ...(fs !== undefined ? { fs } : {}), ...(leads ? { leads } : {}) });
      const samples = opts.int('samples');
      const width = opts.num('kernelWidth');
      const ridge = opts.num('ridge');
      const [n, , time] = x.shape as [number, number, number];
      const rows = setup.spec.leads === 'all' ? 1 : x.shape[1]!;
      const values = new Float32Array(n * rows * time);
      const features: { label: string; value: number }[][] = [];
      for (let b = 0; b < n; b++) {
        const g = ecgGame(model, x, b, target.index[b]!, setup, batchSize);
        const M = g.features.length;
        const rng = new Rng(seed);
        const zs: Uint8Array[] = [new Uint8Array(M).fill(1)];
        while (zs.length < samples) zs.push(Uint8Array.from({ length: M }, () => (rng.uniform() < 0.5 ? 1 : 0)));
        const v = await g.game(zs);
        const w = zs.map((z) => {
          let k = 0;
          for (const q of z) k += q;
          const d = k === 0 ? 1 : 1 - Math.sqrt(k / M);
          return Math.exp(-(d * d) / (width * width));
        });
        const { phi } = weightedLinearFit(zs, v, w, ridge);
        values.set(spreadValues(g, phi, setup.spec.leads, time), b * rows * time);
        features.push(g.features.map((f, k) => ({ label: f.label, lead: f.lead, ...(f.wave ? { wave: f.wave } : {}), ...(f.beat ? { beat: f.beat } : {}), segments: f.segments, value: phi[k]! })));
      }
      return { values: { data: values, shape: [n, rows, time] }, meta: { features } };
    });
  },
};
