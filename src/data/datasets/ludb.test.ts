import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LUDB_DIR } from '../../../test/data-paths.js';
import { STANDARD_LEADS } from '../leads.js';
import { openLudb } from './ludb.js';

test('ludb: 200 records, 12 leads at 500 Hz, sex/age and label counts that match ludb.csv', async () => {
  const ds = await openLudb(LUDB_DIR);
  assert.equal(ds.layout, 'ludb');
  assert.equal(ds.fs, 500);
  const recs = ds.records();
  assert.equal(recs.length, 200);
  assert.deepEqual(recs.slice(0, 3).map((r) => r.id), ['1', '2', '3']);
  // Totals printed in LUDB's README.
  const count = (label: string): number => recs.filter((r) => r.meta.labels!.includes(label)).length;
  assert.equal(recs.filter((r) => r.meta.sex === 'F').length, 85);
  assert.equal(recs.filter((r) => r.meta.sex === 'M').length, 115);
  const readme: Record<string, number> = {
    'Sinus rhythm': 143, 'Sinus tachycardia': 4, 'Sinus bradycardia': 25, 'Sinus arrhythmia': 8, 'Irregular sinus rhythm': 2, 'Atrial fibrillation': 15, 'Atrial flutter, typical': 3,
    'Electric axis of the heart: normal': 75, 'Electric axis of the heart: left axis deviation': 66, 'Electric axis of the heart: vertical': 26,
    'Electric axis of the heart: horizontal': 20, 'Electric axis of the heart: right axis deviation': 3,
  };
  for (const [label, n] of Object.entries(readme)) assert.equal(count(label), n, label);
  assert.equal(Math.min(...recs.map((r) => r.meta.age!)), 11);
  assert.equal(Math.max(...recs.map((r) => r.meta.age!)), 90); // '>89'

  // Independent count over the raw CSV text: a label occurs in a record's text
  // as a whole field or a whole line of a multi-line field.
  const raw = readFileSync(join(LUDB_DIR, 'ludb.csv'), 'utf8');
  const chunks = raw.split(/\r?\n(?=\d+,)/).slice(1);
  assert.equal(chunks.length, 200);
  const sets = ds.labelSets();
  assert.deepEqual(Object.keys(sets), ['rhythm', 'axis', 'conduction', 'extrasystole', 'hypertrophy', 'pacing', 'ischemia', 'repolarization', 'other']);
  const all = [...new Set(Object.values(sets).flat())];
  assert.ok(all.length > 60, `${all.length} distinct labels`);
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (const label of all) {
    const re = new RegExp(`(^|[,"\\n])${esc(label)}($|[,"\\r\\n])`);
    assert.equal(count(label), chunks.filter((c) => re.test(c)).length, label);
  }
});

test('ludb: loaded records carry 12 canonical leads in mV and cardiologist waves for every lead', async () => {
  const ds = await openLudb(LUDB_DIR);
  let n = 0;
  for await (const ecg of ds.iterate()) {
    n++;
    assert.deepEqual(ecg.leads, [...STANDARD_LEADS]);
    assert.equal(ecg.nSamples, 5000);
    assert.equal(ecg.fs, 500);
    for (const lead of STANDARD_LEADS) {
      const w = ecg.waves?.[lead];
      assert.ok(w && w.length > 0, `record ${ecg.meta.recordId} lead ${lead} has no waves`);
      for (const x of w) assert.ok(x.onset <= x.offset && x.offset < 5000);
    }
    assert.ok(ecg.waves!['II']!.some((x) => x.wave === 'QRS'));
  }
  assert.equal(n, 200);
  // Record 1: sinus bradycardia, 51-year-old woman; the signal is in mV (R waves of about 1 mV).
  const r1 = await ds.load('1');
  assert.equal(r1.meta.age, 51);
  assert.equal(r1.meta.sex, 'F');
  assert.ok(r1.meta.labels!.includes('Sinus bradycardia'));
  const ii = r1.signal.subarray(5000, 10000);
  const peak = Math.max(...ii);
  assert.ok(peak > 0.3 && peak < 5, `lead II max ${peak} mV`);
});
