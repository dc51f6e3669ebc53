// End to end without a trained model: simple features of noise-free synthetic
// ECGs stand in for block activations (signal, |signal| and log |slope| of
// three leads, average-pooled by 4 like a strided block), and the TLC path
// (sample -> scale -> k-means -> assign -> align) must find clusters that
// follow the ground-truth P/QRS/T waves far better than chance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { synthesizeEcg } from '../../data/synth/index.js';
import type { Ecg } from '../../data/ecg.js';
import { makeFeatureMap, sampleColumns, timestampRows, type FeatureMap } from './activations.js';
import { StandardScaler } from './scaler.js';
import { KMeans } from './kmeans.js';
import { assignSequence, clusterSegments } from './assign.js';
import { WaveAlignment, waveLabels } from './alignment.js';

const FS = 250, POOL = 4;

function ecgWithFeatures(seed: number): { ecg: Ecg; map: FeatureMap } {
  const ecg = synthesizeEcg({ fs: FS, durationS: 10, seed, cohort: 'ideal', classes: ['NORM'] });
  const leads = ['II', 'V2', 'V5'].map((l) => ecg.leads.indexOf(l));
  const n = ecg.nSamples, tb = Math.floor(n / POOL), channels = 3 * leads.length;
  const data = new Float32Array(channels * tb);
  leads.forEach((li, k) => {
    const x = ecg.signal.subarray(li * n, (li + 1) * n);
    for (let j = 0; j < tb; j++) {
      let s = 0, a = 0, slope = 0;
      for (let u = j * POOL; u < (j + 1) * POOL; u++) {
        s += x[u]!;
        a += Math.abs(x[u]!);
        slope += Math.abs(((x[Math.min(n - 1, u + 1)]! - x[Math.max(0, u - 1)]!) * FS) / 2);
      }
      data[3 * k * tb + j] = s / POOL;
      data[(3 * k + 1) * tb + j] = a / POOL;
      data[(3 * k + 2) * tb + j] = Math.log1p(slope / POOL);
    }
  });
  return { ecg, map: makeFeatureMap(data, channels, tb) };
}

test('clusters of wave-shaped features align with the ground-truth waves far above chance', () => {
  const train = [1, 2, 3, 4].map(ecgWithFeatures);
  const sample = sampleColumns(train.map((t) => t.map), { maxSamples: 3000, seed: 0 });
  const scaler = new StandardScaler().fit(sample.points);
  const K = 6;
  const km = new KMeans({ k: K, seed: 1 }).fit(scaler.transform(sample.points));
  const aligned = new WaveAlignment(K), shifted = new WaveAlignment(K);
  for (const seed of [11, 12]) {
    const { ecg, map } = ecgWithFeatures(seed);
    const seq = assignSequence(km, scaler.transform(timestampRows(map)), { nSamples: ecg.nSamples, fs: ecg.fs });
    assert.equal(seq.labels.length, ecg.nSamples);
    const waves = waveLabels(ecg.waves!, ecg.nSamples);
    aligned.add(seq.labels, waves);
    // Chance level: the same clusters against the waves moved by 97 samples (0.39 s).
    shifted.add(seq.labels, Uint8Array.from(waves, (_, t) => waves[(t + 97) % waves.length]!));
    // Segments tile the record.
    const segs = clusterSegments(seq.labels, ecg.fs, seq.entropy);
    assert.equal(segs[0]!.start, 0);
    assert.equal(segs.at(-1)!.end, ecg.nSamples);
  }
  const r = aligned.report(), chance = shifted.report();
  const majority = Math.max(...[0, 1, 2, 3].map((w) => r.table.reduce((s, row) => s + row[w]!, 0))) / r.nSamples;
  assert.ok(r.nmi > chance.nmi + 0.25, `NMI ${r.nmi} vs shifted ${chance.nmi}`);
  assert.ok(r.purity > majority + 0.15, `purity ${r.purity} vs majority class ${majority}`);
  // Clusters whose dominant wave is QRS cover most of the QRS time; some cluster is mostly T.
  let qrsCovered = 0;
  r.dominantWave.forEach((w, c) => {
    if (w === 'QRS') qrsCovered += r.waveClusterFraction[2]![c]!;
  });
  assert.ok(qrsCovered > 0.6, `QRS time in QRS-dominant clusters: ${qrsCovered}`);
  assert.ok(r.dominantWave.includes('T'), `dominant waves ${r.dominantWave.join(', ')}`);
});
