import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../util/rng.js';
import { amplitudeScale, augmentView, baselineWander, DEFAULT_AUGMENT, gaussianNoise, leadDropout, randomCrop, resizeLinear, timeMask, type Signal } from './augment.js';

/** A ramp per lead: value = lead * 1000 + t, so every sample says where it came from. */
function ramp(leads: number, samples: number): Signal {
  const data = new Float32Array(leads * samples);
  for (let l = 0; l < leads; l++) for (let t = 0; t < samples; t++) data[l * samples + t] = l * 1000 + t;
  return { data, leads, samples };
}

test('randomCrop: the requested length, one contiguous window at the same offset on every lead', () => {
  const x = ramp(3, 100);
  const offsets = new Set<number>();
  for (let s = 0; s < 50; s++) {
    const { signal, offset } = randomCrop(x, 40, new Rng(s));
    assert.equal(signal.samples, 40);
    assert.equal(signal.data.length, 3 * 40);
    assert.ok(offset >= 0 && offset <= 60);
    for (let l = 0; l < 3; l++) for (let t = 0; t < 40; t++) assert.equal(signal.data[l * 40 + t], l * 1000 + offset + t);
    offsets.add(offset);
  }
  assert.ok(offsets.size > 10, 'offsets vary with the seed');
  assert.throws(() => randomCrop(x, 101, new Rng(1)), RangeError);
});

test('resizeLinear keeps the end points and a linear ramp stays linear', () => {
  const y = resizeLinear(ramp(2, 11), 21);
  assert.equal(y.samples, 21);
  for (let t = 0; t < 21; t++) {
    assert.ok(Math.abs(y.data[t]! - t / 2) < 1e-5);
    assert.ok(Math.abs(y.data[21 + t]! - (1000 + t / 2)) < 1e-4);
  }
});

test('amplitudeScale: one factor in the range, applied to every sample', () => {
  const x = ramp(2, 50);
  for (let s = 0; s < 30; s++) {
    const { signal, factor } = amplitudeScale(x, [0.8, 1.2], new Rng(s));
    assert.ok(factor >= 0.8 && factor < 1.2);
    for (let i = 1; i < x.data.length; i++) assert.ok(Math.abs(signal.data[i]! - x.data[i]! * factor) < 1e-3);
  }
});

test('gaussianNoise: zero-mean, the requested sd', () => {
  const x = { data: new Float32Array(20000), leads: 2, samples: 10000 };
  const { signal } = gaussianNoise(x, 0.05, new Rng(3));
  const m = signal.data.reduce((a, b) => a + b, 0) / signal.data.length;
  const sd = Math.sqrt(signal.data.reduce((a, b) => a + (b - m) ** 2, 0) / signal.data.length);
  assert.ok(Math.abs(m) < 0.002);
  assert.ok(Math.abs(sd - 0.05) < 0.002);
});

test('baselineWander: the same slow sinusoid on every lead, below 0.5 Hz and the amplitude bound', () => {
  const fs = 100;
  const x = { data: new Float32Array(3 * 1000), leads: 3, samples: 1000 };
  for (let s = 0; s < 10; s++) {
    const { signal, hz, amplitude } = baselineWander(x, fs, 0.3, new Rng(s));
    assert.ok(hz >= 0.05 && hz < 0.5 && amplitude >= 0 && amplitude < 0.3);
    for (let t = 0; t < 1000; t++) {
      assert.ok(Math.abs(signal.data[t]!) <= amplitude + 1e-6);
      assert.equal(signal.data[1000 + t], signal.data[t]);
    }
    // Slow: adjacent samples differ by at most 2 pi f A / fs.
    for (let t = 1; t < 1000; t++) assert.ok(Math.abs(signal.data[t]! - signal.data[t - 1]!) <= (2 * Math.PI * hz * amplitude) / fs + 1e-6);
  }
});

test('leadDropout zeroes exactly the chosen leads and keeps at least one', () => {
  const x = ramp(12, 20);
  for (let i = 0; i < 12; i++) x.data[i * 20] = 1; // no lead is all zeros before
  let seenDrops = 0;
  for (let s = 0; s < 40; s++) {
    const { signal, dropped } = leadDropout(x, 0.3, new Rng(s));
    for (let l = 0; l < 12; l++) {
      const lead = signal.data.subarray(l * 20, (l + 1) * 20);
      if (dropped.includes(l)) assert.ok(lead.every((v) => v === 0), `lead ${l} is zero`);
      else assert.deepEqual(Array.from(lead), Array.from(x.data.subarray(l * 20, (l + 1) * 20)));
    }
    seenDrops += dropped.length;
  }
  assert.ok(seenDrops > 40 * 12 * 0.2 && seenDrops < 40 * 12 * 0.4);
  // p close to 1: never all leads.
  for (let s = 0; s < 20; s++) assert.ok(leadDropout(x, 0.999, new Rng(s)).dropped.length <= 11);
});

test('timeMask covers exactly round(fraction * samples) samples on every lead, in the given number of segments', () => {
  const x = ramp(2, 200);
  for (let s = 0; s < 30; s++) {
    const { signal, mask } = timeMask(x, 0.15, new Rng(s), 3);
    assert.equal(mask.reduce((a, b) => a + b, 0), 30);
    let runs = 0;
    for (let t = 0; t < 200; t++) if (mask[t] && (t === 0 || !mask[t - 1])) runs++;
    assert.ok(runs >= 1 && runs <= 3);
    for (let l = 0; l < 2; l++) for (let t = 0; t < 200; t++) assert.equal(signal.data[l * 200 + t], mask[t] ? 0 : x.data[l * 200 + t]);
  }
});

test('augmentView is deterministic by seed, different across seeds, and keeps the shape', () => {
  const x = ramp(12, 100);
  const a = augmentView(x, 100, DEFAULT_AUGMENT, new Rng(7));
  const b = augmentView(x, 100, DEFAULT_AUGMENT, new Rng(7));
  const c = augmentView(x, 100, DEFAULT_AUGMENT, new Rng(8));
  assert.equal(a.samples, 100);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  assert.deepEqual(x.data, ramp(12, 100).data, 'input untouched');
});
