import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resnet1d, type Resnet1dOptions } from './resnet1d.js';
import { META, readModelMeta, withModelMeta } from './meta.js';
import { buildModel, formatModelSpec, MODELS, parseModelSpec } from './index.js';
import { inspectModel, truncateModel, withExtraOutputs } from '../engine/onnx/inspect.js';
import { OnnxSession } from '../engine/runtime.js';
import { Rng } from '../util/rng.js';
import { OptionError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';

const TINY: Resnet1dOptions = { leads: 3, samples: 50, filters: [4, 6, 6, 8], downsample: [2, 1, 3], kernel: 5, dropout: 0.2, head: 'flatten', task: 'multilabel', outputs: 2, seed: 11 };

function ecgs(n: number, leads: number, samples: number, seed = 1): NdArray {
  const r = new Rng(seed);
  return { data: Float32Array.from({ length: n * leads * samples }, () => r.normal()), shape: [n, leads, samples] };
}

async function run(model: Parameters<typeof OnnxSession.create>[0], x: NdArray, opts: { extraOutputs?: string[]; batchSize?: number } = {}): Promise<Record<string, NdArray>> {
  const s = await OnnxSession.create(model, { threads: 1, extraOutputs: opts.extraOutputs });
  try {
    return await s.run({ ecg: x }, { batchSize: opts.batchSize });
  } finally {
    await s.release();
  }
}

test('resnet1d: output and block shapes for several configurations', async () => {
  const configs: { o: Partial<Resnet1dOptions>; blocks: [number, number][]; outputs: string[] }[] = [
    { o: {}, blocks: [[6, 25], [6, 25], [8, 9]], outputs: ['logits', 'probs'] }, // 50 -> 25 -> 25 -> ceil(25/3) = 9
    { o: { head: 'gap', task: 'multiclass', outputs: 4 }, blocks: [[6, 25], [6, 25], [8, 9]], outputs: ['logits', 'probs'] },
    { o: { task: 'regression', outputs: 1, filters: [5, 7], downsample: [4], samples: 64 }, blocks: [[7, 16]], outputs: ['logits'] },
    { o: { leads: 12, samples: 37, filters: [4, 4, 4], downsample: [4, 4], kernel: 3 }, blocks: [[4, 10], [4, 3]], outputs: ['logits', 'probs'] },
  ];
  for (const [i, c] of configs.entries()) {
    const o = { ...TINY, ...c.o };
    const model = resnet1d(o);
    const info = inspectModel(model);
    assert.deepEqual(info.inputs, [{ name: 'ecg', shape: ['batch', o.leads, o.samples], dtype: 'float32' }], `config ${i}`);
    assert.deepEqual(info.outputs.map((t) => t.name), c.outputs, `config ${i}: outputs`);
    assert.deepEqual(info.blocks, c.blocks.map((_, b) => `block${b + 1}`), `config ${i}: blocks`);
    const blockShapes = info.explainable.filter((e) => e.kind === 'block').map((e) => e.shape);
    assert.deepEqual(blockShapes, c.blocks.map(([ch, t]) => ['batch', ch, t]), `config ${i}: block shapes`);
    const out = await run(model, ecgs(2, o.leads, o.samples), { extraOutputs: info.blocks });
    for (const name of c.outputs) assert.deepEqual(out[name]!.shape, [2, o.outputs], `config ${i}: ${name}`);
    info.blocks.forEach((b, k) => assert.deepEqual(out[b]!.shape, [2, ...c.blocks[k]!], `config ${i}: ${b} computed shape`));
    for (const v of Object.values(out)) assert.ok(v.data.every(Number.isFinite));
  }
});

test('resnet1d: probs = sigmoid(logits) for multilabel, softmax rows for multiclass', async () => {
  const x = ecgs(4, TINY.leads, TINY.samples, 2);
  const ml = await run(resnet1d(TINY), x);
  ml['logits']!.data.forEach((l, i) => assert.ok(Math.abs(ml['probs']!.data[i]! - 1 / (1 + Math.exp(-l))) < 1e-6));
  const mc = await run(resnet1d({ ...TINY, task: 'multiclass', outputs: 3 }), x);
  for (let b = 0; b < 4; b++) {
    const l = Array.from(mc['logits']!.data.subarray(b * 3, b * 3 + 3));
    const z = l.reduce((a, v) => a + Math.exp(v), 0);
    l.forEach((v, k) => assert.ok(Math.abs(mc['probs']!.data[b * 3 + k]! - Math.exp(v) / z) < 1e-6));
  }
});

test('resnet1d: block activations from extra outputs equal a run of the graph truncated at the block', async () => {
  const model = resnet1d(TINY);
  const x = ecgs(3, TINY.leads, TINY.samples, 3);
  const full = await run(withExtraOutputs(model, ['block2', 'block3']), x);
  for (const b of ['block2', 'block3']) {
    const cut = truncateModel(model, [b]);
    assert.ok(cut.graph!.node!.length < model.graph!.node!.length);
    const part = await run(cut, x);
    assert.deepEqual(part[b]!.shape, full[b]!.shape);
    let maxDiff = 0;
    full[b]!.data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - part[b]!.data[i]!))));
    assert.ok(maxDiff <= 1e-6, `${b}: max difference ${maxDiff}`);
    assert.ok(full[b]!.data.some((v) => v > 0), `${b} is all zeros`);
  }
});

