import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDataset } from '../../data/datasets/registry.js';
import { loadModel } from '../../engine/onnx/proto.js';
import { truncateModel } from '../../engine/onnx/inspect.js';
import { OnnxSession } from '../../engine/runtime.js';
import { ModelError, OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { ActivationReader, defaultTlcLayers } from './extract.js';
import { fitTlc, FittedTlc } from './fit.js';
import { evaluateTlcRun, openRun, TlcPipeline } from './pipeline.js';
import { datasetSource, tensorSource } from './source.js';
import { surrogateFold } from './surrogate.js';
import { tinyTlcRun } from './testing.js';

const fixture = tinyTlcRun();

async function setup(): Promise<{ run: string; model: string; x: { data: Float32Array; shape: number[] }; fs: number; ids: string[] }> {
  const { run } = await fixture;
  const { plan } = await openRun(run);
  const ids = plan.task.examples.slice(0, 12).map((e) => e.id);
  const src = await datasetSource(plan.dataset, plan.card, ids);
  const parts: Float32Array[] = [];
  for await (const b of src.batches(64)) parts.push(b.x.data);
  return { run, model: join(run, 'fold-1', 'model.onnx'), x: { data: parts[0]!, shape: [ids.length, src.leads, src.samples] }, fs: src.fs, ids };
}

test('activations come back with the prediction and equal a truncated-graph run', async () => {
  const { model, x } = await setup();
  const proto = loadModel(model);
  const layers = defaultTlcLayers(proto);
  assert.deepEqual(layers, ['block1', 'block2']);
  const reader = await ActivationReader.open(proto, { threads: 1 });
  const plain = await OnnxSession.create(proto, { threads: 1 });
  try {
    const got = await reader.run(x);
    const want = await plain.run({ ecg: x });
    for (const o of reader.outputs) assert.deepEqual(got.outputs[o]!.data, want[o]!.data, o);
    for (const [l, name] of layers.entries()) {
      const trunc = await OnnxSession.create(truncateModel(proto, [name]), { threads: 1 });
      const ref = (await trunc.run({ ecg: x }))[name]!;
      await trunc.release();
      const flat = new Float32Array(ref.data.length);
      got.maps[l]!.forEach((m, i) => flat.set(m.data, i * m.data.length));
      let maxDiff = 0;
      for (let i = 0; i < flat.length; i++) maxDiff = Math.max(maxDiff, Math.abs(flat[i]! - ref.data[i]!));
      assert.ok(maxDiff <= 1e-5, `${name}: max |diff| ${maxDiff}`);
    }
    // Batches of 5 give the same maps as one run.
    let i0 = 0;
    const whole = await reader.run(x);
    for await (const b of reader.batches(x, 5)) {
      for (let i = 0; i < b.count; i++) assert.deepEqual(b.maps[1]![i]!.data, whole.maps[1]![i0 + i]!.data);
      i0 += b.count;
    }
    assert.equal(i0, x.shape[0]);
  } finally {
    await reader.release();
    await plain.release();
  }
});

test('fitTlc: deterministic by seed, JSON round trip gives identical assignments, outputs well-formed', async () => {
  const { model, x, fs } = await setup();
  const opts = { k: 4, seed: 3, maxSamples: 500 };
  const a = await fitTlc(model, { x, fs }, opts, { threads: 1, progress: false });
  const b = await fitTlc(model, { x, fs }, opts, { threads: 1, progress: false });
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  const c = await fitTlc(model, { x, fs }, { ...opts, seed: 4 }, { threads: 1, progress: false });
  assert.notEqual(JSON.stringify(a.clusterers), JSON.stringify(c.clusterers));
  assert.deepEqual(a.fit.samples, [500, 12 * 32]); // block2 has 256 / 8 = 32 samples per ECG: all of them

  const back = FittedTlc.fromJSON(JSON.parse(JSON.stringify(a)));
  const p1 = await TlcPipeline.open(model, a, { threads: 1 });
  const p2 = await TlcPipeline.open(model, back, { threads: 1 });
  try {
    const r1 = await p1.explainBatch(x, fs), r2 = await p2.explainBatch(x, fs);
    const T = x.shape[2]!;
    r1.explanations.forEach((e, i) => {
      e.groups.forEach((g, gi) => {
        const g2 = r2.explanations[i]!.groups[gi]!;
        assert.deepEqual(g.sequence.labels, g2.sequence.labels);
        assert.deepEqual(g.sequence.blockGamma.data, g2.sequence.blockGamma.data);
        for (const h of g.sequence.entropy) assert.ok(h >= 0 && h <= 1);
        assert.ok(Math.abs(g.proportions.reduce((s, v) => s + v, 0) - 1) < 1e-12);
        // Segments tile the ECG: contiguous, from 0 to T, each one cluster.
        assert.equal(g.segments[0]!.start, 0);
        assert.equal(g.segments.at(-1)!.end, T);
        for (let s = 1; s < g.segments.length; s++) {
          assert.equal(g.segments[s]!.start, g.segments[s - 1]!.end);
          assert.notEqual(g.segments[s]!.cluster, g.segments[s - 1]!.cluster);
        }
        assert.equal(g.resolution, T / g.sequence.blockLength);
      });
      assert.ok(e.agreement && e.agreement.ari[0]![0] === 1);
    });
  } finally {
    await p1.release();
    await p2.release();
  }

  // Concatenated groups: one clusterer over both blocks' channels, at input resolution.
  const cat = await fitTlc(model, { x, fs }, { ...opts, concat: true }, { threads: 1, progress: false });
  assert.deepEqual(cat.groupNames, ['block1+block2']);
  assert.equal(cat.clusterers[0]!.d, 16);
});

test('bad input: K < 2, unknown layer, another model, other input shape', async () => {
  const { run, model, x, fs } = await setup();
  await assert.rejects(fitTlc(model, { x, fs }, { k: 1 }), (e: unknown) => e instanceof OptionError && /--k: expected an integer >= 2/.test(e.message));
  await assert.rejects(fitTlc(model, { x, fs }, { layers: ['nope'] }), (e: unknown) => e instanceof ModelError && /no tensor named 'nope'/.test(e.message));
  const tlc = await fitTlc(model, { x, fs }, { k: 3, maxSamples: 200 }, { threads: 1, progress: false });
  await assert.rejects(TlcPipeline.open(join(run, 'fold-2', 'model.onnx'), tlc), (e: unknown) => e instanceof ModelError && /not the model this TLC was fitted on/.test(e.message));
  const p = await TlcPipeline.open(model, tlc, { threads: 1 });
  try {
    await assert.rejects(p.explainBatch(x, 250), /expect 100 Hz/);
    const short = { data: x.data.subarray(0, 12 * 128), shape: [1, 12, 128] };
    await assert.rejects(p.explainBatch(short, fs), /128 samples per lead; the model and TLC expect 256/);
  } finally {
    await p.release();
  }
  assert.throws(() => FittedTlc.fromJSON({ kind: 'ecgx-tlc', version: 1, options: { k: 3 }, model: tlc.model, layers: tlc.layers, clusterers: [] }, 'x.json'), /x.json \(clusterers\): expected 2 clusterer/);
});

test('surrogate: labels that are a function of the proportions give fidelity ~100%', () => {
  const rng = new Rng(11);
  const make = (n: number): { x: { data: Float64Array; n: number; d: number }; cnn: Float32Array; truth: Float32Array } => {
    const d = 8, x = new Float64Array(n * d), cnn = new Float32Array(n * 2), truth = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[i * d + j] = rng.uniform();
      for (let j = 0; j < d; j++) x[i * d + j]! /= s;
      // The "CNN": class A when cluster 0 outweighs cluster 1, class B when cluster 2 > 0.15.
      cnn[i * 2] = x[i * d]! > x[i * d + 1]! ? 0.9 : 0.1;
      cnn[i * 2 + 1] = x[i * d + 2]! > 0.15 ? 0.8 : 0.2;
      truth[i * 2] = cnn[i * 2]! > 0.5 ? 1 : 0;
      truth[i * 2 + 1] = cnn[i * 2 + 1]! > 0.5 ? 1 : 0;
    }
    return { x: { data: x, n, d }, cnn, truth };
  };
  const r = surrogateFold('multilabel', ['A', 'B'], 1, make(600), make(300), { nTrees: 30, seed: 1 });
  assert.ok(r.fidelity >= 95, `fidelity ${r.fidelity}`);
  assert.ok(r.forest['auroc']! >= 0.98, `forest auroc ${r.forest['auroc']}`);
  assert.equal(r.cnn['accuracy'], 1);
  // A "CNN" that ignores the clusters (labels independent of them) cannot be mimicked above chance by much.
  const noise = make(300);
  for (let i = 0; i < noise.cnn.length; i++) noise.cnn[i] = rng.uniform() < 0.5 ? 0.9 : 0.1;
  const r0 = surrogateFold('multilabel', ['A', 'B'], 1, make(600), noise, { nTrees: 30, seed: 1 });
  assert.ok(r0.fidelity < 65, `fidelity on noise ${r0.fidelity}`);
});

