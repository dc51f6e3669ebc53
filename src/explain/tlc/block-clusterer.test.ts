import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockClusterer, FittedBlockClusterer } from './block-clusterer.js';
import { gaussianBlobs } from './synthetic-points.js';
import { adjustedRandIndex, contingency } from './agreement.js';
import { assignSequence } from './assign.js';

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
