import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DType, getIntsAttr, makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo, type ModelProto } from './proto.js';
import { foldConstants, fusePadsIntoConvs, simplifyModel } from './simplify.js';
import { OnnxSession } from '../runtime.js';
import { Rng } from '../../util/rng.js';

/** A PyTorch-style graph: pads computed by a constant subgraph, a weight aliased through Identity, Pad then Conv. */
function exportLike(): ModelProto {
  const rng = new Rng(4);
  const w = makeFloatTensor('w', [3, 2, 3], Float32Array.from({ length: 18 }, () => rng.normal()));
  const b = makeFloatTensor('b', [3], [0.1, -0.2, 0.3]);
  const nodes = [
    makeNode('Constant', [], ['pads_lo'], { value: makeInt64Tensor('v0', [3], [0, 0, 1]) }),
    makeNode('Constant', [], ['pads_hi'], { value: makeInt64Tensor('v1', [3], [0, 0, 2]) }),
    makeNode('Concat', ['pads_lo', 'pads_hi'], ['pads'], { axis: 0 }),
    makeNode('Identity', ['w'], ['w_alias']),
    makeNode('Pad', ['x', 'pads'], ['xp'], { mode: 'constant' }),
    makeNode('Conv', ['xp', 'w_alias', 'b'], ['y'], { kernel_shape: [3], pads: [1, 1], strides: [2] }),
    makeNode('Relu', ['y'], ['out']),
  ];
  return {
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'export', node: nodes, initializer: [w, b], input: [makeValueInfo('x', ['batch', 2, 16])], output: [makeValueInfo('out', ['batch', 3, '?'], DType.FLOAT)] },
  };
}

async function run(m: ModelProto, x: Float32Array): Promise<Float32Array> {
  const s = await OnnxSession.create(m);
  const y = (await s.run({ x: { data: x, shape: [2, 2, 16] } }))['out']!.data;
  await s.release();
  return y;
}

test('constant subgraphs fold into initializers; a zero Pad folds into the Conv after it; outputs do not change', async () => {
  const m = exportLike();
  const a = await foldConstants(m);
  assert.equal(a.folded, 4); // two Constants, the Concat, the Identity
  assert.deepEqual(a.model.graph!.node!.map((n) => n.opType), ['Pad', 'Conv', 'Relu']);
  const b = fusePadsIntoConvs(a.model);
  assert.equal(b.fused, 1);
  assert.deepEqual(b.model.graph!.node!.map((n) => n.opType), ['Conv', 'Relu']);
  assert.deepEqual(getIntsAttr(b.model.graph!.node![0]!, 'pads', []), [2, 3]);
  assert.deepEqual(b.model.graph!.initializer!.map((t) => t.name).sort(), ['b', 'w_alias']);
  const rng = new Rng(9);
  const x = Float32Array.from({ length: 64 }, () => rng.normal());
  const [y0, y1] = [await run(m, x), await run(b.model, x)];
  assert.equal(y0.length, 3 * 2 * 10);
  for (let i = 0; i < y0.length; i++) assert.ok(Math.abs(y0[i]! - y1[i]!) < 1e-6, `output ${i}`);
  const s = await simplifyModel(m, { length: 16 });
  assert.deepEqual([s.report.folded, s.report.fusedPads, s.report.kept], [4, 1, undefined]);
  assert.ok(s.report.maxDifference < 1e-6);
});

test('what cannot be folded stays: a non-zero pad value, a Pad with two consumers, a graph without constants', async () => {
  const m = exportLike();
  const g = m.graph!;
  const valued: ModelProto = { ...m, graph: { ...g, initializer: [...g.initializer!, makeFloatTensor('one', [], [1])], node: g.node!.map((n) => (n.opType === 'Pad' ? { ...n, input: ['x', 'pads', 'one'] } : n)) } };
  assert.equal(fusePadsIntoConvs((await foldConstants(valued)).model).fused, 0);
  const shared: ModelProto = { ...m, graph: { ...g, node: [...g.node!, makeNode('Relu', ['xp'], ['side'])], output: [...g.output!, makeValueInfo('side', ['batch', 2, 19])] } };
  assert.equal(fusePadsIntoConvs((await foldConstants(shared)).model).fused, 0);
  const plain = fusePadsIntoConvs((await foldConstants(m)).model).model;
  const again = await simplifyModel(plain, { length: 16 });
  assert.deepEqual([again.report.folded, again.report.fusedPads], [0, 0]);
  assert.equal(again.model, plain);
});
