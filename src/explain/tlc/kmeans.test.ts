import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KMeans, FittedKMeans } from './kmeans.js';
import { gaussianBlobs, randomCenters } from './synthetic-points.js';
import { adjustedRandIndex, contingency } from './agreement.js';
import { normalizedEntropy } from './soft.js';
import { pointsFromRows } from './points.js';

const CENTERS = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]];

test('k-means recovers the centres of well-separated blobs (ARI 1), for lloyd and minibatch', () => {
  const { points, labels } = gaussianBlobs(CENTERS, 0.7, 150, 1);
  for (const algorithm of ['lloyd', 'minibatch'] as const) {
    const km = new KMeans({ k: 4, seed: 3, algorithm, batchSize: 100 }).fit(points);
    assert.equal(adjustedRandIndex(contingency(km.predict(points), labels)), 1, algorithm);
    for (const mu of CENTERS) {
      let best = Infinity;
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let j = 0; j < 3; j++) s += (km.centers[c * 3 + j]! - mu[j]!) ** 2;
        best = Math.min(best, Math.sqrt(s));
      }
      assert.ok(best < 0.25, `${algorithm}: centre ${mu} found within ${best}`);
    }
  }
});

test('k-means++ reaches lower inertia than random init on average (single restart, 20 seeds)', () => {
  const centers = randomCenters(12, 2, 20, 7);
  const { points } = gaussianBlobs(centers, 0.8, 40, 2);
  let pp = 0, rnd = 0, ppWins = 0;
  for (let seed = 0; seed < 20; seed++) {
    const a = new KMeans({ k: 12, nInit: 1, seed, init: 'k-means++' }).fit(points).inertia;
    const b = new KMeans({ k: 12, nInit: 1, seed, init: 'random' }).fit(points).inertia;
    pp += a;
    rnd += b;
    if (a <= b) ppWins++;
  }
  assert.ok(pp < 0.8 * rnd, `mean inertia k-means++ ${pp / 20} vs random ${rnd / 20}`);
  assert.ok(ppWins >= 12, `k-means++ at most random's inertia in ${ppWins}/20 seeds`);
});

test('mini-batch inertia within 3% of full k-means', () => {
  const centers = randomCenters(8, 5, 6, 11);
  const { points } = gaussianBlobs(centers, 1.5, 500, 4);
  const full = new KMeans({ k: 8, seed: 1 }).fit(points);
  const mb = new KMeans({ k: 8, seed: 1, algorithm: 'minibatch', batchSize: 256 }).fit(points);
  assert.ok(mb.inertia <= full.inertia * 1.03, `minibatch ${mb.inertia} vs full ${full.inertia}`);
});

test('deterministic by seed; state round-trips through JSON', () => {
  const { points } = gaussianBlobs(randomCenters(5, 3, 5, 1), 1, 60, 9);
  for (const algorithm of ['lloyd', 'minibatch'] as const) {
    const a = new KMeans({ k: 5, seed: 42, algorithm, batchSize: 64 }).fit(points);
    const b = new KMeans({ k: 5, seed: 42, algorithm, batchSize: 64 }).fit(points);
    assert.deepEqual(a.centers, b.centers);
    const c = FittedKMeans.fromJSON(JSON.parse(JSON.stringify(a)));
    assert.deepEqual(c.predict(points), a.predict(points));
    assert.deepEqual(c.soft(points).data, a.soft(points).data);
  }
});

