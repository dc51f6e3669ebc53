/** Known answers of the attribution metrics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deletionCurve, trapezoid } from './deletion.js';
import { spearman, kendallTau, averageRanks, attributionCorrelation } from './rank-correlation.js';
import { waveMass, waveLabels } from './wave-mass.js';
import { cascadingRandomization, randomizableLayers, randomizeInitializers } from './randomization.js';
import { ExplainModel } from '../model.js';
import { linearModel } from '../testing.js';
import { resnet1d } from '../../models/resnet1d.js';
import { tensorFloat32 } from '../../engine/onnx/proto.js';
import { Rng } from '../../util/rng.js';

test('rank correlation: known values (scipy.stats spearmanr / kendalltau)', () => {
  assert.deepEqual(Array.from(averageRanks([10, 20, 20, 5])), [2, 3.5, 3.5, 1]);
  assert.equal(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 0.8207826816681233);
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]) - 1) < 1e-12);
  assert.ok(Math.abs(spearman([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  // scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) -> -0.4714045207910316
  assert.ok(Math.abs(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) + 0.4714045207910316) < 1e-12);
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
  // A [1, 1, T] map against a [1, 2, T] map compares over time (the second summed over leads).
  const a = { data: Float32Array.of(1, 2, 3), shape: [1, 1, 3] };
  const b = { data: Float32Array.of(0, 1, 2, 1, 1, 1), shape: [1, 2, 3] };
  assert.ok(Math.abs(attributionCorrelation(a, b)[0]! - 1) < 1e-12);
});

test('deletion and insertion curves on a linear regression model: exact scores and trapezoid AUC', async () => {
  const model = new ExplainModel(linearModel([[4, 3, 2, 1]], 1, 4));
  const x = { data: Float32Array.of(1, 1, 1, 1), shape: [1, 1, 4] };
  const attr = { data: Float32Array.of(4, 3, 2, 1), shape: [1, 1, 4] };
  const del = await deletionCurve(model, x, attr, [0], 'deletion', { steps: 4 });
  assert.deepEqual(del.fractions, [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(del.curves[0], [10, 6, 3, 1, 0]);
  assert.equal(del.auc[0], 3.75);
  const ins = await deletionCurve(model, x, attr, [0], 'insertion', { steps: 4 });
  assert.deepEqual(ins.curves[0], [0, 4, 7, 9, 10]);
  assert.equal(ins.auc[0], 6.25);
  // The reversed ranking deletes the least important first: a worse (higher) deletion AUC.
  const worse = await deletionCurve(model, x, { data: Float32Array.of(1, 2, 3, 4), shape: [1, 1, 4] }, [0], 'deletion', { steps: 4 });
  assert.equal(worse.auc[0], 6.25);
  assert.equal(trapezoid([0, 0.5, 1], [1, 1, 0]), 0.75);
  // Probabilities for a classifier: sigmoid of the logit.
  const cls = new ExplainModel(linearModel([[1, 1, 0, 0], [0, 0, 1, 1]], 1, 4, { task: 'multilabel' }));
  const p = await deletionCurve(cls, x, attr, [1], 'deletion', { steps: 2 });
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  p.curves[0]!.forEach((v, i) => assert.ok(Math.abs(v - [sig(2), sig(2), sig(0)][i]!) < 1e-6));
});

test('wave mass: uniform attribution has mass share = time share; all mass inside QRS gives QRS share 1', () => {
  const waves = { '*': [{ wave: 'P' as const, onset: 1, offset: 2 }, { wave: 'QRS' as const, onset: 4, offset: 6 }, { wave: 'T' as const, onset: 8, offset: 9 }] };
  assert.deepEqual(waveLabels(waves['*'], 10), ['other', 'P', 'P', 'other', 'QRS', 'QRS', 'QRS', 'other', 'T', 'T']);
  const u = waveMass(new Float32Array(20).fill(-1), [2, 10], waves);
  assert.deepEqual(u.timeShare, { P: 0.2, QRS: 0.3, T: 0.2, other: 0.3 });
  for (const k of ['P', 'QRS', 'T', 'other'] as const) {
    assert.ok(Math.abs(u.massShare[k] - u.timeShare[k]) < 1e-12);
    assert.ok(Math.abs(u.enrichment[k] - 1) < 1e-12);
  }
  const q = new Float32Array(10);
  q[5] = 2;
  const m = waveMass(q, [1, 10], waves);
  assert.equal(m.massShare.QRS, 1);
  assert.ok(Math.abs(m.enrichment.QRS - 1 / 0.3) < 1e-12);
  // Per-lead annotations win over '*'; scale maps annotation samples to attribution samples.
  const perLead = waveMass(Float32Array.of(0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0), [2, 6], { II: [{ wave: 'T', onset: 2, offset: 3 }], '*': [{ wave: 'P', onset: 8, offset: 10 }] }, { leads: ['I', 'II'], scale: 0.5 });
  assert.equal(perLead.massShare.T, 0, 'lead II has no mass inside its T wave (samples 1..2 after scaling)');
  assert.equal(perLead.massShare.other, 0.5);
  assert.equal(perLead.massShare.P, 0.5);
});

test('cascading randomisation: layers from the top down, seeded redraws, correlations fall once the model is randomised', async () => {
  const model = resnet1d({ leads: 2, samples: 48, filters: [4, 6, 8], downsample: [2, 2], kernel: 5, dropout: 0.1, head: 'gap', task: 'multilabel', outputs: 2, seed: 4 });
  const layers = randomizableLayers(model);
  assert.equal(model.graph!.node!.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').length, layers.length);
  assert.ok(layers[0]!.params.some((p) => p.startsWith('linear') || p.includes('head') || p.includes('fc') || p.includes('logits')), `first layer is the head: ${layers[0]!.params.join(', ')}`);
  const r1 = randomizeInitializers(model, layers[0]!.params, 3);
  const r2 = randomizeInitializers(model, layers[0]!.params, 3);
  const w = (m: typeof model, name: string): Float32Array => tensorFloat32(m.graph!.initializer!.find((t) => t.name === name)!);
  const p0 = layers[0]!.params[0]!;
  assert.deepEqual(w(r1, p0), w(r2, p0), 'seeded');
  assert.notDeepEqual(w(r1, p0), w(model, p0));
  const other = layers.at(-1)!.params[0]!;
  assert.deepEqual(w(r1, other), w(model, other), 'layers below the stage are kept');

  const rng = new Rng(2);
  const x = { data: Float32Array.from({ length: 3 * 2 * 48 }, (_, i) => Math.sin(i / 5) + 0.3 * rng.normal()), shape: [3, 2, 48] };
  const res = await cascadingRandomization(model, x, { method: 'saliency', target: 'predicted', seed: 1 });
  assert.equal(res.stages.length, layers.length);
  assert.deepEqual(res.stages.map((s) => s.layer), layers.map((l) => l.layer));
  const last = res.stages.at(-1)!;
  assert.ok(last.mean < 0.9, `saliency of a fully randomised model still correlates ${last.mean}`);
  for (const s of res.stages) assert.equal(s.correlation.length, 3);
  // Known answer on a linear model: saliency = W, so stage 1 correlates |W| with |W redrawn|.
  const lin = linearModel([[1, -4, 2, 0.5, 3, -2, 1.5, 0.1]], 2, 4, { task: 'multilabel' });
  const [gemm] = randomizableLayers(lin);
  assert.deepEqual(gemm!.params, ['linear.weight', 'linear.bias']);
  const xl = { data: Float32Array.from({ length: 2 * 2 * 4 }, (_, i) => i / 3), shape: [2, 2, 4] };
  const lr = await cascadingRandomization(lin, xl, { method: 'saliency', target: 0, seed: 9 });
  const wr = w(randomizeInitializers(lin, gemm!.params, 9), 'linear.weight');
  const expected = spearman(Array.from(w(lin, 'linear.weight'), Math.abs), Array.from(wr, Math.abs));
  assert.equal(lr.stages.length, 1);
  for (const c of lr.stages[0]!.correlation) assert.ok(Math.abs(c - expected) < 1e-12, `${c} vs ${expected}`);
});

test('references: a random map is seeded and scores between the best and the worst ranking; deleting everything from an input-blind model warns', async () => {
  const { randomAttribution, randomBaseline, wholeDeletion } = await import('./baseline.js');
  const a = randomAttribution([2, 1, 50], 3);
  assert.deepEqual(a.shape, [2, 1, 50]);
  assert.deepEqual(randomAttribution([2, 1, 50], 3).data, a.data, 'seeded');
  assert.ok(a.data.every((v) => v >= 0 && v < 1));
  // Linear regressor on 50 samples with weights 50..1: the right ranking deletes fastest, the random map in between.
  const w = Array.from({ length: 50 }, (_, i) => 50 - i);
  const model = new ExplainModel(linearModel([w], 1, 50));
  const x = { data: new Float32Array(50).fill(1), shape: [1, 1, 50] };
  const best = await deletionCurve(model, x, { data: Float32Array.from(w), shape: [1, 1, 50] }, [0], 'deletion', { steps: 10 });
  const worst = await deletionCurve(model, x, { data: Float32Array.from(w, (v) => -v), shape: [1, 1, 50] }, [0], 'deletion', { steps: 10 });
  const r = await randomBaseline(model, x, [0], 1, { steps: 10, seed: 1 });
  assert.ok(best.auc[0]! < r.deletion.meanAuc && r.deletion.meanAuc < worst.auc[0]!, `${best.auc[0]} < ${r.deletion.meanAuc} < ${worst.auc[0]}`);
  // Sensitive: deleting everything takes the output from 1275 to 0.
  const s = await wholeDeletion(model, x, [0]);
  assert.deepEqual([s.before, s.after, s.insensitive], [[1275], [0], false]);
  assert.equal(s.warning, undefined);
  // A classifier whose weights are tiny: its probability hardly moves, and the warning says so.
  const blind = new ExplainModel(linearModel([Array.from({ length: 50 }, () => 1e-4)], 1, 50, { task: 'multilabel' }));
  const b = await wholeDeletion(blind, x, [0]);
  assert.equal(b.insensitive, true);
  assert.ok(b.meanChange < 0.01);
  assert.match(b.warning!, /^deleting the whole signal changes the target's probability by 0\.001 on average over 1 input\(s\): the model barely uses its input/);
});
