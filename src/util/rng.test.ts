import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

test('rng: same seed gives the same stream, different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.nextU32());
  const sb = Array.from({ length: 8 }, () => b.nextU32());
  const sc = Array.from({ length: 8 }, () => c.nextU32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

test('rng: uniform mean/variance and normal moments match theory', () => {
  const r = new Rng(7);
  const n = 200000;
  let s = 0, s2 = 0, z = 0, z2 = 0, z4 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    s += u; s2 += u * u;
    const g = r.normal();
    z += g; z2 += g * g; z4 += g ** 4;
  }
  assert.ok(Math.abs(s / n - 0.5) < 0.005);
  assert.ok(Math.abs(s2 / n - (s / n) ** 2 - 1 / 12) < 0.002);
  assert.ok(Math.abs(z / n) < 0.01);
  assert.ok(Math.abs(z2 / n - 1) < 0.015);
  assert.ok(Math.abs(z4 / n - 3) < 0.1); // kurtosis of a normal
});

test('fillMask draws exactly what a uniform() < p loop draws, and leaves the stream where that loop would', () => {
  for (const p of [0.2, 0.5, 0.999, 1e-9]) {
    const a = new Rng(11), b = new Rng(11);
    const fast = new Float32Array(10_001);
    a.fillMask(fast, p, 1.25);
    const slow = Float32Array.from({ length: fast.length }, () => (b.uniform() < p ? 0 : 1.25));
    assert.deepEqual(fast, slow);
    assert.equal(a.nextU32(), b.nextU32());
    assert.equal(a.uniform(), b.uniform());
  }
  const zeros = new Float32Array(1000);
  new Rng(3).fillMask(zeros, 0.2, 5);
  const dropped = zeros.filter((v) => v === 0).length;
  assert.ok(dropped > 150 && dropped < 250, `${dropped} of 1000 dropped at p = 0.2`);
});
