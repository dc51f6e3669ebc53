import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeDatabase } from '../data/synth/index.js';
import { writePtbxl } from '../data/datasets/index.js';
import { openDataset } from '../data/datasets/registry.js';
import { loadModel } from '../engine/onnx/proto.js';
import { OnnxSession } from '../engine/runtime.js';
import { LOSS_OUTPUT } from '../train/graph.js';
import { EcgxError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { contrastiveModel, EMBEDDING_OUTPUT, exportEncoder, maskedModel, PROJECTION_OUTPUT, RECONSTRUCTION_OUTPUT } from './encoder.js';
import { pretrainRun, pretrainModel, makeBatch, type PretrainConfig } from './run.js';
import { openPretrainData } from './data.js';
import { PatientIndex, epochBatches } from './sampler.js';
import { embedDataset } from './embed.js';
import { probeEncoder } from './probe.js';

const TINY = 'resnet1d-small:filters=8,16,16,16;downsample=4,2,2;kernel=5';
let root = '';

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'ecgx-pretrain-'));
  await writePtbxl(join(root, 'a'), synthesizeDatabase({ n: 48, seed: 5, layout: 'ptbxl', fs: 100, cohort: 'ptbxl', durationS: 3 }), { fs: 100 });
  await writePtbxl(join(root, 'b'), synthesizeDatabase({ n: 24, seed: 6, layout: 'ptbxl', fs: 100, cohort: 'ambulatory', durationS: 3 }), { fs: 100 });
});
after(() => rmSync(root, { recursive: true, force: true }));

test('encoders: block names kept, embedding and projection/reconstruction shapes, export runs in onnxruntime', async () => {
  const ctx = { leads: 12, samples: 300, seed: 3 };
  const c = contrastiveModel(TINY, ctx, { projectionDim: 7 });
  const m = maskedModel(TINY, ctx);
  const x = { data: new Rng(1).shuffle(Array.from({ length: 2 * 12 * 300 }, (_, i) => Math.sin(i / 7))).reduce((a, v, i) => ((a[i] = v), a), new Float32Array(2 * 12 * 300)), shape: [2, 12, 300] };
  const enc = exportEncoder(c);
  const names = new Set((enc.graph?.node ?? []).flatMap((n) => n.output ?? []));
  for (const b of ['block1', 'block2', 'block3']) assert.ok(names.has(b), `${b} kept`);
  assert.deepEqual((enc.graph?.output ?? []).map((o) => o.name).sort(), [EMBEDDING_OUTPUT, PROJECTION_OUTPUT]);
  const s = await OnnxSession.create(enc, { threads: 1, extraOutputs: ['block3'] });
  const out = await s.run({ ecg: x });
  await s.release();
  assert.deepEqual(out[EMBEDDING_OUTPUT]!.shape, [2, 16]);
  assert.deepEqual(out[PROJECTION_OUTPUT]!.shape, [2, 7]);
  assert.equal(out['block3']!.shape[1], 16);
  // The exported encoder computes what the full model computes.
  const sFull = await OnnxSession.create(c, { threads: 1 });
  const full = await sFull.run({ ecg: x }, { outputs: [EMBEDDING_OUTPUT] });
  await sFull.release();
  assert.deepEqual(full[EMBEDDING_OUTPUT]!.data, out[EMBEDDING_OUTPUT]!.data);
  // Masked: the decoder gives back [batch, leads, samples] (300 is not a multiple of 16: cropped).
  const sm = await OnnxSession.create(m, { threads: 1 });
  const rec = await sm.run({ ecg: x }, { outputs: [RECONSTRUCTION_OUTPUT] });
  await sm.release();
  assert.deepEqual(rec[RECONSTRUCTION_OUTPUT]!.shape, [2, 12, 300]);
  assert.deepEqual((exportEncoder(m).graph?.output ?? []).map((o) => o.name), [EMBEDDING_OUTPUT]);
});

