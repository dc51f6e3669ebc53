/**
 * Conservation and summation properties on an ecgx-built model (resnet1d:
 * BatchNorm, MaxPool skip, residual Adds, global average pooling, Gemm) and
 * on the imported PyTorch exports (BN kept and folded):
 * - LRP (ε and z+): with every bias zeroed, the input relevances sum to the
 *   output (relative error below 1e-4; z+ loses the relevance of units with no
 *   positive weight, which the ecgx model has one of); with biases they need
 *   not, and the gap is what the biases absorb.
 * - DeepLIFT: attributions sum to F(x) - F(x') (summation-to-delta) for any
 *   baseline, with biases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../test/data-paths.js';
import { readNpy, type NdArray } from '../util/npy.js';
import { Rng } from '../util/rng.js';
import { loadModel, makeFloatTensor, tensorDims, type ModelProto } from '../engine/onnx/proto.js';
import { resnet1d } from '../models/resnet1d.js';
import { createExplainer } from './index.js';

const DIR = resolve(REPO_ROOT, 'test/fixtures/torch');

/** A copy with every bias zeroed: Conv/Gemm biases, BatchNormalization shifts (β) and running means. */
function zeroBiases(model: ModelProto): ModelProto {
  const zero = new Set<string>();
  for (const n of model.graph?.node ?? []) {
    const ins = n.input ?? [];
    if ((n.opType === 'Conv' || n.opType === 'Gemm') && ins[2]) zero.add(ins[2]);
    if (n.opType === 'BatchNormalization') for (const i of [ins[2], ins[3]]) if (i) zero.add(i);
  }
  const g = model.graph!;
  return { ...model, graph: { ...g, initializer: (g.initializer ?? []).map((t) => (zero.has(t.name ?? '') ? makeFloatTensor(t.name!, tensorDims(t), new Float32Array(tensorDims(t).reduce((a, b) => a * b, 1))) : t)) } };
}

function ecgs(n: number, leads: number, time: number, seed: number): NdArray {
  const r = new Rng(seed);
  const x = new Float32Array(n * leads * time);
  for (let row = 0; row < n * leads; row++) {
    const f = r.range(1, 5);
    const ph = r.range(0, 6.28);
    for (let t = 0; t < time; t++) x[row * time + t] = Math.sin((2 * Math.PI * f * t) / time + ph) + 0.1 * r.normal();
  }
  return { data: x, shape: [n, leads, time] };
}

const ECGX = resnet1d({ leads: 3, samples: 128, filters: [6, 8, 8, 12], downsample: [2, 2, 2], kernel: 5, dropout: 0.2, head: 'gap', task: 'multilabel', outputs: 3, seed: 4 });
const XE = ecgs(4, 3, 128, 9);
const XT = readNpy(resolve(DIR, 'x.npy'));

async function conservation(model: ModelProto, x: NdArray, rule: string): Promise<number[]> {
  const e = await createExplainer('lrp', model, { lrpRule: rule, epsilon: 1e-9 });
  try {
    const a = await e.explain({ x }, { target: 1 });
    const sum = a.meta!['relevanceSum'] as number[];
    const out = a.meta!['output'] as number[];
    return sum.map((s, b) => Math.abs(s - out[b]!) / Math.abs(out[b]!));
  } finally {
    await e.release?.();
  }
}

test('LRP conservation: relevance sums to the output with biases zeroed (ecgx resnet1d and torch exports), not with biases', async (t) => {
  const rows: string[] = [];
  const cases: [string, ModelProto, NdArray][] = [
    ['ecgx resnet1d', ECGX, XE],
    ['torch (BN kept)', loadModel(resolve(DIR, 'classifier_op13_bn.onnx')), XT],
    ['torch (BN folded)', loadModel(resolve(DIR, 'classifier_op17_folded.onnx')), XT],
  ];
  for (const [what, model, x] of cases) {
    for (const rule of ['epsilon', 'zplus']) {
      const err = await conservation(zeroBiases(model), x, rule);
      const withBias = await conservation(model, x, rule);
      rows.push(`${what} ${rule}: ${Math.max(...err).toExponential(1)} (with biases ${Math.max(...withBias).toExponential(1)})`);
      // z+ drops the relevance of a unit with no positive weight (z+ = 0): the ecgx model's block3.skip.conv has one such
      // output channel, so there z+ is only near-conservative; every other case conserves to float precision.
      const tol = what === 'ecgx resnet1d' && rule === 'zplus' ? 5e-2 : 1e-4;
      err.forEach((e, b) => assert.ok(e < tol, `${what}, ${rule}, ECG ${b}: |sum R - F(x)| / |F(x)| = ${e}`));
      assert.ok(Math.max(...withBias) > 1e-3, `${what}, ${rule}: biases absorb no relevance?`);
    }
  }
  t.diagnostic(`max |sum R - F(x)| / |F(x)|, biases zeroed: ${rows.join('; ')}`);
});

test('DeepLIFT summation-to-delta on the ecgx resnet1d (MaxPool skip, global pooling), noise baseline', async (t) => {
  const r = new Rng(5);
  const base = { data: Float32Array.from({ length: 3 * 128 }, () => 0.2 * r.normal()), shape: [3, 128] };
  const e = await createExplainer('deeplift', ECGX);
  const a = await e.explain({ x: XE }, { target: 2, baseline: base });
  const d = a.meta!['convergenceDelta'] as number[];
  const c = a.meta!['outputChange'] as number[];
  t.diagnostic(`|sum - (F(x) - F(x'))|: ${d.map((v) => Math.abs(v).toExponential(1)).join(' ')} (F(x) - F(x'): ${c.map((v) => v.toFixed(3)).join(' ')})`);
  d.forEach((v, b) => assert.ok(Math.abs(v) < 1e-5 * Math.max(1, Math.abs(c[b]!)), `ECG ${b}: delta ${v}`));
  const s = await createExplainer('deeplift-shap', ECGX, { count: 4 });
  const sd = (await s.explain({ x: XE }, { target: 0, seed: 3 })).meta!['convergenceDelta'] as number[];
  sd.forEach((v, b) => assert.ok(Math.abs(v) < 1e-5, `DeepLIFT-SHAP ECG ${b}: delta ${v}`));
});