test('run evaluation: per-fold surrogate and clusters aligned with ground-truth waves above a time-shifted null', async () => {
  const { run } = await fixture;
  const ev = await evaluateTlcRun(run, { k: 4, maxSamples: 4000, threads: 1, progress: false, forest: { nTrees: 30 } });
  assert.deepEqual(ev.groups, ['block1', 'block2']);
  assert.equal(ev.folds.length, 3);
  for (const f of ev.folds) {
    assert.ok(f.surrogate.fidelity >= 0 && f.surrogate.fidelity <= 100);
    assert.equal(f.surrogate.nTrain + f.surrogate.nTest, 60);
    assert.ok(Number.isFinite(f.surrogate.cnn['accuracy']!));
  }
  assert.ok(ev.waves);
  // Measured on this fixture (seed 5): NMI 0.14 / 0.12 (blocks 1 / 2) vs 0.03 shifted.
  for (const w of ev.waves!) assert.ok(w.nmi.mean > w.nullNmi.mean + 0.04, `${w.name}: NMI ${w.nmi.mean} vs null ${w.nullNmi.mean}`);
  const dataset = await openDataset((await openRun(run)).run.config.data);
  assert.equal(dataset.records().length, 60);
});

test('tensorSource: batches cover the tensor in order', async () => {
  const x = { data: Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => i), shape: [5, 2, 3] };
  const seen: number[] = [];
  for await (const b of tensorSource(x, 100).batches(2)) seen.push(...b.items.map((it) => Number(it.id)), b.x.data[0]!);
  assert.deepEqual(seen, [0, 1, 0, 2, 3, 12, 4, 24]);
});

