import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ecg } from '../ecg.js';
import { OptionError } from '../../util/errors.js';
import { synthesizeDatabase, synthesizeDatabaseRecord, SYNTH_BLOCK_SIZE, type SynthDatabaseOptions } from './index.js';

// SCP code -> PTB-XL diagnostic superclass (from PTB-XL's scp_statements.csv).
const SUPER: Record<string, string> = {
  NORM: 'NORM', IMI: 'MI', ASMI: 'MI', AMI: 'MI', ALMI: 'MI', ILMI: 'MI', LMI: 'MI',
  NDT: 'STTC', NST_: 'STTC', ISC_: 'STTC', ISCAL: 'STTC', ISCIN: 'STTC',
  CLBBB: 'CD', CRBBB: 'CD', IRBBB: 'CD', '1AVB': 'CD', LAFB: 'CD', IVCD: 'CD', LVH: 'HYP', 'LAO/LAE': 'HYP',
};
const RHYTHM_AND_FORM = new Set(['SR', 'SBRAD', 'STACH', 'AFIB', 'STD_', 'PVC']);

const opts: SynthDatabaseOptions = { n: SYNTH_BLOCK_SIZE + 5, fs: 100, seed: 21, layout: 'ptbxl' };
const stream: Ecg[] = [...synthesizeDatabase(opts)];

test('synth db: any record generated alone equals the same record of the stream', () => {
  assert.equal(stream.length, opts.n);
  for (const i of [0, 17, SYNTH_BLOCK_SIZE + 3]) {
    const alone = synthesizeDatabaseRecord(opts, i);
    assert.deepEqual(Buffer.from(alone.signal.buffer), Buffer.from(stream[i]!.signal.buffer), `record ${i}`);
    assert.deepEqual(alone.meta, stream[i]!.meta);
    assert.deepEqual(alone.waves, stream[i]!.waves);
  }
  const other = synthesizeDatabaseRecord({ ...opts, seed: 22 }, 17);
  assert.notDeepEqual(Buffer.from(other.signal.buffer), Buffer.from(stream[17]!.signal.buffer));
  assert.throws(() => synthesizeDatabaseRecord(opts, opts.n), OptionError);
});

test('synth db: ids, labels as PTB-XL SCP codes, superclasses, ages 18-95', () => {
  stream.forEach((e, i) => {
    assert.equal(e.meta.recordId, String(i + 1));
    assert.equal(e.fs, 100);
    assert.equal(e.nSamples, 1000);
    assert.equal(e.meta.cohort, 'ptbxl');
    assert.ok(e.meta.age! >= 18 && e.meta.age! <= 95);
    assert.ok(e.meta.sex === 'M' || e.meta.sex === 'F');
    const codes = e.meta.labels!;
    for (const c of codes) assert.ok(c in SUPER || RHYTHM_AND_FORM.has(c), `unknown code ${c}`);
    const supers = [...new Set(codes.filter((c) => c in SUPER).map((c) => SUPER[c]!))].sort();
    assert.deepEqual(supers, String(e.meta.extra!['superclasses']).split(',').sort());
  });
});

test('synth db: patients with several ECGs keep sex and fold, age with time; folds 1-10 stratified', () => {
  const byPatient = new Map<string, Ecg[]>();
  for (const e of stream) byPatient.set(e.meta.patientId!, [...(byPatient.get(e.meta.patientId!) ?? []), e]);
  const multi = [...byPatient.values()].filter((v) => v.length > 1);
  assert.ok(multi.length >= 3, `${multi.length} patients with several ECGs in ${stream.length} records`);
  assert.ok(byPatient.size < stream.length && byPatient.size > 0.75 * stream.length);
  for (const recs of multi) {
    assert.equal(new Set(recs.map((e) => e.meta.sex)).size, 1);
    assert.equal(new Set(recs.map((e) => e.meta.extra!['strat_fold'])).size, 1);
    assert.equal(new Set(recs.map((e) => e.meta.extra!['superclasses'])).size, 1);
    for (let k = 1; k < recs.length; k++) assert.ok(recs[k]!.meta.age! >= recs[k - 1]!.meta.age!);
  }
  // Within the first block, each fold holds 8-12 patients and the NORM patients spread over >= 8 folds.
  const first = [...byPatient.values()].filter((v) => Number(v[0]!.meta.recordId) <= SYNTH_BLOCK_SIZE);
  const perFold = new Map<number, number>();
  const normFolds = new Set<number>();
  for (const recs of first) {
    const f = recs[0]!.meta.extra!['strat_fold'] as number;
    assert.ok(Number.isInteger(f) && f >= 1 && f <= 10);
    perFold.set(f, (perFold.get(f) ?? 0) + 1);
    if (recs[0]!.meta.extra!['superclasses'] === 'NORM') normFolds.add(f);
  }
  assert.equal(perFold.size, 10);
  for (const [f, k] of perFold) assert.ok(Math.abs(k - first.length / 10) <= 1, `fold ${f}: ${k} patients of ${first.length}`);
  assert.ok(normFolds.size >= 8);
});

test('synth db: code15 layout is 400 Hz with CODE-15% labels; other rates are refused', () => {
  const recs = [...synthesizeDatabase({ n: 12, seed: 3, layout: 'code15' })];
  const allowed = new Set(['1dAVb', 'RBBB', 'LBBB', 'SB', 'ST', 'AF', 'normal_ecg']);
  for (const e of recs) {
    assert.equal(e.fs, 400);
    assert.equal(e.nSamples, 4000);
    assert.equal(e.meta.cohort, 'code15');
    for (const l of e.meta.labels!) assert.ok(allowed.has(l), l);
    const codes = String(e.meta.extra!['scp_codes']).split(',');
    assert.equal(e.meta.labels!.includes('normal_ecg'), codes.includes('NORM'));
    assert.equal(e.meta.labels!.includes('RBBB'), codes.includes('CRBBB'));
    assert.equal(e.meta.labels!.includes('1dAVb'), codes.includes('1AVB'));
  }
  assert.throws(() => [...synthesizeDatabase({ n: 2, seed: 3, layout: 'code15', fs: 500 })], /fs: CODE-15% records are always 400 Hz/);
  assert.throws(() => [...synthesizeDatabase({ n: 2, seed: 3, layout: 'ptbxl', fs: 250 })], /fs: PTB-XL records are sampled at 100 or 500 Hz/);
  assert.throws(() => [...synthesizeDatabase({ n: 0, seed: 3, layout: 'ptbxl' })], OptionError);
});

test('synth db: superclass prevalences over 500 records are within a few % of PTB-XL', () => {
  const counts: Record<string, number> = {};
  const n = 500;
  for (const e of synthesizeDatabase({ n, fs: 100, seed: 5, layout: 'ptbxl', durationS: 2 })) {
    for (const c of String(e.meta.extra!['superclasses']).split(',')) counts[c] = (counts[c] ?? 0) + 1;
  }
  const target: Record<string, number> = { NORM: 0.44, MI: 0.25, STTC: 0.24, CD: 0.22, HYP: 0.12 };
  for (const [c, p] of Object.entries(target)) assert.ok(Math.abs(counts[c]! / n - p) < 0.05, `${c}: ${counts[c]! / n} vs ${p}`);
});
