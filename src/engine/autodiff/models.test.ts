/**
 * Whole models: a small resnet1d (Conv, BN, Relu, Dropout, MaxPool skips,
 * residual Adds, Flatten, Gemm) against central finite differences for the
 * input and a few parameters, in inference and training mode, and the
 * gradient at an intermediate block against the chain rule.
 * Differences are in float32 (ORT has no float64 Conv): step 5e-4 (small, so
 * that no ReLU input crosses its kink), tolerance 1e-2 on the relative L2
 * error of the checked elements.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resnet1d } from '../../models/resnet1d.js';
import { OnnxSession } from '../runtime.js';
import { Rng } from '../../util/rng.js';
import type { NdArray } from '../../util/npy.js';
import { gradCheck } from './gradcheck.js';
import { gradientGraph, gradientGraphInfo } from './gradient.js';
import { randomArray } from './testing.js';

const model = resnet1d({ leads: 2, samples: 32, filters: [4, 4, 6, 6], downsample: [2, 2, 2], kernel: 5, dropout: 0.2, head: 'flatten', task: 'multilabel', outputs: 3, seed: 5 });
const x = randomArray([3, 2, 32], 17);
const PARAMS = ['stem.conv.weight', 'block2.skip.conv.weight', 'block3.conv2.weight', 'block1.bn2.weight', 'block2.bn1.bias', 'head.linear.weight', 'head.linear.bias'];

function masks(shapes: Record<string, number[]>, ratio: number, seed: number): Record<string, NdArray> {
  const rng = new Rng(seed);
  const out: Record<string, NdArray> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out[name] = { data: Float32Array.from({ length: n }, () => (rng.uniform() < ratio ? 0 : 1 / (1 - ratio))), shape };
  }
  return out;
}

test('resnet1d, inference mode: d logits / d (input, parameters) match finite differences', async () => {
  const res = await gradCheck(model, { of: 'logits', wrt: ['ecg', ...PARAMS] }, { ecg: x }, { step: 5e-4, maxElements: 24, seed: 2 });
  for (const r of res) assert.ok(r.relError < 1e-2, `d/d${r.tensor}: rel L2 error ${r.relError.toExponential(2)}`);
});

test('resnet1d, training mode (batch statistics, dropout masks): gradients match finite differences', async () => {
  const g = gradientGraph(model, { of: 'logits', wrt: ['ecg'], mode: 'training' });
  const info = gradientGraphInfo(g)!;
  assert.equal(info.training.batchNorm.length, 7);
  assert.equal(info.training.dropout.length, 6);
  assert.ok(info.training.dropout.every((d) => Math.abs(d.ratio - 0.2) < 1e-6));
  const shapes: Record<string, number[]> = {};
  const session = await OnnxSession.create(model, { threads: 1, extraOutputs: info.training.dropout.map((d) => d.input) });
  const acts = await session.run({ ecg: x });
  await session.release();
  for (const d of info.training.dropout) shapes[d.mask] = acts[d.input]!.shape;
  const feeds = { ecg: x, ...masks(shapes, 0.2, 9) };
  const res = await gradCheck(model, { of: 'logits', wrt: ['ecg', ...PARAMS], mode: 'training' }, feeds, { step: 5e-4, maxElements: 24, seed: 4 });
  for (const r of res) assert.ok(r.relError < 1e-2, `d/d${r.tensor}: rel L2 error ${r.relError.toExponential(2)}`);
});

test('resnet1d: the gradient at block3 agrees with the input gradient through the chain rule', async () => {
  // <g_block3, J v> = <g_x, v> = (L(x + hv) - L(x - hv)) / 2h, with J v by central differences of block3.
  const g = gradientGraph(model, { of: 'logits', index: 1, wrt: ['ecg', 'block3'] });
  const info = gradientGraphInfo(g)!;
  const gs = await OnnxSession.create(g, { threads: 1 });
  const grads = await gs.run({ ecg: x });
  await gs.release();
  const fwd = await OnnxSession.create(model, { threads: 1, extraOutputs: ['block3'] });
  const h = 2e-4;
  for (const seed of [1, 2]) {
    const v = randomArray(x.shape, 100 + seed);
    const shifted = (sign: number): NdArray => ({ data: x.data.map((xi, i) => xi + sign * h * v.data[i]!), shape: x.shape });
    const plus = await fwd.run({ ecg: shifted(1) });
    const minus = await fwd.run({ ecg: shifted(-1) });
    const gx = grads[info.gradients['ecg']!]!.data, g3 = grads[info.gradients['block3']!]!.data;
    let lhs = 0, rhs = 0, fd = 0;
    for (let i = 0; i < gx.length; i++) rhs += gx[i]! * v.data[i]!;
    const b3p = plus['block3']!.data, b3m = minus['block3']!.data;
    for (let i = 0; i < g3.length; i++) lhs += g3[i]! * ((b3p[i]! - b3m[i]!) / (2 * h));
    const lp = plus['logits']!.data, lm = minus['logits']!.data;
    for (let b = 0; b < x.shape[0]!; b++) fd += (lp[b * 3 + 1]! - lm[b * 3 + 1]!) / (2 * h);
    assert.ok(Math.abs(lhs - rhs) < 1e-2 * Math.abs(rhs), `<g3, Jv> = ${lhs} vs <gx, v> = ${rhs}`);
    assert.ok(Math.abs(fd - rhs) < 1e-2 * Math.abs(rhs), `directional FD ${fd} vs <gx, v> = ${rhs}`);
  }
  await fwd.release();
});
