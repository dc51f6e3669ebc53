/**
 * The real PTB-XL copy in ../shared/data/ptbxl: 5,979 records at 100 Hz
 * without ptbxl_database.csv, and the PhysioNet/CinC Challenge 2020 labels
 * (cinc2020_labels.csv, HRnnnnn = ecg_id). Figures checked here were counted
 * independently from the files (file names and CSV cells).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { SHARED_DIR } from '../../../test/data-paths.js';
import { openDataset } from './registry.js';
import { readLabelTable } from './label-table.js';
import { stratifiedFolds } from './folds.js';
import { summarizeDataset, NO_PATIENTS_NOTE } from './summary.js';

const DIR = resolve(SHARED_DIR, 'data/ptbxl');
const LABELS = resolve(DIR, 'cinc2020_labels.csv');

/** ecg_ids 1-5999 that PTB-XL v1.0.3 dropped: the Challenge (built on v1.0.1) still labels them. */
const DROPPED_IN_V103 = [137, 139, 140, 141, 142, 143, 145, 456, 458, 459, 461, 462, 2506, 2511, 3795, 3798, 3800, 3801, 3832, 5817];

/** Positives per class over the 5,911 label rows, as the data's README lists them. */
const ROW_COUNTS: Record<string, number> = {
  NSR: 5131, LAD: 1045, TAb: 728, LAnFB: 463, AF: 330, IRBBB: 313, STach: 215, SA: 208, IAVB: 206, QAb: 205, NSIVCB: 194,
  SB: 173, PAC: 173, LPR: 143, CRBBB: 135, LBBB: 114, TInv: 101, RAD: 68, LQRSV: 54, PR: 49, AFL: 22, LQT: 21, Brady: 0, PVC: 0,
};

test('real PTB-XL without ptbxl_database.csv: 5,979 records listed from their headers, ids are ecg_ids', async () => {
  const ds = await openDataset(DIR);
  assert.equal(ds.layout, 'ptbxl');
  assert.equal(ds.fs, 100);
  const recs = ds.records();
  assert.equal(recs.length, 5979);
  assert.deepEqual(recs.slice(0, 3).map((r) => r.id), ['1', '2', '3']);
  assert.equal(recs.at(-1)!.id, '5999');
  const ids = new Set(recs.map((r) => Number(r.id)));
  assert.deepEqual(Array.from({ length: 5999 }, (_, i) => i + 1).filter((i) => !ids.has(i)), DROPPED_IN_V103);
  assert.deepEqual(recs[0]!.meta.extra, { fs: 100, leads: 'I II III aVR aVL aVF V1 V2 V3 V4 V5 V6', samples: 1000 });
  assert.ok(recs.every((r) => r.meta.extra!['samples'] === 1000 && r.meta.labels === undefined && r.meta.patientId === undefined));
  assert.equal(ds.folds(), undefined);
  assert.deepEqual(ds.labelSets(), {});
  const e = await ds.load('1234');
  assert.deepEqual([e.fs, e.nSamples, e.leads.length, e.meta.sourcePath!.endsWith('records100/01000/01234_lr.hea')], [100, 1000, 12, true]);
  assert.deepEqual(summarizeDataset(ds).notes, ['no folds defined: ecgx makes seeded stratified folds', NO_PATIENTS_NOTE]);
});

test('cinc2020_labels.csv: 5,911 rows, 24 SNOMED CT columns named by the dx map, the README per-class counts', () => {
  const t = readLabelTable(LABELS, { dxMapSearch: [DIR] });
  assert.equal(t.rows.length, 5911);
  assert.equal(t.idColumn, 'filename');
  assert.deepEqual(t.metaColumns, ['age', 'gender']);
  assert.deepEqual(t.ignoredColumns, ['fs']);
  assert.deepEqual(t.merged, []); // the file already merged the equivalent codes
  assert.equal(t.dxMap!.from, 'beside the label table');
  assert.deepEqual(Object.fromEntries(t.labels.map((l) => [l.name, l.positives])), Object.fromEntries(t.labels.map((l) => [l.name, ROW_COUNTS[l.name]])));
  assert.equal(t.labels.length, 24);
  const crbbb = t.labels.find((l) => l.name === 'CRBBB')!;
  assert.deepEqual([crbbb.code, crbbb.merged], ['713427006', ['59118001']]);
});

