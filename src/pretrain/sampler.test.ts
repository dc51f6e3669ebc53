import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../util/rng.js';
import { epochBatches, PatientIndex, patientKey, positiveWeights, type SampleInfo } from './sampler.js';

const cohortsArb = fc.array(fc.record({ cohort: fc.constantFrom('a', 'b', 'c'), patient: fc.option(fc.constantFrom('1', '2', '3', '4', '5'), { nil: undefined }) }), { minLength: 2, maxLength: 80 });

test('idb: every batch holds one cohort, and each record appears once per epoch', () => {
  fc.assert(
    fc.property(cohortsArb, fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 1000 }), (items, bs, seed) => {
      const batches = epochBatches(items as SampleInfo[], { batchSize: bs, mode: 'idb', dropSingletons: false }, new Rng(seed));
      for (const b of batches) {
        assert.ok(b.length >= 1 && b.length <= bs);
        assert.equal(new Set(b.map((i) => items[i]!.cohort)).size, 1);
      }
      const seen = batches.flat().sort((a, b) => a - b);
      assert.deepEqual(seen, items.map((_, i) => i));
    }),
    { numRuns: 200 },
  );
});

test('mixed: all records once per epoch; batches mix cohorts; order depends on the seed only', () => {
  const items: SampleInfo[] = Array.from({ length: 90 }, (_, i) => ({ cohort: ['a', 'b', 'c'][i % 3]! }));
  const batches = epochBatches(items, { batchSize: 10, mode: 'mixed' }, new Rng(1));
  assert.deepEqual(batches.flat().sort((a, b) => a - b), items.map((_, i) => i));
  assert.ok(batches.some((b) => new Set(b.map((i) => items[i]!.cohort)).size > 1));
  assert.deepEqual(epochBatches(items, { batchSize: 10, mode: 'mixed' }, new Rng(1)), batches);
  assert.notDeepEqual(epochBatches(items, { batchSize: 10, mode: 'mixed' }, new Rng(2)), batches);
  // IDB on the same records: no batch mixes.
  for (const b of epochBatches(items, { batchSize: 10, mode: 'idb' }, new Rng(1))) assert.equal(new Set(b.map((i) => items[i]!.cohort)).size, 1);
});

test('singleton batches are dropped by default (a contrastive batch needs a negative)', () => {
  const items: SampleInfo[] = [{ cohort: 'a' }, { cohort: 'a' }, { cohort: 'a' }, { cohort: 'b' }];
  const batches = epochBatches(items, { batchSize: 2, mode: 'idb' }, new Rng(1));
  assert.ok(batches.every((b) => b.length === 2));
  assert.equal(batches.length, 1);
});

test('patient partners share the patient id (within a cohort) and differ from the anchor when possible', () => {
  fc.assert(
    fc.property(cohortsArb, fc.integer({ min: 0, max: 1000 }), (items, seed) => {
      const index = new PatientIndex(items as SampleInfo[]);
      const rng = new Rng(seed);
      items.forEach((it, i) => {
        const j = index.partner(i, rng);
        const k = patientKey(it);
        const others = items.filter((o, m) => m !== i && k !== undefined && patientKey(o) === k).length;
        if (others === 0) assert.equal(j, i);
        else {
          assert.notEqual(j, i);
          assert.equal(items[j]!.patient, it.patient);
          assert.equal(items[j]!.cohort, it.cohort);
        }
      });
    }),
    { numRuns: 200 },
  );
});

test('positiveWeights: rows sum to 1 over same-identity columns, zero diagonal', () => {
  const w = positiveWeights(['p1', 'p2', 'p1', 'p1', 'p2', 'p3', 'p3']);
  const n = 7;
  for (let r = 0; r < n; r++) {
    assert.equal(w[r * n + r], 0);
    const s = Array.from(w.subarray(r * n, (r + 1) * n)).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-6);
  }
  assert.ok(Math.abs(w[0 * n + 2]! - 0.5) < 1e-7 && Math.abs(w[0 * n + 3]! - 0.5) < 1e-7 && w[0 * n + 1] === 0);
  assert.throws(() => positiveWeights(['a', 'b', 'a']), RangeError);
});
