import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEcg, type Ecg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { Rng } from '../../util/rng.js';
import { butterworth, notchFilter } from './design.js';
import { filterEcg } from './filter-ecg.js';
import { preprocess } from './pipeline.js';
import { resampleEcg } from './resample-ecg.js';
import { selectLeads } from './shape.js';
import { measureTone, optionOf } from './test-tone.js';

/** 12 leads at 500 Hz, 10 s: 8 Hz "ECG" + 0.1 Hz drift + 1 mV offset + 50 Hz mains. */
function noisyEcg(): Ecg {
  const fs = 500, n = 5000;
  const signal = new Float32Array(12 * n);
  for (let k = 0; k < 12; k++) {
    for (let i = 0; i < n; i++) {
      const t = i / fs;
      signal[k * n + i] = (0.5 + 0.1 * k) * Math.sin(2 * Math.PI * 8 * t + k) + 0.7 * Math.sin(2 * Math.PI * 0.1 * t) + 1 + 0.4 * Math.sin(2 * Math.PI * 50 * t);
    }
  }
  return makeEcg({ signal, fs, leads: STANDARD_LEADS, meta: { recordId: 'noisy' }, waves: { '*': [{ wave: 'QRS', onset: 2400, peak: 2450, offset: 2500 }] } });
}


test('preprocess runs leads -> filters (at the higher rate) -> resample -> standardize -> crop, as documented', () => {
  const ecg = noisyEcg();
  const before = Array.from(ecg.signal);
  const spec = { fs: 100, highpass: 0.5, notch: 50, bandpass: [0.5, 40] as [number, number], standardize: true, length: 800, crop: 'center' as const, leads: ['II', 'V1'] };
  const out = preprocess(ecg, spec);
  assert.deepEqual(Array.from(ecg.signal), before);
  assert.equal(out.fs, 100);
  assert.equal(out.nSamples, 800);
  assert.deepEqual(out.leads, ['II', 'V1']);
  assert.deepEqual(out.waves, { '*': [{ wave: 'QRS', onset: 380, peak: 390, offset: 400 }] }); // 2400/5 - 100

  // The same steps by hand, in the documented order.
  let e = selectLeads(ecg, ['II', 'V1']);
  e = filterEcg(e, notchFilter(50, 30, 500));
  e = filterEcg(e, butterworth(2, 0.5, 500, 'highpass'));
  e = filterEcg(e, butterworth(2, [0.5, 40], 500, 'bandpass'));
  e = resampleEcg(e, 100);
  const lead = e.signal.subarray(0, 1000);
  const mean = lead.reduce((a, b) => a + b, 0) / 1000;
  const sd = Math.sqrt(lead.reduce((a, b) => a + (b - mean) ** 2, 0) / 1000);
  for (const i of [0, 123, 799]) assert.ok(Math.abs(out.signal[i]! - (lead[100 + i]! - mean) / sd) < 1e-5, `sample ${i}`);

  // What is left is the 8 Hz component: drift, offset and mains are gone.
  const noStd = preprocess(ecg, { ...spec, standardize: false });
  const ii = noStd.signal.subarray(0, 800);
  const m = measureTone(ii, 8, 100, 100, 700);
  assert.ok(Math.abs(m.amplitude - 0.6) < 0.01, `8 Hz amplitude ${m.amplitude}`);
  const residual = ii.subarray(100, 700).reduce((worst, v, j) => Math.max(worst, Math.abs(v - 0.6 * Math.sin(2 * Math.PI * 8 * ((j + 100 + 100) / 100) + 1))), 0);
  assert.ok(residual < 0.02, `residual after removing the 8 Hz tone: ${residual} mV`);
});

test('preprocess: upsampling resamples first, then filters at the new rate; empty spec returns a copy', () => {
  const low = resampleEcg(noisyEcg(), 100);
  const up = preprocess(low, { fs: 500, bandpass: [0.5, 100] }); // 100 Hz is above the input Nyquist: valid only after upsampling
  assert.equal(up.fs, 500);
  assert.equal(up.nSamples, 5000);
  const copy = preprocess(low, {});
  assert.notEqual(copy, low);
  assert.notEqual(copy.signal, low.signal);
  assert.deepEqual(Array.from(copy.signal), Array.from(low.signal));
});

