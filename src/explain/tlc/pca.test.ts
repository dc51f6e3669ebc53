import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pca, FittedPca } from './pca.js';
import { StandardScaler, FittedScaler } from './scaler.js';
import { pointsFromRows, type Points } from './points.js';
import { Rng } from '../../util/rng.js';

// Orthonormal axes: a rotation of the standard basis.
const c = Math.cos(0.6), s = Math.sin(0.6), c2 = Math.cos(1.1), s2 = Math.sin(1.1);
const R = [ // rows are the axes
  [c, s * c2, s * s2],
  [-s, c * c2, c * s2],
  [0, -s2, c2],
];
const SD = [5, 2, 0.5];

function rotatedGaussian(n: number, seed: number): Points {
  const rng = new Rng(seed);
  const data = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const z = SD.map((sd) => rng.normal(0, sd));
    for (let j = 0; j < 3; j++) data[i * 3 + j] = 1 + z[0]! * R[0]![j]! + z[1]! * R[1]![j]! + z[2]! * R[2]![j]!;
  }
  return { data, n, d: 3 };
}

test('PCA recovers known principal axes and their variances', () => {
  const x = rotatedGaussian(4000, 1);
  const p = new Pca().fit(x);
  for (let a = 0; a < 3; a++) {
    let dot = 0;
    for (let j = 0; j < 3; j++) dot += p.components[a * 3 + j]! * R[a]![j]!;
    assert.ok(Math.abs(Math.abs(dot) - 1) < 2e-3, `axis ${a}: |cos| = ${Math.abs(dot)}`);
    assert.ok(Math.abs(p.explainedVariance[a]! / SD[a]! ** 2 - 1) < 0.06, `variance ${a}: ${p.explainedVariance[a]}`);
  }
  // Explained variance sums to the total variance (trace of the covariance).
  let trace = 0;
  for (let j = 0; j < 3; j++) {
    let m = 0, v = 0;
    for (let i = 0; i < x.n; i++) m += x.data[i * 3 + j]!;
    m /= x.n;
    for (let i = 0; i < x.n; i++) v += (x.data[i * 3 + j]! - m) ** 2;
    trace += v / (x.n - 1);
  }
  const sum = p.explainedVariance.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - trace) < 1e-9 * trace);
  assert.ok(Math.abs(p.totalVariance - trace) < 1e-9 * trace);
  assert.ok(Math.abs(p.explainedVarianceRatio.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  // All components: exact reconstruction.
  const back = p.inverseTransform(p.transform(x));
  for (let i = 0; i < x.data.length; i++) assert.ok(Math.abs(back.data[i]! - x.data[i]!) < 1e-9);
});

test('PCA on points on a line: one axis carries all the variance; varianceToKeep and whitening', () => {
  const x = pointsFromRows([[0, 0], [1, 2], [2, 4], [3, 6], [-1, -2]]);
  const p = new Pca({ varianceToKeep: 0.99 }).fit(x);
  assert.equal(p.nComponents, 1);
  assert.ok(Math.abs(p.components[0]! - 1 / Math.sqrt(5)) < 1e-12 && Math.abs(p.components[1]! - 2 / Math.sqrt(5)) < 1e-12);
  assert.ok(Math.abs(p.explainedVarianceRatio[0]! - 1) < 1e-12);
  // Variance along the line: values t * sqrt(5), t in {0,1,2,3,-1}: sample variance 2.5 * 5.
  assert.ok(Math.abs(p.explainedVariance[0]! - 12.5) < 1e-9);
  const w = new Pca({ nComponents: 1, whiten: true }).fit(x).transform(x);
  let v = 0;
  for (let i = 0; i < 5; i++) v += w.data[i]! ** 2;
  assert.ok(Math.abs(v / 4 - 1) < 1e-9);
  const back = FittedPca.fromJSON(JSON.parse(JSON.stringify(p)));
  assert.deepEqual(back.transform(x).data, p.transform(x).data);
  assert.throws(() => new Pca({ nComponents: 3 }).fit(x), /at most 2/);
});

test('scaler: zero mean and unit population variance on the fitting data; constant channels map to 0', () => {
  const x = pointsFromRows([[1, 5, 10], [3, 5, 20], [5, 5, 60]]);
  const f = new StandardScaler().fit(x);
  assert.deepEqual(Array.from(f.mean), [3, 5, 30]);
  assert.ok(Math.abs(f.scale[0]! - Math.sqrt(8 / 3)) < 1e-12);
  assert.equal(f.scale[1], 1);
  const z = f.transform(x);
  for (let j = 0; j < 3; j++) {
    let m = 0, v = 0;
    for (let i = 0; i < 3; i++) m += z.data[i * 3 + j]! / 3;
    for (let i = 0; i < 3; i++) v += (z.data[i * 3 + j]! - m) ** 2 / 3;
    assert.ok(Math.abs(m) < 1e-12);
    assert.ok(Math.abs(v - (j === 1 ? 0 : 1)) < 1e-12);
  }
  const back = FittedScaler.fromJSON(JSON.parse(JSON.stringify(f)));
  assert.deepEqual(back.transform(x).data, z.data);
  assert.throws(() => f.transform(pointsFromRows([[1, 2]])), /dimension 3/);
  assert.throws(() => FittedScaler.fromJSON({ kind: 'tlc-scaler', mean: [1, 2], scale: [1] }), /scale.*expected 2 numbers/);
});
