import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ecgQualityWarnings } from './quality.js';
import { makeEcg } from './ecg.js';
import { readRecord } from './wfdb/record.js';
import { LUDB_DIR, SHARED_DIR } from '../../test/data-paths.js';

const ecgOf = (leads: number[][], fs = 500) => makeEcg({ signal: Float32Array.from(leads.flat()), fs, leads: leads.map((_, i) => ['I', 'II', 'III', 'V1'][i]!), meta: { recordId: 't' } });

test('LUDB as distributed: every lead spans exactly 1 mV, and the warning says so', () => {
  for (const i of [1, 77, 200]) {
    const w = ecgQualityWarnings(readRecord(join(LUDB_DIR, 'data', String(i))).ecg);
    assert.equal(w.length, 1, `record ${i}: ${w.join(' | ')}`);
    assert.match(w[0]!, /^every lead spans exactly 1 mV peak to peak: the amplitudes look normalized \(as LUDB's are/);
    assert.ok(!w[0]!.includes('\n'));
  }
});

test('a PTB-XL record (real millivolts) gets no warning', () => {
  const ecg = readRecord(join(SHARED_DIR, 'data/ptbxl/records100/00000/00001_lr')).ecg;
  assert.equal(ecg.leads.length, 12);
  assert.deepEqual(ecgQualityWarnings(ecg), []);
});

test('all-NaN, flat-line, too-short and clipped records each get their one-line warning', () => {
  const long = (f: (t: number) => number): number[] => Array.from({ length: 1000 }, (_, t) => f(t));
  assert.deepEqual(ecgQualityWarnings(ecgOf([long(Math.sin), long((t) => 0.5 * Math.cos(t))])), []);
  assert.match(ecgQualityWarnings(ecgOf([long(() => NaN), long(() => NaN)]))[0]!, /^every sample is missing \(NaN\) in 2 lead\(s\) x 1000 samples/);
  assert.deepEqual(ecgQualityWarnings(ecgOf([long(() => 0.3), long(() => -1)])), ['every lead is flat (constant over all 1000 samples): there is no ECG signal']);
  // One flat lead among live ones is no flat-line record.
  assert.deepEqual(ecgQualityWarnings(ecgOf([long(() => 0.3), long((t) => Math.sin(t / 9))])), []);
  const short = ecgQualityWarnings(ecgOf([[0.1], [0.2]]));
  assert.deepEqual(short, ['only 1 sample(s) (0.002 s at 500 Hz): too short for ECG analysis (expected at least 1 s and 10 samples)']);
  assert.equal(ecgQualityWarnings(ecgOf([long((t) => t % 7), long((t) => t % 5)], 2000)).length, 1); // 0.5 s
  // Equal ranges up to float32 rounding: both leads clipped at +-5 mV.
  const clipped = ecgQualityWarnings(ecgOf([long((t) => Math.max(-5, Math.min(5, 9 * Math.sin(t / 20)))), long((t) => Math.max(-5, Math.min(5, 7 * Math.cos(t / 13))))]));
  assert.deepEqual(clipped, ['every lead spans exactly 10 mV peak to peak: the amplitudes look normalized (as LUDB\'s are, as distributed) or clipped, so millivolt axes and voltage criteria do not apply']);
  // A single lead has nothing to compare with; NaN gaps do not matter.
  assert.deepEqual(ecgQualityWarnings(ecgOf([long((t) => (t % 100 === 0 ? NaN : Math.sin(t)))])), []);
});
