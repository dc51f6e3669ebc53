/**
 * Grad-CAM and Integrated Gradients against PyTorch references
 * (test/fixtures/torch, made by scripts/torch/make_fixtures.py; recipes in
 * its manifest.json), on every export of the classifier: opset 13 and 17,
 * BN folded into Conv and kept. Error: ||ecgx - torch|| / ||torch||,
 * printed with t.diagnostic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../test/data-paths.js';
import { readNpy } from '../util/npy.js';
import { createExplainer } from './index.js';

const DIR = resolve(REPO_ROOT, 'test/fixtures/torch');
interface Manifest {
  targetClass: number;
  models: { file: string; task: string; blocks: { block: number; tensor: string }[] }[];
  references: { classifier: { gradcam: { file: string }; ig: { file: string; completeness: { sum_ig: number[]; logit_x_minus_logit_baseline: number[] } } } };
}
const manifest = JSON.parse(readFileSync(resolve(DIR, 'manifest.json'), 'utf8')) as Manifest;
const X = readNpy(resolve(DIR, 'x.npy'));
const refs = manifest.references.classifier;
const GRADCAM = readNpy(resolve(DIR, refs.gradcam.file));
const IG = readNpy(resolve(DIR, refs.ig.file));

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
      const ei = relErr(a.values.data, IG.data);
      t.diagnostic(`Integrated Gradients relative error ${ei.toExponential(2)}`);
      assert.ok(ei < 1e-3, `IG relative error ${ei}`);
      // Completeness delta against torch's own sum(IG) - (F(x) - F(0)).
      const delta = a.meta!['completenessDelta'] as number[];
      const c = refs.ig.completeness;
      delta.forEach((d, b) => assert.ok(Math.abs(d - (c.sum_ig[b]! - c.logit_x_minus_logit_baseline[b]!)) < 1e-4, `ECG ${b}: completeness delta ${d}`));
    } finally {
      await gradcam.release?.();
      await ig.release?.();
    }
  });
}
