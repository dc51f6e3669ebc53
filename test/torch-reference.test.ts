/**
 * ecgx against PyTorch: models exported by torch.onnx (opset 13 and 17, BN
 * folded into Conv and kept) run in ecgx, and their outputs, block activations
 * and gradients are compared with float64 torch.autograd references. The
 * fixtures come from scripts/torch/make_fixtures.py (see its manifest.json);
 * torch itself is not needed here.
 *
 * Error measure: relative L2, ||ecgx - torch|| / ||torch||. The figures are
 * printed with t.diagnostic.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { REPO_ROOT } from './data-paths.js';
import { readNpy, type NdArray } from '../src/util/npy.js';
import { encodeModel, loadModel, makeValueInfo, type ModelProto } from '../src/engine/onnx/proto.js';

const DIR = resolve(REPO_ROOT, 'test/fixtures/torch');

interface BlockRef { block: number; module: string; tensor: string; shape: (number | string)[] }
interface ModelEntry {
  file: string;
  task: 'classifier' | 'regressor';
  opset: number;
  bnFolded: boolean;
  input: string;
  output: string;
  opCounts: Record<string, number>;
  blocks: BlockRef[];
  parameters?: Record<string, string>;
}
interface TaskRefs {
  output: string;
  blocks: { block: number; module: string; file: string }[];
  target: { index: number; of: string };
  input_grad: string;
  block_grad: { block: number; file: string };
  gradcam?: { file: string; recipe: string };
  ig?: { file: string; recipe: string; completeness: { sum_ig: number[]; logit_x_minus_logit_baseline: number[] } };
  train_step?: { targets: string; loss: number; grads: { param: string; file: string }[] };
}
interface Manifest {
  versions: Record<string, string>;
  batch: number;
  targetClass: number;
  architecture: { n_leads: number; n_samples: number; filters: number[]; downsample: number[] };
  references: { classifier: TaskRefs; regressor: TaskRefs };
  models: ModelEntry[];
  files: { file: string; shape: number[]; bytes: number }[];
}

const manifest = JSON.parse(readFileSync(resolve(DIR, 'manifest.json'), 'utf8')) as Manifest;
const npy = (file: string): NdArray => readNpy(resolve(DIR, file));
const X = npy('x.npy');

/** ||a - b|| / ||b|| in float64. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'compared arrays differ in length');
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i]! - b[i]!;
    num += d * d;
    den += b[i]! * b[i]!;
  }
  assert.ok(den > 0, 'reference is all zeros');
  return Math.sqrt(num / den);
}

function checkClose(t: { diagnostic(msg: string): void }, what: string, got: ArrayLike<number>, want: NdArray, tol: number): number {
  const e = relErr(got, want.data);
  t.diagnostic(`${what}: relative error ${e.toExponential(2)} (tolerance ${tol})`);
  assert.ok(Number.isFinite(e) && e < tol, `${what}: relative error ${e} >= ${tol}`);
  return e;
}

/** The model with the named intermediate tensors also exposed as graph outputs. */
function withOutputs(model: ModelProto, extra: BlockRef[]): ModelProto {
  const graph = model.graph!;
  const outputs = [...(graph.output ?? []), ...extra.map((b) => makeValueInfo(b.tensor, b.shape))];
  return { ...model, graph: { ...graph, output: outputs } };
}

describe('torch reference fixtures', () => {
  test('manifest lists every fixture file with its shape, and nothing else is there', () => {
    const listed = new Set([...manifest.files.map((f) => f.file), ...manifest.models.map((m) => m.file), 'manifest.json']);
    const present = readdirSync(DIR);
    assert.deepEqual([...present].sort(), [...listed].sort());
    for (const f of manifest.files) assert.deepEqual(npy(f.file).shape, f.shape, f.file);
    const total = present.reduce((s, f) => s + statSync(resolve(DIR, f)).size, 0);
    assert.ok(total < 2e6, `fixtures take ${total} bytes, expected < 2 MB`);
  });

  test('exports cover classifier and regressor x opset 13/17 x BN folded/kept', () => {
    const keys = manifest.models.map((m) => `${m.task}/${m.opset}/${m.bnFolded}`).sort();
    assert.deepEqual(keys, ['classifier/13/false', 'classifier/13/true', 'classifier/17/false', 'classifier/17/true',
      'regressor/13/false', 'regressor/13/true', 'regressor/17/false', 'regressor/17/true']);
    const nBlocks = manifest.architecture.downsample.length;
    for (const m of manifest.models) {
      const model = loadModel(resolve(DIR, m.file));
      const opset = (model.opsetImport ?? []).find((o) => !o.domain)?.version;
      assert.equal(Number(opset), m.opset, m.file);
      const bn = model.graph!.node!.filter((n) => n.opType === 'BatchNormalization').length;
      // Folding merges the stem BN and every block's first BN into the Conv before it.
      assert.equal(bn, m.bnFolded ? nBlocks : 2 * nBlocks + 1, `${m.file}: BatchNormalization nodes`);
      const produced = new Set(model.graph!.node!.flatMap((n) => n.output ?? []));
      for (const b of m.blocks) assert.ok(produced.has(b.tensor), `${m.file}: block tensor ${b.tensor}`);
      const inits = new Set(model.graph!.initializer!.map((i) => i.name));
      for (const onnxName of Object.values(m.parameters ?? {})) assert.ok(inits.has(onnxName), `${m.file}: initializer ${onnxName}`);
    }
  });

  test('Integrated Gradients reference is complete: sum of attributions ~ logit(x) - logit(baseline)', () => {
    const ref = manifest.references.classifier;
    const ig = npy(ref.ig!.file);
    const c = ref.ig!.completeness;
    const per = ig.data.length / manifest.batch;
    for (let b = 0; b < manifest.batch; b++) {
      let s = 0;
      for (let i = 0; i < per; i++) s += ig.data[b * per + i]!;
      assert.ok(Math.abs(s - c.sum_ig[b]!) < 1e-5, 'stored IG sums');
      // 64 trapezoid steps through ReLU kinks: completeness holds to a few percent of the logit range.
      assert.ok(Math.abs(s - c.logit_x_minus_logit_baseline[b]!) < 0.02, `ECG ${b}: sum IG ${s} vs logit gap ${c.logit_x_minus_logit_baseline[b]}`);
    }
  });
});

describe('ecgx forward vs PyTorch (onnxruntime-node)', () => {
  for (const m of manifest.models) {
    test(`${m.file}: logits and last three block activations, rel. error < 1e-4`, async (t) => {
      const ref = manifest.references[m.task];
      const model = withOutputs(loadModel(resolve(DIR, m.file)), m.blocks);
      const session = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1, interOpNumThreads: 1 });
      try {
        const feeds = { [m.input]: new ort.Tensor('float32', X.data, X.shape) };
        const out = await session.run(feeds);
        checkClose(t, 'logits', out[m.output]!.data as Float32Array, npy(ref.output), 1e-4);
        for (const b of m.blocks) {
          const want = ref.blocks.find((r) => r.block === b.block)!;
          checkClose(t, `block ${b.block} (${b.tensor})`, out[b.tensor]!.data as Float32Array, npy(want.file), 1e-4);
        }
      } finally {
        await session.release();
      }
    });
  }
});
