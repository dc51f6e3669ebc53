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

test('fillMask: two elements per 32-bit draw (low half first) against p rounded to 2^-16; the stream moves by ceil(n / 2) draws', () => {
  for (const p of [0.2, 0.5, 0.999, 1e-9]) {
    for (const n of [10_001, 10_000]) {
      const a = new Rng(11), b = new Rng(11);
      const fast = new Float32Array(n);
      a.fillMask(fast, p, 1.25);
      const thr = Rng.maskProbability(p) * 65536;
      const slow = new Float32Array(n);
      for (let i = 0; i < n; i += 2) {
        const u = b.nextU32();
        slow[i] = (u & 0xffff) < thr ? 0 : 1.25;
        if (i + 1 < n) slow[i + 1] = u >>> 16 < thr ? 0 : 1.25;
      }
      assert.deepEqual(fast, slow);
      assert.equal(a.nextU32(), b.nextU32());
    }
  }
  assert.equal(Rng.maskProbability(0.2), 13107 / 65536);
  assert.equal(Rng.maskProbability(1e-9), 0);
  const mask = new Float32Array(200_000);
  new Rng(3).fillMask(mask, 0.2, 5);
  const dropped = mask.filter((v) => v === 0).length / mask.length;
  // Binomial sd at n = 2e5: 0.0009.
  assert.ok(Math.abs(dropped - 0.2) < 0.004, `${dropped} dropped at p = 0.2`);
  assert.ok(mask.every((v) => v === 0 || v === 5));
});
