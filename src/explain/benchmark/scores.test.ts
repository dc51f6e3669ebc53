import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanCi, scoreAgainstMask } from './scores.js';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('mask scores: known answers on a 2-lead, 4-sample ECG', () => {
  // |a| = [1 2 3 4 | 0 0 5 1], mask = [0 0 1 1 | 0 1 1 0]: 12 of 16 inside.
  const a = Float32Array.from([1, -2, 3, -4, 0, 0, 5, 1]);
  const m = Uint8Array.from([0, 0, 1, 1, 0, 1, 1, 0]);
  const s = scoreAgainstMask(a, 2, m, 2, 4);
  close(s.massAccuracy, 12 / 16, 'mass');
  close(s.timeShare, 4 / 8, 'time share');
  // Top K = 4 by |a|: 5, 4, 3, 2 -> 3 inside.
  close(s.rankAccuracy, 3 / 4, 'rank');
  close(s.pointing, 1, 'pointing (the 5 is inside)');
  // AUROC: positives {3, 4, 0, 5} against negatives {1, 2, 0, 1}: 4 + 4 + 0.5 (the tie at 0) + 4 = 12.5 of 16 pairs.
  close(s.auroc, 12.5 / 16, 'auroc');
});

test('mask scores: a time-only map counts for every lead; ties at the cut and at the top are shared', () => {
  // One row [2 2 1 0] over 2 leads; mask lead 0: [1 0 0 0], lead 1: [0 1 0 0].
  const s = scoreAgainstMask(Float32Array.from([2, 2, 1, 0]), 1, Uint8Array.from([1, 0, 0, 0, 0, 1, 0, 0]), 2, 4);
  close(s.massAccuracy, 4 / 10, 'mass');
  // K = 2; the top tie group holds 4 samples (value 2), 2 of them inside: the 2 top places shared pro rata -> 1 of 2.
  close(s.rankAccuracy, 0.5, 'rank');
  close(s.pointing, 2 / 4, 'pointing over the tied maxima');
  const flat = scoreAgainstMask(Float32Array.from([1, 1, 1, 1]), 1, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]), 2, 4);
  close(flat.auroc, 0.5, 'a flat map is chance');
  close(flat.rankAccuracy, 1 / 8, 'a flat map ranks at the time share');
  assert.ok(Number.isNaN(scoreAgainstMask(new Float32Array(4), 1, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]), 2, 4).massAccuracy), 'an all-zero map points nowhere');
  assert.throws(() => scoreAgainstMask(new Float32Array(12), 3, new Uint8Array(8), 2, 4), RangeError);
});

test('meanCi: mean and a normal-approximation 95% interval of the finite values', () => {
  const c = meanCi([1, 2, 3, 4, NaN]);
  close(c.mean, 2.5, 'mean');
  close(c.hi - c.mean, (1.96 * Math.sqrt(5 / 3)) / 2, 'half width');
  assert.equal(c.n, 4);
  assert.ok(Number.isNaN(meanCi([]).mean));
});
