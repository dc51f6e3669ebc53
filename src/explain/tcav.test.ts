/**
 * TCAV: the t-test against scipy's numbers, concept sensitivity on a model
 * whose answer is known (class 0 rises with channel 0 of the layer, class 1
 * falls) tested against random CAVs, and the ECG concept builders on real LUDB records (morphology edits measured by
 * the delineator, measurement concepts, errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LUDB_DIR } from '../../test/data-paths.js';
import { GraphBuilder } from '../engine/onnx/builder.js';
import { withModelMeta } from '../models/meta.js';
import { openLudb } from '../data/datasets/ludb.js';
import { OptionError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { NdArray } from '../util/npy.js';
import { createExplainer } from './index.js';
import { incompleteBeta, tTest } from './tcav.js';
import { conceptSets, measureRow } from './tcav-concepts.js';

test('t-test and incomplete beta against scipy (ttest_ind, betainc)', () => {
  const a = tTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
  assert.ok(Math.abs(a.t - -1.8973665961010275) < 1e-12 && Math.abs(a.p - 0.09434977284243756) < 1e-9, `${a.t} ${a.p}`);
  const b = tTest([0.9, 1, 1, 0.8, 1], [0.5, 0.1, 0.9, 0.4, 0.6, 0.2]);
  assert.ok(Math.abs(b.t - 3.631013452787776) < 1e-9 && Math.abs(b.p - 0.005476970844275952) < 1e-9, `${b.t} ${b.p}`);
  assert.ok(Math.abs(incompleteBeta(0.3, 2.5, 0.5) - 0.01892712407194565) < 1e-12);
  assert.ok(Math.abs(incompleteBeta(0.9, 10, 3) - 0.889130022255) < 1e-9);
  assert.deepEqual(tTest([1, 1, 1], [1, 1, 1]), { t: 0, p: 1, df: 4 });
});

/** layer = Relu(Conv1x1(x)): channel 0 = lead 0, channel 1 = lead 1, channel 2 = their mean; class 0 = mean of channel 0, class 1 = minus it. */
function toyModel() {
  const g = new GraphBuilder({ seed: 1, name: 'tcav-toy' });
  const x = g.input('ecg', ['batch', 2, 32]);
  const w = g.constant('conv.weight', [3, 2, 1], Float32Array.of(1, 0, 0, 1, 0.5, 0.5));
  const a = g.relu(g.op('Conv', [x, w], ['batch', 3, 32], { kernel_shape: [1] }), 'layer');
  const head = g.constant('head.weight', [2, 3], Float32Array.of(1, 0, 0, -1, 0, 0));
  g.output(g.op('Gemm', [g.flatten(g.globalAvgPool(a)), head], ['batch', 2], { transB: 1 }), 'logits');
  return withModelMeta(g.build(), { task: 'multilabel', classNames: ['up', 'down'] });
}

function ecgs(n: number, seed: number, lead0: number): NdArray {
  const r = new Rng(seed);
  const x = new Float32Array(n * 64);
  for (let b = 0; b < n; b++) for (let t = 0; t < 32; t++) {
    x[b * 64 + t] = lead0 + 0.5 * r.normal() + 1;
    x[b * 64 + 32 + t] = 1 + 0.5 * r.normal();
  }
  return { data: x, shape: [n, 2, 32] };
}

