/**
 * The training step on a tiny 1D-ResNet and a few synthetic ECGs: the loss
 * falls, BatchNorm running statistics follow the momentum formula, the
 * losses' values are the textbook formulas, and the checkpoint is a plain
 * inference model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../data/datasets/index.js';
import { buildModel } from '../models/index.js';
import { OnnxSession } from '../engine/runtime.js';
import { Rng } from '../util/rng.js';
import type { NdArray } from '../util/npy.js';
import { EcgTensorSource, batches } from './loader.js';
import { Trainer } from './trainer.js';
import { trainingCard } from '../models/card.js';
import { withLoss, type LossSpec } from './graph.js';
import { tinyPtbxl, TINY_MODEL } from './testing.js';

const LENGTH = 256;

async function firstBatch(n: number): Promise<{ x: NdArray; y: NdArray }> {
  const dir = await tinyPtbxl(n, 11);
  const ds = await openDataset(dir);
  const src = new EcgTensorSource(ds, trainingCard({ fs: ds.fs, length: LENGTH, leads: ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] }, { task: 'multilabel', classes: ['NORM', 'MI'] }));
  const items = ds.records().map((r) => ({ id: r.id, target: Float32Array.of(r.meta.labels?.includes('NORM') ? 1 : 0, r.meta.labels?.includes('MI') ? 1 : 0) }));
  for await (const b of batches(src, items, { batchSize: n })) return b;
  throw new Error('no batch');
}

const batch = firstBatch(16);
const tiny = (task: 'multilabel' | 'regression' = 'multilabel', outputs = 2) => buildModel(TINY_MODEL, { leads: 12, samples: LENGTH, task, outputs, seed: 4 });

test('a tiny resnet trains on synthetic ECGs: the loss on a fixed batch falls', async () => {
  const { x, y } = await batch;
  const tr = await Trainer.create(tiny(), { loss: { kind: 'bce' }, threads: 1, optimizer: { weightDecay: 0 } });
  const rng = new Rng(1);
  const losses: number[] = [];
  for (let i = 0; i < 15; i++) losses.push((await tr.step(x, y, 1e-2, rng)).loss);
  await tr.release();
  const late = (losses[12]! + losses[13]! + losses[14]!) / 3;
  assert.ok(late < 0.8 * losses[0]!, `loss ${losses[0]!.toFixed(4)} -> ${late.toFixed(4)}: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
});

test('BatchNorm running statistics follow running = 0.9 running + 0.1 batch (biased variance)', async () => {
  const { x, y } = await batch;
  const model = tiny();
  // The stem's BN input (before the step updates the weights) from the inference model.
  const fwd = await OnnxSession.create(model, { threads: 1, extraOutputs: ['stem.conv'] });
  const act = (await fwd.run({ ecg: x }))['stem.conv']!;
  await fwd.release();
  const [b, c, t] = act.shape as [number, number, number];
  const tr = await Trainer.create(model, { loss: { kind: 'bce' }, threads: 1 });
  await tr.step(x, y, 1e-3, new Rng(2));
  await tr.release();
  const rm = tr.running.get('stem.bn.running_mean')!, rv = tr.running.get('stem.bn.running_var')!;
  for (let ch = 0; ch < c; ch++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < b; i++) for (let k = 0; k < t; k++) s += act.data[(i * c + ch) * t + k]!;
    const mean = s / (b * t);
    for (let i = 0; i < b; i++) for (let k = 0; k < t; k++) s2 += (act.data[(i * c + ch) * t + k]! - mean) ** 2;
    const v = s2 / (b * t);
    assert.ok(Math.abs(rm[ch]! - 0.1 * mean) < 1e-4 * (1 + Math.abs(mean)), `channel ${ch} running mean ${rm[ch]} vs ${0.1 * mean}`);
    assert.ok(Math.abs(rv[ch]! - (0.9 + 0.1 * v)) < 1e-4 * (1 + v), `channel ${ch} running var ${rv[ch]} vs ${0.9 + 0.1 * v}`);
  }
});

test('losses: BCE with pos_weight, cross-entropy, MSE and L1 equal their formulas on given logits', async () => {
  // A model whose logits are its input: ecg [batch, 3] -> Identity.
  const { GraphBuilder } = await import('../engine/onnx/builder.js');
  const g = new GraphBuilder({ seed: 1 });
  g.output(g.identity(g.input('ecg', ['batch', 3]), 'z'), 'logits');
  const base = g.build();
  const z = [2.5, -1, 0.3, -40, 40, 0];
  const yb = [1, 0, 1, 0, 0, 1];
  const yc = [0, 1, 0, 1, 0, 0];
  const sp = (v: number): number => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); // softplus
  const cases: [LossSpec, number[], number][] = [
    [{ kind: 'bce', posWeight: [2, 1, 0.5] }, yb, mean(z.map((v, i) => { const w = [2, 1, 0.5][i % 3]!; return yb[i]! ? w * sp(-v) : sp(v); }))],
    [{ kind: 'ce' }, yc, mean([0, 1].map((r) => { const zs = z.slice(3 * r, 3 * r + 3); const lse = Math.max(...zs) + Math.log(zs.reduce((a, v) => a + Math.exp(v - Math.max(...zs)), 0)); return lse - zs[yc.slice(3 * r, 3 * r + 3).indexOf(1)]!; }))],
    [{ kind: 'mse' }, yb, mean(z.map((v, i) => (v - yb[i]!) ** 2))],
    [{ kind: 'l1' }, yb, mean(z.map((v, i) => Math.abs(v - yb[i]!)))],
  ];
  for (const [spec, y, want] of cases) {
    const s = await OnnxSession.create(withLoss(base, spec), { threads: 1 });
    const got = (await s.run({ ecg: { data: Float32Array.from(z), shape: [2, 3] }, target: { data: Float32Array.from(y), shape: [2, 3] } }, { outputs: ['loss'] }))['loss']!.data[0]!;
    await s.release();
    assert.ok(Math.abs(got - want) < 1e-5 * (1 + want), `${spec.kind}: ${got} vs ${want}`);
  }
});

test('the checkpoint is an inference model: input ecg only, trained parameters and running statistics in its initializers', async () => {
  const { x, y } = await batch;
  const tr = await Trainer.create(tiny(), { loss: { kind: 'bce' }, threads: 1 });
  await tr.step(x, y, 1e-2, new Rng(3));
  await tr.release();
  const ckpt = tr.inferenceModel();
  assert.deepEqual((ckpt.graph?.input ?? []).map((i) => i.name), ['ecg']);
  const inits = new Map((ckpt.graph?.initializer ?? []).map((t) => [t.name, t]));
  const { tensorFloat32 } = await import('../engine/onnx/proto.js');
  for (const name of ['stem.conv.weight', 'stem.bn.running_mean', 'head.linear.bias']) {
    const want = tr.params.get(name) ?? tr.running.get(name)!;
    assert.deepEqual(Array.from(tensorFloat32(inits.get(name)!)), Array.from(want), name);
  }
  assert.notDeepEqual(Array.from(tr.params.get('stem.conv.weight')!), Array.from(tensorFloat32((tiny().graph?.initializer ?? []).find((t) => t.name === 'stem.conv.weight')!)));
  // Inference is deterministic (dropout is the identity): two runs agree exactly.
  const s = await OnnxSession.create(ckpt, { threads: 1 });
  const a = await s.run({ ecg: x }), b = await s.run({ ecg: x });
  await s.release();
  assert.deepEqual(Array.from(a['probs']!.data), Array.from(b['probs']!.data));
});

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
