/**
 * Shapley values over ECG-native features: (lead, wave) with P, QRS, T and
 * baseline per lead, (lead, wave, beat), (lead, beat) or fixed windows
 * (coalition-game.ts), masked with a stated baseline (each lead's median, a
 * line across the segment, or zero). It answers "which wave in which lead
 * made this prediction": meta.features[b] lists every feature of ECG b with
 * its Shapley value; values give each sample its feature's value (as
 * captum's feature masks do), so the map and the table agree.
 *
 * Estimators (shapley.ts): exact (2^M model calls), KernelSHAP (captum's
 * sampling and regression, coalitions paired with their complements) or
 * antithetic permutation sampling; 'auto' is exact when 2^M fits the budget
 * `samples`, else KernelSHAP. Efficiency: the values sum to v(all) - v(none)
 * (exact and permutation: exactly; KernelSHAP: up to its 1e6 weight);
 * meta.efficiencyGap reports the difference. Each ECG's coalitions come from
 * Rng(seed) restarted for it.
 */
import { Rng } from '../util/rng.js';
import { OptionError } from '../util/errors.js';
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';
import { FEATURE_OPTIONS, ecgGame, gameSetup, spreadValues } from './coalition-game.js';
import { exactShapley, kernelCoalitions, kernelShapFit, permutationShapley } from './shapley.js';

const ESTIMATORS = ['auto', 'kernel', 'permutation', 'exact'] as const;
type Estimator = (typeof ESTIMATORS)[number];
/** Largest feature count the exact estimator takes (2^20 model calls is already far too many for a model). */
const EXACT_MAX = 20;

const OPTIONS: readonly OptionDecl[] = [
  ...FEATURE_OPTIONS,
  { name: 'estimator', kind: 'choice', default: 'auto', choices: ESTIMATORS, help: 'exact (2^M model calls), kernel (KernelSHAP), permutation (antithetic), or auto (exact if 2^M <= samples)' },
  { name: 'samples', kind: 'int', min: 4, max: 10_000_000, defaultText: '2M + 1024 for M features', help: 'model calls per ECG (coalitions evaluated)' },
  { name: 'paired', kind: 'boolean', default: true, help: 'KernelSHAP: evaluate each drawn coalition with its complement' },
];

export const shapWaves: ExplainerFactory = {
  name: 'shap-waves',
  summary: 'Shapley values of ECG features: P/QRS/T/baseline per lead (or beats, windows), masked by lead median or interpolation',
  options: OPTIONS,
  perInputMeta: ['features', 'efficiencyGap'],
  conformance: ({ fs }) => ({ features: 'windows', windowSeconds: 0.32, fs, estimator: 'kernel', samples: 24 }),
  async create(model, opts = {}) {
    return new ModelExplainer('shap-waves', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, seed, batchSize, fs, leads }) => {
      const setup = gameSetup('shap-waves', opts, model, x, { ...(fs !== undefined ? { fs } : {}), ...(leads ? { leads } : {}) });
      const estimator = opts.choice<Estimator>('estimator');
      const paired = opts.bool('paired');
      const asked = opts.raw('samples');
      const [n, , time] = x.shape as [number, number, number];
      const rows = setup.spec.leads === 'all' ? 1 : x.shape[1]!;
      const values = new Float32Array(n * rows * time);
      const features: { label: string; value: number }[][] = [];
      const gaps: number[] = [];
      const used: string[] = [];
      for (let b = 0; b < n; b++) {
        const g = ecgGame(model, x, b, target.index[b]!, setup, batchSize);
        const M = g.features.length;
        const budget = asked !== undefined ? opts.int('samples') : 2 * M + 1024;
        const rng = new Rng(seed);
        let est: Estimator = estimator;
        if (est === 'auto') est = M <= EXACT_MAX && 2 ** M <= budget ? 'exact' : 'kernel';
        if (est === 'exact' && M > EXACT_MAX) throw new OptionError('shap-waves.estimator', `exact Shapley over ${M} features needs 2^${M} model calls; use kernel or permutation (or fewer features)`);
        let phi: number[];
        let full: number;
        let empty: number;
        if (est === 'exact') ({ phi, full, empty } = await exactShapley(M, g.game, batchSize));
        else if (est === 'permutation') ({ phi, full, empty } = await permutationShapley(M, g.game, Math.max(2, Math.floor(budget / (M + 1))), rng, batchSize));
        else {
          const zs = kernelCoalitions(M, Math.max(budget, 2), rng, paired);
          const v = await g.game(zs);
          ({ phi } = kernelShapFit(zs, v));
          [full, empty] = [v[0]!, v[1]!];
        }
        used.push(est);
        values.set(spreadValues(g, phi, setup.spec.leads, time), b * rows * time);
        features.push(g.features.map((f, k) => ({ label: f.label, lead: f.lead, ...(f.wave ? { wave: f.wave } : {}), ...(f.beat ? { beat: f.beat } : {}), segments: f.segments, value: phi[k]! })));
        gaps.push(phi.reduce((s, p) => s + p, 0) - (full - empty));
      }
      opts.record('estimator', [...new Set(used)].join(','));
      if (asked === undefined) opts.record('samples', '2M + 1024');
      return { values: { data: values, shape: [n, rows, time] }, meta: { features, efficiencyGap: gaps } };
    });
  },
};
