/**
 * Modified-gradient modes by hand: guided Relu, DeepLIFT's rescale and
 * MaxPool rules on a [input; reference] batch, LRP's ε and z+ rules on a
 * two-layer network, and BatchNormalization folding (a Conv + BN pair gives
 * the relevance of the equivalent folded Conv).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradientGraph, gradientGraphInfo, type GradientModification } from './gradient.js';
import { graphModel } from './testing.js';
import { makeFloatTensor, makeNode, type ModelProto } from '../onnx/proto.js';
import { OnnxSession } from '../runtime.js';
import type { NdArray } from '../../util/npy.js';
import { Rng } from '../../util/rng.js';

async function grad(model: ModelProto, x: NdArray, modify: GradientModification, of = 'y'): Promise<Float32Array> {
  const g = gradientGraph(model, { of, wrt: ['x'], modify });
  const name = gradientGraphInfo(g)!.gradients['x']!;
  const s = await OnnxSession.create(g);
  try {
    return (await s.run({ x }, { outputs: [name] }))[name]!.data;
  } finally {
    await s.release();
  }
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

const f32 = (name: string, dims: number[], v: number[]) => makeFloatTensor(name, dims, Float32Array.from(v));

test('guided: Relu passes ReLU(dY) where x > 0', async () => {
  // y = Relu(x) * c: the upstream gradient of the Relu is c = [1, -1, 2, 3].
  const model = graphModel({
    nodes: [makeNode('Relu', ['x'], ['r']), makeNode('Mul', ['r', 'c'], ['y'])],
    inputs: [{ name: 'x', shape: [1, 4] }], outputs: [{ name: 'y', shape: [1, 4] }], initializers: [f32('c', [4], [1, -1, 2, 3])],
  });
  const g = await grad(model, { data: Float32Array.of(-1, 2, 3, -4), shape: [1, 4] }, { kind: 'guided' });
  assert.deepEqual(Array.from(g), [0, 0, 2, 0]);
});

test('deeplift: rescale multipliers (f(x) - f(x\')) / (x - x\') for both halves; the gradient where x = x\'', async () => {
  const model = graphModel({ nodes: [makeNode('Sigmoid', ['x'], ['y'])], inputs: [{ name: 'x', shape: ['n', 3] }], outputs: [{ name: 'y', shape: ['n', 3] }] });
  const x = [0.5, -1, 2];
  const r = [-0.5, 1, 2];
  const g = await grad(model, { data: Float32Array.from([...x, ...r]), shape: [2, 3] }, { kind: 'deeplift' });
  const s = (v: number): number => 1 / (1 + Math.exp(-v));
  const m = x.map((v, i) => (v === r[i] ? s(v) * (1 - s(v)) : (s(v) - s(r[i]!)) / (v - r[i]!)));
  close(g, [...m, ...m], 1e-5, 'sigmoid multipliers');
});

test('deeplift: MaxPool routes each window\'s Δout to the argmax of the larger side; attributions sum to Δ', async () => {
  const model = graphModel({
    nodes: [makeNode('MaxPool', ['x'], ['y'], { kernel_shape: [2], strides: [2] })],
    inputs: [{ name: 'x', shape: ['n', 1, 4] }], outputs: [{ name: 'y', shape: ['n', 1, 2] }],
  });
  const x = [1, 3, 2, 0];
  const r = [2, 0, 5, 1];
  const g = await grad(model, { data: Float32Array.from([...x, ...r]), shape: [2, 1, 4] }, { kind: 'deeplift' });
  // Window 1: 3 >= 2, Δout 1 at the input's argmax (3); window 2: 2 < 5, Δout -3 at the reference's argmax (5).
  const attr = x.map((v, i) => (v - r[i]!) * g[i]!);
  close(attr, [0, 1, -3, 0], 1e-6, 'attributions');
  close(g.subarray(4), g.subarray(0, 4), 0, 'same multipliers for the reference half');
});

/** y = Gemm(Relu(Gemm(x, W1, b1)), W2, b2), one output. */
const W1 = [[1, -2, 0.5], [-1, 1, 1], [0.5, 0.5, -1]];
const B1 = [0.1, -0.2, 0.3];
const W2 = [[1, -1, 2]];
const B2 = [0.05];
const MLP = graphModel({
  nodes: [makeNode('Gemm', ['x', 'w1', 'b1'], ['z1'], { transB: 1 }), makeNode('Relu', ['z1'], ['a']), makeNode('Gemm', ['a', 'w2', 'b2'], ['y'], { transB: 1 })],
  inputs: [{ name: 'x', shape: ['n', 3] }], outputs: [{ name: 'y', shape: ['n', 1] }],
  initializers: [f32('w1', [3, 3], W1.flat()), f32('b1', [3], B1), f32('w2', [1, 3], W2.flat()), f32('b2', [1], B2)],
});

