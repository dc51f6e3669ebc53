/** gradientGraph's contract: seeds, pruning, errors, training forms (BatchNormalization, Dropout). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../telemetry.js'; // before onnxruntime-node: see telemetry.ts
import * as ort from 'onnxruntime-node';
import { ModelError } from '../../util/errors.js';
import { encodeModel, makeFloatTensor, makeInt64Tensor, makeNode, type ModelProto } from '../onnx/proto.js';
import { gradCheck } from './gradcheck.js';
import { gradientGraph, gradientGraphInfo } from './gradient.js';
import { graphModel, opModel, randomArray } from './testing.js';
import type { NdArray } from '../../util/npy.js';

async function run(model: ModelProto, feeds: Record<string, NdArray>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3, intraOpNumThreads: 1 });
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', v.data, v.shape);
  return s.run(f);
}

/** x [2, 3] -> Gemm with W [3, 4] -> Softmax -> y [2, 4]; plus an Erf branch off the path to y. */
function small(): ModelProto {
  return graphModel({
    nodes: [makeNode('Gemm', ['x', 'W'], ['z']), makeNode('Softmax', ['z'], ['y'], { axis: 1 }), makeNode('Mod', ['x', 'x'], ['side'], { fmod: 1 })],
    inputs: [{ name: 'x', shape: ['batch', 3] }],
    outputs: [{ name: 'y', shape: ['batch', 4] }, { name: 'side', shape: ['batch', 3] }],
    initializers: [makeFloatTensor('W', [3, 4], randomArray([3, 4], 1).data)],
  });
}

test('seed sum with index = the gradient of sum_b y[b, index]: rows of the softmax Jacobian', async () => {
  const x = randomArray([2, 3], 2);
  const g = gradientGraph(small(), { of: 'y', index: 2, wrt: ['x', 'z'] });
  const info = gradientGraphInfo(g)!;
  const out = await run(g, { x });
  const y = out['y']!.data as Float32Array;
  const dz = out[info.gradients['z']!]!.data as Float32Array;
  // d y_2 / d z_j = y_2 (delta_2j - y_j)
  for (let b = 0; b < 2; b++) {
    for (let j = 0; j < 4; j++) {
      const want = y[b * 4 + 2]! * ((j === 2 ? 1 : 0) - y[b * 4 + j]!);
      assert.ok(Math.abs(dz[b * 4 + j]! - want) < 1e-6, `dz[${b},${j}] = ${dz[b * 4 + j]}, expected ${want}`);
    }
  }
  // Forward outputs are unchanged and still produced.
  assert.deepEqual(Object.keys(out).sort(), ['grad_x', 'grad_z', 'side', 'y'].sort());
});

test('seed sum of a softmax is constant: zero gradient; seed input gives the VJP with the fed cotangent', async () => {
  const x = randomArray([2, 3], 3);
  const g = gradientGraph(small(), { of: 'y', wrt: ['x'] });
  const dx = (await run(g, { x }))['grad_x']!.data as Float32Array;
  assert.ok(dx.every((v) => Math.abs(v) < 1e-6));
  const v = gradientGraph(small(), { of: 'y', wrt: ['z'], seed: 'input' });
  const info = gradientGraphInfo(v)!;
  assert.equal(info.seedInput, 'seed_y');
  const r = randomArray([2, 4], 4);
  const out = await run(v, { x, seed_y: r });
  const y = out['y']!.data as Float32Array;
  const dz = out['grad_z']!.data as Float32Array;
  for (let b = 0; b < 2; b++) {
    let dot = 0;
    for (let j = 0; j < 4; j++) dot += r.data[b * 4 + j]! * y[b * 4 + j]!;
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(dz[b * 4 + j]! - y[b * 4 + j]! * (r.data[b * 4 + j]! - dot)) < 1e-6);
  }
});

test('only nodes on a path from wrt to of get rules: an unsupported op elsewhere is fine, on the path it is a ModelError naming op and node', () => {
  // 'Mod' has no rule but feeds only 'side'.
  assert.doesNotThrow(() => gradientGraph(small(), { of: 'y', wrt: ['x'] }));
  assert.throws(
    () => gradientGraph(small(), { of: 'side', wrt: ['x'] }),
    (e: unknown) => e instanceof ModelError && /no gradient rule for Mod node 'Mod_side'/.test(e.message),
  );
});

