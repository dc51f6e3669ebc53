import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leadSignal } from '../ecg.js';
import { Rng } from '../../util/rng.js';
import { OptionError } from '../../util/errors.js';
import { addEcgNoise, NOISE_TYPES, parseNoiseList, signalPower, synthesizeEcg } from './index.js';

/** Power of a sinusoid at hz in x (a single-bin DFT), relative to x's power. */
function toneShare(x: Float32Array, fs: number, hz: number): number {
  let re = 0, im = 0, p = 0;
  for (let t = 0; t < x.length; t++) {
    re += x[t]! * Math.cos((2 * Math.PI * hz * t) / fs);
    im += x[t]! * Math.sin((2 * Math.PI * hz * t) / fs);
    p += x[t]! ** 2;
  }
  return (2 * (re * re + im * im)) / x.length / p;
}

test('noise at a stated SNR: exact SNR, limb leads consistent, seeded; each kind where it belongs in frequency', () => {
  for (const fs of [100, 500]) {
    const e = synthesizeEcg({ fs, seed: 4, cohort: 'ideal' });
    for (const type of NOISE_TYPES) {
      for (const snrDb of [0, 12]) {
        const noisy = addEcgNoise(e, { type, snrDb }, new Rng(7));
        const d = noisy.signal.map((v, i) => v - e.signal[i]!);
        const pn = d.reduce((s, v) => s + v * v, 0) / d.length;
        assert.ok(Math.abs(10 * Math.log10(signalPower(e) / pn) - snrDb) < 0.01, `${type} ${snrDb} dB at ${fs} Hz`);
        const [I, II, III, aVF] = ['I', 'II', 'III', 'aVF'].map((l) => leadSignal(noisy, l));
        for (let t = 0; t < e.nSamples; t += 7) {
          assert.ok(Math.abs(III![t]! - (II![t]! - I![t]!)) < 1e-5 && Math.abs(aVF![t]! - (II![t]! - I![t]! / 2)) < 1e-5);
        }
        assert.deepEqual(addEcgNoise(e, { type, snrDb }, new Rng(7)).signal, noisy.signal);
        assert.deepEqual(noisy.waves, e.waves);
      }
    }
    const pl = addEcgNoise(e, { type: 'powerline', snrDb: 0 }, new Rng(1));
    const d = leadSignal(pl, 'I').map((v, t) => v - leadSignal(e, 'I')[t]!);
    const hz = fs === 500 ? 50 : 40; // 60 Hz mains aliased at 100 Hz
    assert.ok(toneShare(d, fs, hz) > 0.9, `${fs} Hz: powerline at ${hz} Hz holds ${toneShare(d, fs, hz)}`);
    const bw = addEcgNoise(e, { type: 'baseline', snrDb: 0 }, new Rng(1));
    const low = leadSignal(bw, 'V2').map((v, t) => v - leadSignal(e, 'V2')[t]!);
    let diff = 0, pow = 0;
    for (let t = 1; t < low.length; t++) (diff += (low[t]! - low[t - 1]!) ** 2, (pow += low[t]! ** 2));
    assert.ok(diff / pow < 1e-3, 'baseline wander is slow');
  }
  assert.deepEqual(parseNoiseList('bw:6, ma:12,pl:0,em:-6'), [{ type: 'baseline', snrDb: 6 }, { type: 'emg', snrDb: 12 }, { type: 'powerline', snrDb: 0 }, { type: 'motion', snrDb: -6 }]);
  assert.throws(() => parseNoiseList('hum:6'), OptionError);
  assert.throws(() => parseNoiseList('emg'), OptionError);
});
