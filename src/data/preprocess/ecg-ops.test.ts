import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEcg, type Ecg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { bandpassEcg, filterEcg, highpassEcg, notchEcg } from './filter-ecg.js';
import { butterworth } from './design.js';
import { bridgeGaps } from './gaps.js';
import { resampleEcg } from './resample-ecg.js';
import { sosfiltfilt } from './sos.js';
import { cropOrPad, selectLeads } from './shape.js';
import { standardize } from './standardize.js';
import { measureTone, optionOf, tone } from './test-tone.js';

/** 12 leads; lead k = (k+1)/4 * sin(2 pi f t + k) + k/10 mV, with waves for all leads and for II. */
function toneEcg(n: number, fs: number, f = 10): Ecg {
  const signal = new Float32Array(12 * n);
  for (let k = 0; k < 12; k++) signal.set(tone(n, f, fs, (k + 1) / 4, k).map((v) => v + k / 10), k * n);
  return makeEcg({
    signal,
    fs,
    leads: STANDARD_LEADS,
    meta: { recordId: 'tone', labels: ['NORM'] },
    waves: {
      '*': [{ wave: 'QRS', onset: 250, peak: 333, offset: n - 1 }],
      II: [{ wave: 'P', onset: 10, offset: 60 }, { wave: 'T', onset: 700, peak: 800, offset: 900 }],
    },
  });
}

const snapshot = (e: Ecg): string => JSON.stringify({ ...e, signal: Array.from(e.signal) });


test('resampleEcg: every lead resampled, invariants kept, waves rescaled to the new rate, input untouched', () => {
  const ecg = toneEcg(5000, 500);
  const before = snapshot(ecg);
  const out = resampleEcg(ecg, 100);
  assert.equal(snapshot(ecg), before);
  assert.equal(out.fs, 100);
  assert.equal(out.nSamples, 1000);
  assert.equal(out.signal.length, 12 * 1000);
  assert.deepEqual(out.leads, ecg.leads);
  assert.notEqual(out.meta, ecg.meta);
  assert.deepEqual(out.meta, ecg.meta);
  assert.deepEqual(out.waves, {
    '*': [{ wave: 'QRS', onset: 50, peak: 67, offset: 999 }], // 333/5 = 66.6, 4999/5 = 999.8 -> clamped
    II: [{ wave: 'P', onset: 2, offset: 12 }, { wave: 'T', onset: 140, peak: 160, offset: 180 }],
  });
  for (let k = 0; k < 12; k++) {
    const lead = out.signal.subarray(k * 1000, (k + 1) * 1000);
    const m = measureTone(lead, 10, 100, 100, 900);
    assert.ok(Math.abs(m.amplitude - (k + 1) / 4) < 1e-3 * (k + 1), `lead ${k}: amplitude ${m.amplitude}`);
    assert.ok(Math.abs(lead[500]! - ((k + 1) / 4) * Math.sin(2 * Math.PI * 10 * 5 + k) - k / 10) < 1e-3);
  }
  // 360 Hz record to 500 Hz: 25/18
  const mit = resampleEcg(toneEcg(3600, 360), 500);
  assert.equal(mit.nSamples, 5000);
  assert.deepEqual(mit.waves!['*'], [{ wave: 'QRS', onset: 347, peak: 463, offset: 4999 }]);
});

