import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEcg, type WaveInterval } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { evaluateCriteria, measureEcg } from './index.js';

/** Piecewise-linear lead: [sample offset from R, mV] knots, repeated at every R. */
function draw(x: Float32Array, rs: number[], knots: [number, number][]): void {
  for (const r of rs) {
    for (let k = 0; k + 1 < knots.length; k++) {
      const [t0, v0] = knots[k]!, [t1, v1] = knots[k + 1]!;
      for (let t = t0; t < t1; t++) x[r + t] = v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
    }
  }
}

test('measureEcg: known intervals, Q wave, ST level, T amplitude, axis and Sokolow-Lyon on a drawn ECG', () => {
  const fs = 500, n = 5000;
  const rs = [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]; // 60 bpm
  const signal = new Float32Array(12 * n);
  const lead = (name: string): Float32Array => signal.subarray(STANDARD_LEADS.indexOf(name as never) * n, (STANDARD_LEADS.indexOf(name as never) + 1) * n);
  // P -100..-50, QRS -20..+30 (q to -0.2 mV, R 1 mV, S), ST plateau 0.1 mV, T peak +0.4 on it at +150, ends +200.
  const shape: [number, number][] = [[-100, 0], [-75, 0.15], [-50, 0], [-20, 0], [-14, -0.2], [-8, 0], [0, 1], [15, -0.3], [30, 0.1], [100, 0.1], [150, 0.5], [200, 0], [220, 0]];
  for (const l of ['II', 'aVF', 'V2', 'V3']) draw(lead(l), rs, shape);
  draw(lead('I'), rs, shape.map(([t, v]) => [t, v * 0.5] as [number, number]));
  draw(lead('V1'), rs, [[-20, 0], [-5, 0.2], [10, -1.6], [30, 0], [220, 0]]); // rS: S 1.6 mV
  draw(lead('V5'), rs, [[-20, 0], [0, 2.1], [30, 0], [100, 0], [150, 0.3], [200, 0], [220, 0]]); // R 2.1 mV
  const star: WaveInterval[] = [];
  for (const r of rs) {
    star.push({ wave: 'P', onset: r - 100, peak: r - 75, offset: r - 50 });
    star.push({ wave: 'QRS', onset: r - 20, peak: r, offset: r + 30 });
    star.push({ wave: 'T', onset: r + 100, peak: r + 150, offset: r + 200 });
  }
  const ecg = makeEcg({ signal, fs, leads: STANDARD_LEADS, meta: { recordId: 'drawn' }, waves: { '*': star } });
  const f = measureEcg(ecg);
  assert.equal(f.beats, 9);
  assert.ok(Math.abs(f.hrBpm - 60) < 1e-9);
  assert.equal(f.prMs, 160);
  assert.equal(f.qrsMs, 100);
  assert.equal(f.qtMs, 440);
  const ii = f.leads['II']!;
  assert.ok(Math.abs(ii.qDepthMv - 0.2) < 1e-6, `Q depth ${ii.qDepthMv}`);
  assert.equal(ii.qDurMs, 24); // onset to the return above baseline: 12 samples
  assert.ok(Math.abs(ii.rMv - 1) < 1e-6 && Math.abs(ii.sMv - 0.3) < 1e-6);
  assert.ok(Math.abs(ii.stMv - 0.1) < 1e-6, `ST ${ii.stMv}`); // J + 60 ms = R + 60 samples, on the plateau
  assert.ok(Math.abs(ii.tMv - 0.5) < 1e-6, `T ${ii.tMv}`);
  assert.equal(f.leads['V1']!.qDepthMv, 0); // starts upward: no Q
  assert.ok(Math.abs(f.axisDeg - Math.atan2(1, 0.5) * (180 / Math.PI)) < 1e-6, `axis ${f.axisDeg}`);
  assert.ok(Math.abs(f.sokolowLyonMv - 3.7) < 1e-6, `Sokolow-Lyon ${f.sokolowLyonMv}`);
  const c = evaluateCriteria(f);
  assert.equal(c.HYP, true); // 3.7 > 3.5 mV
  assert.equal(c.MI, false); // Q 24 ms < 30 ms
  assert.equal(c.CD, false);
  assert.equal(c.STTC, false);
});
