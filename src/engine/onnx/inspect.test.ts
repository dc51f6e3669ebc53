import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectModel, truncateModel, withExtraOutputs } from './inspect.js';
import { inferShapes } from './shapes.js';
import { GraphBuilder } from './builder.js';
import { loadModel, makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo, type ModelProto } from './proto.js';
import { OnnxSession } from '../runtime.js';
import { resnet1d } from '../../models/resnet1d.js';
import { Rng } from '../../util/rng.js';
import { ModelError } from '../../util/errors.js';
import { readNpy, type NdArray } from '../../util/npy.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
const TORCH = resolve(repoRoot(), 'test/fixtures/torch');

function randn(shape: number[], seed: number): NdArray {
  const r = new Rng(seed);
  return { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()), shape };
}

/** Every tensor's inferred shape (batch symbolic) against the shape onnxruntime actually computes. */
async function checkInferenceAgainstRuntime(model: ModelProto, feeds: Record<string, NdArray>, batch: number): Promise<number> {
  const stripped: ModelProto = { ...model, graph: { ...model.graph, valueInfo: [] } };
  const types = inferShapes(stripped);
  const names = (model.graph!.node ?? []).flatMap((n) => n.output ?? []).filter((n) => n);
  const s = await OnnxSession.create(stripped, { threads: 1, extraOutputs: names });
  try {
    const out = await s.run(feeds);
    for (const name of names) {
      const inferred = types.get(name)?.shape;
      assert.ok(inferred, `no shape inferred for ${name}`);
      const concrete = inferred.map((d) => (d === 'batch' ? batch : d));
      assert.deepEqual(concrete, out[name]!.shape, `${name}: inferred [${inferred.join(', ')}]`);
    }
  } finally {
    await s.release();
  }
  return names.length;
}

const TINY = { leads: 2, samples: 40, filters: [4, 6, 6], downsample: [2, 3], kernel: 5, dropout: 0.1, head: 'flatten' as const, task: 'multiclass' as const, outputs: 3, seed: 2 };

test('inspect: an ecgx resnet1d lists inputs, outputs, layers, parameters and its blocks', () => {
  const model = resnet1d(TINY);
  const info = inspectModel(model);
  assert.equal(info.opset, 17);
  assert.deepEqual(info.inputs, [{ name: 'ecg', shape: ['batch', 2, 40], dtype: 'float32' }]);
  assert.deepEqual(info.outputs, [{ name: 'logits', shape: ['batch', 3], dtype: 'float32' }, { name: 'probs', shape: ['batch', 3], dtype: 'float32' }]);
  assert.equal(info.nodes.length, model.graph!.node!.length);
  assert.deepEqual(info.blocks, ['block1', 'block2']);
  const kinds = new Map(info.explainable.map((e) => [e.name, e]));
  assert.deepEqual(kinds.get('block1'), { name: 'block1', shape: ['batch', 6, 20], kind: 'block' });
  assert.deepEqual(kinds.get('block2'), { name: 'block2', shape: ['batch', 6, 7], kind: 'block' });
  assert.equal(kinds.get('block1.conv1')?.kind, 'conv');
  assert.equal(kinds.get('block1.relu1')?.kind, 'activation');
  assert.equal(kinds.has('block1.relu2'), false, 'the ReLU copied into block1 is listed once, as the block');
  assert.equal(kinds.has('head.flatten'), false, 'only [batch, channels, time] tensors are explainable');
  assert.equal(info.parameters, info.initializers.filter((t) => t.shape.length > 0).reduce((a, t) => a + t.count, 0));
  assert.equal(info.metadata['ecgx.task'], 'multiclass');
});

test('inspect: shape inference without value_info matches what onnxruntime computes (resnet1d)', async () => {
  const n = await checkInferenceAgainstRuntime(resnet1d(TINY), { ecg: randn([3, 2, 40], 1) }, 3);
  assert.ok(n > 20);
});

