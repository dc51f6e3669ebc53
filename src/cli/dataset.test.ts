import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LUDB_DIR, runCli } from '../../test/data-paths.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args);

test('ecgx dataset info LUDB --json: one object with layout, counts, label distribution', () => {
  const r = ecgx('dataset', 'info', LUDB_DIR, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, any>;
  assert.deepEqual(Object.keys(j), ['layout', 'root', 'fs', 'records', 'patients', 'sex', 'age', 'labelSets', 'labels', 'folds']);
  assert.deepEqual([j.layout, j.fs, j.records, j.patients, j.folds], ['ludb', 500, 200, null, null]);
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
