import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ecg, WaveInterval } from '../ecg.js';
import { synthesizeEcg } from '../synth/index.js';
import { ecgDelineate } from '../../delineate/index.js';
import { OptionError } from '../../util/errors.js';
import { beatsOf, editEcg, parseEditDoses, ECG_EDITS, type EcgEdit } from './edits.js';

/** Which fused waves each edit must leave bit for bit as they were. */
const UNTOUCHED: Record<EcgEdit, WaveInterval['wave'][]> = {
  'widen-qrs': ['P', 'T'], 'invert-t': ['P', 'QRS'], 'remove-p': ['QRS', 'T'], 'prolong-pr': ['QRS', 'T'], 'st-elevation': ['P', 'QRS'], 'scale-r': ['P', 'T'],
};
const AMOUNT: Record<EcgEdit, number> = { 'widen-qrs': 40, 'invert-t': 1, 'remove-p': 1, 'prolong-pr': 60, 'st-elevation': 0.2, 'scale-r': 1.5 };

function ecgAt(fs: number, seed = 3): Ecg {
  return synthesizeEcg({ fs, seed, classes: ['NORM'], cohort: 'ideal', heartRateBpm: 60 });
}

/** Sample of largest spatial energy in each QRS: the R peaks, and so the RR intervals. */
function rPeaks(e: Ecg, waves: readonly WaveInterval[]): number[] {
  return waves.filter((w) => w.wave === 'QRS').map((q) => {
    let best = q.onset, top = -1;
    for (let t = q.onset; t <= q.offset; t++) {
      let s = 0;
      for (let l = 0; l < e.leads.length; l++) s += e.signal[l * e.nSamples + t]! ** 2;
      if (s > top) (top = s), (best = t);
    }
    return best;
  });
}

for (const fs of [100, 500]) {
  test(`edits @${fs} Hz: outside the edited region and in the waves an edit does not name, every sample is unchanged; RR kept`, () => {
    const e = ecgAt(fs);
    const waves = e.waves!['*']!;
    for (const edit of ECG_EDITS) {
      const r = editEcg(e, waves, { edit, amount: AMOUNT[edit], ...(edit === 'st-elevation' ? { leads: 'inferior' } : {}) });
      assert.ok(r.beats >= 8, `${edit}: ${r.beats} beats edited`);
      const n = e.nSamples;
      const inRegion = new Uint8Array(e.signal.length);
      for (const [lead, list] of Object.entries(r.region.leads)) {
        const l = e.leads.indexOf(lead);
        for (const iv of list) for (let t = iv.onset; t <= iv.offset; t++) inRegion[l * n + t] = 1;
      }
      let changed = 0;
      for (let k = 0; k < e.signal.length; k++) {
        if (r.ecg.signal[k] !== e.signal[k]) {
          changed++;
          assert.ok(inRegion[k], `${edit}: sample ${k % n} of ${e.leads[Math.floor(k / n)]} changed outside the region`);
        }
      }
      assert.ok(changed > 0, `${edit}: nothing changed`);
      for (const w of waves.filter((x) => UNTOUCHED[edit].includes(x.wave))) {
        for (let l = 0; l < e.leads.length; l++) {
          for (let t = w.onset; t <= w.offset; t++) assert.equal(r.ecg.signal[l * n + t], e.signal[l * n + t], `${edit}: ${w.wave} at ${t} in ${e.leads[l]}`);
        }
      }
      assert.deepEqual(rPeaks(r.ecg, waves), rPeaks(e, waves), `${edit}: R peaks moved`);
      // A smooth edit: no jump larger than the signal's own largest step.
      let step = 0, step0 = 0;
      for (let l = 0; l < e.leads.length; l++) {
        for (let t = 1; t < n; t++) {
          step = Math.max(step, Math.abs(r.ecg.signal[l * n + t]! - r.ecg.signal[l * n + t - 1]!));
          step0 = Math.max(step0, Math.abs(e.signal[l * n + t]! - e.signal[l * n + t - 1]!));
        }
      }
      assert.ok(step <= 1.6 * step0, `${edit}: largest step ${step.toFixed(3)} mV vs ${step0.toFixed(3)} mV before`);
    }
  });
}