test('real PTB-XL + Challenge labels: HRnnnnn joins ecg_id nnnnn; 5,891 joined, 88 records without a row, 20 rows for dropped ids', async () => {
  const ds = await openDataset(DIR, { labels: { file: LABELS } });
  const j = ds.labelJoin!;
  assert.deepEqual([j.match, j.matchFrom, j.records, j.joined, j.recordsWithoutRow, j.rowsWithoutRecord], ['number', 'detected', 5979, 5891, 88, 20]);
  assert.deepEqual(j.examples.rowsWithoutRecord, DROPPED_IN_V103.slice(0, 5).map((n) => `../Data/HR${String(n).padStart(5, '0')}.mat`));
  const recs = ds.records();
  assert.equal(recs.length, 5891);
  const byId = new Map(recs.map((r) => [r.id, r]));
  // Rows checked by hand in cinc2020_labels.csv.
  assert.deepEqual([byId.get('1')!.meta.labels, byId.get('1')!.meta.age, byId.get('1')!.meta.sex], [['LQRSV', 'NSR'], 56, 'F']);
  assert.deepEqual([byId.get('2')!.meta.labels, byId.get('2')!.meta.age, byId.get('2')!.meta.sex], [['SB', 'NSR'], 19, 'M']);
  assert.deepEqual([byId.get('1234')!.meta.labels, byId.get('1234')!.meta.age, byId.get('1234')!.meta.sex], [['NSR', 'STach'], 68, 'F']);
  assert.ok(!byId.has('135')); // no row: the Challenge left it out
  const e = await ds.load('1234');
  assert.ok(e.meta.sourcePath!.endsWith('records100/01000/01234_lr.hea'));
  assert.deepEqual(e.meta.labels, byId.get('1234')!.meta.labels);
  // Counts over the joined records: the README's row counts less the 20 rows of dropped records.
  const s = summarizeDataset(ds);
  assert.equal(s.records, 5891);
  assert.deepEqual([s.labelSets['labels']!['NSR'], s.labelSets['labels']!['LAD'], s.labelSets['labels']!['CRBBB'], s.labelSets['labels']!['PVC']], [5114, 1045, 135, 0]);
  assert.deepEqual(s.sex, { M: 2857, F: 3034, unknown: 0 });
  assert.equal(s.labelInfo!['NSR']!.description, 'sinus rhythm');
});

test('real PTB-XL folds: seeded multi-label stratification, every class within ±2 of its mean per fold, the same for the same seed', async () => {
  const ds = await openDataset(DIR, { labels: { file: LABELS } });
  const recs = ds.records();
  const labels = ds.labelSets()['labels']!;
  const a = stratifiedFolds(recs, 10, 1, labels);
  assert.deepEqual(stratifiedFolds(recs, 10, 1, labels), a);
  const b = stratifiedFolds(recs, 10, 2, labels);
  assert.notDeepEqual(b, a);
  for (const folds of [a, b]) {
    for (const l of labels) {
      const perFold = new Array<number>(10).fill(0);
      recs.forEach((r, i) => {
        if (r.meta.labels!.includes(l)) perFold[folds[i]! - 1]!++;
      });
      const mean = perFold.reduce((x, y) => x + y, 0) / 10;
      assert.ok(perFold.every((n) => Math.abs(n - mean) <= 2), `${l}: ${perFold.join(' ')}`);
    }
    const sizes = new Array<number>(10).fill(0);
    for (const f of folds) sizes[f - 1]!++;
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 40, sizes.join(' '));
  }
});