test('resnet1d: a run in internal batches of 3 over 8 ECGs equals one run of 8', async () => {
  const model = resnet1d({ ...TINY, head: 'gap' });
  const x = ecgs(8, TINY.leads, TINY.samples, 4);
  const one = await run(model, x, { extraOutputs: ['block3'], batchSize: 8 });
  const batched = await run(model, x, { extraOutputs: ['block3'], batchSize: 3 });
  for (const k of ['logits', 'probs', 'block3']) {
    assert.deepEqual(batched[k]!.shape, one[k]!.shape);
    assert.deepEqual(batched[k]!.data, one[k]!.data, k);
  }
});

test('resnet1d: metadata makes the model self-describing; same seed, same model', () => {
  const o: Resnet1dOptions = { ...TINY, task: 'multiclass', outputs: 3, classNames: ['NORM', 'MI', 'STTC'], fs: 100, leadNames: ['I', 'II', 'V1'] };
  const meta = Object.fromEntries(resnet1d(o).metadataProps!.map((p) => [p.key, p.value]));
  assert.equal(meta[META.architecture], 'resnet1d');
  assert.equal(meta[META.task], 'multiclass');
  assert.deepEqual(JSON.parse(meta[META.classNames]!), ['NORM', 'MI', 'STTC']);
  assert.equal(meta[META.fs], '100');
  assert.deepEqual(JSON.parse(meta[META.leads]!), ['I', 'II', 'V1']);
  assert.deepEqual(JSON.parse(meta[META.options]!), o);
  assert.deepEqual(readModelMeta(resnet1d(o)), { architecture: 'resnet1d', task: 'multiclass', classNames: ['NORM', 'MI', 'STTC'], fs: 100, leads: ['I', 'II', 'V1'], options: { ...o } });
  const retagged = readModelMeta(withModelMeta(resnet1d(TINY), { fs: 500 }));
  assert.equal(retagged.fs, 500);
  assert.equal(retagged.task, 'multilabel');
  assert.deepEqual(readModelMeta({ graph: {} }), {});
  assert.throws(() => readModelMeta({ graph: {}, metadataProps: [{ key: META.classNames, value: '[1,2' }] }, 'm.onnx'), /m\.onnx \(ecgx\.class_names\): metadata 'ecgx\.class_names' is not JSON/);
  assert.deepEqual(resnet1d(TINY), resnet1d(TINY));
  assert.notDeepEqual(resnet1d(TINY).graph!.initializer, resnet1d({ ...TINY, seed: 12 }).graph!.initializer);
});

test('resnet1d: parameter count matches the architecture', () => {
  // stem conv 3*4*5, BN 4*4; block1 (4->6, ds 2): skip conv 4*6, conv1 4*6*5, bn1 4*6, conv2 6*6*5, bn2 4*6;
  // block2 (6->6, ds 1): conv1 6*6*5, bn1 24, conv2 6*6*5, bn2 24; block3 (6->8, ds 3): skip 6*8, conv1 6*8*5, bn1 32, conv2 8*8*5, bn2 32;
  // head: flatten 8*9 -> 2: 72*2 + 2.
  const want = 60 + 16 + (24 + 120 + 24 + 180 + 24) + (180 + 24 + 180 + 24) + (48 + 240 + 32 + 320 + 32) + 146;
  assert.equal(inspectModel(resnet1d(TINY)).parameters, want);
});

test('resnet1d: bad options are OptionErrors naming the option', () => {
  const bad: [Partial<Resnet1dOptions>, RegExp][] = [
    [{ downsample: [2, 2] }, /resnet1d\.downsample: expected 3 entries/],
    [{ dropout: 1 }, /resnet1d\.dropout/],
    [{ kernel: 0 }, /resnet1d\.kernel/],
    [{ classNames: ['a'] }, /resnet1d\.classNames: expected 2 names/],
    [{ task: 'multiclass', outputs: 1 }, /resnet1d\.outputs/],
  ];
  for (const [o, re] of bad) assert.throws(() => resnet1d({ ...TINY, ...o }), (e: unknown) => e instanceof OptionError && re.test(e.message), re.source);
});

test('model registry: spec strings parse, fill defaults, round-trip and reject unknown keys', () => {
  const s = parseModelSpec('resnet1d:filters=32,64,64; kernel = 9');
  assert.equal(s.name, 'resnet1d');
  assert.deepEqual(s.options, { filters: [32, 64, 64], downsample: [4, 4], kernel: 9, dropout: 0.2, head: 'flatten' });
  assert.deepEqual(parseModelSpec(formatModelSpec(s)), s);
  assert.deepEqual(parseModelSpec('resnet1d').options['filters'], [64, 128, 196, 256, 320]);
  const err = (spec: string, re: RegExp): void => assert.throws(() => parseModelSpec(spec), (e: unknown) => e instanceof OptionError && re.test(e.message), spec);
  err('resnet1d:kernal=9', /--model resnet1d\.kernal: unknown option 'kernal' \(expected one of filters, downsample, kernel, dropout, head\)/);
  err('resnet2d', /--model: unknown model 'resnet2d'/);
  err('resnet1d:kernel=9.5', /resnet1d\.kernel: expected an integer, got '9.5'/);
  err('resnet1d:head=max', /expected one of flatten\|gap/);
  err('resnet1d:kernel', /not KEY=VALUE/);
  err('resnet1d:kernel=3;kernel=5', /given twice/);
  for (const name of Object.keys(MODELS)) assert.ok(MODELS[name]!.summary.length > 0);
  const model = buildModel('resnet1d-small:filters=4,4;kernel=3', { leads: 2, samples: 32, task: 'regression', outputs: 1, seed: 0 });
  assert.deepEqual(inspectModel(model).blocks, ['block1']);
});
