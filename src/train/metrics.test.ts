import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { auroc, aurocPerClass, fmax, macroAuroc, meanStd, regressionMetrics, thresholdMetrics, argmaxAccuracy } from './metrics.js';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('auroc: hand-computed answers, ties counted half (sklearn roc_auc_score)', () => {
  // sklearn's docstring example: 0.75.
  close(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // Ties: positives {0.5, 0.9}, negatives {0.5, 0.5}: pairs 0.5, 0.5, 1, 1 -> 3/4.
  close(auroc([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1]), 0.75);
  // All scores tied: 0.5; perfect and reversed rankings: 1 and 0.
  close(auroc([0.2, 0.2, 0.2], [1, 0, 0]), 0.5);
  close(auroc([1, 2, 3, 4], [0, 0, 1, 1]), 1);
  close(auroc([4, 3, 2, 1], [0, 0, 1, 1]), 0);
  // Positives {3, 2, 2}, negatives {2, 1}: (1+1) + (0.5+1) + (0.5+1) = 5 of 6 pairs.
  close(auroc([3, 2, 2, 2, 1], [1, 1, 1, 0, 0]), 5 / 6);
  assert.ok(Number.isNaN(auroc([0.1, 0.2], [1, 1])));
});

test('auroc equals the pairwise Mann-Whitney count on random data with ties', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { minLength: 2, maxLength: 40 }), (rows) => {
      const s = rows.map((r) => r[0]), y = rows.map((r) => (r[1] ? 1 : 0));
      let wins = 0, pairs = 0;
      for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) {
        if (y[i] === 1 && y[j] === 0) {
          pairs++;
          wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
      }
      const a = auroc(s, y);
      if (pairs === 0) return Number.isNaN(a);
      return Math.abs(a - wins / pairs) < 1e-12;
    }),
  );
});

test('per-class and macro AUROC; a class without negatives is NaN and left out of the mean', () => {
  const s = { data: [0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.1, 0.9], n: 4, k: 2 };
  const t = { data: [1, 1, 0, 1, 1, 1, 0, 1], n: 4, k: 2 };
  const per = aurocPerClass(s, t);
  close(per[0]!, 1); // positives 0.9, 0.7 above negatives 0.2, 0.1
  assert.ok(Number.isNaN(per[1]!));
  close(macroAuroc(s, t), 1);
});

test('fmax: sample-centred definition, hand-computed', () => {
  // Samples: s1 = [0.9, 0.2] with labels [1, 0]; s2 = [0.6, 0.7] with labels [1, 0].
  // t = 0.9: P = 1 (only s1 predicts), R = (1 + 0) / 2 -> F = 2/3
  // t = 0.7: P = (1 + 0) / 2, R = 1/2 -> F = 1/2
  // t = 0.6: P = (1 + 1/2) / 2 = 3/4, R = 1 -> F = 6/7
  // t = 0.2: P = (1/2 + 1/2) / 2, R = 1 -> F = 2/3
  const r = fmax({ data: [0.9, 0.2, 0.6, 0.7], n: 2, k: 2 }, { data: [1, 0, 1, 0], n: 2, k: 2 });
  close(r.fmax, 6 / 7);
  close(r.threshold, 0.6);
  // Perfect scores give Fmax 1.
  close(fmax({ data: [0.9, 0.1, 0.2, 0.8], n: 2, k: 2 }, { data: [1, 0, 0, 1], n: 2, k: 2 }).fmax, 1);
});

test('accuracy and F1 at a threshold; arg-max accuracy', () => {
  const s = { data: [0.9, 0.4, 0.6, 0.2, 0.1, 0.7], n: 3, k: 2 };
  const t = { data: [1, 0, 0, 0, 1, 1], n: 3, k: 2 };
  const m = thresholdMetrics(s, t, 0.5);
  // class 0: predicted [1, 1, 0] vs [1, 0, 1]: tp 1, fp 1, fn 1 -> F1 0.5; class 1: [0, 0, 1] vs [0, 0, 1] -> 1.
  close(m.f1[0]!, 0.5);
  close(m.f1[1]!, 1);
  close(m.macroF1, 0.75);
  close(m.accuracy, 4 / 6);
  // arg-max (first on ties): rows 0 vs 0, 0 vs 0, 1 vs 0 -> 2 of 3.
  close(argmaxAccuracy(s, t), 2 / 3);
});

test('regression metrics: hand-computed MAE, RMSE, R², Pearson r', () => {
  // pred [1, 2, 3], target [1, 2, 5]: errors 0, 0, -2; target mean 8/3, SS_tot = 78/9.
  const r = regressionMetrics([1, 2, 3], [1, 2, 5]);
  close(r.mae, 2 / 3);
  close(r.rmse, Math.sqrt(4 / 3));
  close(r.r2, 1 - 4 / (78 / 9));
  close(r.pearson, 4 / Math.sqrt(2 * (78 / 9)));
  const ms = meanStd([1, 2, 3, NaN]);
  close(ms.mean, 2);
  close(ms.std, 1);
  assert.equal(ms.n, 3);
});
