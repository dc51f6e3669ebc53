import { test } from 'node:test';
import assert from 'node:assert/strict';
import { broadcastShapes, inferShapes, isUnknownDim, ShapeInfo, UNKNOWN, valueInfoOf, type Dim } from './shapes.js';
import { DType, encodeModel, makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import '../telemetry.js'; // before onnxruntime-node: see telemetry.ts
import * as ort from 'onnxruntime-node';
import { withExtraOutputs } from './inspect.js';
import { Rng } from '../../util/rng.js';
import type { NdArray } from '../../util/npy.js';

function randn(shape: number[], seed: number): NdArray {
  const r = new Rng(seed);
  return { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()), shape };
}

/** A float input whose '?' dims carry neither a value nor a name (unknown, as exporters write them). */
const unknownInput = (name: string, dims: Dim[]): ValueInfoProto => valueInfoOf(name, { elemType: DType.FLOAT, shape: dims });

function graphModel(nodes: NodeProto[], initializer: TensorProto[], inputs: ValueInfoProto[]): ModelProto {
  const last = nodes[nodes.length - 1]!.output![0]!;
  return { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', node: nodes, initializer, input: inputs, output: [{ name: last, type: { tensorType: { elemType: DType.FLOAT } } }] } };
}

/** Every node output's shape as onnxruntime computes it for `feeds` (a plain session: inputs need not share a batch size). */
async function runtimeShapes(model: ModelProto, feeds: Record<string, NdArray>): Promise<Map<string, number[]>> {
  const names = (model.graph!.node ?? []).flatMap((n) => n.output ?? []).filter((n) => n);
  const s = await ort.InferenceSession.create(encodeModel(withExtraOutputs(model, names)), { intraOpNumThreads: 1, logSeverityLevel: 3 });
  try {
    const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.shape)])));
    return new Map(names.map((n) => [n, [...out[n]!.dims]]));
  } finally {
    await s.release();
  }
}

test('broadcastShapes: 1s stretch, static sizes must agree, a symbolic dim takes the static size, two symbols ask the caller', () => {
  const never = (): never => assert.fail('no symbolic mismatch expected');
  assert.deepEqual(broadcastShapes([[2, 1, 5], [3, 1], [5]], never), [2, 3, 5]);
  assert.deepEqual(broadcastShapes([['batch', 4], ['batch', 1]], never), ['batch', 4]);
  assert.equal(broadcastShapes([[2, 4], [3, 4]], never), undefined);
  assert.deepEqual(broadcastShapes([['batch', 4], ['time', 4]], (a, b) => `${a}|${b}`), ['batch|time', 4]);
  const info = new ShapeInfo(17);
  assert.deepEqual(info.broadcast([['batch', 4], [7, 4]]), [7, 4]);
  const [d] = info.broadcast([['batch'], ['time']])!;
  assert.ok(isUnknownDim(d!) && d !== 'batch' && d !== 'time');
});

test('two unknown dims are different unknowns: broadcasting them does not make them equal (checked with onnxruntime)', async () => {
  // c = a + b with a, b of unknown (unnamed) batch sizes; then a.view(c.size(0), -1).
  // With every unknown written '?', c's batch would equal a's and the -1 would wrongly come out as 6.
  const nodes = [
    makeNode('Add', ['a', 'b'], ['c']),
    makeNode('Shape', ['c'], ['cs']),
    makeNode('Gather', ['cs', 'zero'], ['cn'], { axis: 0 }),
    makeNode('Unsqueeze', ['cn', 'axes0'], ['cn1']),
    makeNode('Concat', ['cn1', 'minus1'], ['target'], { axis: 0 }),
    makeNode('Reshape', ['a', 'target'], ['r']),
    // The same chain on a's own batch cancels it: a.view(a.size(0), -1) is [?, 6].
    makeNode('Shape', ['a'], ['as']),
    makeNode('Gather', ['as', 'zero'], ['an'], { axis: 0 }),
    makeNode('Unsqueeze', ['an', 'axes0'], ['an1']),
    makeNode('Concat', ['an1', 'minus1'], ['target2'], { axis: 0 }),
    makeNode('Reshape', ['a', 'target2'], ['r2']),
  ];
  const inits = [makeInt64Tensor('zero', [], [0]), makeInt64Tensor('axes0', [1], [0]), makeInt64Tensor('minus1', [1], [-1])];
  const model = graphModel(nodes, inits, [unknownInput('a', [UNKNOWN, 6]), unknownInput('b', [UNKNOWN, 6])]);

  const info = ShapeInfo.ofGraph(model.graph!, 17);
  const [a0, b0, c0] = ['a', 'b', 'c'].map((n) => info.shape(n)![0]!);
  assert.ok(isUnknownDim(a0!) && isUnknownDim(b0!) && isUnknownDim(c0!));
  assert.equal(new Set([a0, b0, c0]).size, 3, `unknown dims must be distinct, got ${a0}, ${b0}, ${c0}`);
  assert.deepEqual(info.shape('c')!.slice(1), [6]);
  assert.equal(info.shape('r')![0], c0);
  assert.ok(isUnknownDim(info.shape('r')![1]!), `r's -1 cannot be solved statically, got ${info.shape('r')![1]}`);
  assert.deepEqual(info.shape('r2'), [a0, 6]);

  const types = inferShapes(model);
  assert.deepEqual(types.get('r')?.shape, ['?', '?']);
  assert.deepEqual(types.get('r2')?.shape, ['?', 6]);
  const real = await runtimeShapes(model, { a: randn([1, 6], 1), b: randn([2, 6], 2) });
  assert.deepEqual(real.get('c'), [2, 6]);
  assert.deepEqual(real.get('r'), [2, 3], 'not [2, 6]');
  assert.deepEqual(real.get('r2'), [1, 6]);
});

