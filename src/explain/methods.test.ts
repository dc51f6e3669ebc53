/**
 * Known answers of each method on a linear model F(x) = W x + c, where
 * saliency = W, input x gradient = W x, IG from baseline x' = W (x - x')
 * exactly (any rule, completeness delta 0), occlusion with a 1-sample window
 * and value v = W (x - v); SmoothGrad = W (the gradient does not depend on x).
 * Plus Grad-CAM's upsampling and Grad-CAM++ weights on hand-made activations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExplainer } from './index.js';
import { camFromGradients, upsampleTime } from './gradcam.js';
import { igGrid } from './integrated-gradients.js';
import { windowStarts } from './occlusion.js';
import { linearModel } from './testing.js';

const L = 2;
const T = 5;
const W = [
  [1, -2, 3, 0.5, 0, -1, 2, 0.25, 4, -3],
  [0.5, 1, -1, 2, 3, 0, -0.5, 1, 1, 2],
];
const MODEL = linearModel(W, L, T, { bias: [0.3, -0.2] });
const X = { data: Float32Array.from([0.2, 1, -0.5, 2, 1.5, -1, 0.3, 0.7, 0, 1, 1, 0.5, -0.2, 0.1, 0.4, 2, -1, 0.6, 0.9, -0.3]), shape: [2, L, T] };

function close(got: Float32Array, want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

const want = (f: (w: number, x: number, i: number) => number, k: number): number[] => Array.from(X.data, (x, i) => f(W[k]![i % (L * T)]!, x, i));

test('saliency, input x gradient and SmoothGrad on a linear model', async () => {
  for (const k of [0, 1]) {
    const s = await createExplainer('saliency', MODEL);
    close((await s.explain({ x: X }, { target: k })).values.data, want((w) => w, k), 1e-6, `saliency class ${k}`);
    close((await s.explain({ x: X }, { target: k, absolute: true })).values.data, want((w) => Math.abs(w), k), 1e-6, `|saliency| class ${k}`);
    const ixg = await createExplainer('input-x-gradient', MODEL);
    close((await ixg.explain({ x: X }, { target: k })).values.data, want((w, x) => w * x, k), 1e-6, `input x gradient class ${k}`);
    const sg = await createExplainer('smoothgrad', MODEL, { samples: 3, sigma: 0.5 });
    close((await sg.explain({ x: X }, { target: k, seed: 4 })).values.data, want((w) => w, k), 1e-5, `smoothgrad class ${k}`);
  }
});

test('Integrated Gradients on a linear model: W (x - baseline) for every rule and baseline, completeness delta 0', async () => {
  const ig = await createExplainer('integrated-gradients', MODEL);
  for (const rule of ['trapezoid', 'riemann-left', 'riemann-right', 'riemann-middle']) {
    const a = await ig.explain({ x: X }, { target: 0, steps: 3, rule, baseline: 'mean', batchSize: 2 });
    const mean = Array.from({ length: 2 * L }, (_, r) => X.data.subarray(r * T, (r + 1) * T).reduce((s, v) => s + v, 0) / T);
    close(a.values.data, want((w, x, i) => w * (x - mean[Math.floor(i / T)]!), 0), 1e-5, `IG ${rule}, mean baseline`);
    for (const d of a.meta!['completenessDelta'] as number[]) assert.ok(Math.abs(d) < 1e-5, `completeness delta ${d}`);
  }
  const a = await ig.explain({ x: X }, { target: 1, baseline: 0.5 });
  close(a.values.data, want((w, x) => w * (x - 0.5), 1), 1e-5, 'IG constant baseline');
});

test('IG quadrature grid: trapezoid weights of the torch recipe, Riemann points', () => {
  const t = igGrid(64, 'trapezoid');
  assert.equal(t.alpha.length, 65);
  assert.equal(t.weight[0], 1 / 128);
  assert.equal(t.weight[64], 1 / 128);
  assert.equal(t.weight[1], 1 / 64);
  assert.ok(Math.abs(t.weight.reduce((s, w) => s + w, 0) - 1) < 1e-12);
  assert.deepEqual(igGrid(4, 'riemann-middle').alpha, [0.125, 0.375, 0.625, 0.875]);
  assert.deepEqual(igGrid(2, 'riemann-right').alpha, [0.5, 1]);
});

test('occlusion on a linear model: a 1-sample window gives W (x - value); wider windows average the window drops', async () => {
  const occ = await createExplainer('occlusion', MODEL);
  const a = await occ.explain({ x: X }, { target: 1, window: 1, stride: 1, value: 0.25 });
  close(a.values.data, want((w, x) => w * (x - 0.25), 1), 1e-5, 'occlusion window 1');
  // Window 2, stride 1, all leads: sample t is covered by windows starting at t-1 and t (inner samples).
  const b = await occ.explain({ x: X }, { target: 0, window: 2, stride: 1, leads: 'all' });
  assert.deepEqual(b.values.shape, [2, 1, T]);
  const contrib = (bi: number, t: number): number => [0, 1].reduce((s, l) => s + W[0]![l * T + t]! * X.data[(bi * L + l) * T + t]!, 0);
  for (let bi = 0; bi < 2; bi++) {
    for (let t = 0; t < T; t++) {
      const starts = windowStarts(T, 2, 1).filter((s) => s <= t && t < s + 2);
      const expected = starts.reduce((s, st) => s + contrib(bi, st) + contrib(bi, st + 1), 0) / starts.length;
      assert.ok(Math.abs(b.values.data[bi * T + t]! - expected) < 1e-5, `all-leads occlusion ECG ${bi} t ${t}`);
    }
  }
  assert.deepEqual(windowStarts(10, 4, 3), [0, 3, 6]);
  assert.deepEqual(windowStarts(11, 4, 3), [0, 3, 6, 7]);
});

test('Grad-CAM maths: nearest and linear upsampling, Grad-CAM and Grad-CAM++ weights by hand', () => {
  assert.deepEqual(Array.from(upsampleTime(Float32Array.of(1, 2, 3), 1, 3, 6, 'nearest')), [1, 1, 2, 2, 3, 3]);
  // align_corners=False: positions (t + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, 1.75, 2.25 clamped to [0, 2].
  close(upsampleTime(Float32Array.of(1, 2, 3), 1, 3, 6, 'linear'), [1, 1.25, 1.75, 2.25, 2.75, 3], 1e-6, 'linear');
  // One ECG, 2 channels, 2 steps.
  const act = { data: Float32Array.of(1, 2, 3, 0), shape: [1, 2, 2] };
  const grad = { data: Float32Array.of(1, -1, 2, 2), shape: [1, 2, 2] };
  // Grad-CAM: w = [0, 2]; map = ReLU([0*1 + 2*3, 0*2 + 2*0]) = [6, 0].
  close(camFromGradients(act, grad, 'gradcam'), [6, 0], 1e-6, 'gradcam');
  // Grad-CAM++: channel 0 (sumA 3): alpha = 1/(2+3)=0.2 at g=1 and 1/(2-3) = -1 at g=-1 -> w0 = 0.2*1 + (-1)*0 = 0.2;
  // channel 1 (sumA 3): alpha = 4/(8+24) = 0.125 at g=2 twice -> w1 = 0.125*2*2 = 0.5. map = [0.2*1 + 0.5*3, 0.2*2 + 0] = [1.7, 0.4].
  close(camFromGradients(act, grad, 'gradcam++'), [1.7, 0.4], 1e-6, 'gradcam++');
});
