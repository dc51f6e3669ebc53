/**
 * 1-D graphs run as 2-D ones of height 1 (conv-2d.ts): the same outputs and
 * gradients as the 1-D graph, names kept where readers see them, rank-4
 * tensors kept through elementwise chains, and broadcasts that the new axis
 * would change left in 1-D.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resnet1d } from '../../models/resnet1d.js';
import { OnnxSession } from '../runtime.js';
import { gradientGraph, gradientGraphInfo } from '../autodiff/gradient.js';
import { randomArray } from '../autodiff/testing.js';
import { GraphBuilder } from './builder.js';
import { getIntsAttr, makeFloatTensor, type ModelProto, type NodeProto } from './proto.js';
import { conv1dAs2d } from './conv-2d.js';
import type { NdArray } from '../../util/npy.js';

const small = (): ModelProto => resnet1d({ leads: 3, samples: 64, filters: [8, 8, 16, 16], downsample: [2, 4, 1], kernel: 5, dropout: 0.2, head: 'flatten', task: 'multilabel', outputs: 3, seed: 5 });

async function run(m: ModelProto, feeds: Record<string, NdArray>, as2d: boolean, extraOutputs: string[] = []): Promise<Record<string, NdArray>> {
  const s = await OnnxSession.create(m, { threads: 1, conv1dAs2d: as2d, extraOutputs });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function assertClose(a: NdArray, b: NdArray, what: string, tol = 1e-5): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  let d = 0, n = 0;
  for (let i = 0; i < a.data.length; i++) {
    d += (a.data[i]! - b.data[i]!) ** 2;
    n += b.data[i]! ** 2;
  }
  assert.ok(Math.sqrt(d / Math.max(n, 1e-30)) < tol, `${what}: relative L2 ${Math.sqrt(d / n)} >= ${tol}`);
}

const ops = (m: ModelProto, op: string): NodeProto[] => m.graph!.node!.filter((n) => n.opType === op);

test('conv1dAs2d: resnet1d forward, block activations and input gradient match the 1-D graph', async () => {
  const m = small();
  const x = randomArray([4, 3, 64], 1);
  const a = await run(m, { ecg: x }, false, ['block1', 'block3']);
  const b = await run(m, { ecg: x }, true, ['block1', 'block3']);
  for (const k of ['logits', 'probs', 'block1', 'block3']) assertClose(b[k]!, a[k]!, k);

  const g = gradientGraph(m, { of: 'logits', index: 2, wrt: ['ecg', 'block2'] });
  const info = gradientGraphInfo(g)!;
  const ga = await run(g, { ecg: x }, false);
  const gb = await run(g, { ecg: x }, true);
  for (const k of Object.values(info.gradients)) assertClose(gb[k]!, ga[k]!, k);
});

test('conv1dAs2d: every 1-D window op becomes 2-D, and the trunk stays rank 4 between them', () => {
  const m = small();
  const r = conv1dAs2d(m);
  for (const n of [...ops(r, 'Conv'), ...ops(r, 'MaxPool')]) {
    assert.equal(getIntsAttr(n, 'kernel_shape', []).length, 2, `${n.name}: kernel_shape`);
    assert.equal(getIntsAttr(n, 'kernel_shape', [])[0], 1);
  }
  assert.equal(ops(r, 'Conv').length, ops(m, 'Conv').length);
  // Squeezed back only where a 1-D reader needs it: the flatten head, and the named block outputs' readers that are not elementwise.
  const squeezed = ops(r, 'Squeeze').map((n) => n.output![0]);
  assert.ok(squeezed.length <= 2, `squeezed: ${squeezed.join(', ')}`);
  // Unsqueezed: the input once, and each Conv weight.
  assert.equal(ops(r, 'Unsqueeze').length, 1 + ops(m, 'Conv').length);
  // Names the original graph's readers use are kept: every graph output is produced under its name.
  const produced = new Set(r.graph!.node!.flatMap((n) => n.output ?? []));
  for (const o of r.graph!.output!) assert.ok(produced.has(o.name!), `${o.name} produced`);
});

test('conv1dAs2d: a broadcast the new axis would change stays 1-D; rank-3 operands are lifted with it', async () => {
  // y = Conv(x) + b1 ([C, 1]: a per-channel bias) + b3 ([1, C, 1]) ; z = Relu(y) * x2 ([N, C, T] input)
  const b = new GraphBuilder({ seed: 3 });
  const x = b.input('x', ['batch', 2, 16]);
  const x2 = b.input('x2', ['batch', 4, 16]);
  const c = b.conv1d(x, { outChannels: 4, kernel: 3, pad: 'same' });
  const b1 = b.constant('b1', [4, 1], Float32Array.from([1, -2, 3, -4]));
  const b3 = b.constant('b3', [1, 4, 1], Float32Array.from([0.5, 0.25, -0.5, 2]));
  const y1 = b.add(c, b3);
  const y = b.op('Add', [y1, b1], ['batch', 4, 16]);
  const z = b.op('Mul', [b.relu(y), x2], ['batch', 4, 16]);
  b.output(z, 'z');
  const m = b.build();
  const r = conv1dAs2d(m);
  const adds = ops(r, 'Add');
  const liftedAdd = adds.find((n) => n.input!.some((i) => i.startsWith(b3.name)))!;
  const flatAdd = adds.find((n) => n.input!.includes(b1.name))!;
  assert.notEqual(liftedAdd.output![0], y1.name, 'Add with a [1, C, 1] operand is 2-D (a new name)');
  assert.equal(flatAdd.output![0], y.name, 'Add with a [C, 1] operand stays 1-D (its own name)');
  const feeds = { x: randomArray([3, 2, 16], 4), x2: randomArray([3, 4, 16], 5) };
  assertClose((await run(m, feeds, true))['z']!, (await run(m, feeds, false))['z']!, 'z');
});

test('conv1dAs2d: opset 11 models (Unsqueeze axes as an attribute), and graphs without 1-D window ops are left alone', async () => {
  const g = new GraphBuilder({ seed: 2 });
  const e = g.input('ecg', ['batch', 3, 64]);
  const h = g.maxPool1d(g.relu(g.conv1d(e, { outChannels: 4, kernel: 5, stride: 2 })), { kernel: 2, stride: 2 });
  g.output(g.linear(g.flatten(h), 2), 'logits');
  const built = g.build();
  const old: ModelProto = { ...built, opsetImport: [{ domain: '', version: 11 }] };
  const r = conv1dAs2d(old);
  assert.ok(ops(r, 'Unsqueeze').every((n) => n.input!.length === 1 && getIntsAttr(n, 'axes', []).join() === '2'));
  const x = randomArray([2, 3, 64], 2);
  assertClose((await run(old, { ecg: x }, true))['logits']!, (await run(old, { ecg: x }, false))['logits']!, 'logits (opset 11)');

  const b = new GraphBuilder({ seed: 1 });
  const v = b.input('v', ['batch', 5]);
  b.output(b.linear(v, 2), 'out');
  const dense = b.build();
  assert.equal(conv1dAs2d(dense), dense);
  const withInit = { ...dense, graph: { ...dense.graph, initializer: [...dense.graph!.initializer!, makeFloatTensor('unused', [1], [0])] } };
  assert.equal(conv1dAs2d(withInit), withInit);
});
