/**
 * BatchNormalization folded into the Conv before it (inference gradient
 * graphs): same outputs and gradients as the unfolded graph, with non-trivial
 * BN statistics, and no fold where a tensor of the pair is asked for by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resnet1d } from '../../models/resnet1d.js';
import { OnnxSession } from '../runtime.js';
import { makeFloatTensor, tensorDims, type ModelProto } from '../onnx/proto.js';
import { Rng } from '../../util/rng.js';
import { gradientGraph, gradientGraphInfo } from './gradient.js';
import { foldBatchNorms, foldOptions } from './fold.js';
import { randomArray } from './testing.js';

/** A small resnet1d whose BN parameters and running statistics are random (the builder's are 1, 0, 0, 1). */
function model(): ModelProto {
  const m = resnet1d({ leads: 2, samples: 40, filters: [4, 5, 6, 6], downsample: [2, 4, 1], kernel: 5, dropout: 0.2, head: 'flatten', task: 'multilabel', outputs: 3, seed: 5 });
  const rng = new Rng(3);
  const init = m.graph!.initializer!.map((t) => {
    const name = t.name ?? '';
    if (!name.includes('.bn')) return t;
    const n = tensorDims(t)[0]!;
    const v = Float32Array.from({ length: n }, () => (name.endsWith('running_var') ? rng.range(0.3, 2) : rng.normal(0, 0.7)));
    return makeFloatTensor(name, [n], v);
  });
  return { ...m, graph: { ...m.graph, initializer: init } };
}

const count = (m: ModelProto, op: string): number => m.graph!.node!.filter((n) => n.opType === op).length;

async function gradients(m: ModelProto, wrt: string[], fold: boolean): Promise<{ graph: ModelProto; out: Record<string, Float32Array> }> {
  foldOptions.batchNorm = fold;
  try {
    const graph = gradientGraph(m, { of: 'logits', index: 1, wrt });
    const info = gradientGraphInfo(graph)!;
    const s = await OnnxSession.create(graph, { threads: 1 });
    const got = await s.run({ ecg: randomArray([3, 2, 40], 11) });
    await s.release();
    const out: Record<string, Float32Array> = { logits: got['logits']!.data };
    for (const w of wrt) out[w] = got[info.gradients[w]!]!.data;
    return { graph, out };
  } finally {
    foldOptions.batchNorm = true;
  }
}

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(d / n);
}

test('folding conv+BN pairs keeps the logits and the input gradient, and removes the BN nodes after convs', async () => {
  const m = model();
  const folded = await gradients(m, ['ecg'], true);
  const plain = await gradients(m, ['ecg'], false);
  // stem.bn and each block's bn1 follow a Conv; bn2 follows the residual Add and stays.
  assert.equal(count(plain.graph, 'BatchNormalization'), 7);
  assert.equal(count(folded.graph, 'BatchNormalization'), 3);
  assert.ok(relErr(folded.out['logits']!, plain.out['logits']!) < 1e-5);
  assert.ok(relErr(folded.out['ecg']!, plain.out['ecg']!) < 1e-5, `rel err ${relErr(folded.out['ecg']!, plain.out['ecg']!)}`);
  assert.ok(plain.out['ecg']!.some((v) => v !== 0));
});

test('no fold where the conv output, its weight or the BN parameters are differentiated', async () => {
  const m = model();
  const wrt = ['ecg', 'stem.conv', 'block1.conv1.weight', 'block2.bn1.bias'];
  const folded = await gradients(m, wrt, true);
  const plain = await gradients(m, wrt, false);
  assert.equal(count(folded.graph, 'BatchNormalization'), 6); // only block3's bn1 folds
  for (const w of wrt) assert.ok(relErr(folded.out[w]!, plain.out[w]!) < 1e-5, w);
});

test('a conv output that is also a graph output is not folded', () => {
  const m = model();
  const g = m.graph!;
  const withOutput = { ...g, output: [...(g.output ?? []), { name: 'stem.conv', type: { tensorType: { elemType: 1 } } }] };
  assert.equal(foldBatchNorms(withOutput, new Set()).folded, 3);
  assert.equal(foldBatchNorms(g, new Set()).folded, 4);
});
