import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LUDB_DIR } from '../../../test/data-paths.js';
import { makeEcg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { writeRecord } from '../wfdb/index.js';
import { detectLayout, openDataset, writeCode15, writePtbxl } from './index.js';
import { DataError, IoError, OptionError } from '../../util/errors.js';

function ecg(id: string, fs: number, labels: string[] = [], leads: readonly string[] = STANDARD_LEADS) {
  const n = 2 * fs;
  const signal = Float32Array.from({ length: leads.length * n }, (_, i) => Math.round(1000 * Math.sin(i / 9)) / 1000);
  return makeEcg({ signal, fs, leads, meta: { recordId: id, labels, age: 40, sex: 'F' } });
}

test('registry: detects each layout; LUDB can also be opened as a plain WFDB folder', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-reg-'));
  try {
    assert.equal(detectLayout(LUDB_DIR), 'ludb');
    await writePtbxl(join(base, 'ptbxl'), [ecg('1', 100, ['NORM'])], { fs: 100 });
    assert.equal(detectLayout(join(base, 'ptbxl')), 'ptbxl');
    await writeCode15(join(base, 'code15'), [{ ...ecg('7', 400), nSamples: 800 }]);
    assert.equal(detectLayout(join(base, 'code15')), 'code15');
    assert.equal((await openDataset(join(base, 'code15'))).records()[0]!.id, '7');

    // Plain folder: nested records, labels from header comments, mixed rates.
    const plain = join(base, 'plain');
    writeRecord(join(plain, 'a'), 'r10', ecg('r10', 500, ['AF', 'LBBB']));
    writeRecord(join(plain, 'a'), 'r2', ecg('r2', 500, ['AF']));
    writeRecord(join(plain, 'b'), 'x', ecg('x', 250, [], ['II', 'V5']));
    assert.equal(detectLayout(plain), 'wfdb');
    const ds = await openDataset(plain);
    assert.equal(ds.layout, 'wfdb');
    assert.equal(ds.fs, 500);
    assert.deepEqual(ds.records().map((r) => r.id), ['a/r2', 'a/r10', 'b/x']);
    assert.deepEqual(ds.records().map((r) => r.meta.labels), [['AF'], ['AF', 'LBBB'], undefined]);
    assert.deepEqual(ds.labelSets(), { labels: ['AF', 'LBBB'] });
    const x = await ds.load('b/x');
    assert.deepEqual([x.fs, x.leads, x.meta.age, x.meta.sex], [250, ['II', 'V5'], 40, 'F']);

    const asWfdb = await openDataset(LUDB_DIR, { layout: 'wfdb' });
    assert.equal(asWfdb.records().length, 200);
    assert.equal(asWfdb.records()[0]!.id, 'data/1');
    assert.ok(asWfdb.records()[0]!.meta.labels!.includes('Rhythm: Sinus bradycardia')); // header comment spelling
    const one = await asWfdb.load('data/1');
    assert.equal(Object.keys(one.waves!).length, 12);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('registry: empty, missing and foreign folders and bad options are typed errors naming the folder', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-reg-'));
  try {
    const empty = join(base, 'empty');
    mkdirSync(join(empty, 'sub'), { recursive: true });
    writeFileSync(join(empty, 'sub', 'notes.txt'), 'hello');
    assert.throws(() => detectLayout(empty), (e: unknown) => e instanceof DataError && e.message.startsWith(`${empty}: no dataset found`) && !e.message.includes('\n'));
    await assert.rejects(openDataset(empty, { layout: 'wfdb' }), (e: unknown) => e instanceof DataError && e.message.includes(empty));
    await assert.rejects(openDataset(join(base, 'nope')), (e: unknown) => e instanceof IoError && /nope: folder not found/.test(e.message));
    await assert.rejects(openDataset(empty, { fs: 250 as 100 }), OptionError);
    // A CODE-15% part without exams.csv is recognised, and the missing CSV named.
    writeFileSync(join(empty, 'exams_part0.hdf5'), '');
    assert.equal(detectLayout(empty), 'code15');
    await assert.rejects(openDataset(empty), (e: unknown) => e instanceof IoError && /exams\.csv: file not found/.test(e.message));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
