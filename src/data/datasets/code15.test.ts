import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEcg, type Ecg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { openCode15, writeCode15, CODE15_SAMPLES } from './code15.js';
import { openH5Write } from './h5.js';
import { parseCsv } from './csv.js';
import { DataError, FormatError, IoError } from '../../util/errors.js';

/** A 400 Hz 12-lead record whose samples encode (record, lead, t), so any misplacement shows. */
function exam(k: number, nSamples: number, labels: string[], extra: Partial<Ecg['meta']> = {}): Ecg {
  const signal = new Float32Array(12 * nSamples);
  for (let l = 0; l < 12; l++) for (let t = 0; t < nSamples; t++) signal[l * nSamples + t] = Math.fround(k + 0.01 * l + Math.sin(t / 7) * 0.5);
  return makeEcg({ signal, fs: 400, leads: STANDARD_LEADS, meta: { recordId: String(1000 + k), labels, ...extra } });
}

const EXAMS = [
  exam(1, 4096, ['RBBB', 'AF'], { age: 61, sex: 'M', patientId: '77' }),
  exam(2, 4000, ['normal_ecg'], { age: 45, sex: 'F', patientId: '78' }),
  exam(3, 2800, ['1dAVb', 'SB'], { age: 80, sex: 'F', patientId: '77' }),
  exam(4, 4096, [], { age: 30, sex: 'M' }),
  exam(5, 4096, ['LBBB', 'ST'], { age: 55 }),
];

