import { test } from 'node:test';
import assert from 'node:assert/strict';
import { butterworth } from './design.js';
import { sosfilt, sosfiltfilt, sosfiltZi, type Sos } from './sos.js';

/** Direct form I with the expanded polynomials: an independent reference for sosfilt. */
function directForm(sos: Sos, x: ArrayLike<number>): number[] {
  const conv = (p: number[], q: readonly number[]): number[] => {
    const r = new Array<number>(p.length + q.length - 1).fill(0);
    p.forEach((a, i) => q.forEach((b, j) => (r[i + j]! += a * b)));
    return r;
  };
  let b = [1], a = [1];
  for (const s of sos) {
    b = conv(b, s.slice(0, 3));
    a = conv(a, s.slice(3, 6));
  }
  const y: number[] = [];
  for (let i = 0; i < x.length; i++) {
    let acc = 0;
    for (let k = 0; k < b.length && k <= i; k++) acc += b[k]! * x[i - k]!;
    for (let k = 1; k < a.length && k <= i; k++) acc -= a[k]! * y[i - k]!;
    y.push(acc);
  }
  return y;
}

test('sosfilt equals the direct-form difference equation of the expanded transfer function', () => {
  const sos = butterworth(3, 30, 250, 'lowpass'); // one first-order and one second-order section
  const x = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i * 0.3) + (i === 17 ? 5 : 0) + 0.01 * ((i * 7919) % 13));
  const want = directForm(sos, x);
  const got = sosfilt(sos, x);
  want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-5, `sample ${i}: ${got[i]} vs ${w}`));
});

test('sosfiltZi is the steady state of a unit step: filtering ones from zi gives the DC gain at once', () => {
  for (const sos of [butterworth(4, 20, 500, 'lowpass'), butterworth(2, [0.5, 40], 500, 'bandpass'), butterworth(3, 1, 500, 'highpass')]) {
    const zi = sosfiltZi(sos);
    const dc = sos.reduce((g, s) => (g * (s[0] + s[1] + s[2])) / (1 + s[4] + s[5]), 1);
    // DF2T by hand from zi over a unit step: every output sample of every section is already at steady state.
    let level = 1;
    sos.forEach(([b0, b1, b2, , a1, a2], s) => {
      let z0 = zi[2 * s]!, z1 = zi[2 * s + 1]!;
      const g = (b0 + b1 + b2) / (1 + a1 + a2);
      for (let i = 0; i < 5; i++) {
        const y = b0 * level + z0;
        assert.ok(Math.abs(y - g * level) < 1e-12, `section ${s}, step ${i}: ${y} vs ${g * level}`);
        z0 = b1 * level - a1 * y + z1;
        z1 = b2 * level - a2 * y;
      }
      level *= g;
    });
    assert.ok(Math.abs(level - dc) < 1e-12);
  }
});

test('sosfiltfilt is zero-phase: an impulse response is symmetric in time, a constant passes a low-pass unchanged and a high-pass as 0', () => {
  const sos = butterworth(4, 25, 500, 'lowpass');
  const n = 401;
  const imp = new Float32Array(n);
  imp[200] = 1;
  const h = sosfiltfilt(sos, imp);
  for (let k = 1; k < 150; k++) assert.ok(Math.abs(h[200 - k]! - h[200 + k]!) < 1e-7, `h[-${k}] ${h[200 - k]} vs h[+${k}] ${h[200 + k]}`);
  let peak = 0;
  h.forEach((v, i) => (peak = v > h[peak]! ? i : peak));
  assert.equal(peak, 200);

  // The odd extension + steady-state initial conditions leave no edge transient on a constant.
  const c = new Float32Array(200).fill(3.25);
  for (const v of sosfiltfilt(sos, c)) assert.ok(Math.abs(v - 3.25) < 1e-5);
  for (const v of sosfiltfilt(butterworth(2, 0.5, 500, 'highpass'), c)) assert.ok(Math.abs(v) < 1e-5);
  // A ramp through a zero-phase low-pass stays the same ramp (no lag); the odd
  // extension continues it, so even the edges are off by less than one step.
  const ramp = Float32Array.from({ length: 300 }, (_, i) => 0.01 * i - 1);
  sosfiltfilt(sos, ramp).forEach((v, i) => {
    const tol = i < 60 || i >= 240 ? 0.01 : 1e-5;
    assert.ok(Math.abs(v - ramp[i]!) < tol, `ramp sample ${i}: ${v} vs ${ramp[i]}`);
  });
});

test('sosfiltfilt handles signals shorter than the default padding, and empty ones', () => {
  const sos = butterworth(4, 25, 500, 'lowpass'); // default padlen 15
  assert.equal(sosfiltfilt(sos, new Float32Array(0)).length, 0);
  assert.deepEqual(Array.from(sosfiltfilt(sos, Float32Array.of(2))), [2]);
  const short = sosfiltfilt(sos, new Float32Array(10).fill(-1));
  for (const v of short) assert.ok(Math.abs(v + 1) < 1e-5);
});
