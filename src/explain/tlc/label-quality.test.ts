import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../util/rng.js';
import { flipLabels, rankLabelSuspects, recallAtK } from './label-quality.js';

/** 300 ECGs with 4 proportion-like features; class 0 is present when feature 0 > 0.6, class 1 when feature 1 > 0.7. */
function data(seed: number): { x: { data: Float64Array; n: number; d: number }; labels: Float32Array } {
  const rng = new Rng(seed), n = 300, d = 4;
  const x = new Float64Array(n * d), labels = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = rng.uniform();
    labels[i * 2] = x[i * d]! > 0.6 ? 1 : 0;
    labels[i * 2 + 1] = x[i * d + 1]! > 0.7 ? 1 : 0;
  }
  return { x: { data: x, n, d }, labels };
}

test('flipLabels flips one class of a seeded 5% of the ECGs, reproducibly', () => {
  const { labels } = data(1);
  const a = flipLabels(labels, 300, 2, 0.05, 7), b = flipLabels(labels, 300, 2, 0.05, 7), c = flipLabels(labels, 300, 2, 0.05, 8);
  assert.equal(a.flipped.length, 15);
  assert.deepEqual(a.flipped, b.flipped);
  assert.notDeepEqual(a.flipped, c.flipped);
  let changed = 0;
  for (let i = 0; i < labels.length; i++) if (a.labels[i] !== labels[i]) changed++;
  assert.equal(changed, 15);
  for (const f of a.flipped) assert.equal(a.labels[f.row * 2 + f.cls], 1 - f.from);
  assert.throws(() => flipLabels(labels, 300, 2, 0), /fraction/);
});

test('cross-fitted forests rank flipped labels first: recall in the top k far above a random ranking', () => {
  const { x, labels } = data(2);
  const flip = flipLabels(labels, 300, 2, 0.05, 3);
  const { ranking, probabilities } = rankLabelSuspects(x, flip.labels, 2, { parts: 5, seed: 1, forest: { nTrees: 50 } });
  assert.equal(ranking.length, 600);
  for (let i = 1; i < ranking.length; i++) assert.ok(ranking[i - 1]!.score >= ranking[i]!.score, 'sorted by score');
  for (const r of ranking) assert.ok(Math.abs(r.score - (r.label === 1 ? 1 - r.probability : r.probability)) < 1e-12);
  const k = flip.flipped.length;
  const recall = recallAtK(ranking, flip.flipped, k);
  assert.ok(recall >= 0.7, `recall in the top ${k}: ${recall} (random: ${k / 600})`);
  // Cross-fitting: a flipped label's probability comes from forests that never saw it, so it stays on the true side.
  const sides = flip.flipped.filter((f) => (probabilities[f.row * 2 + f.cls]! >= 0.5 ? 1 : 0) === f.from).length;
  assert.ok(sides >= 0.8 * k, `${sides} of ${k} flipped labels keep a probability on their true side`);
  // With the clean labels, the top of the ranking holds no flipped label and scores are lower.
  const clean = rankLabelSuspects(x, labels, 2, { parts: 5, seed: 1, forest: { nTrees: 50 } });
  assert.ok(clean.ranking[k - 1]!.score < ranking[k - 1]!.score);
});

test('train-only parts train the forests and are left out of the ranking', () => {
  const { x, labels } = data(4);
  const partOf = Int32Array.from({ length: 300 }, (_, i) => (i < 200 ? 0 : 1));
  const r = rankLabelSuspects(x, labels, 2, { parts: 2, partOf, trainOnly: [0], forest: { nTrees: 20 } });
  assert.equal(r.ranking.length, 200);
  assert.ok(r.ranking.every((s) => s.row >= 200));
  assert.ok(Number.isNaN(r.probabilities[0]!));
  assert.throws(() => rankLabelSuspects(x, labels, 2, { parts: 2, partOf: new Int32Array(300).fill(3) }), /partOf/);
  assert.throws(() => rankLabelSuspects(x, labels.subarray(0, 10), 2), /labels/);
});