test('bad requests are ModelErrors: unknown tensors, index out of range, opset < 13', () => {
  assert.throws(() => gradientGraph(small(), { of: 'nope', wrt: ['x'] }), (e: unknown) => e instanceof ModelError && /'nope' \(of\)/.test(e.message));
  assert.throws(() => gradientGraph(small(), { of: 'y', wrt: ['q'] }), (e: unknown) => e instanceof ModelError && /'q' \(wrt\)/.test(e.message));
  assert.throws(() => gradientGraph(small(), { of: 'y', index: 4, wrt: ['x'] }), (e: unknown) => e instanceof ModelError && /out of range/.test(e.message));
  const old = { ...small(), opsetImport: [{ domain: '', version: 11 }] };
  assert.throws(() => gradientGraph(old, { of: 'y', wrt: ['x'] }), (e: unknown) => e instanceof ModelError && /opset 11/.test(e.message));
});

test('a wrt tensor with no path to of gets a zero gradient; parameters as inputs are listed', async () => {
  const x = randomArray([2, 3], 5);
  const g = gradientGraph(small(), { of: 'side', wrt: ['W'], parameters: 'input' });
  const info = gradientGraphInfo(g)!;
  assert.deepEqual(info.parameterInputs, ['W']);
  assert.ok(!(g.graph!.initializer ?? []).some((t) => t.name === 'W'));
  const out = await run(g, { x, W: randomArray([3, 4], 6) });
  assert.deepEqual(Array.from(out['grad_W']!.data as Float32Array), new Array(12).fill(0));
});

function batchNormModel(rank: number): { model: ModelProto; x: NdArray; params: Record<string, NdArray> } {
  const shape = rank === 3 ? [4, 3, 5] : [6, 3];
  const x = randomArray(shape, 11, { scale: 1.5 });
  const params = { scale: randomArray([3], 12), bias: randomArray([3], 13), mean: randomArray([3], 14), var: { data: Float32Array.from([1, 2, 0.5]), shape: [3] } };
  // y feeds a Tanh so that the loss is not linear in the normalised values.
  const model = graphModel({
    nodes: [makeNode('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['bn'], { epsilon: { float: 1e-5 }, momentum: { float: 0.9 } }), makeNode('Tanh', ['bn'], ['y'])],
    inputs: [{ name: 'x', shape: ['N', ...shape.slice(1)] }],
    outputs: [{ name: 'y', shape: ['N', ...shape.slice(1)] }],
    initializers: Object.entries(params).map(([n, a]) => makeFloatTensor(n, a.shape, a.data)),
  });
  return { model, x, params };
}

test('training-mode BatchNormalization: gradients match finite differences of the batch-statistics forward', async () => {
  for (const rank of [3, 2]) {
    const { model, x } = batchNormModel(rank);
    const res = await gradCheck(model, { of: 'y', wrt: ['x', 'scale', 'bias'], mode: 'training' }, { x }, { seed: 3 });
    for (const r of res) assert.ok(r.relError < 1e-3, `rank ${rank} d/d${r.tensor}: ${r.relError} (${r.precision})`);
  }
});

test('training-mode BatchNormalization equals the inference form when the running statistics are the batch statistics', async () => {
  const { model, x } = batchNormModel(3);
  const [n, c, t] = x.shape as [number, number, number];
  const mean = new Float32Array(c), variance = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0, s2 = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < t; i++) s += x.data[(b * c + k) * t + i]!;
    const m = s / (n * t);
    for (let b = 0; b < n; b++) for (let i = 0; i < t; i++) s2 += (x.data[(b * c + k) * t + i]! - m) ** 2;
    mean[k] = m;
    variance[k] = s2 / (n * t);
  }
  const withStats: ModelProto = { ...model, graph: { ...model.graph, initializer: model.graph!.initializer!.map((i) => (i.name === 'mean' ? makeFloatTensor('mean', [c], mean) : i.name === 'var' ? makeFloatTensor('var', [c], variance) : i)) } };
  const train = gradientGraph(model, { of: 'y', wrt: ['x'], mode: 'training' });
  const info = gradientGraphInfo(train)!;
  assert.equal(info.training.batchNorm.length, 1);
  const bn = info.training.batchNorm[0]!;
  assert.deepEqual([bn.mean, bn.var, bn.runningMean, bn.runningVar, bn.momentum], ['bn_mean_bn', 'bn_var_bn', 'mean', 'var', 0.9]);
  const outT = await run(train, { x });
  const outI = await run(withStats, { x });
  const yT = outT['y']!.data as Float32Array, yI = outI['y']!.data as Float32Array;
  for (let i = 0; i < yT.length; i++) assert.ok(Math.abs(yT[i]! - yI[i]!) < 1e-5, `y[${i}]: training ${yT[i]} vs inference ${yI[i]}`);
  const gotMean = outT[bn.mean]!.data as Float32Array, gotVar = outT[bn.var]!.data as Float32Array;
  for (let k = 0; k < c; k++) {
    assert.ok(Math.abs(gotMean[k]! - mean[k]!) < 1e-5);
    assert.ok(Math.abs(gotVar[k]! - variance[k]!) < 1e-5);
  }
});

