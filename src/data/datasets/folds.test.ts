import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stratifiedFolds } from './folds.js';
import { Rng } from '../../util/rng.js';
import type { RecordInfo } from './types.js';
import { DataError, OptionError } from '../../util/errors.js';

const RATES: Record<string, number> = { A: 0.5, B: 0.2, C: 0.06, D: 0.02 };

function makeRecords(n: number, seed: number, perPatient = 1): RecordInfo[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: String(i),
    meta: { recordId: String(i), patientId: String(Math.floor(i / perPatient)), labels: Object.keys(RATES).filter((l) => rng.uniform() < RATES[l]!) },
  }));
}

/** Largest |count of label in fold - total/k| over labels and folds, plus the same for fold sizes. */
function imbalance(records: RecordInfo[], folds: number[], k: number): { label: number; size: number } {
  let label = 0;
  let size = 0;
  for (let f = 1; f <= k; f++) {
    const inFold = records.filter((_, i) => folds[i] === f);
    size = Math.max(size, Math.abs(inFold.length - records.length / k));
    for (const l of Object.keys(RATES)) {
      const total = records.filter((r) => r.meta.labels!.includes(l)).length;
      label = Math.max(label, Math.abs(inFold.filter((r) => r.meta.labels!.includes(l)).length - total / k));
    }
  }
  return { label, size };
}

test('stratifiedFolds: every label and fold size within 1.5 records of its share; a seeded random split is far worse', () => {
  const records = makeRecords(1000, 7);
  const folds = stratifiedFolds(records, 10, 42, undefined, { groupByPatient: false });
  assert.equal(folds.length, 1000);
  assert.deepEqual([...new Set(folds)].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const strat = imbalance(records, folds, 10);
  assert.ok(strat.label <= 1.5 && strat.size <= 1.5, JSON.stringify(strat));
  const rng = new Rng(42);
  const random = records.map(() => 1 + rng.int(10));
  assert.ok(imbalance(records, random, 10).label >= 3 * strat.label, 'random split should be much less balanced');
});

test('stratifiedFolds: deterministic under a seed, different across seeds; patients stay in one fold', () => {
  const records = makeRecords(300, 3, 3);
  const a = stratifiedFolds(records, 5, 1);
  assert.deepEqual(stratifiedFolds(records, 5, 1), a);
  assert.notDeepEqual(stratifiedFolds(records, 5, 2), a);
  for (let i = 0; i < 300; i += 3) assert.ok(a[i] === a[i + 1] && a[i] === a[i + 2], `patient ${i / 3} split across folds`);
  const { size } = imbalance(records, a, 5);
  assert.ok(size <= 3, `fold sizes off by ${size}`); // units of 3 records
  // Restricting to one label balances that label exactly (+-1).
  const onlyD = stratifiedFolds(records, 5, 1, ['D']);
  const d = records.filter((r) => r.meta.labels!.includes('D')).length;
  for (let f = 1; f <= 5; f++) {
    const n = records.filter((r, i) => onlyD[i] === f && r.meta.labels!.includes('D')).length;
    assert.ok(Math.abs(n - d / 5) <= 3, `fold ${f}: ${n} of ${d}`);
  }
});

test('stratifiedFolds: bad k and too few units are typed errors', () => {
  assert.throws(() => stratifiedFolds(makeRecords(10, 1), 1, 0), OptionError);
  assert.throws(() => stratifiedFolds(makeRecords(3, 1), 5, 0), DataError);
});