test('preprocess: random crop is reproducible under a seed', () => {
  const ecg = noisyEcg();
  const a = preprocess(ecg, { length: 1000, crop: 'random' }, new Rng(3));
  const b = preprocess(ecg, { length: 1000, crop: 'random' }, new Rng(3));
  const c = preprocess(ecg, { length: 1000, crop: 'random' }, new Rng(4));
  assert.deepEqual(Array.from(a.signal), Array.from(b.signal));
  assert.notDeepEqual(Array.from(a.signal), Array.from(c.signal));
});

test('preprocess: bad spec fields throw OptionError naming the field, before any work', () => {
  const ecg = noisyEcg();
  assert.equal(optionOf(() => preprocess(ecg, { bandpass: [0.5, 300] })), 'bandpass');
  assert.equal(optionOf(() => preprocess(ecg, { bandpass: [-1, 40] })), 'bandpass');
  assert.equal(optionOf(() => preprocess(ecg, { highpass: 0 })), 'highpass');
  assert.equal(optionOf(() => preprocess(ecg, { notch: 260 })), 'notch');
  assert.equal(optionOf(() => preprocess(ecg, { notch: 50, notchQ: -2 })), 'notchQ');
  assert.equal(optionOf(() => preprocess(ecg, { highpass: 0.5, filterOrder: 0 })), 'highpass');
  assert.equal(optionOf(() => preprocess(ecg, { fs: -100 })), 'fs');
  assert.equal(optionOf(() => preprocess(ecg, { length: 10.5 })), 'length');
  assert.equal(optionOf(() => preprocess(ecg, { length: 100, crop: 'random' })), 'crop');
  assert.equal(optionOf(() => preprocess(ecg, { leads: ['II', 'X9'] })), 'leads');
  assert.equal(optionOf(() => preprocess(ecg, { bandpas: [0.5, 40] } as never)), 'bandpas');
  assert.equal(optionOf(() => preprocess(ecg, { notch: 50, fs: Number.NaN })), 'fs');
  assert.equal(optionOf(() => preprocess(ecg, { length: 100, crop: 'end' as 'start' })), 'crop');
  assert.equal(optionOf(() => preprocess(ecg, { leads: ['I'], missingLeads: 'skip' as 'zero' })), 'missingLeads');
  assert.equal(optionOf(() => preprocess(ecg, { fillMissing: Number.NaN })), 'fillMissing');
  assert.match((() => { try { preprocess(ecg, { bandpass: [0.5, 300] }); } catch (e) { return (e as Error).message; } return ''; })(), /^bandpass: .*Nyquist frequency 250 Hz/);
});

test('preprocess: NaN gaps survive every step as NaN, or become fillMissing; missing leads can be zero-filled', () => {
  const ecg = noisyEcg();
  ecg.signal.fill(NaN, 5000 + 2000, 5000 + 2100); // lead II, 0.2 s
  const spec = { fs: 250, bandpass: [0.5, 40] as [number, number], standardize: true, leads: ['I', 'II', 'V4R'], missingLeads: 'zero' as const };
  const kept = preprocess(ecg, spec);
  assert.deepEqual(kept.leads, ['I', 'II', 'V4R']);
  const ii = kept.signal.subarray(2500, 5000);
  assert.equal(ii.filter(Number.isNaN).length, 50); // output j with input time 2j in (1999, 2100): j = 1000..1049
  assert.ok(kept.signal.subarray(0, 2500).every(Number.isFinite));
  assert.ok(kept.signal.subarray(5000).every((v) => v === 0));
  const filled = preprocess(ecg, { ...spec, fillMissing: 0 });
  assert.ok(filled.signal.every(Number.isFinite));
  ii.forEach((v, i) => assert.equal(filled.signal[2500 + i], Number.isNaN(v) ? 0 : v));
});