test('code15: written layout (exams.csv + 2 parts) reads back: ids, labels, ages, sex, signals, centred zero padding', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ecgx-c15-')), 'code15');
  try {
    assert.deepEqual(await writeCode15(dir, EXAMS, { examsPerPart: 3 }), { n: 5 });
    assert.deepEqual(readdirSync(dir).sort(), ['.ecgx', 'exams.csv', 'exams_part0.hdf5', 'exams_part1.hdf5']);
    const csv = parseCsv(readFileSync(join(dir, 'exams.csv'), 'utf8'));
    assert.deepEqual(csv.header, ['exam_id', 'age', 'is_male', 'nn_predicted_age', '1dAVb', 'RBBB', 'LBBB', 'SB', 'ST', 'AF', 'patient_id', 'death', 'timey', 'normal_ecg', 'trace_file']);
    assert.deepEqual(csv.rows[0], ['1001', '61', 'True', '', 'False', 'True', 'False', 'False', 'False', 'True', '77', '', '', 'False', 'exams_part0.hdf5']);
    assert.equal(csv.rows[4]![14], 'exams_part1.hdf5');

    const ds = await openCode15(dir);
    assert.equal(ds.layout, 'code15');
    assert.equal(ds.fs, 400);
    assert.equal(ds.folds(), undefined);
    const recs = ds.records();
    assert.deepEqual(recs.map((r) => r.id), ['1001', '1002', '1003', '1004', '1005']);
    assert.deepEqual(recs.map((r) => r.meta.labels), [['RBBB', 'AF'], ['normal_ecg'], ['1dAVb', 'SB'], [], ['LBBB', 'ST']]);
    assert.deepEqual(recs.map((r) => r.meta.age), [61, 45, 80, 30, 55]);
    assert.deepEqual(recs.map((r) => r.meta.sex), ['M', 'F', 'F', 'M', undefined]);
    assert.deepEqual(recs.map((r) => r.meta.patientId), ['77', '78', '77', '1004', '1005']);

    const all: Ecg[] = [];
    for await (const e of ds.iterate()) all.push(e);
    assert.equal(all.length, 5);
    for (const [k, e] of all.entries()) {
      const src = EXAMS[k]!;
      assert.equal(e.nSamples, CODE15_SAMPLES);
      assert.deepEqual(e.leads, [...STANDARD_LEADS]);
      const pad = Math.floor((CODE15_SAMPLES - src.nSamples) / 2);
      for (let l = 0; l < 12; l++) {
        const got = e.signal.subarray(l * 4096, (l + 1) * 4096);
        assert.deepEqual(got.subarray(pad, pad + src.nSamples), src.signal.subarray(l * src.nSamples, (l + 1) * src.nSamples), `exam ${k} lead ${l}`);
        assert.ok(got.subarray(0, pad).every((v) => v === 0) && got.subarray(pad + src.nSamples).every((v) => v === 0));
      }
    }
    assert.equal(Math.floor((4096 - 2800) / 2), 648);
    // load() and a subset stream agree with the full stream; subsets come in file order.
    assert.deepEqual((await ds.load('1004')).signal, all[3]!.signal);
    const sub: string[] = [];
    for await (const e of ds.iterate(['1005', '1002'])) sub.push(e.meta.recordId);
    assert.deepEqual(sub, ['1002', '1005']);
    await assert.rejects(ds.load('999'), DataError);
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('code15: many exams across write blocks, read blocks and parts; load() between streamed exams does not disturb the stream', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ecgx-c15-')), 'code15');
  try {
    const n = 150;
    const src = Array.from({ length: n }, (_, k) => exam(k, 400 + (k % 3), k % 7 === 0 ? ['ST'] : []));
    await writeCode15(dir, src, { examsPerPart: 100 });
    const ds = await openCode15(dir);
    assert.equal(ds.records().length, n);
    let k = 0;
    for await (const e of ds.iterate()) {
      const s = src[k]!;
      const pad = Math.floor((CODE15_SAMPLES - s.nSamples) / 2);
      for (const l of [0, 6, 11]) {
        assert.deepEqual(e.signal.subarray(l * 4096 + pad, l * 4096 + pad + s.nSamples), s.signal.subarray(l * s.nSamples, (l + 1) * s.nSamples), `exam ${k} lead ${l}`);
      }
      // Random access into the other part while streaming.
      if (k % 10 === 5) assert.equal((await ds.load(String(1000 + ((k + 100) % n)))).meta.recordId, String(1000 + ((k + 100) % n)));
      k++;
    }
    assert.equal(k, n);
    assert.equal(ds.records().filter((r) => r.meta.labels!.includes('ST')).length, 22);
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('code15: writer rejects wrong rates and missing leads without leaving a folder', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-c15-'));
  try {
    const e500 = makeEcg({ signal: new Float32Array(12 * 10), fs: 500, leads: STANDARD_LEADS, meta: { recordId: 'x' } });
    await assert.rejects(writeCode15(join(base, 'a'), [e500]), (e: unknown) => e instanceof DataError && /500 Hz/.test(e.message));
    const e6 = makeEcg({ signal: new Float32Array(6 * 10), fs: 400, leads: STANDARD_LEADS.slice(0, 6), meta: { recordId: 'y' } });
    await assert.rejects(writeCode15(join(base, 'b'), [e6]), (e: unknown) => e instanceof DataError && /lacks lead\(s\) V1/.test(e.message));
    assert.deepEqual(readdirSync(base), []);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('code15: bad input is a one-line typed error naming the file and the field', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-c15-'));
  try {
    const dir = join(base, 'db');
    await writeCode15(dir, EXAMS.slice(0, 2));
    const csvPath = join(dir, 'exams.csv');
    const csv = readFileSync(csvPath, 'utf8');
    const oneLine = (e: unknown): boolean => e instanceof Error && !e.message.includes('\n');

    // exams.csv without the AF column
    writeFileSync(csvPath, csv.replace(',AF,', ',XX,'));
    await assert.rejects(openCode15(dir), (e: unknown) => e instanceof FormatError && oneLine(e) && e.message.includes(csvPath) && /missing column 'AF'/.test(e.message));
    // an exam listed in the CSV but absent from its part
    writeFileSync(csvPath, csv.replace('1002,', '4242,'));
    await assert.rejects(openCode15(dir), (e: unknown) => e instanceof DataError && oneLine(e) && /exam 4242/.test(e.message) && /exams_part0\.hdf5/.test(e.message));
    // a part file listed in the CSV but missing on disk
    writeFileSync(csvPath, csv.replace(/exams_part0\.hdf5\n$/, 'exams_part9.hdf5\n'));
    await assert.rejects(openCode15(dir), (e: unknown) => e instanceof IoError && oneLine(e) && /exams_part9\.hdf5: listed in .*exams\.csv \(trace_file\) but missing on disk/.test(e.message));
    writeFileSync(csvPath, csv);
    // an HDF5 part without `tracings`
    const part = join(dir, 'exams_part0.hdf5');
    const f = await openH5Write(part);
    f.create_dataset({ name: 'exam_id', data: new BigInt64Array([1001n, 1002n]) });
    f.close();
    await assert.rejects(openCode15(dir), (e: unknown) => e instanceof FormatError && oneLine(e) && e.message.startsWith(part) && /missing dataset 'tracings'/.test(e.message));
    // not an HDF5 file at all
    writeFileSync(part, 'not hdf5');
    await assert.rejects(openCode15(dir), (e: unknown) => e instanceof FormatError && oneLine(e) && /not an HDF5 file/.test(e.message));
    rmSync(csvPath);
    await assert.rejects(openCode15(dir), (e: unknown) => e instanceof IoError && /exams\.csv: file not found/.test(e.message));
    assert.ok(existsSync(dir));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('code15: wave ground truth is written beside the parts, shifted by the centring pad, and read back', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ecgx-c15w-')), 'code15');
  try {
    const withWaves = exam(7, 4000, ['SB']);
    withWaves.waves = {
      II: [{ wave: 'P', onset: 100, peak: 120, offset: 140 }, { wave: 'QRS', onset: 200, peak: 220, offset: 250 }],
      '*': [{ wave: 'T', onset: 400, peak: 480, offset: 560 }],
    };
    await writeCode15(dir, [withWaves, exam(8, 4096, [])]);
    const ds = await openCode15(dir);
    const pad = (CODE15_SAMPLES - 4000) / 2;
    const [a, b] = [await ds.load('1007'), await ds.load('1008')];
    assert.deepEqual(a.waves?.['II'], [{ wave: 'P', onset: 100 + pad, peak: 120 + pad, offset: 140 + pad }, { wave: 'QRS', onset: 200 + pad, peak: 220 + pad, offset: 250 + pad }]);
    assert.deepEqual(a.waves?.['*'], [{ wave: 'T', onset: 400 + pad, peak: 480 + pad, offset: 560 + pad }]);
    assert.equal(b.waves, undefined);
    const streamed: Ecg[] = [];
    for await (const e of ds.iterate()) streamed.push(e);
    assert.deepEqual(streamed[0]!.waves, a.waves);
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('code15: a part with damaged bytes is a one-line FormatError naming the file, never HDF5 diagnostics on stderr', async () => {
  const base = mkdtempSync(join(tmpdir(), 'ecgx-c15-'));
  const writes: string[] = [];
  const realWrite = process.stderr.write.bind(process.stderr);
  try {
    const dir = join(base, 'db');
    await writeCode15(dir, EXAMS.slice(0, 3));
    const part = join(dir, 'exams_part0.hdf5');
    const good = readFileSync(part);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      writes.push(String(chunk));
      return (realWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    // Flip 8 bytes at every 8th offset of the metadata at the start of the file (superblock, object headers, B-trees).
    const outcomes = new Map<string, number>();
    for (let off = 8; off < 2048; off += 8) {
      const bad = Buffer.from(good);
      for (let k = 0; k < 8; k++) bad[off + k] ^= 0x5a;
      writeFileSync(part, bad);
      let outcome = 'read';
      try {
        const ds = await openCode15(dir);
        for await (const e of ds.iterate()) void e;
        ds.close?.();
      } catch (e) {
        assert.ok(e instanceof FormatError && e.message.startsWith(part) && !e.message.includes('\n'), `offset ${off}: ${String(e)}`);
        outcome = e.message.replace(/\(.*$/, '').slice(part.length + 2);
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // Most damage there is caught (data bytes carry no checksum in HDF5, so some goes unseen).
    const caught = [...outcomes].filter(([o]) => o.startsWith('damaged HDF5 file')).reduce((a, [, n]) => a + n, 0);
    assert.ok(caught >= 60, JSON.stringify([...outcomes]));
    assert.deepEqual(writes, []);
  } finally {
    process.stderr.write = realWrite;
    rmSync(base, { recursive: true, force: true });
  }
});
