import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LUDB_DIR, SHARED_DIR, runCli } from '../../test/data-paths.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args);
const PTBXL = join(SHARED_DIR, 'data/ptbxl');
const PTBXL_LABELS = join(PTBXL, 'cinc2020_labels.csv');

test('ecgx dataset info on real PTB-XL with --labels: join counts, abbreviations with their codes, the dx map found, the fold note', () => {
  const r = ecgx('dataset', 'info', PTBXL, '--labels', PTBXL_LABELS);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dataset  ptbxl at /);
  assert.match(r.stdout, /\nrecords  5891 at 100 Hz\n/);
  assert.match(r.stdout, /\ntable    .*cinc2020_labels\.csv: id column 'filename' \(detected\), matched by number \(detected\)\n/);
  assert.match(r.stdout, /\njoined   5891 of 5979 records; 88 without a label row, left out \(135, 164, 181, 186, 294, \.\.\.\)\n/);
  assert.match(r.stdout, /\n {9}20 label row\(s\) name no record \(\.\.\/Data\/HR00137\.mat, /);
  assert.match(r.stdout, /\ndx map   .*dx_mapping_scored\.csv \(beside the label table\)\n/);
  assert.match(r.stdout, /\nnote     no patient ids: .*may fall in two folds\n/);
  assert.match(r.stdout, /\n {2}NSR +5114 +86\.8% +426783006 +sinus rhythm\n/);
  assert.match(r.stdout, /\n {2}CRBBB +135 +2\.3% +713427006 +complete right bundle branch block \(scored as one with 59118001\)\n/);
  const j = JSON.parse(ecgx('dataset', 'info', PTBXL, '--labels', PTBXL_LABELS, '--dx-map', 'none', '--json').stdout);
  assert.deepEqual([j.records, j.join.joined, j.join.recordsWithoutRow, j.join.rowsWithoutRecord, j.join.dxMap, j.labelSets.labels['426783006']], [5891, 5891, 88, 20, null, 5114]);
  const plain = JSON.parse(ecgx('dataset', 'info', PTBXL, '--json').stdout);
  assert.deepEqual([plain.layout, plain.records, plain.patients, plain.folds, plain.join], ['ptbxl', 5979, null, null, null]);
});

test('ecgx dataset info LUDB --json: one object with layout, counts, label distribution', () => {
  const r = ecgx('dataset', 'info', LUDB_DIR, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, any>;
  assert.deepEqual(Object.keys(j), ['layout', 'root', 'fs', 'records', 'patients', 'sex', 'age', 'labelSets', 'labels', 'folds', 'labelInfo', 'join', 'notes', 'warnings']);
  // LUDB as distributed: every lead rescaled to 1 mV peak to peak, in every record checked.
  assert.deepEqual(j.warnings.map((w: string) => w.replace(/record \d+/, 'record N')), ["20 of 20 records checked: record N: every lead spans exactly 1 mV peak to peak: the amplitudes look normalized (as LUDB's are, as distributed) or clipped, so millivolt axes and voltage criteria do not apply"]);
  assert.match(r.stderr, /^ecgx: warning: 20 of 20 records checked: .*every lead spans exactly 1 mV/);
  assert.deepEqual([j.layout, j.fs, j.records, j.patients, j.folds, j.labelInfo, j.join], ['ludb', 500, 200, null, null, null, null]);
  assert.match(j.notes.join(' '), /one patient's ECGs may fall in two folds/);
  assert.deepEqual(j.sex, { M: 115, F: 85, unknown: 0 });
  assert.deepEqual([j.age.n, j.age.min, j.age.max], [200, 11, 90]);
  assert.equal(j.labelSets.rhythm['Sinus rhythm'], 143);
  assert.equal(j.labelSets.axis['Electric axis of the heart: normal'], 75);
  assert.equal(Object.keys(j.labels)[0], 'Sinus rhythm'); // the most frequent label comes first
  const text = ecgx('dataset', 'info', LUDB_DIR);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^dataset  ludb at /);
  assert.match(text.stdout, /records  200 at 500 Hz/);
  assert.match(text.stdout, /\n {2}Sinus rhythm +143 +71\.5%\n/);
});

test('ecgx dataset info: bad folders and flags give one-line errors and a non-zero exit', () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-cli-ds-'));
  try {
    mkdirSync(join(base, 'empty'));
    const cases: [string[], RegExp][] = [
      [['dataset', 'info', join(base, 'empty')], /empty: no dataset found \(expected ptbxl_database\.csv/],
      [['dataset', 'info', join(base, 'missing')], /missing: folder not found/],
      [['dataset', 'info', LUDB_DIR, '--fs', '250'], /--fs: expected 100 or 500, got 250/],
      [['dataset', 'info', LUDB_DIR, '--layout', 'xyz'], /--layout: expected one of ptbxl\|code15\|ludb\|wfdb/],
      [['dataset', 'list', LUDB_DIR], /expected the subcommand 'info'/],
      [['dataset', 'info', LUDB_DIR, '--labels', join(base, 'none.csv')], /none\.csv: file not found/],
      [['dataset', 'info', LUDB_DIR, '--label-id', 'x'], /--label-id: needs --labels FILE\.csv/],
      [['dataset', 'info', LUDB_DIR, '--labels', PTBXL_LABELS, '--label-match', 'fuzzy'], /--label-match: expected one of exact\|number\|auto/],
      [['dataset', 'info', PTBXL, '--labels', PTBXL_LABELS, '--label-id', 'ecg'], /cinc2020_labels\.csv \(ecg\): no id column 'ecg' \(header has: filename, age/],
      [['dataset', 'info', PTBXL, '--labels', PTBXL_LABELS, '--label-match', 'exact'], /cinc2020_labels\.csv \(filename\): no id matches a record of .*ptbxl \(ids such as '\.\.\/Data\/HR00001\.mat'/],
      [['dataset', 'info', LUDB_DIR, '--dx-map', join(base, 'dx.csv')], /dx\.csv: file not found/],
    ];
    writeFileSync(join(base, 'ptbxl_database.csv'), 'ecg_id,age\n1,50\n');
    writeFileSync(join(base, 'scp_statements.csv'), ',description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\nNORM,normal ECG,1.0,,,NORM,NORM\n');
    cases.push([['dataset', 'info', base], /ptbxl_database\.csv \(patient_id\): missing column 'patient_id'/]);
    for (const [args, re] of cases) {
      const r = ecgx(...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^ecgx: /);
      assert.match(r.stderr, re);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
