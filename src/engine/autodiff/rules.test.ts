/**
 * Every gradient rule against central finite differences on seeded random
 * inputs of several shapes. Tolerance: relative L2 error of the whole checked
 * gradient < 1e-3 when the forward runs in float64 (step 1e-3), < 1e-2 when
 * ORT has no float64 kernel for the op and differences are taken in float32
 * (step 1e-2; linear ops such as Conv are exact up to rounding at any step).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradCheck } from './gradcheck.js';
import { distinctArray, graphModel, opModel, randomArray } from './testing.js';
import { makeFloatTensor, makeInt64Tensor, makeNode, type AttrValue, type ModelProto } from '../onnx/proto.js';
import type { NdArray } from '../../util/npy.js';
import { gradientGraph, gradientGraphInfo } from './gradient.js';
import { OnnxSession } from '../runtime.js';

async function expectGrad(label: string, model: ModelProto, feeds: Record<string, NdArray>, wrt: string[], o: { maxElements?: number; of?: string } = {}): Promise<void> {
  const res = await gradCheck(model, { of: o.of ?? 'y', wrt }, feeds, { maxElements: o.maxElements ?? 48, seed: 7 });
  for (const r of res) {
    const tol = r.precision === 'float64' ? 1e-3 : 1e-2;
    assert.ok(r.relError < tol, `${label}: d/d${r.tensor} rel L2 error ${r.relError.toExponential(2)} >= ${tol} (${r.precision}, ${r.checked} elements)\n fd=${Array.from(r.numeric.slice(0, 6)).map((v) => v.toFixed(4))}\n an=${Array.from(r.analytic.slice(0, 6)).map((v) => v.toFixed(4))}`);
    assert.ok(r.numeric.some((v) => Math.abs(v) > 1e-3), `${label}: d/d${r.tensor} is all zero, the check is vacuous`);
  }
}

const convOut = (L: number, k: number, s: number, d: number, p0: number, p1: number): number => Math.floor((L + p0 + p1 - d * (k - 1) - 1) / s) + 1;

test('Conv: dX, dW, dB for strides, pads, dilations (1-D)', async () => {
  const cases: { L: number; cin: number; cout: number; k: number; s: number; d: number; pads: [number, number]; n: number }[] = [
    { L: 11, cin: 2, cout: 3, k: 3, s: 1, d: 1, pads: [1, 1], n: 2 },
    { L: 16, cin: 3, cout: 2, k: 4, s: 2, d: 1, pads: [1, 2], n: 2 },
    { L: 17, cin: 2, cout: 2, k: 3, s: 3, d: 2, pads: [0, 0], n: 1 },
    { L: 13, cin: 1, cout: 4, k: 5, s: 4, d: 1, pads: [2, 1], n: 3 },
    { L: 14, cin: 2, cout: 3, k: 2, s: 3, d: 1, pads: [0, 1], n: 2 },
    { L: 12, cin: 2, cout: 2, k: 4, s: 1, d: 2, pads: [6, 0], n: 1 },
    { L: 12, cin: 2, cout: 2, k: 3, s: 2, d: 1, pads: [4, 0], n: 1 },
    // Lengths that are multiples of the stride with pads that are not: dX by the polyphase form aligned on the unpadded input.
    { L: 40, cin: 2, cout: 3, k: 9, s: 4, d: 1, pads: [2, 3], n: 2 },
    { L: 20, cin: 3, cout: 2, k: 9, s: 2, d: 1, pads: [3, 4], n: 2 },
    { L: 24, cin: 2, cout: 2, k: 7, s: 3, d: 1, pads: [1, 2], n: 1 },
  ];
  for (const c of cases) {
    const lo = convOut(c.L, c.k, c.s, c.d, c.pads[0], c.pads[1]);
    const x = randomArray([c.n, c.cin, c.L], 1);
    const w = randomArray([c.cout, c.cin, c.k], 2, { scale: 0.5 });
    const b = randomArray([c.cout], 3);
    const m = opModel('Conv', { x }, { kernel_shape: [c.k], strides: [c.s], dilations: [c.d], pads: c.pads }, [c.n, c.cout, lo], { w, b });
    await expectGrad(`conv ${JSON.stringify(c)}`, m, { x }, ['x', 'w', 'b']);
  }
});

test('Conv: the alternative formulations (dX by ConvTranspose, dW by a Conv) are right too', async () => {
  const { convOptions } = await import('./rules/conv.js');
  const x = randomArray([2, 3, 19], 4);
  const w = randomArray([2, 3, 5], 5);
  const m = opModel('Conv', { x }, { kernel_shape: [5], strides: [2], dilations: [2], pads: [3, 1] }, [2, 2, 8], { w });
  const m2 = opModel('Conv', { x }, { kernel_shape: [5], strides: [3], pads: [2, 1] }, [2, 2, 6], { w });
  convOptions.weightGrad = 'conv';
  convOptions.inputGrad = 'convtranspose';
  try {
    await expectGrad('conv (alt forms, dilated)', m, { x }, ['x', 'w']);
    await expectGrad('conv (alt forms, strided)', m2, { x }, ['x', 'w']);
  } finally {
    convOptions.weightGrad = 'gemm';
    convOptions.inputGrad = 'conv';
  }
  // dW by the GEMM form in chunks of output steps (a tiny im2col budget forces 3 chunks here).
  const budget = convOptions.im2colFloatsPerEcg;
  convOptions.im2colFloatsPerEcg = 3 * 5 * 3;
  try {
    await expectGrad('conv dW (chunked im2col)', m2, { x }, ['w']);
  } finally {
    convOptions.im2colFloatsPerEcg = budget;
  }
});

test('Conv: symbolic batch and time lengths (run-time shapes)', async () => {
  const x = randomArray([2, 2, 15], 6);
  const w = randomArray([3, 2, 3], 7);
  for (const stride of [2, 1]) {
    const m = opModel('Conv', { x }, { kernel_shape: [3], strides: [stride], pads: [1, 1] }, ['N', 3, 'T2'], { w });
    m.graph!.input![0] = { ...m.graph!.input![0]!, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }, { dimParam: 'T' }] } } } };
    await expectGrad(`conv symbolic, stride ${stride}`, m, { x }, ['x', 'w']);
  }
});

test('unary activations: Relu, LeakyRelu, Sigmoid, Tanh, Exp, Neg, Abs, Softplus, Identity', async () => {
  const ops: [string, Record<string, AttrValue>][] = [['Relu', {}], ['LeakyRelu', { alpha: 0.1 }], ['Sigmoid', {}], ['Tanh', {}], ['Exp', {}], ['Neg', {}], ['Abs', {}], ['Softplus', {}], ['Identity', {}]];
  for (const [op, attrs] of ops) {
    for (const shape of [[3, 4], [2, 3, 5]]) {
      const x = randomArray(shape, 11, { awayFromZero: 0.05 });
      await expectGrad(op, opModel(op, { x }, attrs, shape), { x }, ['x']);
    }
  }
});

test('Log, Sqrt (positive inputs) and Pow (both operands)', async () => {
  const xs = randomArray([2, 5], 12);
  const x = { data: xs.data.map((v) => Math.abs(v) + 0.5), shape: xs.shape };
  await expectGrad('Log', opModel('Log', { x }, {}, [2, 5]), { x }, ['x']);
  await expectGrad('Sqrt', opModel('Sqrt', { x }, {}, [2, 5]), { x }, ['x']);
  const p = { data: Float32Array.from([1.5, 2, 0.5, 3, 2.5]), shape: [5] };
  await expectGrad('Pow', opModel('Pow', { x, p }, {}, [2, 5]), { x, p }, ['x', 'p']);
});

test('Add, Sub, Mul, Div with broadcasting reduce back to each operand', async () => {
  const shapes: [number[], number[], number[]][] = [
    [[2, 3, 4], [2, 3, 4], [2, 3, 4]],
    [[2, 3, 4], [3, 1], [2, 3, 4]],
    [[2, 3, 4], [4], [2, 3, 4]],
    [[2, 1, 4], [1, 3, 1], [2, 3, 4]],
  ];
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    for (const [sa, sb, sy] of shapes) {
      const a = randomArray(sa, 21);
      const b0 = randomArray(sb, 22);
      const b = op === 'Div' ? { data: b0.data.map((v) => Math.sign(v || 1) * (Math.abs(v) + 0.5)), shape: sb } : b0;
      await expectGrad(`${op} ${sa}|${sb}`, opModel(op, { a, b }, {}, sy), { a, b }, ['a', 'b']);
    }
  }
});

test('Softmax and LogSoftmax along an axis', async () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const [shape, axis] of [[[3, 5], -1], [[2, 4, 3], 1]] as [number[], number][]) {
      const x = randomArray(shape, 31);
      await expectGrad(`${op} axis ${axis}`, opModel(op, { x }, { axis }, shape), { x }, ['x']);
    }
  }
});

test('Gemm: transA/transB/alpha/beta, and MatMul with batch broadcasting', async () => {
  for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    const a = randomArray(ta ? [4, 3] : [3, 4], 41);
    const b = randomArray(tb ? [5, 4] : [4, 5], 42);
    const c = randomArray([5], 43);
    const m = opModel('Gemm', { a, b, c }, { transA: ta!, transB: tb!, alpha: { float: 0.7 }, beta: { float: 1.3 } }, [3, 5]);
    await expectGrad(`Gemm ${ta}${tb}`, m, { a, b, c }, ['a', 'b', 'c']);
  }
  for (const [sa, sb, sy] of [[[2, 3, 4], [4, 5], [2, 3, 5]], [[2, 3, 4], [2, 4, 5], [2, 3, 5]], [[3, 4], [2, 4, 5], [2, 3, 5]], [[4], [4, 5], [5]]] as number[][][]) {
    const a = randomArray(sa!, 44), b = randomArray(sb!, 45);
    await expectGrad(`MatMul ${sa}x${sb}`, opModel('MatMul', { a, b }, {}, sy!), { a, b }, ['a', 'b']);
  }
});

test('BatchNormalization (inference form): dX, dScale, dBias', async () => {
  const x = randomArray([3, 4, 6], 51);
  const params = { scale: randomArray([4], 52), bias: randomArray([4], 53), mean: randomArray([4], 54, { scale: 0.3 }), var: { data: Float32Array.from([0.5, 1.5, 2, 0.8]), shape: [4] } };
  const m = opModel('BatchNormalization', { x }, { epsilon: { float: 1e-3 } }, [3, 4, 6], params);
  await expectGrad('BN inference', m, { x }, ['x', 'scale', 'bias']);
});

test('shape-only ops: Flatten, Reshape, Transpose, Squeeze, Unsqueeze', async () => {
  const x = randomArray([2, 3, 4], 61);
  await expectGrad('Flatten', opModel('Flatten', { x }, { axis: 1 }, [2, 12]), { x }, ['x']);
  await expectGrad('Transpose', opModel('Transpose', { x }, { perm: [2, 0, 1] }, [4, 2, 3]), { x }, ['x']);
  const reshape = graphModel({
    nodes: [makeNode('Reshape', ['x', 'shape'], ['y'])],
    inputs: [{ name: 'x', shape: [2, 3, 4] }],
    outputs: [{ name: 'y', shape: [6, 4] }],
    initializers: [makeInt64Tensor('shape', [2], [-1, 4])],
  });
  await expectGrad('Reshape', reshape, { x }, ['x']);
  const sq = graphModel({
    nodes: [makeNode('Unsqueeze', ['x', 'ax'], ['u']), makeNode('Squeeze', ['u', 'ax'], ['v']), makeNode('Mul', ['v', 'v'], ['y'])],
    inputs: [{ name: 'x', shape: [2, 3, 4] }],
    outputs: [{ name: 'y', shape: [2, 3, 4] }],
    initializers: [makeInt64Tensor('ax', [1], [1])],
  });
  await expectGrad('Squeeze/Unsqueeze', sq, { x }, ['x']);
});

test('Concat, Slice (unit and strided steps), Pad (constant and reflect)', async () => {
  const a = randomArray([2, 3, 4], 71), b = randomArray([2, 2, 4], 72);
  await expectGrad('Concat', opModel('Concat', { a, b }, { axis: 1 }, [2, 5, 4]), { a, b }, ['a', 'b']);
  const x = randomArray([2, 3, 9], 73);
  const slice = (starts: number[], ends: number[], axes: number[], steps: number[], y: number[]): ModelProto =>
    graphModel({
      nodes: [makeNode('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])],
      inputs: [{ name: 'x', shape: [2, 3, 9] }],
      outputs: [{ name: 'y', shape: y }],
      initializers: [makeInt64Tensor('st', [starts.length], starts), makeInt64Tensor('en', [ends.length], ends), makeInt64Tensor('ax', [axes.length], axes), makeInt64Tensor('sp', [steps.length], steps)],
    });
  await expectGrad('Slice unit', slice([1, 2], [3, -1], [1, 2], [1, 1], [2, 2, 6]), { x }, ['x']);
  await expectGrad('Slice steps', slice([0, 2], [9, 0], [2, 1], [2, -1], [2, 2, 5]), { x }, ['x']);
  const pad = (mode: string, pads: number[], y: number[]): ModelProto =>
    graphModel({
      nodes: [makeNode('Pad', ['x', 'p'], ['y'], { mode })],
      inputs: [{ name: 'x', shape: [2, 3, 9] }],
      outputs: [{ name: 'y', shape: y }],
      initializers: [makeInt64Tensor('p', [6], pads)],
    });
  await expectGrad('Pad constant', pad('constant', [0, 0, 2, 0, 1, 3], [2, 4, 14]), { x }, ['x']);
  await expectGrad('Pad reflect', pad('reflect', [0, 0, 2, 0, 0, 3], [2, 3, 14]), { x }, ['x']);
});

test('MaxPool (overlapping windows, pads), AveragePool (with and without pad counting), GlobalAveragePool', async () => {
  for (const [k, s, pads, L] of [[3, 2, [1, 1], 12], [2, 2, [0, 0], 10], [5, 3, [2, 2], 13]] as [number, number, number[], number][]) {
    const x = distinctArray([2, 3, L], 81);
    const lo = convOut(L, k, s, 1, pads[0]!, pads[1]!);
    await expectGrad(`MaxPool k${k}s${s}`, opModel('MaxPool', { x }, { kernel_shape: [k], strides: [s], pads }, [2, 3, lo]), { x }, ['x']);
    for (const cip of [0, 1]) {
      await expectGrad(`AveragePool k${k}s${s} cip${cip}`, opModel('AveragePool', { x }, { kernel_shape: [k], strides: [s], pads, count_include_pad: cip }, [2, 3, lo]), { x }, ['x']);
    }
  }
  const x = randomArray([2, 3, 7], 82);
  await expectGrad('GlobalAveragePool', opModel('GlobalAveragePool', { x }, {}, [2, 3, 1]), { x }, ['x']);
});

test('MaxPool with tiled windows (kernel = stride, as ResNet skips): an end pad, and ties go to the first maximum as in PyTorch', async () => {
  const x = distinctArray([2, 3, 11], 83);
  await expectGrad('MaxPool k2s2 SAME_UPPER', opModel('MaxPool', { x }, { kernel_shape: [2], strides: [2], auto_pad: 'SAME_UPPER' }, [2, 3, 6]), { x }, ['x']);
  await expectGrad('MaxPool k4s4 pads [0, 1]', opModel('MaxPool', { x }, { kernel_shape: [4], strides: [4], pads: [0, 1] }, [2, 3, 3]), { x }, ['x']);
  // Windows of 3 over 8 samples, padded by 1: ties within a window (1, 1, 1), (0, 2, 2), and in the padded one (4, 4).
  const tied = { data: Float32Array.from([1, 1, 1, 0, 2, 2, 4, 4]), shape: [1, 1, 8] };
  const m = opModel('MaxPool', { x: tied }, { kernel_shape: [3], strides: [3], pads: [0, 1] }, [1, 1, 3]);
  const g = gradientGraph(m, { of: 'y', wrt: ['x'], seed: 'input' });
  const info = gradientGraphInfo(g)!;
  const s = await OnnxSession.create(g, { threads: 1 });
  const out = await s.run({ x: tied, [info.seedInput!]: { data: Float32Array.from([10, 20, 30]), shape: [1, 1, 3] } });
  await s.release();
  assert.deepEqual(Array.from(out[info.gradients['x']!]!.data), [10, 0, 0, 0, 20, 0, 30, 0]);
});

test('ReduceMean (axes attribute) and ReduceSum (axes input), keepdims 0 and 1', async () => {
  const x = randomArray([2, 3, 4], 91);
  for (const keepdims of [0, 1]) {
    const yShape = keepdims ? [2, 1, 4] : [2, 4];
    await expectGrad(`ReduceMean keep${keepdims}`, opModel('ReduceMean', { x }, { axes: [1], keepdims }, yShape), { x }, ['x']);
    const m = graphModel({
      nodes: [makeNode('ReduceSum', ['x', 'ax'], ['y'], { keepdims })],
      inputs: [{ name: 'x', shape: [2, 3, 4] }],
      outputs: [{ name: 'y', shape: keepdims ? [1, 3, 1] : [3] }],
      initializers: [makeInt64Tensor('ax', [2], [0, -1])],
    });
    await expectGrad(`ReduceSum keep${keepdims}`, m, { x }, ['x']);
  }
});

test('Dropout (inference) is the identity; a chain reusing a tensor accumulates gradients', async () => {
  const x = randomArray([2, 5], 101);
  const w = randomArray([5], 102);
  const m = graphModel({
    nodes: [makeNode('Dropout', ['x', 'ratio'], ['d']), makeNode('Mul', ['d', 'w'], ['m']), makeNode('Add', ['m', 'd'], ['s']), makeNode('Mul', ['s', 'x'], ['y'])],
    inputs: [{ name: 'x', shape: [2, 5] }],
    outputs: [{ name: 'y', shape: [2, 5] }],
    initializers: [makeFloatTensor('w', [5], w.data), makeFloatTensor('ratio', [], [0.5])],
  });
  await expectGrad('dropout + reuse', m, { x }, ['x', 'w']);
});

test('more unary ops: Reciprocal, Erf, Elu, HardSigmoid, Clip (inputs min/max), Cast (float to float)', async () => {
  const x = randomArray([2, 3, 4], 111, { awayFromZero: 0.1 });
  for (const [op, attrs] of [['Reciprocal', {}], ['Erf', {}], ['Elu', { alpha: { float: 0.7 } }], ['HardSigmoid', { alpha: { float: 0.3 }, beta: { float: 0.5 } }], ['Cast', { to: 1 }]] as [string, Record<string, AttrValue>][]) {
    await expectGrad(op, opModel(op, { x }, attrs, [2, 3, 4]), { x }, ['x']);
  }
  const clip = graphModel({
    nodes: [makeNode('Clip', ['x', 'lo', 'hi'], ['y'])],
    inputs: [{ name: 'x', shape: [2, 3, 4] }],
    outputs: [{ name: 'y', shape: [2, 3, 4] }],
    initializers: [makeFloatTensor('lo', [], [-0.55]), makeFloatTensor('hi', [], [0.65])],
  });
  await expectGrad('Clip', clip, { x }, ['x']);
});

test('selection ops: Where, Max, Min, Sum, Mean, Expand, Gather, Tile, Split, GlobalMaxPool', async () => {
  const a = distinctArray([2, 3, 4], 121), b = distinctArray([3, 4], 122, 0.07);
  const cond = graphModel({
    nodes: [makeNode('Greater', ['a', 'b'], ['c']), makeNode('Where', ['c', 'a', 'b'], ['y'])],
    inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [3, 4] }],
    outputs: [{ name: 'y', shape: [2, 3, 4] }],
  });
  await expectGrad('Where', cond, { a, b }, ['a', 'b']);
  for (const op of ['Max', 'Min', 'Sum', 'Mean']) await expectGrad(op, opModel(op, { a, b }, {}, [2, 3, 4]), { a, b }, ['a', 'b']);
  const x = randomArray([3, 1], 123);
  const withInts = (op: string, ints: number[], y: number[], extra: Record<string, AttrValue> = {}): ModelProto =>
    graphModel({
      nodes: [makeNode(op, ['x', 'k'], ['y'], extra)],
      inputs: [{ name: 'x', shape: [3, 1] }],
      outputs: [{ name: 'y', shape: y }],
      initializers: [makeInt64Tensor('k', [ints.length], ints)],
    });
  await expectGrad('Expand', withInts('Expand', [2, 3, 4], [2, 3, 4]), { x }, ['x']);
  await expectGrad('Tile', withInts('Tile', [2, 3], [6, 3]), { x }, ['x']);
  await expectGrad('Gather (repeated indices)', withInts('Gather', [2, 0, 2, 1], [4, 1], { axis: 0 }), { x }, ['x']);
  const sp = graphModel({
    nodes: [makeNode('Split', ['a', 'parts'], ['p', 'q'], { axis: 2 }), makeNode('Mul', ['p', 'p'], ['y'])],
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    outputs: [{ name: 'y', shape: [2, 3, 1] }],
    initializers: [makeInt64Tensor('parts', [2], [1, 3])],
  });
  await expectGrad('Split (one output used)', sp, { a }, ['a']);
  await expectGrad('GlobalMaxPool', opModel('GlobalMaxPool', { a }, {}, [2, 3, 1]), { a }, ['a']);
});

test('LayerNormalization (last axis and last two axes): dX, dScale, dBias', async () => {
  const x = randomArray([2, 3, 4], 131);
  for (const [axis, ps] of [[-1, [4]], [1, [3, 4]]] as [number, number[]][]) {
    const params = { scale: randomArray(ps, 132), bias: randomArray(ps, 133) };
    const m = opModel('LayerNormalization', { x }, { axis, epsilon: { float: 1e-5 } }, [2, 3, 4], params);
    await expectGrad(`LayerNorm axis ${axis}`, m, { x }, ['x', 'scale', 'bias']);
  }
});

test('Conv 2-D (fallback forms: ConvTranspose for dX, a Conv for dW)', async () => {
  const x = randomArray([2, 2, 6, 7], 141);
  const w = randomArray([3, 2, 3, 2], 142);
  const m = opModel('Conv', { x }, { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1] }, [2, 3, 3, 7], { w });
  await expectGrad('conv2d', m, { x }, ['x', 'w']);
});
