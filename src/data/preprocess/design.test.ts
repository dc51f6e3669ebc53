import { test } from 'node:test';
import assert from 'node:assert/strict';
import { butterworth, notchFilter, type FilterType } from './design.js';
import { frequencyResponse, sosfiltfilt } from './sos.js';
import { measureTone, optionOf, tone } from './test-tone.js';

/** Prewarped analog frequency of f Hz (the bilinear transform maps it to f exactly). */
const warp = (f: number, fs: number): number => Math.tan((Math.PI * f) / fs);

/** |H(f)|^2 of the analog Butterworth prototype after the frequency transform of `type`. */
function butterworthPower(order: number, cut: number | [number, number], fs: number, type: FilterType, f: number): number {
  const w = warp(f, fs);
  let lambda: number;
  if (type === 'lowpass') lambda = w / warp(cut as number, fs);
  else if (type === 'highpass') lambda = warp(cut as number, fs) / w;
  else {
    const [w1, w2] = (cut as [number, number]).map((c) => warp(c, fs)) as [number, number];
    const bp = (w * w - w1 * w2) / (w * (w2 - w1));
    lambda = type === 'bandpass' ? bp : 1 / bp;
  }
  return 1 / (1 + lambda ** (2 * order));
}

const DESIGNS: [number, number | [number, number], number, FilterType][] = [
  [1, 40, 500, 'lowpass'],
  [4, 40, 500, 'lowpass'],
  [7, 100, 360, 'lowpass'],
  [2, 0.5, 500, 'highpass'],
  [5, 0.67, 250, 'highpass'],
  [2, [0.5, 40], 500, 'bandpass'],
  [3, [0.5, 100], 1000, 'bandpass'],
  [4, [45, 55], 500, 'bandstop'],
];

test('butterworth: frequencyResponse equals the prewarped analog magnitude 1/(1+(w/wc)^2n) for every type', () => {
  for (const [order, cut, fs, type] of DESIGNS) {
    const sos = butterworth(order, cut, fs, type);
    assert.equal(sos.length, type === 'bandpass' || type === 'bandstop' ? order : Math.ceil(order / 2), `${type} ${order}: sections`);
    const freqs = Array.from({ length: 400 }, (_, i) => ((i + 0.5) / 400) * (fs / 2));
    freqs.push(...(typeof cut === 'number' ? [cut] : cut));
    const { magnitude } = frequencyResponse(sos, freqs, fs);
    freqs.forEach((f, i) => {
      const want = butterworthPower(order, cut, fs, type, f);
      assert.ok(Math.abs(magnitude[i]! ** 2 - want) < 1e-9, `${type} n=${order} at ${f} Hz: |H|^2 ${magnitude[i]! ** 2} vs ${want}`);
    });
    // -3 dB exactly at the cut-off(s)
    for (const c of typeof cut === 'number' ? [cut] : cut) {
      assert.ok(Math.abs(frequencyResponse(sos, [c], fs).magnitude[0]! - Math.SQRT1_2) < 1e-9, `${type}: -3 dB at ${c} Hz`);
    }
  }
});

/** Filters a tone with sosfiltfilt and measures gain and phase in the middle 60%. */
function measuredGain(sos: ReturnType<typeof butterworth>, f: number, fs: number, seconds: number): { gain: number; phase: number } {
  const n = Math.round(seconds * fs);
  const y = sosfiltfilt(sos, tone(n, f, fs, 1, 0.4));
  const m = measureTone(y, f, fs, Math.round(0.2 * n), Math.round(0.8 * n));
  return { gain: m.amplitude, phase: m.phase - 0.4 };
}

test('sosfiltfilt lowpass (n=4, 40 Hz @500): passband within 1%, -6 dB at cut-off, stopband as |H|^2 predicts, no phase shift', () => {
  const sos = butterworth(4, 40, 500, 'lowpass');
  for (const f of [1, 5, 10, 20]) {
    const { gain, phase } = measuredGain(sos, f, 500, 4);
    assert.ok(Math.abs(gain - 1) < 0.01, `${f} Hz: gain ${gain}`);
    assert.ok(Math.abs(phase) < 1e-3, `${f} Hz: phase ${phase} rad (the sine must not be delayed)`);
  }
  const atCut = measuredGain(sos, 40, 500, 4);
  assert.ok(Math.abs(atCut.gain - 0.5) < 0.005, `40 Hz: filtfilt gain ${atCut.gain}, expected 0.5 (-6 dB)`);
  assert.ok(Math.abs(atCut.phase) < 1e-3);
  for (const f of [80, 120, 200]) {
    const { gain } = measuredGain(sos, f, 500, 4);
    const want = butterworthPower(4, 40, 500, 'lowpass', f); // filtfilt: |H|^2 in amplitude
    assert.ok(Math.abs(gain / want - 1) < 0.02, `${f} Hz: gain ${gain} vs predicted ${want}`);
  }
  // 24 dB/octave per pass, 48 dB/octave after filtfilt: 80 Hz is ~-47 dB.
  assert.ok(measuredGain(sos, 80, 500, 4).gain < 10 ** (-45 / 20));
});