test('TlcPipeline.explain over a source (overlapped runs) equals explainBatch on the whole tensor', async () => {
  const { model, x, fs, ids } = await setup();
  const tlc = await fitTlc(model, { x, fs }, { k: 4, maxSamples: 300 }, { threads: 1, progress: false });
  const p = await TlcPipeline.open(model, tlc, { threads: 1 });
  try {
    const whole = await p.explainBatch(x, fs);
    let i = 0;
    for await (const r of p.explain(tensorSource(x, fs, ids), 5)) {
      assert.equal(r.item.id, ids[i]);
      assert.deepEqual(r.outputs['probs'], whole.outputs[i]!['probs']);
      r.explanation.groups.forEach((g, gi) => assert.deepEqual(g.sequence.labels, whole.explanations[i]!.groups[gi]!.sequence.labels));
      i++;
    }
    assert.equal(i, ids.length);
  } finally {
    await p.release();
  }
});

test('surrogate, regression: age a function of the proportions gives R² to the CNN near 1 and the forest MAE beside the CNN', () => {
  const rng = new Rng(5);
  const make = (n: number): { x: { data: Float64Array; n: number; d: number }; cnn: Float64Array; truth: Float64Array } => {
    const d = 6, x = new Float64Array(n * d), cnn = new Float64Array(n), truth = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[i * d + j] = rng.uniform();
      cnn[i] = 20 + 60 * x[i * d]!; // the "CNN" reads cluster 0's proportion
      truth[i] = cnn[i]! + rng.normal(0, 5);
    }
    return { x: { data: x, n, d }, cnn, truth };
  };
  const r = surrogateFold('regression', ['age'], 1, make(500), make(200), { nTrees: 30, seed: 1 });
  assert.ok(r.r2ToCnn! > 0.95, `R² ${r.r2ToCnn}`);
  assert.ok(Math.abs(r.forest['mae']! - r.cnn['mae']!) < 1.5, `forest MAE ${r.forest['mae']} vs CNN ${r.cnn['mae']}`);
});