function lrpByHand(x: number[], eps: number, zplus: boolean): number[] {
  const stab = (z: number): number => z + (z >= 0 ? eps : -eps);
  const z1 = W1.map((row, j) => row.reduce((s, w, i) => s + w * x[i]!, B1[j]!));
  const a = z1.map((v) => Math.max(0, v));
  const w2 = zplus ? W2[0]!.map((w) => Math.max(0, w)) : W2[0]!;
  const y = W2[0]!.reduce((s, w, j) => s + w * a[j]!, B2[0]!);
  const z2 = w2.reduce((s, w, j) => s + w * a[j]!, B2[0]!);
  const s2 = y / stab(z2);
  const ra = a.map((v, j) => v * w2[j]! * s2);
  const s1 = ra.map((r, j) => r / stab(z1[j]!));
  // The first layer reads the input: ε in both modes.
  return x.map((v, i) => v * W1.reduce((s, row, j) => s + row[i]! * s1[j]!, 0));
}

test('lrp: ε rule and z+ (past the first layer) on a two-layer network match the formulas', async () => {
  const x = [0.7, -0.3, 1.1];
  for (const [rule, eps] of [['epsilon', 0.1], ['epsilon', 1e-9], ['zplus', 0.1]] as const) {
    const g = await grad(MLP, { data: Float32Array.from(x), shape: [1, 3] }, { kind: 'lrp', rule, epsilon: eps });
    close(g, lrpByHand(x, eps, rule === 'zplus'), 1e-5, `${rule} ε=${eps}`);
  }
});

test('lrp: a Conv + BatchNormalization pair gives the relevance of the folded Conv (ε and z+)', async () => {
  const rng = new Rng(2);
  const rand = (n: number, sd = 1): number[] => Array.from({ length: n }, () => sd * rng.normal());
  const [C, K] = [4, 3];
  const w1 = rand(C * 2 * K);
  const w2 = rand(C * C * K);
  const gamma = rand(C).map((v) => 0.5 + Math.abs(v));
  const beta = rand(C, 0.2);
  const mean = rand(C, 0.2);
  const v = rand(C).map((q) => 0.5 + q * q);
  const scale = gamma.map((g, c) => g / Math.sqrt(v[c]! + 1e-5));
  const head = rand(C);
  const body = (second: ReturnType<typeof makeNode>[]) => [
    makeNode('Conv', ['x', 'w1'], ['c1'], { kernel_shape: [K], pads: [1, 1] }), makeNode('Relu', ['c1'], ['a1']),
    ...second, makeNode('Relu', ['z2'], ['a2']), makeNode('GlobalAveragePool', ['a2'], ['p']), makeNode('Flatten', ['p'], ['f']),
    makeNode('Gemm', ['f', 'h'], ['y'], { transB: 1 }),
  ];
  const io = { inputs: [{ name: 'x', shape: ['n', 2, 8] }], outputs: [{ name: 'y', shape: ['n', 1] }] };
  const common = [f32('w1', [C, 2, K], w1), f32('h', [1, C], head)];
  const pair = graphModel({
    ...io,
    nodes: body([makeNode('Conv', ['a1', 'w2'], ['c2'], { kernel_shape: [K], pads: [1, 1] }), makeNode('BatchNormalization', ['c2', 'g', 'b', 'm', 'v'], ['z2'], { epsilon: 1e-5 })]),
    initializers: [...common, f32('w2', [C, C, K], w2), f32('g', [C], gamma), f32('b', [C], beta), f32('m', [C], mean), f32('v', [C], v)],
  });
  const folded = graphModel({
    ...io,
    nodes: body([makeNode('Conv', ['a1', 'w2f', 'b2f'], ['z2'], { kernel_shape: [K], pads: [1, 1] })]),
    initializers: [...common, f32('w2f', [C, C, K], w2.map((w, i) => w * scale[Math.floor(i / (C * K))]!)), f32('b2f', [C], beta.map((b, c) => b - mean[c]! * scale[c]!))],
  });
  const x = { data: Float32Array.from(rand(2 * 16)), shape: [2, 2, 8] };
  for (const rule of ['epsilon', 'zplus'] as const) {
    const a = await grad(pair, x, { kind: 'lrp', rule, epsilon: 1e-6 });
    const b = await grad(folded, x, { kind: 'lrp', rule, epsilon: 1e-6 });
    assert.ok(b.some((q) => Math.abs(q) > 1e-3), 'relevance is all zero');
    close(a, b, 1e-4, `${rule}: pair vs folded`);
  }
});