test('NaN gaps: bridged for filtering/resampling, NaN again only where data was missing; other leads unaffected', () => {
  const fs = 500, n = 2500;
  const ecg = toneEcg(n, fs);
  const gapped = makeEcg({ signal: ecg.signal.slice(), fs, leads: ecg.leads, meta: ecg.meta });
  const lead1 = gapped.signal.subarray(n, 2 * n);
  lead1.fill(NaN, 1000, 1100); // a 0.2 s dropout in lead II
  gapped.signal.subarray(5 * n, 6 * n).fill(NaN); // lead aVF missing altogether

  const check = (out: Ecg, scale: number, label: string): void => {
    const m = out.nSamples;
    const l1 = out.signal.subarray(m, 2 * m);
    l1.forEach((v, i) => {
      const t = i / scale; // input sample
      const inGap = t > 999 && t < 1100;
      assert.equal(Number.isNaN(v), inGap, `${label}: lead II sample ${i} (input ${t}) NaN=${Number.isNaN(v)}`);
    });
    assert.ok(out.signal.subarray(5 * m, 6 * m).every(Number.isNaN), `${label}: empty lead stays NaN`);
    for (const k of [0, 2, 11]) assert.ok(out.signal.subarray(k * m, (k + 1) * m).every(Number.isFinite), `${label}: lead ${k} finite`);
  };
  const bp = butterworth(2, [0.5, 40], fs, 'bandpass');
  const filtered = filterEcg(gapped, bp);
  check(filtered, 1, 'filterEcg');
  // Away from the gap, lead II is what filtering the complete lead gives.
  const full = sosfiltfilt(bp, ecg.signal.subarray(n, 2 * n));
  for (const i of [300, 700, 1500, 2200]) assert.ok(Math.abs(filtered.signal[n + i]! - full[i]!) < 0.02, `sample ${i}`);
  check(resampleEcg(gapped, 100), 100 / 500, 'resampleEcg 500->100');
  check(resampleEcg(gapped, 360), 360 / 500, 'resampleEcg 500->360');

  const b = bridgeGaps(Float32Array.of(NaN, 1, NaN, NaN, 4, Infinity, NaN));
  assert.deepEqual(Array.from(b.filled), [1, 1, 2, 3, 4, 4, 4]);
  assert.deepEqual(Array.from(b.missing!), [1, 0, 1, 1, 0, 1, 1]);
  assert.equal(bridgeGaps(Float32Array.of(1, 2)).missing, null);
  assert.equal(bridgeGaps(Float32Array.of(NaN, NaN)).empty, true);
});