test('inspect: shape inference follows PyTorch-style reshapes, transposes, matmuls, reductions and SAME/ceil windows', async () => {
  // x.view(x.size(0), -1) as torch exports it: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
  const nodes = [
    makeNode('Conv', ['x', 'w'], ['c'], { kernel_shape: [3], strides: [2], auto_pad: 'SAME_UPPER' }),
    makeNode('MaxPool', ['c'], ['p'], { kernel_shape: [2], strides: [2], ceil_mode: 1 }),
    makeNode('Shape', ['p'], ['s']),
    makeNode('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
    makeNode('Unsqueeze', ['n', 'axes0'], ['n1']),
    makeNode('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }),
    makeNode('Reshape', ['p', 'target'], ['flat']),
    makeNode('Transpose', ['p'], ['pt'], { perm: [0, 2, 1] }),
    makeNode('MatMul', ['pt', 'm'], ['mm']),
    makeNode('ReduceMean', ['mm'], ['rm'], { axes: [1], keepdims: 0 }),
    makeNode('Slice', ['c', 'st', 'en', 'ax'], ['sl']),
    makeNode('Pad', ['sl', 'pads'], ['pd']),
    makeNode('Unsqueeze', ['rm', 'axes0'], ['u']),
    makeNode('Squeeze', ['u', 'axes0'], ['sq']),
    makeNode('GlobalAveragePool', ['pd'], ['gp']),
    makeNode('Flatten', ['gp'], ['gf'], { axis: 1 }),
    makeNode('Gemm', ['gf', 'g'], ['lin'], { transB: 1 }),
  ];
  const model: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'shapes',
      node: nodes,
      initializer: [
        makeFloatTensor('w', [4, 2, 3], randn([24], 2).data),
        makeInt64Tensor('zero', [], [0]),
        makeInt64Tensor('axes0', [1], [0]),
        makeInt64Tensor('minus1', [1], [-1]),
        makeFloatTensor('m', [4, 5], randn([20], 3).data),
        makeInt64Tensor('st', [1], [1]),
        makeInt64Tensor('en', [1], [-1]),
        makeInt64Tensor('ax', [1], [2]),
        makeInt64Tensor('pads', [6], [0, 0, 2, 0, 0, 1]),
        makeFloatTensor('g', [7, 4], randn([28], 4).data),
      ],
      input: [makeValueInfo('x', ['batch', 2, 11])],
      output: [makeValueInfo('flat', ['batch', 12]), makeValueInfo('sq', ['batch', 5]), makeValueInfo('lin', ['batch', 7])],
    },
  };
  const types = inferShapes(model);
  assert.deepEqual(types.get('c')?.shape, ['batch', 4, 6]); // ceil(11 / 2)
  assert.deepEqual(types.get('p')?.shape, ['batch', 4, 3]); // ceil((6 - 2) / 2) + 1
  assert.deepEqual(types.get('flat')?.shape, ['batch', 12]);
  assert.deepEqual(types.get('pd')?.shape, ['batch', 4, 7]); // 6 - 2 sliced, + 3 padded
  assert.equal(await checkInferenceAgainstRuntime(model, { x: randn([2, 2, 11], 5) }, 2), nodes.length);
});

test('withExtraOutputs: intermediate tensors become outputs; a missing name is a ModelError naming it', async () => {
  const model = resnet1d(TINY);
  const m2 = withExtraOutputs(model, ['block1', 'block1.conv1', 'logits']);
  assert.deepEqual(m2.graph!.output!.map((o) => o.name), ['logits', 'probs', 'block1', 'block1.conv1']);
  assert.equal(model.graph!.output!.length, 2, 'the original model is not modified');
  assert.throws(() => withExtraOutputs(model, ['block9']), (e: unknown) => e instanceof ModelError && /no tensor named 'block9'/.test(e.message));
  assert.throws(() => withExtraOutputs(model, ['ecg']), (e: unknown) => e instanceof ModelError && /'ecg' is a graph input/.test(e.message));
  assert.throws(() => truncateModel(model, ['nope']), (e: unknown) => e instanceof ModelError && /'nope'/.test(e.message));
  const s = await OnnxSession.create(m2, { threads: 1 });
  const out = await s.run({ ecg: randn([2, 2, 40], 6) });
  await s.release();
  assert.deepEqual(out['block1.conv1']!.shape, [2, 6, 40]);
});

