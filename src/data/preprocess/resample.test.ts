import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample, resampleRatio, resampledLength } from './resample.js';
import { OptionError } from '../../util/errors.js';
import { db, measureTone, tone } from './test-tone.js';

const PAIRS: [number, number][] = [[500, 100], [500, 400], [400, 500], [360, 500], [1000, 250], [100, 500]];

test('resampleRatio reduces any rational rate ratio', () => {
  assert.deepEqual(resampleRatio(500, 100), { up: 1, down: 5 });
  assert.deepEqual(resampleRatio(360, 500), { up: 25, down: 18 });
  assert.deepEqual(resampleRatio(1000, 360), { up: 9, down: 25 });
  assert.deepEqual(resampleRatio(128, 500), { up: 125, down: 32 });
  assert.deepEqual(resampleRatio(257.5, 500), { up: 200, down: 103 });
  assert.throws(() => resampleRatio(500, 100 * Math.PI), (e: unknown) => e instanceof OptionError && e.option === 'fsOut');
  assert.throws(() => resampleRatio(0, 100), (e: unknown) => e instanceof OptionError && e.option === 'fsIn');
  assert.throws(() => resampleRatio(500, -100), (e: unknown) => e instanceof OptionError && e.option === 'fsOut');
});

test('resample: a sine below the new Nyquist keeps amplitude and phase (error < 1e-3 in the interior)', () => {
  for (const [fsIn, fsOut] of PAIRS) {
    for (const frac of [0.2, 0.8]) {
      const f = (frac * Math.min(fsIn, fsOut)) / 2; // 20% and 80% of the lower Nyquist frequency
      const n = 4 * fsIn; // 4 s
      const y = resample(tone(n, f, fsIn, 1, 0.7), fsIn, fsOut);
      assert.equal(y.length, Math.round((n * fsOut) / fsIn));
      const want = tone(y.length, f, fsOut, 1, 0.7);
      let worst = 0;
      for (let j = Math.round(0.1 * y.length); j < Math.round(0.9 * y.length); j++) worst = Math.max(worst, Math.abs(y[j]! - want[j]!));
      assert.ok(worst < 1e-3, `${fsIn}->${fsOut} Hz, ${f} Hz sine: max error ${worst}`);
    }
  }
});

test('resample: a sine above the new Nyquist is attenuated by more than 60 dB (anti-aliasing)', () => {
  for (const [fsIn, fsOut] of PAIRS.filter(([a, b]) => b < a)) {
    const f = Math.min(1.3 * (fsOut / 2), 0.95 * (fsIn / 2));
    const n = 4 * fsIn;
    const y = resample(tone(n, f, fsIn), fsIn, fsOut);
    // What is left appears at the alias frequency |f - k fsOut|.
    const alias = Math.abs(f - Math.round(f / fsOut) * fsOut);
    const left = measureTone(y, alias, fsOut, Math.round(0.1 * y.length), Math.round(0.9 * y.length)).amplitude;
    assert.ok(db(left) < -60, `${fsIn}->${fsOut} Hz: ${f} Hz sine leaves ${db(left).toFixed(1)} dB at ${alias} Hz`);
  }
});

test('resample keeps timing: a QRS-like pulse peak stays at the same time in seconds', () => {
  const t0 = 1.2345; // s
  for (const [fsIn, fsOut] of PAIRS) {
    const n = 3 * fsIn;
    const x = Float32Array.from({ length: n }, (_, i) => Math.exp(-0.5 * ((i / fsIn - t0) / 0.012) ** 2));
    const y = resample(x, fsIn, fsOut);
    let k = 0;
    y.forEach((v, j) => (k = v > y[k]! ? j : k));
    // Parabolic interpolation of the peak between samples.
    const [a, b, c] = [y[k - 1]!, y[k]!, y[k + 1]!];
    const peak = (k + (0.5 * (a - c)) / (a - 2 * b + c)) / fsOut;
    assert.ok(Math.abs(peak - t0) < 0.2e-3, `${fsIn}->${fsOut}: peak at ${peak} s, expected ${t0} s`);
  }
});

test("resample edges: 'line' keeps a baseline offset and a ramp exact; 'zero' lets them sag to zero at the ends", () => {
  const offset = new Float32Array(1000).fill(1.5);
  for (const [fsIn, fsOut] of PAIRS) for (const v of resample(offset, fsIn, fsOut)) assert.ok(Math.abs(v - 1.5) < 1e-5);
  const ramp = Float32Array.from({ length: 1000 }, (_, i) => 0.002 * i - 0.5);
  const y = resample(ramp, 360, 500);
  y.forEach((v, j) => assert.ok(Math.abs(v - (0.002 * (j * 360) / 500 - 0.5)) < 1e-5, `ramp sample ${j}`));
  const sag = resample(offset, 500, 100, { edge: 'zero' });
  assert.ok(sag[0]! < 1 && Math.abs(sag[100]! - 1.5) < 1e-4, `zero edge: first ${sag[0]}, interior ${sag[100]}`);
  assert.throws(() => resample(offset, 500, 100, { edge: 'mirror' as 'zero' }), (e: unknown) => e instanceof OptionError && e.option === 'edge');
});

test('resample lengths are round(n * fsOut / fsIn); equal rates copy', () => {
  for (const [fsIn, fsOut] of PAIRS) {
    for (const n of [1, 2, 3, 7, 99, 1001]) {
      const want = Math.round((n * fsOut) / fsIn);
      assert.equal(resample(new Float32Array(n).fill(1), fsIn, fsOut).length, want, `${fsIn}->${fsOut}, n=${n}`);
      assert.equal(resampledLength(n, fsIn, fsOut), want);
    }
  }
  const x = Float32Array.of(1, 2, 3);
  const same = resample(x, 250, 250);
  assert.deepEqual(Array.from(same), [1, 2, 3]);
  assert.notEqual(same, x);
});
