import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSegments } from './assign.js';
import type { TlcExplanation } from './fit.js';
import { TlcPrototypes } from './prototypes.js';

test('prototypes: mean input around segment centres, windows crossing the ends left out', () => {
  // Two leads over 20 samples: lead 0 is t, lead 1 is 100 - t. Clusters: 0 on [0, 4), 1 on [4, 10), 0 on [10, 16), 1 on [16, 20).
  const T = 20;
  const signal = new Float32Array(2 * T);
  for (let t = 0; t < T; t++) {
    signal[t] = t;
    signal[T + t] = 100 - t;
  }
  const labels = Int32Array.from({ length: T }, (_, t) => (t < 4 ? 0 : t < 10 ? 1 : t < 16 ? 0 : 1));
  const segments = clusterSegments(labels, 100);
  const e = { fs: 100, nSamples: T, agreement: null, groups: [{ name: 'b', k: 3, resolution: 1, segments, proportions: new Float64Array(3), sequence: {} as never }] } as TlcExplanation;
  const p = new TlcPrototypes(['b'], 3, 2, 2);
  p.add(signal, e);
  const [g] = p.report();
  // Centres: 1 (window -1..3 crosses the start: left out), 6, 12, 17 (window 15..19 fits).
  assert.equal(g!.clusters[0]!.n, 1);
  assert.deepEqual(g!.clusters[0]!.mean, [[10, 11, 12, 13, 14], [90, 89, 88, 87, 86]]);
  assert.equal(g!.clusters[1]!.n, 2);
  assert.deepEqual(g!.clusters[1]!.mean[0], [9.5, 10.5, 11.5, 12.5, 13.5]);
  assert.equal(g!.clusters[2]!.n, 0);
  assert.deepEqual(g!.clusters[2]!.mean[1], [0, 0, 0, 0, 0]);
});
