import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNode } from '../engine/onnx/proto.js';
import { OnnxSession } from '../engine/runtime.js';
import { gradCheck } from '../engine/autodiff/index.js';
import { graphModel, randomArray } from '../engine/autodiff/testing.js';
import { LOSS_OUTPUT, TARGET_INPUT } from '../train/graph.js';
import { maskedReconstructionLoss, ntXentLoss, ntXentReference } from './losses.js';
import { positiveWeights } from './sampler.js';

/** z -> Identity -> `out`, so the loss graph reads a model output as it does in pretraining. */
function passThrough(out: string, shape: (number | string)[]) {
  return graphModel({ nodes: [makeNode('Identity', ['z'], [out])], inputs: [{ name: 'z', shape }], outputs: [{ name: out, shape }] });
}

async function lossOf(model: ReturnType<typeof passThrough>, feeds: Record<string, { data: Float32Array; shape: number[] }>): Promise<number> {
  const s = await OnnxSession.create(model, { threads: 1 });
  try {
    return (await s.run(feeds, { outputs: [LOSS_OUTPUT] }))[LOSS_OUTPUT]!.data[0]!;
  } finally {
    await s.release();
  }
}

test('NT-Xent: the hand-computed case (two orthogonal pairs, tau 0.5) is log(1 + 2 e^-2)', async () => {
  // Rows 0,1 point along x, rows 2,3 along y (lengths differ: the loss normalises).
  const z = Float32Array.from([1, 0, 3, 0, 0, 2, 0, 0.5]);
  const w = positiveWeights(['a', 'a', 'b', 'b']);
  const model = ntXentLoss(0.5)(passThrough('projection', ['batch', 2]));
  const loss = await lossOf(model, { z: { data: z, shape: [4, 2] }, [TARGET_INPUT]: { data: w, shape: [4, 4] } });
  // Row 0: s = [self, 1/0.5, 0, 0] -> -log(e^2 / (e^2 + 2)).
  const expected = Math.log(1 + 2 * Math.exp(-2));
  assert.ok(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
});

test('NT-Xent graph equals the float64 reference on random projections with repeated patients', async () => {
  const ids = ['p1', 'p2', 'p3', 'p1', 'p4', 'p1', 'p2', 'p3', 'p1', 'p4'];
  const z = randomArray([10, 6], 3);
  const w = positiveWeights(ids);
  const model = ntXentLoss(0.2)(passThrough('projection', ['batch', 6]));
  const loss = await lossOf(model, { z, [TARGET_INPUT]: { data: w, shape: [10, 10] } });
  const ref = ntXentReference(z.data, 10, 6, w, 0.2);
  assert.ok(Math.abs(loss - ref) < 1e-4 * Math.max(1, Math.abs(ref)), `${loss} vs ${ref}`);
});

test('NT-Xent gradient matches central differences', async () => {
  const ids = ['a', 'b', 'c', 'a', 'b', 'c'];
  const model = ntXentLoss(0.3)(passThrough('projection', ['batch', 5]));
  const [r] = await gradCheck(model, { of: LOSS_OUTPUT, wrt: ['z'] }, { z: randomArray([6, 5], 11), [TARGET_INPUT]: { data: positiveWeights(ids), shape: [6, 6] } });
  assert.ok(r!.relError < 1e-4, `relative error ${r!.relError}`);
});

test('masked reconstruction: MSE over masked samples only, and its gradient', async () => {
  const B = 2, L = 3, T = 8;
  const rec = randomArray([B, L, T], 5);
  const target = randomArray([B, L + 1, T], 6);
  const mask = [0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0];
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) target.data[(b * (L + 1) + L) * T + t] = mask[b * T + t]!;
  let se = 0, m = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (!mask[b * T + t]) continue;
      m++;
      for (let l = 0; l < L; l++) se += (rec.data[(b * L + l) * T + t]! - target.data[(b * (L + 1) + l) * T + t]!) ** 2;
    }
  }
  const model = maskedReconstructionLoss()(passThrough('reconstruction', ['batch', L, T]));
  const loss = await lossOf(model, { z: rec, [TARGET_INPUT]: target });
  const expected = se / (L * m + 1);
  assert.ok(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
  // Changing an unmasked sample of the reconstruction does not change the loss.
  const rec2 = { data: rec.data.slice(), shape: rec.shape };
  rec2.data[0] = 100;
  assert.ok(Math.abs((await lossOf(model, { z: rec2, [TARGET_INPUT]: target })) - loss) < 1e-6);
  const [r] = await gradCheck(model, { of: LOSS_OUTPUT, wrt: ['z'] }, { z: rec, [TARGET_INPUT]: target });
  assert.ok(r!.relError < 1e-4, `relative error ${r!.relError}`);
});