test('training-mode Dropout multiplies by the fed mask, forward and backward', async () => {
  const x = randomArray([3, 4], 21);
  const model = graphModel({
    nodes: [makeNode('Dropout', ['x', 'ratio'], ['d']), makeNode('Tanh', ['d'], ['y'])],
    inputs: [{ name: 'x', shape: ['N', 4] }],
    outputs: [{ name: 'y', shape: ['N', 4] }],
    initializers: [makeFloatTensor('ratio', [], [0.25])],
  });
  const g = gradientGraph(model, { of: 'y', wrt: ['x'], mode: 'training' });
  const info = gradientGraphInfo(g)!;
  assert.deepEqual(info.training.dropout, [{ node: 'Dropout_d', input: 'x', mask: 'dropout_mask_d', ratio: 0.25 }]);
  const mask = { data: Float32Array.from({ length: 12 }, (_, i) => (i % 4 === 1 ? 0 : 1 / 0.75)), shape: [3, 4] };
  const out = await run(g, { x, dropout_mask_d: mask });
  const y = out['y']!.data as Float32Array, dx = out['grad_x']!.data as Float32Array;
  for (let i = 0; i < 12; i++) {
    const d = x.data[i]! * mask.data[i]!;
    assert.ok(Math.abs(y[i]! - Math.tanh(d)) < 1e-6);
    assert.ok(Math.abs(dx[i]! - mask.data[i]! * (1 - Math.tanh(d) ** 2)) < 1e-5);
  }
  const res = await gradCheck(model, { of: 'y', wrt: ['x'], mode: 'training' }, { x, dropout_mask_d: mask });
  assert.ok(res[0]!.relError < 1e-3);
  // Inference: the identity.
  const inf = await run(gradientGraph(model, { of: 'y', wrt: ['x'] }), { x });
  assert.ok(Array.from(inf['y']!.data as Float32Array).every((v, i) => Math.abs(v - Math.tanh(x.data[i]!)) < 1e-6));
});

test('opset 13 and 17 single-op models produce the same gradient graph results (ReduceMean axes form)', async () => {
  const x = randomArray([2, 3, 4], 31);
  for (const opset of [13, 17]) {
    const m = { ...opModel('ReduceMean', { x }, { axes: [2], keepdims: 0 }, [2, 3]), opsetImport: [{ domain: '', version: opset }] };
    const res = await gradCheck(m, { of: 'y', wrt: ['x'] }, { x });
    assert.ok(res[0]!.relError < 1e-3, `opset ${opset}`);
  }
});

test('opset 18 (axes as inputs everywhere): ReduceMean and training-mode BatchNormalization', async () => {
  const { model, x } = batchNormModel(3);
  const m18: ModelProto = { ...model, opsetImport: [{ domain: '', version: 18 }] };
  const res = await gradCheck(m18, { of: 'y', wrt: ['x', 'scale'], mode: 'training' }, { x }, { seed: 5 });
  for (const r of res) assert.ok(r.relError < 1e-3, `d/d${r.tensor}: ${r.relError}`);
  const xs = randomArray([2, 3, 4], 32);
  const rm = graphModel({
    nodes: [makeNode('ReduceMean', ['x', 'ax'], ['y'], { keepdims: 0 })],
    inputs: [{ name: 'x', shape: [2, 3, 4] }],
    outputs: [{ name: 'y', shape: [2, 4] }],
    initializers: [makeInt64Tensor('ax', [1], [1])],
    opset: 18,
  });
  const r2 = await gradCheck(rm, { of: 'y', wrt: ['x'] }, { x: xs });
  assert.ok(r2[0]!.relError < 1e-3);
});

test('an op from another domain is not mistaken for the ONNX op of the same name', () => {
  const m = small();
  const relu = { ...makeNode('Relu', ['z'], ['r']), domain: 'com.example' };
  const custom: ModelProto = { ...m, graph: { ...m.graph, node: [m.graph!.node![0]!, relu, makeNode('Softmax', ['r'], ['y'], { axis: 1 })] } };
  assert.throws(() => gradientGraph(custom, { of: 'y', wrt: ['x'] }), (e: unknown) => e instanceof ModelError && /op 'com\.example\.Relu' is not supported/.test(e.message));
});
