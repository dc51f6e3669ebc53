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
import { REPO_ROOT } from './data-paths.js';
import { readNpy, type NdArray } from '../src/util/npy.js';
import { loadModel, type ModelProto } from '../src/engine/onnx/proto.js';
import { OnnxSession } from '../src/engine/runtime.js';
import { gradientGraph, gradientGraphInfo, type GradientOptions } from '../src/engine/autodiff/index.js';

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

describe('torch reference fixtures', () => {
  test('manifest lists every fixture file with its shape, and nothing else is there', () => {
    const listed = new Set([...manifest.files.map((f) => f.file), ...manifest.models.map((m) => m.file), 'manifest.json']);
    // captum/ holds the captum references with their own manifest (src/explain/captum-reference.test.ts checks it).
    const present = readdirSync(DIR).filter((f) => f !== 'captum');
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

/** Runs `model` once on `feeds` (1 thread: the test machine is shared) and returns the named outputs. */
async function runOnce(model: ModelProto, feeds: Record<string, NdArray>, extraOutputs: string[] = []): Promise<Record<string, NdArray>> {
  const session = await OnnxSession.create(model, { threads: 1, extraOutputs });
  try {
    return await session.run(feeds, { batchSize: 1024 });
  } finally {
    await session.release();
  }
}

/** gradientGraph plus the output name of each wrt tensor's gradient. */
function withGradients(model: ModelProto, opts: GradientOptions): { graph: ModelProto; grad: (t: string) => string; seedInput: string | null } {
  const graph = gradientGraph(model, opts);
  const info = gradientGraphInfo(graph)!;
  return { graph, grad: (t) => info.gradients[t]!, seedInput: info.seedInput };
}

describe('ecgx forward vs PyTorch', () => {
  for (const m of manifest.models) {
    test(`${m.file}: logits and last three block activations, rel. error < 1e-4`, async (t) => {
      const ref = manifest.references[m.task];
      const out = await runOnce(loadModel(resolve(DIR, m.file)), { [m.input]: X }, m.blocks.map((b) => b.tensor));
      checkClose(t, 'logits', out[m.output]!.data, npy(ref.output), 1e-4);
      for (const b of m.blocks) {
        const want = ref.blocks.find((r) => r.block === b.block)!;
        checkClose(t, `block ${b.block} (${b.tensor})`, out[b.tensor]!.data, npy(want.file), 1e-4);
      }
    });
  }
});

describe('ecgx gradients vs PyTorch autograd', () => {
  for (const m of manifest.models) {
    test(`${m.file}: input gradient and last-block gradient, rel. error < 1e-3`, async (t) => {
      const ref = manifest.references[m.task];
      const last = m.blocks.find((b) => b.block === ref.block_grad.block)!;
      const { graph, grad } = withGradients(loadModel(resolve(DIR, m.file)), { of: m.output, index: ref.target.index, wrt: [m.input, last.tensor] });
      const out = await runOnce(graph, { [m.input]: X });
      checkClose(t, `d logits[:, ${ref.target.index}] / d ${m.input}`, out[grad(m.input)]!.data, npy(ref.input_grad), 1e-3);
      checkClose(t, `d logits[:, ${ref.target.index}] / d block ${last.block}`, out[grad(last.tensor)]!.data, npy(ref.block_grad.file), 1e-3);
    });
  }
});

describe('explainer references from ecgx gradients (classifier)', () => {
  const ref = manifest.references.classifier;
  for (const m of manifest.models.filter((x) => x.task === 'classifier')) {
    test(`${m.file}: Grad-CAM at the last block, rel. error < 1e-3`, async (t) => {
      const last = m.blocks.find((b) => b.block === ref.block_grad.block)!;
      const { graph, grad } = withGradients(loadModel(resolve(DIR, m.file)), { of: m.output, index: ref.target.index, wrt: [last.tensor] });
      const out = await runOnce(graph, { [m.input]: X }, [last.tensor]);
      const a = out[last.tensor]!;
      const g = out[grad(last.tensor)]!;
      const [batch, channels, steps] = a.shape as [number, number, number];
      const samples = X.shape[2]!;
      const factor = samples / steps;
      const cam = new Float32Array(batch * samples);
      for (let b = 0; b < batch; b++) {
        for (let s = 0; s < steps; s++) {
          let v = 0;
          for (let c = 0; c < channels; c++) {
            let w = 0;
            for (let u = 0; u < steps; u++) w += g.data[(b * channels + c) * steps + u]!;
            v += (w / steps) * a.data[(b * channels + c) * steps + s]!;
          }
          cam.fill(Math.max(v, 0), b * samples + s * factor, b * samples + (s + 1) * factor);
        }
      }
      checkClose(t, 'Grad-CAM', cam, npy(ref.gradcam!.file), 1e-3);
    });

    test(`${m.file}: Integrated Gradients (zero baseline, 64 trapezoid steps), rel. error < 1e-3`, async (t) => {
      const steps = 64;
      const [batch, leads, samples] = X.shape as [number, number, number];
      const per = leads * samples;
      // All 65 points of the path for every ECG in one batch: row k * batch + b is (k / steps) * x_b.
      const path = new Float32Array((steps + 1) * batch * per);
      for (let k = 0; k <= steps; k++) for (let i = 0; i < batch * per; i++) path[k * batch * per + i] = (k / steps) * X.data[i]!;
      const { graph, grad } = withGradients(loadModel(resolve(DIR, m.file)), { of: m.output, index: ref.target.index, wrt: [m.input] });
      const g = (await runOnce(graph, { [m.input]: { data: path, shape: [(steps + 1) * batch, leads, samples] } }))[grad(m.input)]!.data;
      const ig = new Float64Array(batch * per);
      for (let k = 0; k <= steps; k++) {
        const w = k === 0 || k === steps ? 0.5 / steps : 1 / steps;
        for (let i = 0; i < batch * per; i++) ig[i] += w * g[k * batch * per + i]!;
      }
      for (let i = 0; i < batch * per; i++) ig[i] *= X.data[i]!;
      checkClose(t, 'Integrated Gradients', ig, npy(ref.ig!.file), 1e-3);
    });
  }
});

describe('training step vs PyTorch (BN kept, batch statistics, dropout p = 0)', () => {
  const ref = manifest.references.classifier;
  const step = ref.train_step!;
  const Y = npy(step.targets);
  for (const m of manifest.models.filter((x) => x.task === 'classifier' && !x.bnFolded)) {
    test(`${m.file}: BCE loss and parameter gradients, rel. error < 1e-3`, async (t) => {
      const params = step.grads.map((g) => m.parameters![g.param]!);
      // The loss gradient enters as the seed of d/d logits, so the loss needs the training-mode logits first.
      const { graph, grad, seedInput } = withGradients(loadModel(resolve(DIR, m.file)), { of: m.output, seed: 'input', wrt: params, mode: 'training' });
      const session = await OnnxSession.create(graph, { threads: 1 });
      try {
        const zero = { data: new Float32Array(Y.data.length), shape: Y.shape };
        const logits = (await session.run({ [m.input]: X, [seedInput!]: zero }))[m.output]!.data;
        const n = logits.length;
        let loss = 0;
        const seed = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const z = logits[i]!;
          const y = Y.data[i]!;
          loss += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
          seed[i] = (1 / (1 + Math.exp(-z)) - y) / n;
        }
        loss /= n;
        const lossErr = Math.abs(loss - step.loss) / Math.abs(step.loss);
        t.diagnostic(`loss ${loss.toFixed(7)} vs torch ${step.loss.toFixed(7)}: relative error ${lossErr.toExponential(2)}`);
        assert.ok(lossErr < 1e-4, `loss relative error ${lossErr}`);
        const out = await session.run({ [m.input]: X, [seedInput!]: { data: seed, shape: Y.shape } });
        for (const g of step.grads) checkClose(t, `d loss / d ${g.param}`, out[grad(m.parameters![g.param]!)]!.data, npy(g.file), 1e-3);
      } finally {
        await session.release();
      }
    });
  }
});