test('fitTlc with a diagonal GMM and PCA: JSON round trip gives the same assignments', async () => {
  const { model, x, fs } = await setup();
  const tlc = await fitTlc(model, { x, fs }, { k: 3, method: 'gmm', pca: 4, maxSamples: 300, seed: 2 }, { threads: 1, progress: false });
  const back = FittedTlc.fromJSON(JSON.parse(JSON.stringify(tlc)));
  const r = await ActivationReader.open(model, { threads: 1 });
  try {
    const got = await r.run(x);
    const a = tlc.explainMaps(got.maps.map((m) => m[0]!), x.shape[2]!, fs), b = back.explainMaps(got.maps.map((m) => m[0]!), x.shape[2]!, fs);
    a.groups.forEach((g, i) => assert.deepEqual(g.sequence.blockGamma.data, b.groups[i]!.sequence.blockGamma.data));
    assert.equal(tlc.clusterers[0]!.pca!.nComponents, 4);
  } finally {
    await r.release();
  }
});

test('k-means logits computed by onnxruntime in the model run (default) agree with the raw-activation path', async () => {
  const { model, x, fs } = await setup();
  const tlc = await fitTlc(model, { x, fs }, { k: 5, maxSamples: 300 }, { threads: 1, progress: false });
  assert.ok(tlc.withLogits(loadModel(model)), 'a k-means TLC without PCA has a logits graph');
  const fast = await TlcPipeline.open(model, tlc, { threads: 1 });
  const ref = await TlcPipeline.open(model, tlc, { threads: 1, logits: false });
  try {
    const a = await fast.explainBatch(x, fs), b = await ref.explainBatch(x, fs);
    assert.deepEqual(a.outputs, b.outputs);
    let same = 0, total = 0;
    a.explanations.forEach((e, i) => e.groups.forEach((g, gi) => {
      const r = b.explanations[i]!.groups[gi]!;
      assert.equal(g.sequence.blockLength, r.sequence.blockLength);
      for (let t = 0; t < g.sequence.blockLength; t++) {
        total++;
        if (g.sequence.blockLabels[t] === r.sequence.blockLabels[t]) same++;
        // float32 logits in onnxruntime vs float64 distances in JavaScript
        assert.ok(Math.abs(g.sequence.blockEntropy[t]! - r.sequence.blockEntropy[t]!) < 1e-3, `entropy ${g.sequence.blockEntropy[t]} vs ${r.sequence.blockEntropy[t]}`);
        for (let j = 0; j < 5; j++) assert.ok(Math.abs(g.sequence.blockGamma.data[t * 5 + j]! - r.sequence.blockGamma.data[t * 5 + j]!) < 1e-3);
      }
    }));
    assert.ok(same >= 0.999 * total, `labels agree on ${same}/${total} block samples`);
  } finally {
    await fast.release();
    await ref.release();
  }
  // GMM and PCA TLCs have no logits graph (they take the raw activations).
  const gmm = await fitTlc(model, { x, fs }, { k: 3, method: 'gmm', maxSamples: 300 }, { threads: 1, progress: false });
  assert.equal(gmm.withLogits(loadModel(model)), null);
});
