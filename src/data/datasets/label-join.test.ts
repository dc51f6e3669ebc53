import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEcg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { writeRecord } from '../wfdb/index.js';
import { DataError, FormatError, IoError, OptionError } from '../../util/errors.js';
import { openDataset, writePtbxl } from './index.js';
import { idNumber, idStem, joinLabelTable } from './label-join.js';
import { readLabelTable } from './label-table.js';
import { canonicalCode, dxNames, readDxMap } from './dx-map.js';

/** A 2-second record whose first sample encodes its number, so a joined load can be told apart. */
function ecg(n: number, comments: { age?: number; sex?: 'M' | 'F'; labels?: string[] } = {}) {
  const fs = 100;
  const signal = Float32Array.from({ length: 12 * 2 * fs }, (_, i) => (i === 0 ? n / 100 : Math.round(500 * Math.sin(i / 11)) / 1000));
  return makeEcg({ signal, fs, leads: STANDARD_LEADS, meta: { recordId: String(n), ...comments } });
}

const DX = [
  'Dx,SNOMED CT Code,Abbreviation,CPSC,Total,Notes',
  'atrial fibrillation,164889003,AF,1,1,',
  'complete right bundle branch block,713427006,CRBBB,0,1,We score 713427006 and 59118001 as the same diagnosis.',
  'right bundle branch block,59118001,RBBB,1,1,We score 713427006 and 59118001 as the same diagnosis.',
  'sinus rhythm,426783006,NSR,1,1,',
].join('\n');

/**
 * A WFDB folder of Challenge-style names (a/JS00001 ... a/JS00006) and a label
 * table keyed 'HR0000n.mat' with both RBBB codes as columns: rows 1-5 and 9,
 * so record 6 has no row and row 9 names no record.
 */
function fixture(base: string): { dir: string; table: string } {
  const dir = join(base, 'wfdb');
  for (let n = 1; n <= 6; n++) writeRecord(join(dir, 'a'), `JS0000${n}`, ecg(n, n === 1 ? { age: 33, sex: 'M', labels: ['164889003'] } : {}));
  const table = join(base, 'labels', 'table.csv');
  mkdirSync(join(base, 'labels'));
  writeFileSync(
    table,
    [
      'Recording,Age,Sex,426783006,164889003,713427006,59118001,site,notes',
      '../Data/HR00001.mat,70,Female,1,0,0,1,A,x',
      '../Data/HR00002.mat,NaN,Male,1.0,0.0,0.0,0.0,B,',
      '../Data/HR00003.mat,-1,,0,1,1,0,A,',
      '../Data/HR00004.mat,45,M,1,0,0,0,C,',
      '../Data/HR00005.mat,50,F,0,1,1,1,A,',
      '../Data/HR00009.mat,60,F,1,0,0,0,A,',
    ].join('\n') + '\n',
  );
  writeFileSync(join(base, 'labels', 'dx_mapping_scored.csv'), DX + '\n');
  return { dir, table };
}

test('id stems and numbers: Challenge HRnnnnn, PTB-XL nnnnn_lr and ecg_id meet by number', () => {
  assert.equal(idStem('../Data/HR00001.mat'), 'HR00001');
  assert.equal(idStem('records100/01000/01234_lr'), '01234_lr');
  assert.equal(idStem('C:\\data\\A0001.hea'), 'A0001');
  assert.deepEqual(['HR01234', '../Data/HR01234.mat', 'records100/01000/01234_lr', '1234', '01234_hr'].map(idNumber), ['1234', '1234', '1234', '1234', '1234']);
  assert.equal(idNumber('HR00000'), '0');
  assert.equal(idNumber('test01_00s'), undefined); // two numbers: no key
  assert.equal(idNumber('abc'), undefined);
});