test('IDB batches built from two folders hold one cohort each; partners share a patient', async () => {
  const data = await openPretrainData([join(root, 'a'), join(root, 'b')], { length: 300 });
  assert.deepEqual(data.cohorts, { a: 48, b: 24 });
  for (const b of epochBatches(data.records, { batchSize: 8, mode: 'idb' }, new Rng(2))) assert.equal(new Set(b.map((i) => data.records[i]!.cohort)).size, 1);
  const idx = new PatientIndex(data.records);
  assert.ok(idx.multiVisitPatients > 0, 'the synthetic data has patients with several ECGs');
  const rng = new Rng(4);
  data.records.forEach((r, i) => {
    const j = idx.partner(i, rng);
    assert.equal(data.records[j]!.patient, r.patient);
  });
});

/** Mean cosine similarity of embeddings over pairs. */
function meanCosine(e: Float32Array, f: number, pairs: [number, number][]): number {
  let s = 0;
  for (const [i, j] of pairs) {
    let d = 0, a = 0, b = 0;
    for (let k = 0; k < f; k++) {
      d += e[i * f + k]! * e[j * f + k]!;
      a += e[i * f + k]! ** 2;
      b += e[j * f + k]! ** 2;
    }
    s += d / Math.sqrt(a * b + 1e-12);
  }
  return s / pairs.length;
}

test('a tiny contrastive run lowers the loss on a fixed batch, resumes, and brings one patient\'s ECGs closer than random pairs', async () => {
  const cfg: PretrainConfig = { data: [join(root, 'a'), join(root, 'b')], method: 'contrastive', batches: 'idb', epochs: 4, batchSize: 12, lr: 3e-3, model: TINY, length: 300, threads: 1, seed: 2 };
  const out = join(root, 'run-c');
  // Interrupted after 2 epochs, then resumed: the run finishes where a straight run would.
  const part = await pretrainRun(cfg, out, { stopAfterEpochs: 2, log: () => {} });
  assert.equal(part.complete, false);
  assert.ok(!existsSync(out) && existsSync(`${out}.partial`));
  const lines: string[] = [];
  const done = await pretrainRun(cfg, out, { resume: true, log: (l) => lines.push(l) });
  assert.ok(lines.some((l) => l.includes('resuming after epoch 2')));
  assert.equal(done.history.length, 4);
  assert.ok(existsSync(join(out, 'encoder.onnx')) && !existsSync(`${out}.partial`));
  const saved = JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8'));
  assert.equal(saved.complete, true);
  assert.ok(saved.versions.onnxruntime);

  // Loss of one fixed batch (same views) under the initial and the trained weights.
  const data = await openPretrainData(cfg.data, { length: 300 });
  const idx = new PatientIndex(data.records);
  const batch = await makeBatch(cfg, data, Array.from({ length: 16 }, (_, i) => i), idx, new Rng(9));
  const { model: init, loss } = pretrainModel(cfg, 12, 300, 100, data.card.leads);
  const trained = loadModel(join(out, 'model.onnx'));
  const lossOf = async (m: typeof init): Promise<number> => {
    const s = await OnnxSession.create(loss(m), { threads: 1 });
    const r = await s.run({ ecg: batch.x, target: batch.y }, { outputs: [LOSS_OUTPUT], batchSize: 32 });
    await s.release();
    return r[LOSS_OUTPUT]!.data[0]!;
  };
  const before = await lossOf(init), afterTraining = await lossOf(trained);
  assert.ok(afterTraining < before - 0.05, `fixed-batch NT-Xent ${before.toFixed(4)} -> ${afterTraining.toFixed(4)}`);

  // Same-patient pairs vs random pairs of different patients, by the trained encoder.
  const ds = await openDataset(join(root, 'a'));
  const emb = await embedDataset(join(out, 'encoder.onnx'), ds, { threads: 1 });
  const recs = emb.records;
  const same: [number, number][] = [];
  const other: [number, number][] = [];
  for (let i = 0; i < recs.length; i++) {
    for (let j = i + 1; j < recs.length; j++) {
      if (recs[i]!.meta.patientId === recs[j]!.meta.patientId) same.push([i, j]);
      else if ((i * 31 + j) % 7 === 0) other.push([i, j]);
    }
  }
  assert.ok(same.length > 0);
  const f = emb.values.shape[1]!;
  const cs = meanCosine(emb.values.data, f, same), co = meanCosine(emb.values.data, f, other);
  assert.ok(cs > co, `same-patient cosine ${cs.toFixed(3)} vs random pairs ${co.toFixed(3)}`);
});

