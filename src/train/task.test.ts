import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EcgDataset, RecordInfo } from '../data/datasets/types.js';
import { DataError, OptionError } from '../util/errors.js';
import { resolveTask } from './task.js';

/** A metadata-only dataset: 20 records, A on 10, B on 3 (records 0-2), C on none; records 15-19 have no label of the set. */
function dataset(): EcgDataset {
  const records: RecordInfo[] = Array.from({ length: 20 }, (_, i) => ({
    id: String(i),
    meta: { recordId: String(i), age: 30 + i, labels: [...(i < 10 ? ['A'] : []), ...(i < 3 ? ['B'] : []), ...(i >= 10 && i < 15 ? ['D'] : [])] },
  }));
  return {
    layout: 'wfdb', root: '/fake', fs: 100,
    records: () => records,
    labelSets: () => ({ set: ['A', 'B', 'C'] }),
    folds: () => undefined,
    load: () => Promise.reject(new Error('no signals')),
    iterate: () => (async function* () {})(),
  };
}

test('resolveTask --min-positives: keeps the classes with enough positives, lists the others with their counts', () => {
  const ds = dataset();
  const t = resolveTask(ds, { task: 'set', minPositives: 3 });
  assert.deepEqual(t.classes, ['A', 'B']);
  assert.deepEqual(t.excludedClasses, { C: 0 });
  assert.equal(t.name, 'set (>= 3 positives)');
  assert.equal(t.examples.length, 10); // records with none of A, B are left out, as for any label set
  assert.deepEqual(t.dropped, { 'none of the set labels': 10 });
  const t4 = resolveTask(ds, { task: 'set', minPositives: 4 });
  assert.deepEqual([t4.classes, t4.excludedClasses], [['A'], { B: 3, C: 0 }]);
  // Explicit labels keep every record; the threshold still applies.
  const e = resolveTask(ds, { task: 'A,B,D', minPositives: 5 });
  assert.deepEqual([e.classes, e.excludedClasses, e.examples.length, e.name], [['A', 'D'], { B: 3 }, 20, 'A,B,D (>= 5 positives)']);
  // Without the option nothing changes.
  const plain = resolveTask(ds, { task: 'set' });
  assert.deepEqual([plain.classes, plain.excludedClasses, plain.name], [['A', 'B', 'C'], undefined, 'set']);
});

test('resolveTask --min-positives: no class left, a bad value, or the age task are typed errors', () => {
  const ds = dataset();
  assert.throws(() => resolveTask(ds, { task: 'set', minPositives: 11 }), (e: unknown) => e instanceof DataError && /no class has 11 positive records in \/fake \(the most: 'A' with 10\)/.test(e.message));
  assert.throws(() => resolveTask(ds, { task: 'set', minPositives: 0 }), OptionError);
  assert.throws(() => resolveTask(ds, { task: 'age', minPositives: 5 }), (e: unknown) => e instanceof OptionError && /label tasks/.test(e.message));
});