test('TCAV on a model with a known answer: a "large lead 0" concept raises class 0 and lowers class 1, significantly against random CAVs', async (t) => {
  const model = toyModel();
  const pool = ecgs(40, 1, 0);
  const x = ecgs(6, 3, 0);
  const e = await createExplainer('tcav', model, { layer: 'layer', concept: ecgs(12, 2, 1.5), pool, randomSets: 8 });
  const up = await e.explain({ x }, { target: 'up' });
  const down = await e.explain({ x }, { target: 'down' });
  const tu = up.meta!['tcav'] as { score: number; p: number; significant: boolean; randomScores: number[] };
  const td = down.meta!['tcav'] as { score: number; p: number; significant: boolean };
  t.diagnostic(`class up: TCAV ${tu.score.toFixed(2)} (p ${tu.p.toExponential(1)}; random CAVs ${tu.randomScores.map((s) => s.toFixed(2)).join(' ')}); class down: ${td.score.toFixed(2)} (p ${td.p.toExponential(1)}); CAV accuracy ${(up.meta!['cavAccuracy'] as number[]).map((a) => a.toFixed(2)).join(' ')}`);
  assert.equal(tu.score, 1);
  assert.equal(td.score, 0);
  assert.ok(tu.significant && td.significant, `p values ${tu.p}, ${td.p}`);
  (up.meta!['sensitivity'] as number[]).forEach((s, b) => assert.ok(s > 0, `ECG ${b}: sensitivity ${s}`));
  // The random CAVs point both ways (their scores are the null the t-test compares against).
  assert.ok(new Set(tu.randomScores).size > 1, 'random CAVs all agree');
  await assert.rejects(createExplainer('tcav', model, { layer: 'layer', pool }), OptionError);
  await assert.rejects(createExplainer('tcav', model, { layer: 'layer', concept: 'edit:nope', pool }), OptionError);
});

test('ECG concepts on LUDB records: edits change what the delineator measures; measure and label concepts split the pool', async (t) => {
  const ds = await openLudb(LUDB_DIR);
  const ids = ds.records().slice(0, 6).map((r) => r.id);
  const T = 2500;
  const L = 12;
  const data = new Float32Array(ids.length * L * T);
  let names: string[] = [];
  for (const [b, id] of ids.entries()) {
    const ecg = await ds.load(id);
    names = ecg.leads;
    for (let l = 0; l < L; l++) data.set(ecg.signal.subarray(l * ecg.nSamples, l * ecg.nSamples + T), (b * L + l) * T);
  }
  const pool = { data, shape: [ids.length, L, T] };
  const fs = 500;
  const before = ids.map((_, b) => measureRow(pool, b, fs, names)!);
  const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  const wide = conceptSets('edit:widen-qrs', pool, { fs, names });
  const qrsBefore = med(before.map((f) => f.qrsMs));
  const qrsAfter = med(ids.map((_, b) => measureRow(wide.concept, b, fs, names)!.qrsMs));
  const inv = conceptSets('edit:invert-t', pool, { fs, names });
  const flipped = ids.filter((_, b) => Math.sign(measureRow(inv.concept, b, fs, names)!.leads['II']!.tMv) === -Math.sign(before[b]!.leads['II']!.tMv)).length;
  const st = conceptSets('edit:st-elevation', pool, { fs, names });
  const stRise = med(ids.map((_, b) => measureRow(st.concept, b, fs, names)!.leads['V2']!.stMv - before[b]!.leads['V2']!.stMv));
  t.diagnostic(`median QRS ${qrsBefore.toFixed(0)} -> ${qrsAfter.toFixed(0)} ms (widen-qrs); T in II flipped in ${flipped}/${ids.length} (invert-t); median ST rise in V2 ${stRise.toFixed(2)} mV (st-elevation)`);
  assert.ok(qrsAfter > qrsBefore + 20, `widen-qrs: QRS ${qrsBefore} -> ${qrsAfter} ms`);
  assert.ok(flipped >= ids.length - 1, `invert-t flipped T in II in ${flipped} of ${ids.length}`);
  assert.ok(stRise > 0.1, `st-elevation raised ST in V2 by ${stRise} mV`);
  // measure: the pool split by the delineator's QRS duration at its median.
  const cut = qrsBefore;
  const m = conceptSets(`measure:qrs>=${cut}`, pool, { fs, names });
  assert.equal(m.concept.shape[0]! + m.random.shape[0]!, ids.length);
  assert.equal(m.concept.shape[0], before.filter((f) => f.qrsMs >= cut).length);
  const labels = ids.map((_, b) => (b % 2 ? ['LBBB'] : ['NORM']));
  const lab = conceptSets('label:LBBB', pool, { names, labels });
  assert.deepEqual([lab.concept.shape[0], lab.random.shape[0]], [3, 3]);
  assert.deepEqual(Array.from(lab.concept.data.subarray(0, 5)), Array.from(data.subarray(L * T, L * T + 5)));
  assert.throws(() => conceptSets('label:LBBB', pool, { names }), OptionError);
  assert.throws(() => conceptSets('measure:qrs~3', pool, { fs, names }), OptionError);
});
