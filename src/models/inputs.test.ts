import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeEcg, type Ecg } from '../data/ecg.js';
import { STANDARD_LEADS } from '../data/leads.js';
import { readRecord } from '../data/wfdb/index.js';
import { LUDB_DIR } from '../../test/data-paths.js';
import { CARD_SCHEMA, CARD_VERSION, validateCard, type ModelCard } from './card.js';
import { activate, aggregateWindows, nearestWindow, planWindows, prepareRecord, stackWindows, stitchWeighted, windowWeights } from './inputs.js';

function card(over: Partial<ModelCard> = {}): ModelCard {
  return validateCard({
    schema: CARD_SCHEMA, version: CARD_VERSION, input: { name: 'ecg', layout: 'batch,leads,time' },
    leads: [...STANDARD_LEADS], missingLeads: 'refuse', fs: 100, length: 300, preprocess: [],
    fit: { longer: 'windows', shorter: 'refuse', anchor: 'start', stride: 150, aggregate: 'mean' },
    output: { name: 'logits', task: 'multilabel', kind: 'logits', classes: ['A', 'B'] }, layers: {}, ...over,
  }, 'test');
}

function ecgOf(n: number, leads: readonly string[] = STANDARD_LEADS, fs = 100, f: (l: number, t: number) => number = (l, t) => Math.sin(t / 7 + l)): Ecg {
  const signal = new Float32Array(leads.length * n);
  for (let l = 0; l < leads.length; l++) for (let t = 0; t < n; t++) signal[l * n + t] = f(l, t);
  return makeEcg({ signal, fs, leads, meta: { recordId: 'r1' } });
}

test('windows cover the record: every stride, plus one flush with the end; crops and pads at their anchor', () => {
  const c = card();
  assert.deepEqual(planWindows(c, 1000).starts, [0, 150, 300, 450, 600, 700]);
  assert.deepEqual(planWindows(c, 900).starts, [0, 150, 300, 450, 600]);
  assert.deepEqual(planWindows(c, 300).starts, [0]);
  const crop = card({ fit: { longer: 'crop', shorter: 'pad', anchor: 'center' } });
  assert.deepEqual(planWindows(crop, 1000).starts, [350]);
  assert.deepEqual(planWindows(crop, 200).starts, [-50]);
  assert.throws(() => planWindows(card(), 200, 'r9'), /record r9 has 200 samples at 100 Hz \(2 s\); the model takes 300 \(3 s\) and its card does not pad shorter records \(set 'ecgx model card --pad'\)/);
  const any = card({ length: null, fit: { longer: 'refuse', shorter: 'refuse', anchor: 'start' } });
  assert.deepEqual(planWindows(any, 1234), { inputLength: 1234, starts: [0] });
});

test('window outputs: activation by kind, aggregation by rule, and attributions placed back with d(score)/d(window)', () => {
  const c = card();
  const rec = prepareRecord(c, ecgOf(1000));
  const batch = stackWindows([rec]);
  assert.deepEqual(batch.x.shape, [6, 12, 300]);
  // Window 2 starts at sample 300: its first value is the record's sample 300 of lead 0.
  assert.equal(batch.x.data[2 * 3600], rec.ecg.signal[300]);
  const raw = { data: Float32Array.from([0, 1, 2, -1, 0, 0, 0, 0, 0, 0, 4, 0]), shape: [6, 2] };
  const p = activate(c.output, raw);
  assert.ok(Math.abs(p.data[1]! - 1 / (1 + Math.exp(-1))) < 1e-7);
  const mean = aggregateWindows(c, batch, p);
  let want = 0;
  for (let w = 0; w < 6; w++) want += p.data[w * 2]! / 6;
  assert.ok(Math.abs(mean.data[0]! - want) < 1e-7);
  const cmax = card({ fit: { ...c.fit, aggregate: 'max' } });
  assert.ok(Math.abs(aggregateWindows(cmax, batch, p).data[0]! - 1 / (1 + Math.exp(-4))) < 1e-7);
  // Probabilities that are not are caught: the card's output kind is wrong.
  assert.throws(() => activate({ ...c.output, kind: 'probabilities' }, raw), /card\.output\.kind: .* holds probabilities, but the model gave 2\.000/);
  assert.throws(() => activate({ name: 'p', task: 'multiclass', kind: 'probabilities' }, { data: Float32Array.from([0.2, 0.2]), shape: [1, 2] }), /a row sums to 0\.4000/);
  // Placing ones: with mean weights each sample gets (windows covering it) / 6.
  const ones = { data: new Float32Array(6 * 300).fill(1), shape: [6, 1, 300] };
  const placed = stitchWeighted(batch, ones, windowWeights(c, batch, p, [0]))[0]!;
  assert.deepEqual(placed.shape, [1, 1000]);
  assert.ok(Math.abs(placed.data[0]! - 1 / 6) < 1e-7 && Math.abs(placed.data[200]! - 2 / 6) < 1e-7 && Math.abs(placed.data[999]! - 1 / 6) < 1e-7);
  // Max: only the top window of the class counts (window 5 for class 0), the others are seen but weigh 0.
  const top = stitchWeighted(batch, ones, windowWeights(cmax, batch, p, [0]))[0]!;
  assert.equal(top.data[699], 0);
  assert.equal(top.data[700], 1);
  // A crop: samples outside what the model saw are NaN, not 0.
  const crop = card({ fit: { longer: 'crop', shorter: 'pad', anchor: 'center' } });
  const cb = stackWindows([prepareRecord(crop, ecgOf(1000))]);
  const cp = stitchWeighted(cb, { data: new Float32Array(300).fill(2), shape: [1, 1, 300] }, Float32Array.of(1))[0]!;
  assert.ok(Number.isNaN(cp.data[349]!) && cp.data[350] === 2 && cp.data[649] === 2 && Number.isNaN(cp.data[650]!));
  // Categorical series take the window whose centre is nearest.
  const owner = nearestWindow([0, 150, 300, 450, 600, 700], 300, 1000);
  assert.deepEqual([owner[0], owner[224], owner[226], owner[999]], [0, 0, 1, 5]);
});

