/**
 * Grad-CAM and Integrated Gradients against PyTorch references
 * (test/fixtures/torch, made by scripts/torch/make_fixtures.py; recipes in
 * its manifest.json), on every export of the classifier: opset 13 and 17,
 * BN folded into Conv and kept. Error: ||ecgx - torch|| / ||torch||,
 * printed with t.diagnostic. IG is checked at the zero baseline (against
 * float64, with torch's own float32 error beside it) and at a small-noise
 * baseline; its completeness delta must shrink with more steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../test/data-paths.js';
import { readNpy } from '../util/npy.js';
import { createExplainer } from './index.js';
import { GraphBuilder } from '../engine/onnx/builder.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import { withModelMeta } from '../models/meta.js';
import { Rng } from '../util/rng.js';
import type { NdArray } from '../util/npy.js';

const DIR = resolve(REPO_ROOT, 'test/fixtures/torch');
interface Completeness {
  sum_ig: number[];
  logit_x_minus_logit_baseline: number[];
}
interface Manifest {
  targetClass: number;
  models: { file: string; task: string; blocks: { block: number; tensor: string }[] }[];
  references: {
    classifier: {
      gradcam: { file: string };
      ig: { file: string; completeness: Completeness; torch_float32: { file: string; relative_error_vs_float64: number } };
      ig_noise: { file: string; baseline: string; completeness: Completeness; torch_float32: { relative_error_vs_float64: number } };
    };
  };
}
const manifest = JSON.parse(readFileSync(resolve(DIR, 'manifest.json'), 'utf8')) as Manifest;
const X = readNpy(resolve(DIR, 'x.npy'));
const refs = manifest.references.classifier;
const GRADCAM = readNpy(resolve(DIR, refs.gradcam.file));
const IG = readNpy(resolve(DIR, refs.ig.file));
const IG_TORCH_F32 = readNpy(resolve(DIR, refs.ig.torch_float32.file));
const IG_NOISE = readNpy(resolve(DIR, refs.ig_noise.file));
const NOISE_BASELINE = readNpy(resolve(DIR, refs.ig_noise.baseline));

function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  assert.ok(den > 0, 'reference is all zeros');
  return Math.sqrt(num / den);
}

const classifiers = manifest.models.filter((m) => m.task === 'classifier');
assert.equal(classifiers.length, 4);

for (const m of classifiers) {
  test(`torch reference: Grad-CAM and IG on ${m.file}`, async (t) => {
    const file = resolve(DIR, m.file);
    const target = manifest.targetClass;
    const gradcam = await createExplainer('gradcam', file);
    const ig = await createExplainer('integrated-gradients', file);
    try {
      const g = await gradcam.explain({ x: X }, { target });
      // The default layer is the last residual block, the one the reference uses.
      assert.equal(g.meta?.['layer'], m.blocks.at(-1)!.tensor);
      assert.deepEqual(g.values.shape, GRADCAM.shape);
      const eg = relErr(g.values.data, GRADCAM.data);
      t.diagnostic(`Grad-CAM relative error ${eg.toExponential(2)}`);
      assert.ok(eg < 1e-3, `Grad-CAM relative error ${eg}`);

      const a = await ig.explain({ x: X }, { target, steps: 64, rule: 'trapezoid', baseline: 'zero' });
      assert.deepEqual(a.values.shape, IG.shape);
      // Zero baseline: ill-conditioned in float32 (ReLU kinks), so measured against the float64
      // reference, next to the error of torch's own float32 result.
      const ei = relErr(a.values.data, IG.data);
      const torch32 = refs.ig.torch_float32.relative_error_vs_float64;
      t.diagnostic(`Integrated Gradients, zero baseline: relative error ${ei.toExponential(2)} vs torch float64 (torch float32 vs float64: ${torch32.toExponential(2)}; ecgx vs torch float32: ${relErr(a.values.data, IG_TORCH_F32.data).toExponential(2)})`);
      assert.ok(ei < 1e-3, `IG relative error ${ei}`);
      // Completeness delta against torch's own sum(IG) - (F(x) - F(0)).
      const delta = a.meta!['completenessDelta'] as number[];
      const c = refs.ig.completeness;
      delta.forEach((d, b) => assert.ok(Math.abs(d - (c.sum_ig[b]! - c.logit_x_minus_logit_baseline[b]!)) < 1e-4, `ECG ${b}: completeness delta ${d}`));

      // A non-degenerate baseline: small noise N(0, 0.01^2).
      const an = await ig.explain({ x: X }, { target, steps: 64, rule: 'trapezoid', baseline: NOISE_BASELINE });
      const en = relErr(an.values.data, IG_NOISE.data);
      t.diagnostic(`Integrated Gradients, small-noise baseline: relative error ${en.toExponential(2)} vs torch float64 (torch float32 vs float64: ${refs.ig_noise.torch_float32.relative_error_vs_float64.toExponential(2)})`);
      assert.ok(en < 1e-3, `IG (noise baseline) relative error ${en}`);
      const cn = refs.ig_noise.completeness;
      // This path starts at near-zero inputs, where float32 rounding decides which side of a ReLU kink
      // a step lands on: two float32 runs that sum in different orders (onnxruntime's blocked kernels,
      // torch's) differ by up to ~5% of the delta, while the 64- vs 256-step deltas differ by 50-200%.
      (an.meta!['completenessDelta'] as number[]).forEach((d, b) => {
        const ref = cn.sum_ig[b]! - cn.logit_x_minus_logit_baseline[b]!;
        assert.ok(Math.abs(d - ref) < 1e-4 + 0.1 * Math.abs(ref), `ECG ${b}: noise-baseline completeness delta ${d}, torch ${ref}`);
      });
    } finally {
      await gradcam.release?.();
      await ig.release?.();
    }
  });
}

/** Mean |completeness delta| over the batch, per number of steps. */
async function deltas(model: string | ModelProto, x: NdArray, target: number, steps: number[], rule = 'trapezoid', baseline: unknown = 'zero'): Promise<number[][]> {
  const ig = await createExplainer('integrated-gradients', model);
  try {
    const out: number[][] = [];
    for (const s of steps) out.push(((await ig.explain({ x }, { target, steps: s, rule, baseline })).meta!['completenessDelta'] as number[]).map(Math.abs));
    return out;
  } finally {
    await ig.release?.();
  }
}