test('sosfiltfilt highpass (n=2, 0.5 Hz @100, baseline wander): 0.05 Hz drift removed, ECG band kept', () => {
  const sos = butterworth(2, 0.5, 100, 'highpass');
  for (const f of [5, 10, 25]) {
    const { gain, phase } = measuredGain(sos, f, 100, 20);
    assert.ok(Math.abs(gain - 1) < 0.01, `${f} Hz: gain ${gain}`);
    assert.ok(Math.abs(phase) < 1e-3, `${f} Hz: phase ${phase}`);
  }
  assert.ok(Math.abs(measuredGain(sos, 0.5, 100, 60).gain - 0.5) < 0.005, '-6 dB at 0.5 Hz');
  const drift = measuredGain(sos, 0.05, 100, 200).gain;
  const want = butterworthPower(2, 0.5, 100, 'highpass', 0.05);
  assert.ok(Math.abs(drift / want - 1) < 0.05, `0.05 Hz drift: gain ${drift} vs predicted ${want} (~-40 dB)`);
});

test('sosfiltfilt bandpass (n=2, [0.5, 40] @500): 10 Hz kept, -6 dB at both edges, 150/220 Hz removed as predicted', () => {
  const band: [number, number] = [0.5, 40];
  const sos = butterworth(2, band, 500, 'bandpass');
  const mid = measuredGain(sos, 10, 500, 8);
  assert.ok(Math.abs(mid.gain - 1) < 0.01 && Math.abs(mid.phase) < 1e-3, `10 Hz: ${JSON.stringify(mid)}`);
  for (const f of [0.5, 40]) assert.ok(Math.abs(measuredGain(sos, f, 500, 40).gain - 0.5) < 0.005, `-6 dB at ${f} Hz`);
  for (const f of [150, 220]) {
    // 16 s: the 0.5 Hz edge's start-up transient must have died out to measure -60 dB.
    const { gain } = measuredGain(sos, f, 500, 16);
    const want = butterworthPower(2, band, 500, 'bandpass', f);
    assert.ok(Math.abs(gain / want - 1) < 0.02, `${f} Hz: gain ${gain} vs ${want}`);
  }
});

test('notch (50 Hz, q=30 @500): removes 50 Hz mains, keeps 10 Hz, 45 Hz attenuated as |H|^2 predicts', () => {
  const sos = notchFilter(50, 30, 500);
  const n = 2500;
  const mains = sosfiltfilt(sos, tone(n, 50, 500, 1));
  const residual = measureTone(mains, 50, 500, 500, 2000).amplitude;
  assert.ok(residual < 1e-3, `50 Hz residual ${residual}`);
  assert.ok(Math.abs(measuredGain(sos, 10, 500, 5).gain - 1) < 0.01);
  const at45 = measuredGain(sos, 45, 500, 5).gain;
  const want45 = frequencyResponse(sos, [45], 500).magnitude[0]! ** 2;
  assert.ok(Math.abs(at45 / want45 - 1) < 1e-3 && want45 > 0.97 && want45 < 0.98, `45 Hz: ${at45} vs ${want45}`);
  assert.ok(frequencyResponse(sos, [50], 500).magnitude[0]! < 1e-12, 'a zero exactly at 50 Hz');
  // -3 dB bandwidth f0/q = 5/3 Hz: the -3 dB edges, placed by the bilinear warping, are 5/3 Hz apart.
  const edges = [49, 51].map((guess) => {
    let lo = guess < 50 ? 45 : 50, hi = guess < 50 ? 50 : 55;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      const below = frequencyResponse(sos, [mid], 500).magnitude[0]! < Math.SQRT1_2;
      if (below === guess < 50) hi = mid;
      else lo = mid;
    }
    return (lo + hi) / 2;
  });
  assert.ok(Math.abs(edges[1]! - edges[0]! - 50 / 30) < 0.01, `-3 dB bandwidth ${edges[1]! - edges[0]!} Hz`);
  const sixty = notchFilter(60, 30, 360);
  assert.ok(measureTone(sosfiltfilt(sixty, tone(1800, 60, 360)), 60, 360, 360, 1440).amplitude < 1e-3, '60 Hz notch');
});

test('bad filter options throw OptionError naming the option', () => {
  assert.equal(optionOf(() => butterworth(0, 40, 500, 'lowpass')), 'order');
  assert.equal(optionOf(() => butterworth(2.5, 40, 500, 'lowpass')), 'order');
  assert.equal(optionOf(() => butterworth(2, -1, 500, 'lowpass')), 'cutoffHz');
  assert.equal(optionOf(() => butterworth(2, 250, 500, 'lowpass')), 'cutoffHz');
  assert.equal(optionOf(() => butterworth(2, 300, 500, 'highpass')), 'cutoffHz');
  assert.equal(optionOf(() => butterworth(2, [40, 0.5], 500, 'bandpass')), 'cutoffHz');
  assert.equal(optionOf(() => butterworth(2, 40, 500, 'bandpass')), 'cutoffHz');
  assert.equal(optionOf(() => butterworth(2, 40, 0, 'lowpass')), 'fs');
  assert.equal(optionOf(() => butterworth(2, 40, 500, 'notch' as FilterType)), 'type');
  assert.equal(optionOf(() => notchFilter(50, 0, 500)), 'q');
  assert.equal(optionOf(() => notchFilter(60, 30, 100)), 'f0Hz');
  assert.match(String((() => { try { butterworth(2, 300, 500, 'lowpass'); } catch (e) { return (e as Error).message; } })()), /Nyquist frequency 250 Hz/);
});
