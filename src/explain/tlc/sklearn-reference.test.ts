// Conformance with scikit-learn on a fixture it wrote (fixtures/make_sklearn_reference.py):
// ARI and NMI of noisy labelings, silhouette (per point and mean), PCA
// explained variance and axes, and the log-density / responsibilities of a
// fixed diagonal Gaussian mixture. The tests need only the JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../../test/data-paths.js';
import { adjustedRandIndex, contingency, normalizedMutualInfo } from './agreement.js';
import { silhouetteSamples, silhouetteScore } from './sweep.js';
import { Pca } from './pca.js';
import { FittedGmm } from './gmm.js';

interface Reference {
  labelings: { a: number[]; b: number[]; ari: number; nmi: number }[];
  silhouette: { x: number[]; n: number; d: number; labels: number[]; score: number; samples: number[] };
  pca: { x: number[]; n: number; d: number; explained_variance: number[]; explained_variance_ratio: number[]; components_abs: number[] };
  gmm: { x: number[]; weights: number[]; means: number[]; variances: number[]; score_samples: number[]; predict_proba: number[] };
}
const ref = JSON.parse(readFileSync(resolve(REPO_ROOT, 'src/explain/tlc/fixtures/sklearn-reference.json'), 'utf8')) as Reference;
const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('ARI and NMI match scikit-learn', () => {
  for (const [i, c] of ref.labelings.entries()) {
    const t = contingency(c.a, c.b);
    close(adjustedRandIndex(t), c.ari, 1e-12, `ARI ${i}`);
    close(normalizedMutualInfo(t), c.nmi, 1e-12, `NMI ${i}`);
  }
});

test('silhouette matches scikit-learn', () => {
  const s = ref.silhouette;
  const x = { data: Float64Array.from(s.x), n: s.n, d: s.d };
  const ours = silhouetteSamples(x, s.labels);
  s.samples.forEach((v, i) => close(ours[i]!, v, 1e-12, `point ${i}`));
  close(silhouetteScore(x, s.labels), s.score, 1e-12, 'mean');
});

test('PCA explained variance and axes match scikit-learn', () => {
  const p = ref.pca;
  const f = new Pca().fit({ data: Float64Array.from(p.x), n: p.n, d: p.d });
  p.explained_variance.forEach((v, i) => close(f.explainedVariance[i]!, v, 1e-10, `variance ${i}`));
  p.explained_variance_ratio.forEach((v, i) => close(f.explainedVarianceRatio[i]!, v, 1e-10, `ratio ${i}`));
  // Signs are a convention; compare magnitudes.
  p.components_abs.forEach((v, i) => close(Math.abs(f.components[i]!), v, 1e-8, `component entry ${i}`));
});

test('diagonal GMM log-density and responsibilities match scikit-learn for fixed parameters', () => {
  const g = ref.gmm;
  const m = new FittedGmm(3, 2, Float64Array.from(g.weights), Float64Array.from(g.means), Float64Array.from(g.variances), [], true, 0);
  const x = { data: Float64Array.from(g.x), n: g.x.length / 2, d: 2 };
  const s = m.scoreSamples(x);
  g.score_samples.forEach((v, i) => close(s[i]!, v, 1e-12, `log-density ${i}`));
  const r = m.soft(x);
  g.predict_proba.forEach((v, i) => assert.ok(Math.abs(r.data[i]! - v) < 1e-12, `responsibility ${i}`));
});
