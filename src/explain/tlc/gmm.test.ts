import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GaussianMixture, FittedGmm } from './gmm.js';
import { gaussianBlobs } from './synthetic-points.js';
import { pointsFromRows } from './points.js';

const MEANS = [[0, 0], [6, 1], [2, 7]];
const SDS = [[1, 0.5], [0.6, 1.5], [1.2, 1.2]];
const COUNTS = [1500, 1000, 500];

function nearestComponent(g: FittedGmm, mu: number[]): number {
  let best = 0, bestD = Infinity;
  for (let c = 0; c < g.k; c++) {
    const dd = (g.means[c * 2]! - mu[0]!) ** 2 + (g.means[c * 2 + 1]! - mu[1]!) ** 2;
    if (dd < bestD) {
      bestD = dd;
      best = c;
    }
  }
  return best;
}

test('GMM recovers the means, variances and weights of a known diagonal mixture', () => {
  const { points, labels } = gaussianBlobs(MEANS, SDS, COUNTS, 3);
  const g = new GaussianMixture({ k: 3, seed: 1 }).fit(points);
  assert.ok(g.converged);
  MEANS.forEach((mu, m) => {
    const c = nearestComponent(g, mu);
    // On well-separated blobs the ML fit equals each blob's own sample mean and (population) variance.
    const own = [0, 1].map((j) => {
      let s = 0, s2 = 0, n = 0;
      for (let i = 0; i < points.n; i++) {
        if (labels[i] !== m) continue;
        const v = points.data[i * 2 + j]!;
        s += v;
        s2 += v * v;
        n++;
      }
      return { mean: s / n, variance: s2 / n - (s / n) ** 2 };
    });
    for (let j = 0; j < 2; j++) {
      assert.ok(Math.abs(g.means[c * 2 + j]! - own[j]!.mean) < 0.01, `mean ${m}.${j}: ${g.means[c * 2 + j]} vs sample ${own[j]!.mean}`);
      assert.ok(Math.abs(g.means[c * 2 + j]! - mu[j]!) < 0.15, `mean ${m}.${j}: ${g.means[c * 2 + j]} vs true ${mu[j]}`);
      const v = g.variances[c * 2 + j]!;
      assert.ok(Math.abs(v / own[j]!.variance - 1) < 0.02, `variance ${m}.${j}: ${v} vs sample ${own[j]!.variance}`);
      assert.ok(Math.abs(v / SDS[m]![j]! ** 2 - 1) < 0.2, `variance ${m}.${j}: ${v} vs true ${SDS[m]![j]! ** 2}`);
    }
    assert.ok(Math.abs(g.weights[c]! - COUNTS[m]! / 3000) < 0.01, `weight ${m}: ${g.weights[c]}`);
  });
});

test('EM log-likelihood never decreases (overlapping components, many iterations)', () => {
  const { points } = gaussianBlobs([[0, 0], [1.5, 0.5], [0.5, 2], [2, 2]], 1, 200, 8);
  for (const seed of [0, 1, 2]) {
    const g = new GaussianMixture({ k: 4, seed, tol: 1e-10, maxIter: 300 }).fit(points);
    assert.ok(g.logLikHistory.length > 10, `only ${g.logLikHistory.length} iterations`);
    for (let i = 1; i < g.logLikHistory.length; i++) {
      assert.ok(g.logLikHistory[i]! >= g.logLikHistory[i - 1]! - 1e-12, `iteration ${i}: ${g.logLikHistory[i]} < ${g.logLikHistory[i - 1]}`);
    }
    // The last entry is the log-likelihood of the returned parameters.
    assert.ok(Math.abs(g.logLikelihood(points) / points.n - g.logLikHistory.at(-1)!) < 1e-9);
  }
});

test('BIC picks the true number of components on clear data', () => {
  const { points } = gaussianBlobs(MEANS, SDS, COUNTS, 5);
  const bics = [1, 2, 3, 4, 5].map((k) => new GaussianMixture({ k, seed: 0, nInit: 2 }).fit(points).bic(points));
  const best = bics.indexOf(Math.min(...bics)) + 1;
  assert.equal(best, 3, `BIC per K: ${bics.map((b) => b.toFixed(0)).join(' ')}`);
});

test('responsibilities sum to 1; variance floor holds; JSON round trip; one-point-per-component log-likelihood', () => {
  // Two identical points per component: ML variance 0, so the floor is what remains.
  const x = pointsFromRows([[0, 0], [0, 0], [10, 10], [10, 10]]);
  const g = new GaussianMixture({ k: 2, varianceFloor: 0.01 }).fit(x);
  for (const v of g.variances) assert.equal(v, 0.01);
  // Each point: log(1/2) + log N(0; 0, 0.01 I_2) (the other component is ~e^-10000 away).
  const expected = Math.log(0.5) - Math.log(2 * Math.PI * 0.01);
  for (const s of g.scoreSamples(x)) assert.ok(Math.abs(s - expected) < 1e-9);
  const r = g.soft(pointsFromRows([[5, 5], [0.1, 0]]));
  assert.ok(Math.abs(r.data[0]! - 0.5) < 1e-9 && Math.abs(r.data[0]! + r.data[1]! - 1) < 1e-12);
  const back = FittedGmm.fromJSON(JSON.parse(JSON.stringify(g)));
  assert.deepEqual(back.soft(x).data, g.soft(x).data);
  assert.throws(() => FittedGmm.fromJSON({ ...g.toJSON(), variances: [1, 0, 1, 1] }), /variances\[1\]/);
});