test('records are prepared as the card says and refused or warned about as it does not say', () => {
  // Lead names: a 12-lead card and a record with V7 instead of V6: refused with the mapping offered.
  const odd = ecgOf(300, [...STANDARD_LEADS.slice(0, 11), 'V7']);
  assert.throws(() => prepareRecord(card(), odd), /record r1 has leads \[.* V7\]; the model card needs \[.* V6\] and V6 is missing\. If the record's V7 are the model's V6, map them with --lead-map V7=V6;/);
  const mapped = prepareRecord(card(), odd, { leadMap: { V7: 'V6' } });
  assert.deepEqual(mapped.ecg.leads, [...STANDARD_LEADS]);
  // A 1-lead record on a 12-lead model whose card zero-fills: it runs, with a warning naming the 11 leads.
  const one = prepareRecord(card({ missingLeads: 'zero' }), ecgOf(300, ['II']));
  assert.match(one.warnings.join('\n'), /11 of the model's 12 leads missing \(I, III, aVR/);
  assert.equal(one.ecg.signal[0], 0);
  // Rates: refused without a resample step, resampled with one.
  assert.throws(() => prepareRecord(card(), ecgOf(1500, STANDARD_LEADS, 500)), /is at 500 Hz; the model card says 100 Hz and has no 'resample' step/);
  assert.equal(prepareRecord(card({ preprocess: [{ op: 'resample' }] }), ecgOf(1500, STANDARD_LEADS, 500)).ecg.nSamples, 300);
  // Units and given z-scores run in order.
  const u = prepareRecord(card({ preprocess: [{ op: 'zscore', mean: Array(12).fill(1), std: Array(12).fill(2) }, { op: 'units', to: 'uV' }] }), ecgOf(300, STANDARD_LEADS, 100, () => 3));
  assert.equal(u.ecg.signal[5], 1000);
  // All missing: refused. Flat: warned. Missing samples: set to 0, warned.
  assert.throws(() => prepareRecord(card(), ecgOf(300, STANDARD_LEADS, 100, () => NaN)), /every sample is missing/);
  assert.match(prepareRecord(card(), ecgOf(300, STANDARD_LEADS, 100, () => 0.2)).warnings.join(' '), /flat/);
  const gaps = prepareRecord(card(), ecgOf(300, STANDARD_LEADS, 100, (l, t) => (t < 5 ? NaN : 0.1 * t)));
  assert.match(gaps.warnings.join(' '), /60 missing sample\(s\) \(NaN\) set to 0/);
  assert.equal(gaps.ecg.signal[0], 0);
});

test("LUDB's rescaled leads carry the data-quality warning through the seam", () => {
  const rec = readRecord(join(LUDB_DIR, 'data', '1')).ecg;
  const p = prepareRecord(card({ fs: 500, length: 5000, fit: { longer: 'refuse', shorter: 'refuse', anchor: 'start' } }), rec);
  assert.match(p.warnings.join('\n'), /record 1: every lead spans exactly 1 mV peak to peak: the amplitudes look normalized/);
});
