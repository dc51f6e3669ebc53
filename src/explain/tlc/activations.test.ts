import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockIndexOf, concatenatedRows, featureMapsOfBatch, makeFeatureMap, sampleColumns, sampleConcatenated, sampleIndices,
  timestampRows, upsampleMap, upsampleRows,
} from './activations.js';
import { Rng } from '../../util/rng.js';

const map = makeFeatureMap(Float32Array.from([1, 2, 3, 10, 20, 30]), 2, 3);

test('nearest: block sample j covers input samples [j*T/Tb, (j+1)*T/Tb), also when T is not a multiple of Tb', () => {
  const up = upsampleMap(map, 7, 'nearest');
  assert.deepEqual(Array.from(up.data), [1, 1, 1, 2, 2, 3, 3, 10, 10, 10, 20, 20, 30, 30]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((t) => blockIndexOf(t, 7, 3)), [0, 0, 0, 1, 1, 2, 2]);
  assert.deepEqual(Array.from(upsampleMap(map, 6).data.subarray(0, 6)), [1, 1, 2, 2, 3, 3]);
});

test('linear: centres at (j + 1/2) T/Tb - 1/2, ends held (as torch interpolate, align_corners=False)', () => {
  // torch.nn.functional.interpolate(tensor([[[1., 2., 3.]]]), size=6, mode='linear') = [1, 1.25, 1.75, 2.25, 2.75, 3]
  const up = upsampleMap(map, 6, 'linear');
  assert.deepEqual(Array.from(up.data), [1, 1.25, 1.75, 2.25, 2.75, 3, 10, 12.5, 17.5, 22.5, 27.5, 30]);
  // size 7: u = (t + 0.5) * 3/7 - 0.5
  const u7 = upsampleMap(map, 7, 'linear').data;
  for (let t = 0; t < 7; t++) {
    const u = Math.min(2, Math.max(0, (t + 0.5) * (3 / 7) - 0.5));
    assert.ok(Math.abs(u7[t]! - (1 + u)) < 1e-6, `t=${t}`);
  }
  // Rows (e.g. soft assignments) interpolate the same way, so rows of probabilities stay probabilities.
  const rows = upsampleRows({ data: Float64Array.from([1, 0, 0, 1]), n: 2, d: 2 }, 4, 'linear');
  assert.deepEqual(Array.from(rows.data), [1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1]);
});

test('per-timestamp rows: transpose of a block, and blocks concatenated at input resolution', () => {
  assert.deepEqual(Array.from(timestampRows(map).data), [1, 10, 2, 20, 3, 30]);
  const other = makeFeatureMap(Float32Array.from([7, 8]), 1, 2);
  const cat = concatenatedRows([map, other], 4);
  assert.equal(cat.d, 3);
  // Block 0 at t = 0..3 -> j = 0, 0, 1, 2; block 1 -> j = 0, 0, 1, 1.
  assert.deepEqual(Array.from(cat.data), [1, 10, 7, 1, 10, 7, 2, 20, 8, 3, 30, 8]);
});

test('sampling: seeded, without replacement, rows equal the activations they came from', () => {
  const rng = new Rng(1);
  const maps = [0, 1, 2].map((e) => makeFeatureMap(Float32Array.from({ length: 2 * (5 + e) }, () => rng.normal()), 2, 5 + e));
  const all = sampleColumns(maps, { maxSamples: 100, seed: 0 });
  assert.equal(all.points.n, 18);
  const s = sampleColumns(maps, { maxSamples: 7, seed: 3 });
  assert.equal(s.points.n, 7);
  const keys = new Set<string>();
  for (let r = 0; r < 7; r++) {
    const m = maps[s.ecg[r]!]!;
    keys.add(`${s.ecg[r]}:${s.t[r]}`);
    for (let c = 0; c < 2; c++) assert.equal(s.points.data[r * 2 + c], m.data[c * m.length + s.t[r]!]);
  }
  assert.equal(keys.size, 7);
  assert.deepEqual(sampleColumns(maps, { maxSamples: 7, seed: 3 }), s);
  assert.notDeepEqual(sampleColumns(maps, { maxSamples: 7, seed: 4 }).t, s.t);

  const cat = sampleConcatenated([[maps[0]!, maps[1]!], [maps[1]!, maps[2]!]], 20, { maxSamples: 9, seed: 1, upsampling: 'linear' });
  for (let r = 0; r < 9; r++) {
    const e = cat.ecg[r]!;
    const full = concatenatedRows(e === 0 ? [maps[0]!, maps[1]!] : [maps[1]!, maps[2]!], 20, 'linear');
    for (let c = 0; c < 4; c++) assert.equal(cat.points.data[r * 4 + c], full.data[cat.t[r]! * 4 + c]);
  }
  assert.throws(() => sampleColumns([maps[0]!, makeFeatureMap(new Float32Array(3), 1, 3)], { maxSamples: 5, seed: 0 }), /ECG 1 has 1 channels/);
});

test('sampleIndices is uniform: each index chosen about m/N of the time', () => {
  const counts = new Float64Array(10);
  const rng = new Rng(5);
  for (let r = 0; r < 2000; r++) for (const i of sampleIndices(10, 3, rng)) counts[i]! += 1;
  // Expected 600 each; binomial sd ~ 20.5.
  for (const c of counts) assert.ok(Math.abs(c - 600) < 90, `count ${c}`);
});

test('batch tensors split into per-ECG maps without copying', () => {
  const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const maps = featureMapsOfBatch(data, [2, 3, 4]);
  assert.equal(maps.length, 2);
  assert.equal(maps[1]!.data[0], 12);
  assert.equal(maps[1]!.data.buffer, data.buffer);
  assert.deepEqual(Array.from(timestampRows(maps[0]!).data.subarray(0, 3)), [0, 4, 8]);
  assert.throws(() => featureMapsOfBatch(data, [2, 3, 5]), /expected 2 x 3 x 5 = 30 values, got 24/);
});
