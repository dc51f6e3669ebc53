/**
 * The modified-gradient methods against captum 0.8 (run from source on
 * Debian's torch by scripts/torch/make_fixtures.py --captum; references in
 * test/fixtures/torch/captum/manifest.json), on the committed PyTorch exports
 * of the classifier: BN kept (opset 13) and BN folded (opset 17). Error:
 * ||ecgx - captum|| / ||captum||, printed with t.diagnostic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../test/data-paths.js';
import { readNpy, type NdArray } from '../util/npy.js';
import { createExplainer } from './index.js';
import { ExplainModel } from './model.js';
import { gradientShapFromDraws } from './gradient-shap.js';
import { baselineSet } from './baseline-sets.js';

const DIR = resolve(REPO_ROOT, 'test/fixtures/torch');
const CDIR = resolve(DIR, 'captum');
interface Ref { file: string; [k: string]: unknown }
const manifest = JSON.parse(readFileSync(resolve(CDIR, 'manifest.json'), 'utf8')) as { target: number; references: Record<string, Ref>; files: { file: string; shape: number[] }[] };
const torchManifest = JSON.parse(readFileSync(resolve(DIR, 'manifest.json'), 'utf8')) as { models: { file: string; task: string; blocks: { tensor: string }[] }[] };
const X = readNpy(resolve(DIR, 'x.npy'));
const TARGET = manifest.target;
const refs = manifest.references;
const npy = (f: string): NdArray => readNpy(resolve(CDIR, f));
const BACKGROUND = npy('background.npy');
const MODELS = torchManifest.models.filter((m) => m.task === 'classifier' && (m.file === 'classifier_op13_bn.onnx' || m.file === 'classifier_op17_folded.onnx'));
assert.equal(MODELS.length, 2);

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

async function explain(file: string, method: string, call: Record<string, unknown> = {}, create: Record<string, unknown> = {}) {
  const e = await createExplainer(method, resolve(DIR, file), create);
  try {
    return await e.explain({ x: X }, { target: TARGET, ...call });
  } finally {
    await e.release?.();
  }
}

test('captum fixtures: the manifest lists every file with its shape, and nothing else is there', () => {
  const present = readdirSync(CDIR).sort();
  assert.deepEqual(present, [...manifest.files.map((f) => f.file), 'manifest.json'].sort());
  for (const f of manifest.files) assert.deepEqual(npy(f.file).shape, f.shape, f.file);
  const total = present.reduce((s, f) => s + statSync(resolve(CDIR, f)).size, 0);
  assert.ok(total < 1e6, `captum fixtures take ${total} bytes, expected < 1 MB`);
});

for (const m of MODELS) {
  test(`captum: DeepLift and DeepLiftShap on ${m.file}, with summation-to-delta`, async (t) => {
    const a = await explain(m.file, 'deeplift', { baseline: 'zero' });
    const e = relErr(a.values.data, npy(refs['deeplift']!.file).data);
    const delta = a.meta!['convergenceDelta'] as number[];
    const change = a.meta!['outputChange'] as number[];
    t.diagnostic(`DeepLift: relative error ${e.toExponential(2)}; |sum - (F(x) - F(0))| ${delta.map((d) => Math.abs(d).toExponential(1)).join(' ')} (F(x) - F(0): ${change.map((c) => c.toFixed(3)).join(' ')})`);
    assert.ok(e < 1e-4, `DeepLift relative error ${e}`);
    delta.forEach((d, b) => assert.ok(Math.abs(d) < 1e-5, `ECG ${b}: summation-to-delta off by ${d}`));
    // captum's own model without the skip copy breaks summation: the check above can fail.
    assert.ok((refs['deeplift']!['convergence_delta_without_skip_copy'] as number[]).some((d) => Math.abs(d) > 1e-2));

    const s = await explain(m.file, 'deeplift-shap', { baselines: BACKGROUND });
    const es = relErr(s.values.data, npy(refs['deeplift_shap']!.file).data);
    const ds = s.meta!['convergenceDelta'] as number[];
    t.diagnostic(`DeepLiftShap (${BACKGROUND.shape[0]} references): relative error ${es.toExponential(2)}; mean delta per ECG ${ds.map((d) => Math.abs(d).toExponential(1)).join(' ')}`);
    assert.ok(es < 1e-4, `DeepLiftShap relative error ${es}`);
    ds.forEach((d, b) => assert.ok(Math.abs(d) < 1e-5, `ECG ${b}: DeepLiftShap summation off by ${d}`));
  });

  test(`captum: GuidedBackprop, GuidedGradCam, LRP (epsilon, z+) on ${m.file}`, async (t) => {
    const g = await explain(m.file, 'guided-backprop');
    const eg = relErr(g.values.data, npy(refs['guided_backprop']!.file).data);
    const layer = m.blocks.at(-1)!.tensor;
    const gc = await explain(m.file, 'guided-gradcam', {}, { layer });
    const egc = relErr(gc.values.data, npy(refs['guided_gradcam']!.file).data);
    const l = await explain(m.file, 'lrp', { lrpRule: 'epsilon', epsilon: 1e-9 });
    const el = relErr(l.values.data, npy(refs['lrp_epsilon']!.file).data);
    const z = await explain(m.file, 'lrp', { lrpRule: 'zplus', epsilon: 1e-9 });
    const ez = relErr(z.values.data, npy(refs['lrp_zplus']!.file).data);
    t.diagnostic(`relative errors: GuidedBackprop ${eg.toExponential(2)}, GuidedGradCam ${egc.toExponential(2)}, LRP epsilon ${el.toExponential(2)}, LRP z+ ${ez.toExponential(2)}`);
    assert.ok(eg < 1e-4, `GuidedBackprop relative error ${eg}`);
    assert.ok(egc < 1e-4, `GuidedGradCam relative error ${egc}`);
    assert.ok(el < 1e-4, `LRP epsilon relative error ${el}`);
    assert.ok(ez < 1e-3, `LRP z+ relative error ${ez}`);
    const sums = refs['lrp_epsilon']!['relevance_sum'] as number[];
    (l.meta!['relevanceSum'] as number[]).forEach((s, b) => assert.ok(Math.abs(s - sums[b]!) < 1e-4 * Math.max(1, Math.abs(sums[b]!)), `ECG ${b}: relevance sum ${s} vs captum ${sums[b]}`));
  });
}

test('captum: GradientShap with captum\'s own draws (references, path points, input noise)', async (t) => {
  const r = refs['gradient_shap']!;
  const d = r['draws'] as Record<string, string>;
  const index = npy(d['reference']!).data;
  const alpha = npy(d['alpha']!).data;
  const noise = npy(d['noise']!);
  const [n, leads, time] = X.shape as [number, number, number];
  const S = index.length / n;
  const per = leads * time;
  const model = new ExplainModel(resolve(DIR, MODELS[0]!.file));
  try {
    const set = baselineSet(BACKGROUND, X, 0, 0, 'test');
    const values = await gradientShapFromDraws(model, X, set, S, (b, s) => {
      const row = b * S + s;
      return { reference: index[row]!, alpha: alpha[row]!, noise: noise.data.subarray(row * per, (row + 1) * per) };
    }, Array<number>(n).fill(TARGET), 64);
    const e = relErr(values, npy(r.file).data);
    t.diagnostic(`GradientShap (${S} draws per ECG, input noise): relative error ${e.toExponential(2)}`);
    assert.ok(e < 1e-4, `GradientShap relative error ${e}`);
  } finally {
    await model.release();
  }
});