const STEPS = [8, 32, 128];

function smoothModel(): { model: ModelProto; x: NdArray } {
  // F(x) = v . tanh(W flatten(x)): smooth along any path.
  const g = new GraphBuilder({ seed: 5, name: 'tanh-mlp' });
  const h = g.op('Tanh', [g.linear(g.flatten(g.input('ecg', ['batch', 2, 8])), 6)], ['batch', 6]);
  g.output(g.linear(h, 1), 'logits');
  const model = withModelMeta(g.build(), { task: 'regression' });
  const rng = new Rng(11);
  return { model, x: { data: Float32Array.from({ length: 3 * 16 }, () => rng.normal(0, 1.5)), shape: [3, 2, 8] } };
}

test('IG completeness delta shrinks as the steps grow: per ECG on a smooth model (trapezoid error ~ 1/steps^2)', async (t) => {
  // Smooth, so the trapezoid error falls ~16x per 4x steps for every ECG.
  const { model, x } = smoothModel();
  const d = await deltas(model, x, 0, STEPS);
  t.diagnostic(`|delta| per ECG at ${STEPS.join(', ')} steps: ${d.map((r) => r.map((v) => v.toExponential(2)).join(' ')).join(' | ')}`);
  for (let b = 0; b < 3; b++) {
    assert.ok(d[0]![b]! > 0, `ECG ${b}: the 8-step delta is not zero (the test can fail)`);
    for (let i = 1; i < STEPS.length; i++) assert.ok(d[i]![b]! <= d[i - 1]![b]!, `ECG ${b}: |delta| ${d[i]![b]} at ${STEPS[i]} steps > ${d[i - 1]![b]} at ${STEPS[i - 1]}`);
    assert.ok(d[2]![b]! < d[0]![b]! / 20, `ECG ${b}: 128-step |delta| ${d[2]![b]} not well below the 8-step ${d[0]![b]}`);
  }
});

test('IG completeness delta shrinks as the steps grow: mean over the batch on the torch ResNet (ReLU kinks)', async (t) => {
  const d = (await deltas(resolve(DIR, classifiers[0]!.file), X, manifest.targetClass, STEPS)).map((r) => r.reduce((s, v) => s + v, 0) / r.length);
  t.diagnostic(`mean |delta| at ${STEPS.join(', ')} steps: ${d.map((v) => v.toExponential(2)).join(', ')}`);
  for (let i = 1; i < d.length; i++) assert.ok(d[i]! <= d[i - 1]!, `mean |delta| ${d[i]} at ${STEPS[i]} steps > ${d[i - 1]} at ${STEPS[i - 1]}`);
  assert.ok(d[2]! < d[0]! / 4, `128-step mean |delta| ${d[2]} not well below the 8-step ${d[0]}`);
});

const mean = (r: number[]): number => r.reduce((s, v) => s + v, 0) / r.length;

test('IG with Gauss-Legendre nodes: exact to float precision on a smooth model, no better than the trapezoid on the ReLU ResNet (so trapezoid stays the default)', async (t) => {
  const { model, x } = smoothModel();
  const gl = (await deltas(model, x, 0, [4, 8], 'gauss-legendre')).map(mean);
  const tr = (await deltas(model, x, 0, [64, 128])).map(mean);
  t.diagnostic(`smooth tanh model, mean |delta|: Gauss-Legendre 4 nodes ${gl[0]!.toExponential(2)}, 8 nodes ${gl[1]!.toExponential(2)}; trapezoid 64 steps ${tr[0]!.toExponential(2)}, 128 ${tr[1]!.toExponential(2)}`);
  assert.ok(gl[1]! < tr[1]! / 10, `8 Gauss-Legendre nodes (${gl[1]}) should beat 128 trapezoid steps (${tr[1]}) on a smooth path`);
  // On the ReLU network the path integrand is piecewise constant (a kink per ReLU crossing): no quadrature
  // converges faster than ~1/steps, and 16 nodes do not reach what 64 trapezoid steps do.
  const file = resolve(DIR, classifiers[0]!.file);
  const rows: string[] = [];
  for (const [what, baseline] of [['zero', 'zero'], ['small-noise', NOISE_BASELINE]] as const) {
    const g16 = mean((await deltas(file, X, manifest.targetClass, [16], 'gauss-legendre', baseline))[0]!);
    const g32 = mean((await deltas(file, X, manifest.targetClass, [32], 'gauss-legendre', baseline))[0]!);
    const t64 = mean((await deltas(file, X, manifest.targetClass, [64], 'trapezoid', baseline))[0]!);
    rows.push(`${what} baseline: Gauss-Legendre 16 ${g16.toExponential(2)}, 32 ${g32.toExponential(2)}; trapezoid 64 ${t64.toExponential(2)}`);
    assert.ok(g16 > t64, `${what} baseline: 16 Gauss-Legendre nodes (${g16}) matched 64 trapezoid steps (${t64}); revisit the default`);
  }
  t.diagnostic(`torch ResNet, mean |delta|: ${rows.join('; ')}`);
});