interface TorchManifest {
  models: { file: string; blocks: { tensor: string; shape: (number | string)[]; block: number }[] }[];
  references: Record<string, { blocks: { block: number; file: string }[] }>;
}

test('inspect: PyTorch exports (no value_info, torch names) have their residual blocks found structurally', { skip: !existsSync(resolve(TORCH, 'manifest.json')) && 'torch fixtures absent' }, async (t) => {
  const manifest = JSON.parse(readFileSync(resolve(TORCH, 'manifest.json'), 'utf8')) as TorchManifest;
  const x = readNpy(resolve(TORCH, 'x.npy'));
  for (const entry of manifest.models) {
    const model = loadModel(resolve(TORCH, entry.file));
    const info = inspectModel(model);
    // torch's blocks.0..3 -> four block outputs; the manifest lists the last three.
    assert.equal(info.blocks.length, 4, entry.file);
    assert.deepEqual(info.blocks.slice(-3), entry.blocks.map((b) => b.tensor), entry.file);
    for (const b of entry.blocks) assert.deepEqual(info.explainable.find((e) => e.name === b.tensor)?.shape, b.shape, `${entry.file} ${b.tensor}`);
    assert.ok(info.explainable.some((e) => e.kind === 'conv'));
    // The activations themselves against float64 torch.
    const task = entry.file.split('_')[0]!;
    const s = await OnnxSession.create(model, { threads: 1, extraOutputs: info.blocks.slice(-3) });
    const out = await s.run({ ecg: x });
    await s.release();
    for (const ref of manifest.references[task]!.blocks) {
      const want = readNpy(resolve(TORCH, ref.file));
      const got = out[entry.blocks.find((b) => b.block === ref.block)!.tensor]!;
      assert.deepEqual(got.shape, want.shape);
      let num = 0, den = 0;
      want.data.forEach((v, i) => {
        num += (got.data[i]! - v) ** 2;
        den += v * v;
      });
      const rel = Math.sqrt(num / den);
      assert.ok(rel < 1e-4, `${entry.file} block ${ref.block}: relative error ${rel}`);
    }
    if (entry.file.includes('op17_bn')) await checkInferenceAgainstRuntime(model, { ecg: x }, x.shape[0]!);
  }
  t.diagnostic(`${manifest.models.length} torch exports inspected`);
});

test('inspect: torchvision-style blocks (conv-BN-ReLU-conv-BN + skip, then ReLU) are the ReLU after each add', () => {
  const g = new GraphBuilder({ seed: 1 });
  let x = g.relu(g.conv1d(g.input('x', ['batch', 2, 32]), { outChannels: 4, kernel: 3, pad: 1 }));
  const ends: string[] = [];
  for (let b = 0; b < 2; b++) {
    const h = g.batchNorm(g.conv1d(g.relu(g.batchNorm(g.conv1d(x, { outChannels: 4, kernel: 3, pad: 1 }))), { outChannels: 4, kernel: 3, pad: 1 }));
    x = g.relu(g.add(h, x));
    ends.push(x.name);
  }
  g.output(g.linear(g.flatten(g.globalAvgPool(x)), 3));
  const info = inspectModel(g.build());
  assert.deepEqual(info.blocks, ends);
  assert.equal(info.explainable.filter((e) => e.kind === 'conv').length, 5);
});

test('withExtraOutputs: an initializer is not a computed tensor', () => {
  assert.throws(() => withExtraOutputs(resnet1d(TINY), ['stem.conv.weight']), (e: unknown) => e instanceof ModelError && /'stem\.conv\.weight' is a graph input or initializer/.test(e.message));
});