test('edits: each does what it says, measured by the delineator on the edited ECG (500 Hz)', () => {
  const e = ecgAt(500, 5);
  const waves = e.waves!['*']!;
  const n = e.nSamples;
  const d0 = ecgDelineate(e);
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const qrsMs = (d: ReturnType<typeof ecgDelineate>): number => median(d.waves['*']!.filter((w) => w.wave === 'QRS').map((w) => ((w.offset - w.onset) / 500) * 1000));
  const prMs = (d: ReturnType<typeof ecgDelineate>): number => {
    const b = beatsOf(d.waves['*']!, n).filter((x) => x.p);
    return median(b.map((x) => ((x.qrs.onset - x.p!.onset) / 500) * 1000));
  };
  const wide = ecgDelineate(editEcg(e, waves, { edit: 'widen-qrs', amount: 40 }).ecg);
  assert.ok(Math.abs(qrsMs(wide) - qrsMs(d0) - 40) < 15, `QRS ${qrsMs(d0)} -> ${qrsMs(wide)} ms`);
  const pr = ecgDelineate(editEcg(e, waves, { edit: 'prolong-pr', amount: 60 }).ecg);
  assert.ok(Math.abs(prMs(pr) - prMs(d0) - 60) < 15, `PR ${prMs(d0)} -> ${prMs(pr)} ms`);
  // T inverted in lead II only: the T peak's sign flips there and nowhere else.
  const inv = editEcg(e, waves, { edit: 'invert-t', amount: 1, leads: ['II'] }).ecg;
  const beats = beatsOf(waves, n).filter((b) => b.t);
  const tPeak = (x: Ecg, lead: string): number => {
    const l = x.leads.indexOf(lead);
    return median(beats.map((b) => x.signal[l * n + b.t!.peak!]! - (x.signal[l * n + b.t!.onset]! + x.signal[l * n + b.t!.offset]!) / 2));
  };
  assert.ok(tPeak(e, 'II') > 0.1 && tPeak(inv, 'II') < -0.1, `T in II ${tPeak(e, 'II')} -> ${tPeak(inv, 'II')}`);
  assert.equal(tPeak(inv, 'V5'), tPeak(e, 'V5'));
  // P removed: what is left of the P wave is under 5% of it.
  const noP = editEcg(e, waves, { edit: 'remove-p', amount: 1 }).ecg;
  const pAmp = (x: Ecg): number => median(beatsOf(waves, n).filter((b) => b.p).map((b) => Math.abs(x.signal[n + b.p!.peak!]! - (x.signal[n + b.p!.onset]! + x.signal[n + b.p!.offset]!) / 2)));
  assert.ok(pAmp(noP) < 0.05 * pAmp(e), `P ${pAmp(e)} -> ${pAmp(noP)} mV`);
  // ST elevation of 0.2 mV in the inferior leads, 60 ms after the J point; none in V2.
  const st = editEcg(e, waves, { edit: 'st-elevation', amount: 0.2, leads: 'inferior' }).ecg;
  const stAt = (x: Ecg, lead: string): number => median(beats.map((b) => x.signal[x.leads.indexOf(lead) * n + b.qrs.offset + 30]!));
  assert.ok(Math.abs(stAt(st, 'aVF') - stAt(e, 'aVF') - 0.2) < 0.01);
  assert.equal(stAt(st, 'V2'), stAt(e, 'V2'));
  // R amplitudes times 1.5 in every lead.
  const big = editEcg(e, waves, { edit: 'scale-r', amount: 1.5 }).ecg;
  const amp = (x: Ecg): number => median(beats.map((b) => x.signal[n + b.qrs.peak!]!));
  assert.ok(Math.abs(amp(big) / amp(e) - 1.5) < 0.05, `R ${amp(e)} -> ${amp(big)}`);
});

test('edits: bad amounts, leads and specs are one-line option errors', () => {
  const e = ecgAt(100);
  assert.throws(() => editEcg(e, e.waves!['*']!, { edit: 'invert-t', amount: 2 }), OptionError);
  assert.throws(() => editEcg(e, e.waves!['*']!, { edit: 'invert-t', amount: 1, leads: ['V7'] }), /no lead 'V7'/);
  assert.deepEqual(parseEditDoses('widen-qrs:0,20,40'), { edit: 'widen-qrs', amounts: [0, 20, 40] });
  assert.deepEqual(parseEditDoses('st-elevation:0,0.1@inferior'), { edit: 'st-elevation', amounts: [0, 0.1], leads: 'inferior' });
  assert.deepEqual(parseEditDoses('invert-t:1@V1+V2'), { edit: 'invert-t', amounts: [1], leads: ['V1', 'V2'] });
  assert.throws(() => parseEditDoses('shrink-qrs:1'), /expected EDIT/);
  assert.throws(() => parseEditDoses('remove-p:0,2'), /0 to 1/);
});
