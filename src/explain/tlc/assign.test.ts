import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSequence, blockAgreement, clusterProportions, clusterSegments, proportionFeatures, proportionFeatureNames } from './assign.js';
import { adjustedRandIndex, contingency, contingencyFixed, addTables, mutualInformation, normalizedMutualInfo, purity } from './agreement.js';
import { FittedKMeans } from './kmeans.js';
import { pointsFromRows } from './points.js';

test('segments: runs with start/end (exclusive) in samples and seconds, mean entropy', () => {
  const s = clusterSegments([0, 0, 1, 1, 1, 2, 0], 2, [0, 0.2, 0.3, 0.3, 0.6, 1, 0.5]);
  assert.deepEqual(s.map((x) => [x.cluster, x.start, x.end]), [[0, 0, 2], [1, 2, 5], [2, 5, 6], [0, 6, 7]]);
  assert.deepEqual(s.map((x) => [x.startS, x.endS, x.durationS]), [[0, 1, 1], [1, 2.5, 1.5], [2.5, 3, 0.5], [3, 3.5, 0.5]]);
  assert.ok(Math.abs(s[0]!.meanEntropy - 0.1) < 1e-12 && Math.abs(s[1]!.meanEntropy - 0.4) < 1e-12);
  assert.ok(Number.isNaN(clusterSegments([1], 500)[0]!.meanEntropy));
  assert.deepEqual(clusterSegments([], 500), []);
});

test('cluster proportions', () => {
  assert.deepEqual(Array.from(clusterProportions([0, 0, 1, 3], 4)), [0.5, 0.25, 0, 0.25]);
  assert.throws(() => clusterProportions([0, 4], 4), /label 4 at 1/);
});

test('assignSequence: block labels/entropy mapped to input time (nearest and linear)', () => {
  // Two 1-D centres 0 and 10, tau = 1. Block samples at 0, 10 and 5 (equidistant: gamma (1/2, 1/2)).
  const km = new FittedKMeans(Float64Array.from([0, 10]), 2, 1, 0, Float64Array.from([1, 1]), 1, 1);
  const seq = assignSequence(km, pointsFromRows([[0], [10], [5]]), { nSamples: 7, fs: 100 });
  assert.deepEqual(Array.from(seq.blockLabels), [0, 1, 0]);
  assert.deepEqual(Array.from(seq.labels), [0, 0, 0, 1, 1, 0, 0]);
  assert.ok(seq.blockEntropy[0]! < 1e-40 && seq.blockEntropy[1]! < 1e-40);
  assert.ok(Math.abs(seq.blockEntropy[2]! - 1) < 1e-12);
  assert.deepEqual(Array.from(seq.entropy).map((h) => Math.round(h)), [0, 0, 0, 0, 0, 1, 1]);
  // Linear: gamma interpolated between block centres (input positions 2/3, 17/6, 5).
  const lin = assignSequence(km, pointsFromRows([[0], [10], [5]]), { nSamples: 6, fs: 100, upsampling: 'linear' });
  // t = 1: u = 0.25 -> gamma_1 = 0.25 -> cluster 0; t = 2: u = 0.75 -> cluster 1.
  assert.deepEqual(Array.from(lin.labels).slice(0, 3), [0, 0, 1]);
  const g1 = 0.25, expectedH = -(g1 * Math.log(g1) + (1 - g1) * Math.log(1 - g1)) / Math.log(2);
  assert.ok(Math.abs(lin.entropy[1]! - expectedH) < 1e-9);
});

test('ARI / NMI / purity against hand-computed contingency tables', () => {
  // scikit-learn: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285715
  const t = contingency([0, 0, 1, 1], [0, 0, 1, 2]);
  assert.deepEqual(Array.from(t.counts), [2, 0, 0, 0, 1, 1]);
  assert.ok(Math.abs(adjustedRandIndex(t) - 4 / 7) < 1e-12);
  // H(a) = ln 2, H(b) = 1.5 ln 2, MI = ln 2 -> NMI (arithmetic) = 1 / 1.25 = 0.8.
  assert.ok(Math.abs(mutualInformation(t) - Math.LN2) < 1e-12);
  assert.ok(Math.abs(normalizedMutualInfo(t) - 0.8) < 1e-12);
  // Identical up to renaming.
  const p = contingency([0, 0, 1, 1, 2], [5, 5, 3, 3, 9]);
  assert.equal(adjustedRandIndex(p), 1);
  assert.ok(Math.abs(normalizedMutualInfo(p) - 1) < 1e-12);
  // One cluster vs all singletons: ARI 0, NMI 0.
  const q = contingency([0, 0, 0, 0], [0, 1, 2, 3]);
  assert.equal(adjustedRandIndex(q), 0);
  assert.equal(normalizedMutualInfo(q), 0);
  // Purity: rows [[3, 1], [0, 2]] -> (3 + 2) / 6.
  const r = contingencyFixed([0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 1], 2, 2);
  assert.ok(Math.abs(purity(r) - 5 / 6) < 1e-12);
  addTables(r, contingencyFixed([1], [0], 2, 2));
  assert.deepEqual(Array.from(r.counts), [3, 1, 1, 2]);
});

test('block agreement: identical sequences up to renaming agree fully', () => {
  const a = [0, 0, 1, 1, 2, 2, 2], b = [2, 2, 0, 0, 1, 1, 1], c = [0, 1, 0, 1, 0, 1, 0];
  const ag = blockAgreement([a, b, c]);
  assert.equal(ag.ari[0]![1], 1);
  assert.ok(Math.abs(ag.nmi[0]![1]! - 1) < 1e-12);
  assert.ok(ag.ari[0]![2]! < 0.2 && ag.ari[2]![0] === ag.ari[0]![2]);
});

test('proportion features: per-ECG rows of per-block proportions, with names', () => {
  const km2 = new FittedKMeans(Float64Array.from([0, 10]), 2, 1, 0, Float64Array.from([1, 1]), 1, 1);
  const km3 = new FittedKMeans(Float64Array.from([0, 10, 20]), 3, 1, 0, Float64Array.from([1, 1, 1]), 1, 1);
  const seq = (km: FittedKMeans, xs: number[]) => assignSequence(km, pointsFromRows(xs.map((v) => [v])), { nSamples: 2 * xs.length, fs: 100 });
  const f = proportionFeatures([
    [seq(km2, [0, 0, 0, 10]), seq(km3, [20, 20])],
    [seq(km2, [10, 10]), seq(km3, [0, 10, 20, 20])],
  ]);
  assert.equal(f.d, 5);
  assert.deepEqual(Array.from(f.data), [0.75, 0.25, 0, 0, 1, 0, 1, 0.25, 0.25, 0.5]);
  assert.deepEqual(proportionFeatureNames(['b1', 'b2'], [2, 3]), ['b1:c0', 'b1:c1', 'b2:c0', 'b2:c1', 'b2:c2']);
  assert.throws(() => proportionFeatures([[seq(km2, [0])], [seq(km3, [0])]]), /ECG 1 has blocks with k = \[3\]/);
});
