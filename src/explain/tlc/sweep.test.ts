import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silhouetteSamples, silhouetteScore, sweepK } from './sweep.js';
import { pointsFromRows } from './points.js';
import { gaussianBlobs, randomCenters } from './synthetic-points.js';

test('silhouette on a hand-computable 1-D set', () => {
  const x = pointsFromRows([[0], [1], [5], [6]]);
  const s = silhouetteSamples(x, [0, 0, 1, 1]);
  // Point 0: a = 1, b = (5 + 6) / 2; point 1: a = 1, b = (4 + 5) / 2; symmetric for the others.
  const expected = [4.5 / 5.5, 3.5 / 4.5, 3.5 / 4.5, 4.5 / 5.5];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(s[i]! - expected[i]!) < 1e-12);
  assert.ok(Math.abs(silhouetteScore(x, [0, 0, 1, 1]) - (expected[0]! + expected[1]!) / 2) < 1e-12);
  // A singleton cluster scores 0; a wrong split scores negative.
  assert.equal(silhouetteSamples(x, [0, 0, 0, 1])[3], 0);
  assert.ok(silhouetteScore(x, [0, 1, 0, 1]) < 0);
  assert.ok(Number.isNaN(silhouetteScore(x, [2, 2, 2, 2])));
});

test('sampled silhouette (seeded) is close to the exact one', () => {
  const { points, labels } = gaussianBlobs(randomCenters(4, 3, 6, 2), 1.5, 300, 3);
  const exact = silhouetteScore(points, labels, { maxSamples: 5000 });
  const sampled = silhouetteScore(points, labels, { maxSamples: 300, seed: 1 });
  assert.equal(sampled, silhouetteScore(points, labels, { maxSamples: 300, seed: 1 }));
  assert.ok(Math.abs(exact - sampled) < 0.05, `exact ${exact}, sampled ${sampled}`);
});

test('sweep: inertia decreases with K, silhouette peaks and BIC is lowest at the true K', () => {
  const { points } = gaussianBlobs([[0, 0], [8, 0], [0, 8], [8, 8]], 1, 80, 4);
  const km = sweepK(points, [2, 3, 4, 5, 6], { seed: 1 });
  for (let i = 1; i < km.length; i++) assert.ok(km[i]!.inertia! < km[i - 1]!.inertia!);
  const sil = km.map((r) => r.silhouette);
  assert.equal(km[sil.indexOf(Math.max(...sil))]!.k, 4);
  const gm = sweepK(points, [2, 3, 4, 5, 6], { method: 'gmm', seed: 1 });
  const bic = gm.map((r) => r.bic!);
  assert.equal(gm[bic.indexOf(Math.min(...bic))]!.k, 4);
});
