// Real ECGs (LUDB, 500 Hz, cardiologists' QRS annotations): resampling and
// zero-phase filtering must leave each R peak at the same time in seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { LUDB_DIR } from '../../../test/data-paths.js';
import { openLudb } from '../datasets/ludb.js';
import type { Ecg } from '../ecg.js';
import { preprocess } from './pipeline.js';
import { resampleEcg } from './resample-ecg.js';

/**
 * Time (s) of the extreme of `lead` within [t0, t1] s with the given polarity
 * (+1: maximum, -1: minimum; default: the larger in magnitude), refined by
 * parabolic interpolation. `dominant`: no other hump of that polarity
 * (more than 12 ms away) reaches 80% of it.
 */
function peakTime(ecg: Ecg, lead: string, t0: number, t1: number, polarity?: number): { t: number; polarity: number; dominant: boolean } {
  const l = ecg.leads.indexOf(lead);
  const x = ecg.signal.subarray(l * ecg.nSamples, (l + 1) * ecg.nSamples);
  const i0 = Math.max(1, Math.round(t0 * ecg.fs)), i1 = Math.min(ecg.nSamples - 2, Math.round(t1 * ecg.fs));
  let hi = i0, lo = i0;
  for (let i = i0; i <= i1; i++) {
    if (x[i]! > x[hi]!) hi = i;
    if (x[i]! < x[lo]!) lo = i;
  }
  const sign = polarity ?? (Math.abs(x[hi]!) >= Math.abs(x[lo]!) ? 1 : -1);
  const k = sign > 0 ? hi : lo;
  const [a, b, c] = [sign * x[k - 1]!, sign * x[k]!, sign * x[k + 1]!];
  const d = a - 2 * b + c;
  // A notched (M-shaped) complex has a rival hump: which hump wins may change with filtering.
  const away = Math.round(0.012 * ecg.fs);
  let rival = -Infinity;
  for (let i = i0; i <= i1; i++) if (Math.abs(i - k) > away) rival = Math.max(rival, sign * x[i]!);
  return { t: (k + (d === 0 ? 0 : (0.5 * (a - c)) / d)) / ecg.fs, polarity: sign, dominant: rival < 0.8 * b };
}

test('LUDB: R peaks keep their time (< 2 ms) through resampling and zero-phase filtering; QRS annotations follow', { skip: !existsSync(LUDB_DIR) && `no LUDB at ${LUDB_DIR}` }, async () => {
  const ds = await openLudb(LUDB_DIR);
  let checked = 0;
  for await (const ecg of ds.iterate(['1', '21', '121'])) {
    const qrs = ecg.waves!['II']!.filter((w) => w.wave === 'QRS' && w.peak !== undefined);
    assert.ok(qrs.length >= 3, `record ${ecg.meta.recordId}: ${qrs.length} annotated QRS`);
    const variants: [string, Ecg][] = [
      ['360 Hz', resampleEcg(ecg, 360)],
      ['250 Hz', resampleEcg(ecg, 250)],
      ['1000 Hz', resampleEcg(ecg, 1000)],
      ['band-pass 0.5-40 Hz + notch 50 Hz, 500 Hz', preprocess(ecg, { highpass: 0.5, notch: 50, bandpass: [0.5, 40] })],
    ];
    for (const w of qrs) {
      const [t0, t1] = [w.onset / ecg.fs, w.offset / ecg.fs];
      const ref = peakTime(ecg, 'II', t0, t1);
      if (!ref.dominant) continue;
      for (const [name, out] of variants) {
        const { t } = peakTime(out, 'II', t0, t1, ref.polarity);
        assert.ok(Math.abs(t - ref.t) < 2e-3, `record ${ecg.meta.recordId}, ${name}: R peak at ${t.toFixed(4)} s, was ${ref.t.toFixed(4)} s`);
        const moved = out.waves!['II']!.find((m) => m.wave === 'QRS' && Math.abs(m.onset / out.fs - t0) < 1 / out.fs);
        assert.ok(moved && Math.abs(moved.peak! / out.fs - w.peak! / ecg.fs) <= 0.5 / out.fs + 1e-9, `${name}: QRS annotation moved with the signal`);
        checked++;
      }
    }
  }
  assert.ok(checked > 30, `${checked} peaks checked`);
});
