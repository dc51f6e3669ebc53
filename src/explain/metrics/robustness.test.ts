/**
 * captum's infidelity and max-sensitivity, known answers on a linear model
 * F(x) = W x + c: F(x) - F(x - I) = W · I, so the saliency map W has
 * infidelity 0 and 2W has sigma^2 ||W||^2 (normalized: 0); the gradient does
 * not move with the input, so saliency's max-sensitivity is 0, while
 * input x gradient's is max ||W ⊙ δ|| / ||W ⊙ x||. Then the same numbers
 * through `explain evaluate`'s library call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../util/rng.js';
import { ExplainModel } from '../model.js';
import { linearModel } from '../testing.js';
import { explainTensors } from '../run.js';
import { infidelity, maxSensitivity } from './robustness.js';
import { evaluateExplanations, metricsMarkdown } from './evaluate.js';
import { createExplainer } from '../registry.js';

const L = 2;
const T = 16;
const rng = new Rng(4);
const W = [Array.from({ length: L * T }, () => rng.normal()), Array.from({ length: L * T }, () => rng.normal())];
const MODEL = linearModel(W, L, T, { bias: [0.2, -0.1] });
const X = { data: Float32Array.from({ length: 3 * L * T }, () => 1 + rng.normal()), shape: [3, L, T] };
const norm2 = W[1]!.reduce((s, w) => s + w * w, 0);

test('infidelity: 0 for the exact linear attribution, sigma^2 ||W||^2 for twice it (normalized 0); time-only maps apply to every lead', async () => {
  const m = new ExplainModel(MODEL);
  const exact = { data: Float32Array.from({ length: 3 * L * T }, (_, i) => W[1]![i % (L * T)]!), shape: [3, L, T] };
  const twice = { data: exact.data.map((v) => 2 * v), shape: exact.shape };
  const a = await infidelity(m, X, exact, [1, 1, 1], { samples: 200, sigma: 0.1, seed: 3 });
  const b = await infidelity(m, X, twice, [1, 1, 1], { samples: 200, sigma: 0.1, seed: 3 });
  a.infidelity.forEach((v) => assert.ok(v < 1e-8, `exact attribution: infidelity ${v}`));
  // E[(W·I)^2] = sigma^2 ||W||^2: within sampling error of 200 draws.
  b.infidelity.forEach((v) => assert.ok(Math.abs(v / (0.01 * norm2) - 1) < 0.3, `2W: infidelity ${v} vs ${0.01 * norm2}`));
  b.normalized.forEach((v) => assert.ok(v < 1e-8, `2W normalized: ${v}`));
  // [1, time] map: the same value for every lead; exact when W is the same for both leads.
  const same = linearModel([[...W[0]!.slice(0, T), ...W[0]!.slice(0, T)]], L, T, { task: 'regression' });
  const t1 = { data: Float32Array.from({ length: 3 * T }, (_, i) => W[0]![i % T]!), shape: [3, 1, T] };
  (await infidelity(new ExplainModel(same), X, t1, [0, 0, 0], { sigma: 0.1 })).infidelity.forEach((v) => assert.ok(v < 1e-8, `time-only map: ${v}`));
});

test('max-sensitivity: 0 for saliency of a linear model, max ||W ⊙ δ|| / ||W ⊙ x|| for input x gradient', async () => {
  const sal = await createExplainer('saliency', MODEL);
  const ixg = await createExplainer('input-x-gradient', MODEL);
  const base = (await sal.explain({ x: X }, { target: 1 })).values;
  const s = await maxSensitivity(async (xp) => (await sal.explain({ x: xp }, { target: 1 })).values, X, base, { radius: 0.02, seed: 1 });
  s.forEach((v) => assert.ok(v < 1e-7, `saliency max-sensitivity ${v}`));
  const a = (await ixg.explain({ x: X }, { target: 1 })).values;
  const r = await maxSensitivity(async (xp) => (await ixg.explain({ x: xp }, { target: 1 })).values, X, a, { radius: 0.02, seed: 1, samples: 5 });
  for (let b = 0; b < 3; b++) {
    const wx = Math.sqrt(W[1]!.reduce((acc, w, i) => acc + (w * X.data[b * L * T + i]!) ** 2, 0));
    const bound = (0.02 * Math.sqrt(norm2)) / wx;
    assert.ok(r[b]! > 0 && r[b]! <= bound * 1.0001, `ECG ${b}: ${r[b]} not in (0, ${bound}]`);
  }
});

test('explain evaluate reports infidelity for every method and max-sensitivity where asked', async () => {
  const res = await explainTensors(MODEL, X, { methods: ['saliency', 'input-x-gradient'], target: 1, keepInputs: true, progress: false });
  try {
    const m = await evaluateExplanations(res, { waves: 'none', infidelity: { sigma: 0.05 }, sensitivity: { methods: ['saliency'], options: {} } });
    const [sal, ixg] = m.methods;
    assert.ok(sal!.infidelity.mean < 1e-8 && sal!.maxSensitivity!.mean < 1e-7, JSON.stringify(sal!.infidelity));
    assert.ok(ixg!.infidelity.mean > 1e-4 && ixg!.maxSensitivity === undefined);
    assert.match(metricsMarkdown(m), /\| saliency \| [^|]+ \| [^|]+ \| [^|]+ \| 0\.000 \|/);
  } finally {
    await res.model.release();
  }
});
