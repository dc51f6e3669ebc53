import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockClusterer, FittedBlockClusterer } from './block-clusterer.js';
import { gaussianBlobs } from './synthetic-points.js';
import { adjustedRandIndex, contingency } from './agreement.js';
import { assignMap, assignSequence } from './assign.js';
import { makeFeatureMap, timestampRows } from './activations.js';
import { argmaxRows, normalizedEntropy } from './soft.js';

// Three blobs in 4-D whose channels have very different scales: without
// standardisation the large channel would dominate.
const CENTERS = [[0, 0, 0, 0], [0, 3000, 0, 0], [0, 0, 3, 3]];
const SD = CENTERS.map(() => [1, 500, 0.5, 0.5]);

test('scaler + PCA + k-means / GMM recover the blobs; JSON round trip gives identical gamma', () => {
  const { points, labels } = gaussianBlobs(CENTERS, SD, 200, 1);
  for (const method of ['kmeans', 'gmm'] as const) {
    const f = new BlockClusterer({ k: 3, method, pca: { nComponents: 3 }, seed: 2 }).fit(points);
    assert.equal(f.pca!.nComponents, 3);
    assert.ok(adjustedRandIndex(contingency(f.predict(points), labels)) > 0.95, method);
    const back = FittedBlockClusterer.fromJSON(JSON.parse(JSON.stringify(f)));
    assert.deepEqual(back.soft(points).data, f.soft(points).data);
    // Usable wherever a SoftClusterer is: a sequence of 6 block samples mapped to 12 input samples.
    const seq = assignSequence(back, { data: points.data.subarray(0, 24), n: 6, d: 4 }, { nSamples: 12, fs: 500 });
    assert.equal(seq.labels.length, 12);
  }
});

test('bad options fail at construction; inconsistent state is a FormatError', () => {
  assert.throws(() => new BlockClusterer({ k: 3, method: 'dbscan' as 'gmm' }), /method/);
  assert.throws(() => new BlockClusterer({ k: 0 }), /^OptionError: k/);
  const { points } = gaussianBlobs(CENTERS, SD, 20, 1);
  const s = new BlockClusterer({ k: 2, pca: { nComponents: 2 } }).fit(points).toJSON();
  assert.throws(() => FittedBlockClusterer.fromJSON({ ...s, pca: null }), /dimensions do not chain/);
});

test('softMap on a raw [channels, length] map equals soft() on its standardised rows (fused k-means path and generic path)', () => {
  const { points } = gaussianBlobs(CENTERS, SD, 60, 3);
  // The first 50 points as one block's activations, channel-major.
  const T = 50, C = 4;
  const map = makeFeatureMap(new Float32Array(C * T), C, T);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) map.data[c * T + t] = points.data[t * C + c]!;
  const rows = timestampRows(map);
  for (const opts of [{ k: 3 }, { k: 5 }, { k: 3, standardize: false }, { k: 3, pca: { nComponents: 2 } }, { k: 3, method: 'gmm' as const }]) {
    const f = new BlockClusterer({ ...opts, seed: 4 }).fit(points);
    const want = f.soft(rows), got = f.softMap(map);
    want.data.forEach((g, i) => assert.ok(Math.abs(got.gamma.data[i]! - g) < 1e-9, `${JSON.stringify(opts)} gamma ${i}: ${got.gamma.data[i]} vs ${g}`));
    assert.deepEqual(got.labels, argmaxRows(want));
    normalizedEntropy(want).forEach((h, i) => assert.ok(Math.abs(got.entropy[i]! - h) < 1e-9, `entropy ${i}`));
    const a = assignMap(f, map, { nSamples: 120, fs: 100 }), b = assignSequence(f, rows, { nSamples: 120, fs: 100 });
    assert.deepEqual(a.labels, b.labels);
  }
  // Temperature low enough that some gammas underflow to 0: entropy stays finite and in [0, 1].
  const hard = new BlockClusterer({ k: 3, seed: 4, kmeans: { temperature: 1e-3 } }).fit(points).softMap(map);
  assert.ok(hard.entropy.every((h) => h >= 0 && h <= 1));
});