test('highpassEcg removes baseline wander, bandpassEcg keeps the ECG band, notchEcg removes mains; inputs untouched', () => {
  const fs = 250, n = 5000; // 20 s
  const clean = tone(n, 8, fs, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = clean[i]! + 0.8 * Math.sin((2 * Math.PI * 0.1 * i) / fs) + 1.5 + 0.3 * Math.sin((2 * Math.PI * 50 * i) / fs);
  const ecg = makeEcg({ signal: x, fs, leads: ['II'], meta: { recordId: 'w' } });
  const before = snapshot(ecg);
  const hp = highpassEcg(ecg, 0.5);
  assert.equal(measureTone(hp.signal, 0.1, fs, 1000, 4000).amplitude < 0.8 * 0.01, true, 'drift down by > 40 dB');
  const nt = notchEcg(hp, 50);
  assert.ok(measureTone(nt.signal, 50, fs, 500, 4500).amplitude < 1e-3, 'mains removed');
  const kept = measureTone(nt.signal, 8, fs, 500, 4500);
  assert.ok(Math.abs(kept.amplitude - 1) < 0.01 && Math.abs(kept.phase) < 2e-3, `8 Hz kept: ${JSON.stringify(kept)}`);
  const bp = bandpassEcg(ecg, [0.5, 40]);
  assert.ok(Math.abs(measureTone(bp.signal, 8, fs, 500, 4500).amplitude - 1) < 0.01);
  assert.equal(snapshot(ecg), before);
  assert.equal(optionOf(() => highpassEcg(ecg, -0.5)), 'cutoffHz');
  assert.equal(optionOf(() => bandpassEcg(ecg, [0.5, 150])), 'cutoffHz');
  assert.equal(optionOf(() => bandpassEcg(ecg, [0.5, 40], { order: 0 })), 'order');
  assert.equal(optionOf(() => notchEcg(ecg, 125)), 'f0Hz');
});

test('standardize: per-lead mean 0 and std 1 over time; NaN left out and kept; flat lead only centred', () => {
  const ecg = toneEcg(1000, 500);
  ecg.signal[3] = NaN;
  ecg.signal.fill(2.5, 11 * 1000); // V6 flat
  const before = snapshot(ecg);
  const z = standardize(ecg);
  assert.equal(snapshot(ecg), before);
  for (let k = 0; k < 11; k++) {
    const v = Array.from(z.signal.subarray(k * 1000, (k + 1) * 1000)).filter(Number.isFinite);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    assert.ok(Math.abs(mean) < 1e-6 && Math.abs(sd - 1) < 1e-5, `lead ${k}: mean ${mean}, sd ${sd}`);
  }
  assert.ok(Number.isNaN(z.signal[3]!));
  assert.equal(z.signal.subarray(0, 1000).filter(Number.isNaN).length, 1);
  assert.ok(z.signal.subarray(11000).every((v) => v === 0));
  assert.deepEqual(z.waves, ecg.waves);
  assert.notEqual(z.waves, ecg.waves);
});

test('cropOrPad: crops start/center/random, zero-pads, moves and clips waves; random is seeded', () => {
  const ecg = toneEcg(1000, 500);
  const at = (e: Ecg, lead: number, i: number): number => e.signal[lead * e.nSamples + i]!;
  const start = cropOrPad(ecg, 600, { mode: 'start' });
  assert.equal(start.nSamples, 600);
  assert.equal(start.signal.length, 12 * 600);
  assert.equal(at(start, 3, 599), at(ecg, 3, 599));
  const center = cropOrPad(ecg, 600, { mode: 'center' });
  assert.equal(at(center, 4, 0), at(ecg, 4, 200));
  assert.equal(at(center, 11, 599), at(ecg, 11, 799));
  assert.deepEqual(center.waves, {
    '*': [{ wave: 'QRS', onset: 50, peak: 133, offset: 599 }],
    II: [{ wave: 'T', onset: 500, offset: 599 }], // P dropped (before the window), T clipped, its peak (600) outside
  });
  const r1 = cropOrPad(ecg, 600, { mode: 'random', rng: new Rng(7) });
  const r2 = cropOrPad(ecg, 600, { mode: 'random', rng: new Rng(7) });
  assert.deepEqual(Array.from(r1.signal), Array.from(r2.signal));
  const offsets = new Set<number>();
  const rng = new Rng(1);
  for (let i = 0; i < 50; i++) {
    const r = cropOrPad(ecg, 600, { mode: 'random', rng });
    const off = Array.from({ length: 401 }, (_, o) => o).find((o) => at(r, 0, 0) === at(ecg, 0, o) && at(r, 0, 1) === at(ecg, 0, o + 1))!;
    assert.ok(off >= 0 && off <= 400);
    offsets.add(off);
  }
  assert.ok(offsets.size > 30, `random offsets spread: ${offsets.size} distinct`);

  const padded = cropOrPad(ecg, 1500, { mode: 'center' });
  assert.equal(padded.nSamples, 1500);
  assert.equal(at(padded, 2, 249), 0);
  assert.equal(at(padded, 2, 250), at(ecg, 2, 0));
  assert.equal(at(padded, 2, 1249), at(ecg, 2, 999));
  assert.equal(at(padded, 2, 1250), 0);
  assert.equal(padded.waves!['*']![0]!.onset, 500);
  const padStart = cropOrPad(ecg, 1500, { mode: 'start' });
  assert.equal(at(padStart, 0, 0), at(ecg, 0, 0));
  assert.ok(padStart.signal.subarray(1000, 1500).every((v) => v === 0));
  assert.equal(optionOf(() => cropOrPad(ecg, 600, { mode: 'random' })), 'rng');
  assert.equal(optionOf(() => cropOrPad(ecg, 0, { mode: 'start' })), 'nSamples');
  assert.equal(optionOf(() => cropOrPad(ecg, 10, { mode: 'middle' as 'center' })), 'mode');
});

test('selectLeads: reorders by canonical name, aliases accepted, missing leads error or zero, per-lead waves follow', () => {
  const ecg = toneEcg(300, 500);
  const sel = selectLeads(ecg, ['V6', 'dii', 'avr']);
  assert.deepEqual(sel.leads, ['V6', 'II', 'aVR']);
  assert.deepEqual(Array.from(sel.signal.subarray(0, 300)), Array.from(ecg.signal.subarray(11 * 300, 12 * 300)));
  assert.deepEqual(Array.from(sel.signal.subarray(600, 900)), Array.from(ecg.signal.subarray(3 * 300, 4 * 300)));
  assert.deepEqual(Object.keys(sel.waves!).sort(), ['*', 'II']);
  assert.deepEqual(Object.keys(selectLeads(ecg, ['I']).waves!), ['*']);
  try {
    selectLeads(ecg, ['I', 'V4R']);
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof OptionError && e.option === 'leads' && /no lead V4R/.test(e.message), String(e));
  }
  const z = selectLeads(ecg, ['I', 'V4R'], { missing: 'zero' });
  assert.deepEqual(z.leads, ['I', 'V4R']);
  assert.ok(z.signal.subarray(300).every((v) => v === 0));
  assert.equal(optionOf(() => selectLeads(ecg, ['I', 'i'])), 'leads');
  assert.equal(optionOf(() => selectLeads(ecg, [])), 'leads');
});
