// Conformance with scipy.signal on a fixture it wrote (fixtures/make_scipy_reference.py):
// butter designs, sosfreqz, sosfilt, sosfiltfilt, iirnotch, and resample_poly
// given ecgx's resampling filter. The tests need only the JSON, not scipy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../../test/data-paths.js';
import { butterworth, notchFilter, type FilterType } from './design.js';
import { resample } from './resample.js';
import { frequencyResponse, sosfilt, sosfiltfilt, type Sos } from './sos.js';

interface Reference {
  x: number[];
  fs: number;
  butter: { order: number; cutoff: number | [number, number]; type: FilterType; fs: number; sos: number[][]; freqs: number[]; magnitude: number[]; phase: number[]; sosfilt?: number[]; sosfiltfilt?: number[] }[];
  notch: { f0: number; q: number; b: number[]; a: number[]; sosfiltfilt: number[] };
  resample: { fsOut: number; up: number; down: number; y: number[] }[];
}
const ref = JSON.parse(readFileSync(resolve(REPO_ROOT, 'src/data/preprocess/fixtures/scipy-reference.json'), 'utf8')) as Reference;
const x = Float32Array.from(ref.x);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): number {
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
const wrap = (p: number): number => Math.atan2(Math.sin(p), Math.cos(p));

test('butterworth matches scipy.signal.butter(output="sos"): response everywhere, coefficients section by section', () => {
  for (const r of ref.butter) {
    const label = `${r.type} n=${r.order} ${JSON.stringify(r.cutoff)} @${r.fs}`;
    const sos = butterworth(r.order, r.cutoff, r.fs, r.type);
    assert.equal(sos.length, r.sos.length, label);
    const mine = frequencyResponse(sos, r.freqs, r.fs);
    assert.ok(maxDiff(mine.magnitude, r.magnitude) < 1e-9, `${label}: |H|`);
    r.phase.forEach((p, i) => {
      if (r.magnitude[i]! > 1e-6) assert.ok(Math.abs(wrap(mine.phase[i]! - p)) < 1e-6, `${label}: phase at ${r.freqs[i]} Hz`);
    });
    // Same poles and zeros per section; the order of sections may differ, so match them by their denominators.
    const unmatched = [...r.sos];
    for (const s of sos) {
      const k = unmatched.findIndex((t) => Math.abs(t[4]! - s[4]) < 1e-9 && Math.abs(t[5]! - s[5]) < 1e-9);
      assert.ok(k >= 0, `${label}: section ${JSON.stringify(s)} not in scipy's`);
      unmatched.splice(k, 1);
    }
  }
});

test('sosfilt and sosfiltfilt match scipy on an ECG-like signal (offset, drift, spike, mains)', () => {
  for (const r of ref.butter.filter((b) => b.sosfiltfilt)) {
    const sos = r.sos as unknown as Sos; // scipy's own coefficients: this compares the filtering alone
    assert.ok(maxDiff(sosfilt(sos, x), r.sosfilt!) < 1e-5, `${r.type}: sosfilt`);
    assert.ok(maxDiff(sosfiltfilt(sos, x), r.sosfiltfilt!) < 1e-5, `${r.type}: sosfiltfilt`);
    assert.ok(maxDiff(sosfiltfilt(butterworth(r.order, r.cutoff, r.fs, r.type), x), r.sosfiltfilt!) < 1e-5, `${r.type}: design + sosfiltfilt`);
  }
});

test('notchFilter matches scipy.signal.iirnotch, and its zero-phase output', () => {
  const [[b0, b1, b2, a0, a1, a2]] = notchFilter(ref.notch.f0, ref.notch.q, ref.fs) as [Sos[number]];
  assert.ok(maxDiff([b0, b1, b2, a0, a1, a2], [...ref.notch.b, ...ref.notch.a]) < 1e-15);
  assert.ok(maxDiff(sosfiltfilt(notchFilter(50, 30, ref.fs), x), ref.notch.sosfiltfilt) < 1e-5);
});

test("resample(edge: 'zero') matches scipy.signal.resample_poly with the same Kaiser filter", () => {
  for (const r of ref.resample) {
    const y = resample(x, ref.fs, r.fsOut, { edge: 'zero' });
    assert.equal(y.length, Math.round((x.length * r.up) / r.down));
    // scipy's length is ceil(n*up/down); compare the samples both have.
    assert.ok(maxDiff(y, r.y) < 1e-5, `500->${r.fsOut}: max diff ${maxDiff(y, r.y)}`);
  }
});