test('a tiny masked run lowers the reconstruction loss; embed and probe work end to end on its encoder', async () => {
  const cfg: PretrainConfig = { data: [join(root, 'a')], method: 'masked', batches: 'mixed', epochs: 3, batchSize: 12, lr: 3e-3, model: TINY, length: 300, threads: 1 };
  const out = join(root, 'run-m');
  const r = await pretrainRun(cfg, out, { log: () => {} });
  assert.ok(r.history[2]!.loss < r.history[0]!.loss, `loss ${r.history.map((h) => h.loss.toFixed(3)).join(' -> ')}`);
  const p = await probeEncoder(join(out, 'encoder.onnx'), join(root, 'a'), { task: 'superclass', fractions: [0.5, 1], folds: 3, repeats: 2, test: [join(root, 'b')], threads: 1 });
  assert.deepEqual(p.rows.map((row) => [row.evaluation, row.fraction]), [['in-distribution', 0.5], ['in-distribution', 1], ['b', 0.5], ['b', 1]]);
  for (const row of p.rows) {
    assert.ok(row.auroc >= 0 && row.auroc <= 1, `${row.evaluation} ${row.auroc}`);
    assert.ok(row.nTrain > 0 && row.nTest > 0);
  }
  assert.ok(p.rows[0]!.nTrain < p.rows[1]!.nTrain);
  // Bad input: one-line typed errors, nothing written.
  await assert.rejects(pretrainRun({ ...cfg, epochs: 1 }, out, { log: () => {} }), (e: unknown) => e instanceof EcgxError && /exists/.test((e as Error).message));
  await assert.rejects(pretrainRun({ ...cfg, data: [join(root, 'missing')] }, join(root, 'run-x'), { log: () => {} }), EcgxError);
  assert.ok(!existsSync(join(root, 'run-x')));
});

test('fine-tuning starts from the encoder\'s trunk (every trunk tensor copied, head fresh) and runs end to end', async () => {
  const { initFromEncoder, fineTuneEncoder } = await import('./finetune.js');
  const { buildModel } = await import('../models/index.js');
  const { initializerValues } = await import('../train/trainer.js');
  const encPath = join(root, 'run-m', 'encoder.onnx');
  const enc = loadModel(encPath);
  const clf = buildModel(TINY, { leads: 12, samples: 300, task: 'multilabel', outputs: 5, seed: 99 });
  const { model, copied } = initFromEncoder(clf, enc);
  const e = initializerValues(enc), m = initializerValues(model), c = initializerValues(clf);
  const trunk = [...c.keys()].filter((k) => !k.startsWith('head.'));
  assert.ok(trunk.length > 10);
  for (const k of trunk) if (e.has(k)) assert.deepEqual(m.get(k)!.data, e.get(k)!.data, k);
  assert.equal(copied, trunk.filter((k) => e.has(k)).length);
  assert.ok(trunk.every((k) => e.has(k) || k.endsWith('.ratio')), 'every trunk parameter and statistic comes from the encoder');
  assert.deepEqual(m.get('head.linear.weight')!.data, c.get('head.linear.weight')!.data);
  const rows = await fineTuneEncoder(encPath, join(root, 'a'), { task: 'superclass', epochs: 1, fractions: [1], threads: 1, batchSize: 16 });
  assert.deepEqual(rows.map((r) => r.evaluation), ['fine-tune', 'fine-tune (random init)']);
  for (const r of rows) assert.ok(r.auroc >= 0 && r.auroc <= 1 && r.nTrain > 0);
});