test('soft assignments: rows sum to 1, tau = inertia / n, half-way point is split evenly', () => {
  const { points } = gaussianBlobs(CENTERS, 1, 50, 5);
  const km = new KMeans({ k: 4, seed: 0 }).fit(points);
  assert.ok(Math.abs(km.temperature - km.inertia / points.n) < 1e-12);
  const g = km.soft(points);
  for (let i = 0; i < points.n; i++) {
    let s = 0;
    for (let c = 0; c < 4; c++) s += g.data[i * 4 + c]!;
    assert.ok(Math.abs(s - 1) < 1e-12);
  }
  // Two fixed centres: a point equidistant from both has gamma (1/2, 1/2) and entropy 1.
  const two = new FittedKMeans(Float64Array.from([0, 0, 2, 0]), 2, 2, 1, Float64Array.from([1, 1]), 1, 1);
  const mid = two.soft(pointsFromRows([[1, 5], [0, 0]]));
  assert.ok(Math.abs(mid.data[0]! - 0.5) < 1e-12);
  const h = normalizedEntropy(mid);
  assert.ok(Math.abs(h[0]! - 1) < 1e-12);
  // At a centre: gamma_0 = 1 / (1 + e^-4).
  assert.ok(Math.abs(mid.data[2]! - 1 / (1 + Math.exp(-4))) < 1e-12);
});

test('entropy is 0 for one-hot rows and 1 for uniform rows', () => {
  const h = normalizedEntropy(pointsFromRows([[0, 1, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]]));
  assert.equal(h[0], 0);
  assert.ok(Math.abs(h[1]! - 1) < 1e-12);
  assert.ok(Math.abs(h[2]! - Math.log(2) / Math.log(3)) < 1e-12);
});

test('bad options and data are OptionErrors', () => {
  assert.throws(() => new KMeans({ k: 0 }), /k: expected an integer/);
  assert.throws(() => new KMeans({ k: 5 }).fit(pointsFromRows([[1], [2]])), /at most as many clusters as points/);
  assert.throws(() => new KMeans({ k: 1 }).fit(pointsFromRows([[1], [NaN]])), /point 1 coordinate 0 is NaN/);
  assert.throws(() => FittedKMeans.fromJSON({ kind: 'tlc-kmeans', k: 2, d: 2, centers: [1, 2, 3], temperature: 1, inertia: 1, sizes: [1, 1], nIter: 1 }), /centers/);
});

test('mini-batch seeds on a held-out-scored subsample of 3 x batchSize points and keeps the quality of full k-means', () => {
  // 6,000 points in 8 blobs, batches of 100: each init sees 300 points (a twentieth of the data).
  const centers = randomCenters(8, 4, 20, 21);
  const { points, labels } = gaussianBlobs(centers, 1, 750, 6);
  const full = new KMeans({ k: 8, seed: 0, algorithm: 'lloyd' }).fit(points);
  assert.equal(adjustedRandIndex(contingency(full.predict(points), labels)), 1);
  for (let seed = 0; seed < 6; seed++) {
    for (const nInit of [1, 3]) {
      const mb = new KMeans({ k: 8, seed, algorithm: 'minibatch', batchSize: 100, nInit }).fit(points);
      assert.equal(adjustedRandIndex(contingency(mb.predict(points), labels)), 1, `seed ${seed}, nInit ${nInit}`);
      assert.ok(mb.inertia <= full.inertia * 1.01, `seed ${seed}: minibatch ${mb.inertia} vs lloyd ${full.inertia}`);
      // Inertia and sizes come from one final pass over all points.
      assert.ok(Math.abs(mb.inertia - mb.score(points)) <= 1e-9 * mb.inertia);
      assert.deepEqual(Array.from(mb.sizes), Array.from({ length: 8 }, (_, c) => mb.predict(points).filter((l) => l === c).length));
    }
  }
});

test('distances by |x|^2 - 2x.c + |c|^2 match the direct sum (k not a multiple of 4)', () => {
  const { points } = gaussianBlobs(randomCenters(7, 9, 5, 2), 1, 20, 3);
  const km = new KMeans({ k: 7, seed: 1 }).fit(points);
  const d2 = km.sqDistances(points);
  for (let i = 0; i < points.n; i++) {
    for (let c = 0; c < 7; c++) {
      let s = 0;
      for (let j = 0; j < 9; j++) s += (points.data[i * 9 + j]! - km.centers[c * 9 + j]!) ** 2;
      assert.ok(Math.abs(d2.data[i * 7 + c]! - s) <= 1e-9 * Math.max(1, s), `point ${i} centre ${c}: ${d2.data[i * 7 + c]} vs ${s}`);
    }
  }
});