test('inferShapes covers the ops of both former passes: ConvTranspose, ceil_mode windows, Expand, Tile, Split, Range, reductions (checked with onnxruntime)', async () => {
  const nodes = [
    makeNode('ConvTranspose', ['x', 'wt'], ['ct'], { strides: [2], pads: [1, 0], output_padding: [1] }),
    // ceil_mode whose last window would start in the right pad: onnxruntime drops it.
    makeNode('MaxPool', ['x'], ['mp'], { kernel_shape: [2], strides: [2], pads: [1, 1], ceil_mode: 1 }),
    makeNode('AveragePool', ['ct'], ['ap'], { kernel_shape: [3], strides: [2], ceil_mode: 1 }),
    makeNode('Expand', ['x', 'eshape'], ['ex']),
    makeNode('Tile', ['x', 'reps'], ['tl']),
    makeNode('Split', ['tl', 'split'], ['sp0', 'sp1'], { axis: 2 }),
    makeNode('ReduceSumSquare', ['ex'], ['rs'], { axes: [2], keepdims: 0 }),
    makeNode('ArgMax', ['sp1'], ['am'], { axis: 2, keepdims: 1 }),
    makeNode('Shape', ['sp0'], ['s0'], { start: -1 }),
    makeNode('Squeeze', ['s0', 'axes0'], ['s0scalar']), // Range takes scalars
    makeNode('Range', ['zero', 's0scalar', 'two'], ['rg']),
    makeNode('Size', ['rs'], ['sz']),
    makeNode('Greater', ['rs', 'one'], ['cond']),
    makeNode('Where', ['cond', 'rs', 'one'], ['wh']),
  ];
  const model = graphModel(
    nodes,
    [
      makeFloatTensor('wt', [2, 3, 4], randn([24], 3).data),
      makeInt64Tensor('eshape', [4], [2, 1, 1, 1]),
      makeInt64Tensor('reps', [3], [1, 1, 2]),
      makeInt64Tensor('split', [2], [3, 7]),
      makeInt64Tensor('axes0', [1], [0]),
      makeInt64Tensor('zero', [], [0]),
      makeInt64Tensor('two', [], [2]),
      makeFloatTensor('one', [], [1]),
    ],
    [makeValueInfo('x', ['batch', 2, 5])],
  );
  const types = inferShapes(model);
  const real = await runtimeShapes(model, { x: randn([3, 2, 5], 4) });
  for (const [name, shape] of real) {
    const inferred = types.get(name)?.shape;
    assert.ok(inferred, `no shape for ${name}`);
    assert.deepEqual(inferred.map((d) => (d === 'batch' ? 3 : d)), shape, `${name}: inferred [${inferred.join(', ')}]`);
  }
  assert.equal(types.get('am')?.elemType, DType.INT64);
  assert.deepEqual(types.get('mp')?.shape, ['batch', 2, 3]);
});

test('declared shapes win dim by dim, except where inference knows a size the declaration leaves open', () => {
  const nodes = [makeNode('Relu', ['x'], ['y']), makeNode('Flatten', ['y'], ['f'])];
  const model = graphModel(nodes, [], [makeValueInfo('x', ['batch', 2, 5])]);
  model.graph!.valueInfo = [unknownInput('y', ['n', UNKNOWN, UNKNOWN])];
  const types = inferShapes(model);
  assert.deepEqual(types.get('y')?.shape, ['n', 2, 5]);
  assert.deepEqual(types.get('f')?.shape, ['n', 10]);
});
