import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxSession, ortVersion } from './runtime.js';
import { GraphBuilder } from './onnx/builder.js';
import { saveModel } from './onnx/proto.js';
import { DataError, ModelError } from '../util/errors.js';

/** y = 2 * x summed over time: [batch, 2, 5] -> [batch, 2]; z = the per-ECG maximum over time. */
function model() {
  const g = new GraphBuilder({ seed: 0, name: 'sum' });
  const x = g.input('x', ['batch', 2, 5]);
  const doubled = g.add(x, x, 'doubled');
  const gap = g.flatten(g.globalAvgPool(doubled, 'gap'), 'mean');
  g.output(gap, 'y');
  g.output(g.flatten(g.maxPool1d(x, { kernel: 5 }), 'z'));
  return g.build();
}

test('OnnxSession: loads from a path, names inputs/outputs, runs, and returns the asked outputs only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-rt-'));
  try {
    saveModel(join(dir, 'm.onnx'), model());
    const s = await OnnxSession.create(join(dir, 'm.onnx'), { threads: 1, extraOutputs: ['doubled'] });
    assert.deepEqual(s.inputNames, ['x']);
    assert.deepEqual(s.outputNames, ['y', 'z', 'doubled']);
    assert.deepEqual(s.inputShapes, { x: ['batch', 2, 5] });
    const data = Float32Array.from({ length: 3 * 10 }, (_, i) => i);
    const all = await s.run({ x: { data, shape: [3, 2, 5] } }, { batchSize: 2 });
    assert.deepEqual(Object.keys(all), ['y', 'z', 'doubled']);
    // mean of 2*(i..i+4) = 2*(i+2); max = i+4 for the row starting at i
    assert.deepEqual(Array.from(all['y']!.data), [0, 5, 10, 15, 20, 25].map((start) => 2 * (start + 2)));
    assert.deepEqual(Array.from(all['z']!.data), [0, 5, 10, 15, 20, 25].map((start) => start + 4));
    assert.deepEqual(all['doubled']!.shape, [3, 2, 5]);
    const some = await s.run({ x: { data, shape: [3, 2, 5] } }, { outputs: ['z'] });
    assert.deepEqual(Object.keys(some), ['z']);
    await s.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(ortVersion(), /^\d+\.\d+/);
});

test('OnnxSession: wrong feeds and unknown outputs are clear errors', async () => {
  const s = await OnnxSession.create(model(), { threads: 1 });
  const ok = { data: new Float32Array(10), shape: [1, 2, 5] };
  const rejects = (p: Promise<unknown>, cls: typeof DataError | typeof ModelError, re: RegExp): Promise<void> =>
    assert.rejects(p, (e: unknown) => e instanceof cls && re.test(e.message));
  await rejects(s.run({ x: { data: new Float32Array(12), shape: [1, 2, 6] } }), DataError, /input 'x' has shape \[1, 2, 6\], expected \[batch, 2, 5\] \(dimension 2 must be 5\)/);
  await rejects(s.run({ x: { data: new Float32Array(10), shape: [2, 5] } }), DataError, /input 'x' has shape \[2, 5\], expected \[batch, 2, 5\]/);
  await rejects(s.run({ x: { data: new Float32Array(9), shape: [1, 2, 5] } }), DataError, /has 10 elements, data has 9/);
  await rejects(s.run({}), DataError, /missing model input 'x'/);
  await rejects(s.run({ x: ok, w: ok }), DataError, /unknown model input 'w'/);
  await rejects(s.run({ x: ok }, { outputs: ['doubled'] }), ModelError, /'doubled' is not an output of this session.*extraOutputs/);
  await rejects(s.run({ x: ok }, { batchSize: 0 }), ModelError, /batchSize/);
  await s.release();
  await assert.rejects(OnnxSession.create(model(), { extraOutputs: ['nope'] }), (e: unknown) => e instanceof ModelError && /'nope'/.test(e.message));
});

test('OnnxSession: inputs without a batch axis go whole to every internal batch; outputs without one need a single run', async () => {
  const g = new GraphBuilder({ seed: 0 });
  const x = g.input('x', ['batch', 3]);
  const w = g.input('w', [2, 3]); // e.g. a parameter fed to a gradient graph
  g.output(g.op('Gemm', [x, w], ['batch', 2], { transB: 1 }, 'y'));
  g.output(g.op('ReduceMean', [x], [3], { axes: [0], keepdims: 0 }, 'colmean'));
  const s = await OnnxSession.create(g.build(), { threads: 1 });
  const xs = { data: Float32Array.from({ length: 5 * 3 }, (_, i) => i), shape: [5, 3] };
  const ws = { data: Float32Array.of(1, 0, 0, 0, 1, 1), shape: [2, 3] };
  const y = await s.run({ x: xs, w: ws }, { outputs: ['y'], batchSize: 2 });
  assert.deepEqual(Array.from(y['y']!.data), [0, 3, 3, 9, 6, 15, 9, 21, 12, 27]);
  const whole = await s.run({ x: xs, w: ws }, { batchSize: 5 });
  assert.deepEqual(Array.from(whole['colmean']!.data), [6, 7, 8]);
  await assert.rejects(s.run({ x: xs, w: ws }, { batchSize: 2 }), (e: unknown) => e instanceof ModelError && /'colmean' has no batch axis.*batchSize >= 5/.test(e.message));
  await assert.rejects(s.run({ x: xs, w: { data: new Float32Array(3), shape: [1, 3] } }), (e: unknown) => e instanceof DataError && /input 'w' has shape \[1, 3\], expected \[2, 3\] \(dimension 0 must be 2\)/.test(e.message));
  await s.release();
});

test('OnnxSession: returned outputs are arrays of their own, unchanged by later runs and by release (they are not copied again)', async () => {
  const s = await OnnxSession.create(model(), { threads: 1, extraOutputs: ['doubled'] });
  const first = await s.run({ x: { data: new Float32Array(10).fill(1), shape: [1, 2, 5] } });
  const kept = Array.from(first['doubled']!.data);
  const second = await s.run({ x: { data: new Float32Array(10).fill(3), shape: [1, 2, 5] } });
  await s.release();
  assert.notEqual(first['doubled']!.data.buffer, second['doubled']!.data.buffer);
  assert.equal(first['doubled']!.data.byteLength, first['doubled']!.data.buffer.byteLength);
  assert.deepEqual(Array.from(first['doubled']!.data), kept);
  assert.deepEqual(Array.from(second['doubled']!.data), new Array(10).fill(6));
});