test('dx map: abbreviations, the Challenge equivalent codes merged, unique names', () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-dx-'));
  try {
    const file = join(base, 'dx.csv');
    writeFileSync(file, DX + '\n');
    const map = readDxMap([file]);
    assert.equal(map.byCode.get('426783006')!.abbreviation, 'NSR');
    assert.deepEqual(['59118001', '63593006', '17338001', '164889003'].map(canonicalCode), ['713427006', '284470004', '427172004', '164889003']);
    // A code the map lacks keeps its number; a plain column named like an abbreviation keeps the abbreviation from its code.
    assert.deepEqual([...dxNames(['164889003', '426783006', '12345678'], map)], [['164889003', 'AF'], ['426783006', 'NSR'], ['12345678', '12345678']]);
    assert.deepEqual([...dxNames(['164889003', 'AF'], map)], [['164889003', '164889003'], ['AF', 'AF']]);
    writeFileSync(file, 'Dx,Abbreviation\nx,X\n');
    assert.throws(() => readDxMap([file]), (e: unknown) => e instanceof FormatError && /no SNOMED CT code column/.test(e.message) && e.message.startsWith(file));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('label table joined to a WFDB folder: labels by abbreviation, equivalents merged, age/sex, counts of what did not join', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-join-'));
  try {
    const { dir, table } = fixture(base);
    const plain = await openDataset(dir);
    assert.deepEqual(plain.labelSets(), { labels: ['164889003'] });

    const ds = await openDataset(dir, { labels: { file: table } });
    const j = ds.labelJoin!;
    assert.deepEqual([j.idColumn, j.idColumnFrom, j.match, j.matchFrom], ['Recording', 'detected', 'number', 'detected']);
    assert.deepEqual([j.records, j.joined, j.recordsWithoutRow, j.rowsWithoutRecord], [6, 5, 1, 1]);
    assert.deepEqual(j.examples, { recordsWithoutRow: ['a/JS00006'], rowsWithoutRecord: ['../Data/HR00009.mat'] });
    assert.deepEqual(j.metaColumns, ['Age', 'Sex']);
    assert.deepEqual(j.ignoredColumns, ['site', 'notes']);
    assert.deepEqual(j.merged, [['59118001', '713427006']]);
    assert.deepEqual(j.dxMap, { files: [join(base, 'labels', 'dx_mapping_scored.csv')], from: 'beside the label table' });

    // The table's labels replace the header's '164889003'; RBBB (59118001) counts as CRBBB.
    assert.deepEqual(ds.labelSets(), { labels: ['NSR', 'AF', 'CRBBB'] });
    assert.deepEqual(ds.labelInfo!()['CRBBB'], { code: '713427006', description: 'complete right bundle branch block', merged: ['59118001'] });
    const recs = ds.records();
    assert.deepEqual(recs.map((r) => r.id), ['a/JS00001', 'a/JS00002', 'a/JS00003', 'a/JS00004', 'a/JS00005']);
    assert.deepEqual(recs.map((r) => r.meta.labels), [['NSR', 'CRBBB'], ['NSR'], ['AF', 'CRBBB'], ['NSR'], ['AF', 'CRBBB']]);
    // Table age/sex win where given; the header's stay where the table has none (NaN, -1, empty).
    assert.deepEqual(recs.map((r) => [r.meta.age, r.meta.sex]), [[70, 'F'], [undefined, 'M'], [undefined, undefined], [45, 'M'], [50, 'F']]);

    const e3 = await ds.load('a/JS00003');
    assert.ok(Math.abs(e3.signal[0]! - 0.03) < 1e-6, String(e3.signal[0]));
    assert.deepEqual(e3.meta.labels, ['AF', 'CRBBB']);
    const streamed: [string, string[]][] = [];
    for await (const e of ds.iterate(['a/JS00005', 'a/JS00002'])) streamed.push([e.meta.recordId, e.meta.labels!]);
    assert.deepEqual(streamed, [['a/JS00002', ['NSR']], ['a/JS00005', ['AF', 'CRBBB']]]);
    await assert.rejects(ds.load('a/JS00006'), (e: unknown) => e instanceof DataError && /a\/JS00006 .*no label row for it in .*table\.csv/.test(e.message));

    // Without the dx map the codes are the names; exact matching finds nothing here.
    const raw = await openDataset(dir, { labels: { file: table, match: 'number' }, dxMap: null });
    assert.deepEqual(raw.labelSets(), { labels: ['426783006', '164889003', '713427006'] });
    assert.equal(raw.labelJoin!.dxMap, null);
    await assert.rejects(openDataset(dir, { labels: { file: table, match: 'exact' } }), (e: unknown) => e instanceof FormatError && e.message.startsWith(`${table} (Recording): no id matches a record of ${dir}`) && !e.message.includes('\n'));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('label table: exact matching on record names; a dx map in the dataset folder is found and said so', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-join-'));
  try {
    const { dir } = fixture(base);
    writeFileSync(join(dir, 'dx_mapping_scored.csv'), DX + '\n');
    const file = join(base, 'exact.csv');
    writeFileSync(file, 'record,AF_col,164889003\nJS00002,1,1\na/JS00004.hea,0,0\n');
    const ds = await openDataset(dir, { labels: { file } });
    const j = ds.labelJoin!;
    assert.deepEqual([j.match, j.joined, j.recordsWithoutRow, j.rowsWithoutRecord], ['exact', 2, 4, 0]);
    assert.equal(j.dxMap!.from, 'in the dataset folder');
    assert.deepEqual(ds.records().map((r) => [r.id, r.meta.labels]), [['a/JS00002', ['AF_col', 'AF']], ['a/JS00004', []]]);
    // Given id column and dx map.
    const given = await openDataset(dir, { labels: { file, idColumn: 'record', match: 'exact' }, dxMap: join(dir, 'dx_mapping_scored.csv') });
    assert.deepEqual([given.labelJoin!.idColumnFrom, given.labelJoin!.matchFrom, given.labelJoin!.dxMap!.from], ['given', 'given', 'given']);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('label table joined to PTB-XL with its database: table labels replace the SCP codes, strat_fold and patients kept', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-join-'));
  try {
    const dir = join(base, 'ptbxl');
    const recs = [1, 2, 3].map((n) => ({ ...ecg(n), meta: { recordId: String(n), labels: ['NORM', 'SR'], patientId: `p${n}`, extra: { strat_fold: n } } }));
    await writePtbxl(dir, recs, { fs: 100 });
    const file = join(base, 'cinc.csv');
    writeFileSync(file, 'filename,age,gender,fs,284470004\n../Data/HR00001.mat,56.0,Female,500.0,1.0\n../Data/HR00003.mat,60.0,Male,500.0,0.0\n');
    const ds = await openDataset(dir, { labels: { file }, dxMap: null });
    assert.deepEqual(ds.labelSets(), { labels: ['284470004'] });
    assert.deepEqual(ds.records().map((r) => [r.id, r.fold, r.meta.patientId, r.meta.labels, r.meta.sex]), [['1', 1, 'p1', ['284470004'], 'F'], ['3', 3, 'p3', [], 'M']]);
    assert.deepEqual(ds.folds(), [1, 3]);
    assert.deepEqual(ds.labelJoin!.ignoredColumns, ['fs']);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('label table errors are one-line typed errors naming the file, line and column', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-join-'));
  try {
    const { dir } = fixture(base);
    const oneLine = (e: unknown): boolean => e instanceof Error && !e.message.includes('\n');
    const cases: [string, RegExp, Record<string, unknown>?][] = [
      ['id,164889003\nA1,1\nA2,2\n', /bad\.csv:3 \(164889003\): expected 0 or 1 in label column '164889003', got '2'/],
      ['id,x\nA1,1\nA2,\nA3,1\nA4,0\nA5,1\nA6,1\nA7,0\nA8,1\nA9,1\nA10,0\nA11,1\n', /bad\.csv:3 \(x\): expected 0 or 1 in label column 'x', got an empty cell/],
      ['id,age,AF\nA1,200,1\n', /bad\.csv:2 \(age\): expected an age in years/],
      ['id,sex,AF\nA1,0,1\n', /bad\.csv:2 \(sex\): expected Male\/Female/],
      ['id,AF\nA1,1\nA1,0\n', /bad\.csv:3 \(id\): id 'A1' appears twice \(lines 2 and 3\)/],
      ['id,site\nA1,x\n', /bad\.csv: no label columns/],
      ['id,AF\n', /bad\.csv: no rows/],
      ['id,AF\nZZ,1\n', /bad\.csv \(id\): no id matches a record of .*ids such as 'ZZ'; records such as 'a\/JS00001', 'a\/JS00002'/],
      ['id,AF\nJS00001,1\n', /bad\.csv \(nope\): no id column 'nope' \(header has: id, AF\)/, { idColumn: 'nope' }],
      ['id,AF\nx/JS00001,1\ny/JS00001,0\n', /bad\.csv \(id\): matching ids to records by exact is ambiguous: rows 'x\/JS00001' \(line 2\) and 'y\/JS00001' \(line 3\) both give key 'JS00001'/, { match: 'exact' }],
    ];
    const file = join(base, 'bad.csv');
    for (const [text, re, extra] of cases) {
      writeFileSync(file, text);
      await assert.rejects(openDataset(dir, { labels: { file, ...extra } }), (e: unknown) => (e instanceof FormatError || e instanceof DataError) && oneLine(e) && re.test(e.message), re.source);
    }
    await assert.rejects(openDataset(dir, { labels: { file: join(base, 'none.csv') } }), (e: unknown) => e instanceof IoError && /none\.csv: file not found/.test(e.message));
    await assert.rejects(openDataset(dir, { labels: { file: base } }), (e: unknown) => e instanceof IoError && /is a folder/.test(e.message));
    await assert.rejects(openDataset(dir, { labels: { file, match: 'fuzzy' as 'exact' } }), OptionError);
    // The fs column of a Challenge table (500.0 everywhere) is not a label and not an error.
    writeFileSync(file, 'id,fs,AF\nJS00001,500.0,1\n');
    assert.deepEqual(readLabelTable(file).ignoredColumns, ['fs']);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('joinLabelTable works on any EcgDataset object (the API, not only openDataset)', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-join-'));
  try {
    const { dir, table } = fixture(base);
    const ds = joinLabelTable(await openDataset(dir), readLabelTable(table, { dxMap: null }), { match: 'number' });
    assert.equal(ds.records().length, 5);
    assert.equal(ds.layout, 'wfdb');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a dx map alone names a WFDB folder\'s own SNOMED CT labels (header Dx codes), equivalents merged', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-dx-'));
  try {
    const dir = join(base, 'wfdb');
    writeRecord(dir, 'A1', ecg(1, { labels: ['164889003', '59118001'] }));
    writeRecord(dir, 'A2', ecg(2, { labels: ['713427006', 'Some note'] }));
    const dx = join(base, 'dx.csv');
    writeFileSync(dx, DX + '\n');
    const ds = await openDataset(dir, { dxMap: dx });
    assert.deepEqual(ds.records().map((r) => r.meta.labels), [['AF', 'CRBBB'], ['CRBBB', 'Some note']]);
    assert.deepEqual(ds.labelSets(), { labels: ['AF', 'CRBBB', 'Some note'] });
    assert.deepEqual(ds.labelInfo!()['AF'], { code: '164889003', description: 'atrial fibrillation' });
    assert.equal(ds.labelJoin, undefined);
    assert.deepEqual((await ds.load('A1')).meta.labels, ['AF', 'CRBBB']);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
