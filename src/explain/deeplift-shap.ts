/**
 * DeepLIFT-SHAP (Lundberg & Lee 2017; captum's DeepLiftShap): DeepLIFT
 * (rescale rule) against each reference of a background set, averaged. Each
 * (ECG, reference) attribution sums to F(x) - F(x_k), so the average sums to
 * F(x) - mean_k F(x_k); meta.convergenceDelta is that difference per ECG.
 */
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';
import { deepliftPairs } from './deeplift.js';
import { baselineSet, baselineSetFromText, NOISE_FRACTION } from './baseline-sets.js';

const OPTIONS: readonly OptionDecl[] = [
  { name: 'baselines', kind: 'text', default: 'noise', help: `background references: noise (seeded, each lead's mean + N(0, (${NOISE_FRACTION} x range)^2)), zero, mean, or FILE.npy [K, leads, time]`, fromText: baselineSetFromText('deeplift-shap.baselines') },
  { name: 'count', kind: 'int', default: 8, min: 1, max: 4096, help: "references drawn for 'noise' baselines" },
  { name: 'eps', kind: 'number', default: 1e-10, min: 0, max: 1, help: '|Δin| below which a nonlinearity keeps its ordinary gradient (captum: 1e-10)' },
];

export const deepliftShap: ExplainerFactory = {
  name: 'deeplift-shap',
  summary: 'DeepLIFT averaged over a set of references (seeded noise, or FILE.npy background ECGs)',
  options: OPTIONS,
  conformance: { count: 3 },
  perInputMeta: ['convergenceDelta'],
  async create(model, opts = {}) {
    return new ModelExplainer('deeplift-shap', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, seed, batchSize }) => {
      const eps = opts.num('eps');
      const spec = opts.raw('baselines') ?? 'noise';
      const set = baselineSet(spec, x, opts.int('count'), seed, 'deeplift-shap.baselines');
      opts.record('baselines', set.label);
      const [n, leads, time] = x.shape as [number, number, number];
      const per = leads * time;
      const K = set.count;
      const sum = new Float64Array(n * per);
      const attrSum = new Float64Array(n);
      const gap = new Float64Array(n);
      await deepliftPairs(model, [leads, time], n * K, (p) => {
        const b = Math.floor(p / K);
        return { x: x.data.subarray(b * per, (b + 1) * per), ref: set.get(b, p % K), index: target.index[b]! };
      }, { eps, batchSize }, (p, attr, fx, fref) => {
        const b = Math.floor(p / K);
        for (let j = 0; j < per; j++) sum[b * per + j] += attr[j]!;
        for (const v of attr) attrSum[b] += v;
        gap[b] += fx - fref;
      });
      const values = Float32Array.from(sum, (v) => v / K);
      const delta = Array.from({ length: n }, (_, b) => (attrSum[b]! - gap[b]!) / K);
      return { values: { data: values, shape: [n, leads, time] }, meta: { convergenceDelta: delta, references: K } };
    });
  },
};
