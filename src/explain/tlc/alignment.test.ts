import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignClusters, waveLabels, WaveAlignment } from './alignment.js';
import type { WaveAnnotations } from '../../data/ecg.js';

const WAVES: WaveAnnotations = {
  '*': [
    { wave: 'P', onset: 2, offset: 4 },
    { wave: 'QRS', onset: 7, peak: 8, offset: 9 },
    { wave: 'T', onset: 12, offset: 15 },
  ],
};

test('wave labels per sample: onset and offset inclusive, clipped to the record', () => {
  const l = waveLabels(WAVES, 18);
  assert.deepEqual(Array.from(l), [0, 0, 1, 1, 1, 0, 0, 2, 2, 2, 0, 0, 3, 3, 3, 3, 0, 0]);
  assert.deepEqual(Array.from(waveLabels({ '*': [{ wave: 'T', onset: -3, offset: 1 }, { wave: 'QRS', onset: 1, offset: 9 }] }, 3)), [3, 2, 2]);
});

test('per-lead annotations: majority vote per sample; a named lead uses its own', () => {
  const waves: WaveAnnotations = {
    II: [{ wave: 'QRS', onset: 2, offset: 4 }],
    V1: [{ wave: 'QRS', onset: 3, offset: 5 }],
    V5: [{ wave: 'QRS', onset: 3, offset: 4 }],
  };
  assert.deepEqual(Array.from(waveLabels(waves, 7)), [0, 0, 0, 2, 2, 0, 0]);
  assert.deepEqual(Array.from(waveLabels(waves, 7, { lead: 'v1' })), [0, 0, 0, 2, 2, 2, 0]);
  assert.throws(() => waveLabels(waves, 7, { lead: 'V6' }), /no wave annotations for lead V6/);
});

test('clusters that are exactly the waves (renamed): purity 1, NMI 1, dominant waves right', () => {
  // cluster 2 = other, 0 = P, 3 = QRS, 1 = T, cluster 4 unused
  const rename = [2, 0, 3, 1];
  const clusters = Array.from(waveLabels(WAVES, 18), (w) => rename[w]!);
  const r = alignClusters(clusters, 5, WAVES);
  assert.equal(r.purity, 1);
  assert.ok(Math.abs(r.nmi - 1) < 1e-12);
  assert.equal(r.ari, 1);
  assert.deepEqual(r.dominantWave, ['P', 'T', 'other', 'QRS', null]);
  assert.deepEqual(r.table[3], [0, 0, 3, 0]);
  assert.deepEqual(r.waveClusterFraction[2], [0, 0, 0, 1, 0]);
  assert.equal(r.nSamples, 18);
});

test('a hand-made imperfect case: fractions and accumulation over ECGs', () => {
  // Cluster 0 covers P and the samples around it; cluster 1 covers QRS and T.
  const clusters = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
  const acc = new WaveAlignment(2).add(clusters, waveLabels(WAVES, 18)).add(clusters, waveLabels(WAVES, 18));
  const r = acc.report();
  // cluster 0: samples 0-5 (other 0,1,5; P 2,3,4) and 16,17 (other) -> other 5, P 3.
  assert.deepEqual(r.table, [[10, 6, 0, 0], [6, 0, 6, 8]]);
  assert.deepEqual(r.clusterWaveFraction[0], [10 / 16, 6 / 16, 0, 0]);
  assert.deepEqual(r.dominantWave, ['other', 'T']);
  assert.equal(r.purity, (10 + 8) / 36);
  assert.deepEqual(r.waveClusterFraction[1], [1, 0]);
});
