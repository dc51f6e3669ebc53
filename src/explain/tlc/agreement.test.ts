import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cohenKappa } from './agreement.js';

test("Cohen's kappa matches hand-computed answers", () => {
  // p_o = 0.8, p_e = 0.4*0.4 + 0.6*0.6 = 0.52: (0.8 - 0.52) / 0.48.
  assert.ok(Math.abs(cohenKappa([0, 0, 1, 1, 1, 0, 1, 0, 0, 0], [0, 1, 1, 1, 0, 0, 1, 0, 0, 0]) - 0.28 / 0.48) < 1e-12);
  // Three classes: p_o = 4/6, p_e = (2*1 + 2*2 + 2*3) / 36 = 1/3: kappa 0.5.
  assert.ok(Math.abs(cohenKappa([0, 1, 2, 2, 1, 0], [0, 2, 2, 2, 1, 1]) - 0.5) < 1e-12);
  assert.equal(cohenKappa([1, 0, 1, 0], [1, 0, 1, 0]), 1);
  assert.ok(Math.abs(cohenKappa([1, 0, 1, 0], [0, 1, 0, 1]) - -1) < 1e-12);
  // A constant rater against a varied one: agreement no better than chance.
  assert.equal(cohenKappa([0, 0, 1, 1], [0, 0, 0, 0]), 0);
  // Both constant and equal: nothing to correct for chance with (NaN, as scikit-learn).
  assert.ok(Number.isNaN(cohenKappa([0, 0, 0], [0, 0, 0])));
  // 99% agreement on a rare label can be chance: a rater that always says 0 against 1% positives.
  const a = Array.from({ length: 100 }, (_, i) => (i === 0 ? 1 : 0));
  assert.equal(cohenKappa(a, new Array(100).fill(0)), 0);
  assert.throws(() => cohenKappa([0, 1], [0]), /equal length/);
});
