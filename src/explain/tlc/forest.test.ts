import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomForestClassifier, RandomForestRegressor, FittedForest, accuracy, r2Score } from './forest.js';
import { Rng } from '../../util/rng.js';
import type { Points } from './points.js';

function uniform(n: number, d: number, seed: number): Points {
  const rng = new Rng(seed);
  return { data: Float64Array.from({ length: n * d }, () => rng.range(-1, 1)), n, d };
}
const xor = (x: Points): Int32Array => Int32Array.from({ length: x.n }, (_, i) => ((x.data[i * x.d]! > 0) !== (x.data[i * x.d + 1]! > 0) ? 1 : 0));

test('classifier: XOR with noise features, held-out accuracy > 0.95; OOB agrees', () => {
  const xtr = uniform(1500, 5, 1), xte = uniform(500, 5, 2);
  const f = new RandomForestClassifier({ nTrees: 40, seed: 1, oobScore: true, maxFeatures: 'all' }).fit(xtr, xor(xtr));
  const acc = f.score(xte, xor(xte));
  assert.ok(acc > 0.95, `held-out accuracy ${acc}`);
  assert.ok(f.oobScore !== null && Math.abs(f.oobScore - acc) < 0.04, `oob ${f.oobScore} vs held-out ${acc}`);
  // The two informative features carry most of the importance.
  assert.ok(f.featureImportances[0]! + f.featureImportances[1]! > 0.8, `importances ${Array.from(f.featureImportances)}`);
  assert.ok(Math.abs(f.featureImportances.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('classifier: threshold on one of 12 features (sqrt subsampling), 3 classes, probabilities sum to 1', () => {
  const label = (x: Points): Int32Array => Int32Array.from({ length: x.n }, (_, i) => (x.data[i * 12 + 7]! > 0.3 ? 2 : x.data[i * 12 + 7]! < -0.5 ? 0 : 1));
  const xtr = uniform(1000, 12, 3), xte = uniform(500, 12, 4);
  const f = new RandomForestClassifier({ nTrees: 30, seed: 2 }).fit(xtr, label(xtr));
  assert.ok(f.score(xte, label(xte)) > 0.95);
  const imp = Array.from(f.featureImportances);
  assert.equal(imp.indexOf(Math.max(...imp)), 7);
  const p = f.predictProba(xte);
  for (let i = 0; i < p.n; i++) assert.ok(Math.abs(p.data[i * 3]! + p.data[i * 3 + 1]! + p.data[i * 3 + 2]! - 1) < 1e-12);
});

test('regressor: R^2 > 0.9 on a smooth function, held out', () => {
  const target = (x: Points): Float64Array => Float64Array.from({ length: x.n }, (_, i) => Math.sin(3 * x.data[i * 4]!) + x.data[i * 4 + 1]! ** 2);
  const xtr = uniform(2000, 4, 5), xte = uniform(500, 4, 6);
  const f = new RandomForestRegressor({ nTrees: 30, seed: 3, oobScore: true }).fit(xtr, target(xtr));
  const r2 = f.score(xte, target(xte));
  assert.ok(r2 > 0.9, `R^2 ${r2}`);
  assert.ok(f.oobScore !== null && f.oobScore > 0.85, `oob R^2 ${f.oobScore}`);
});

test('a single fully grown tree without bootstrap fits its training data exactly', () => {
  const x = uniform(300, 3, 9);
  const y = xor(x);
  const f = new RandomForestClassifier({ nTrees: 1, bootstrap: false, maxFeatures: 'all' }).fit(x, y);
  assert.equal(f.score(x, y), 1);
  const stump = new RandomForestRegressor({ nTrees: 1, bootstrap: false, maxDepth: 1, maxFeatures: 'all' })
    .fit({ data: Float64Array.from([0, 1, 2, 3]), n: 4, d: 1 }, [0, 0, 10, 10]);
  // One split between 1 and 2, at the midpoint 1.5: predicts 0 up to 1.5 and 10 above.
  assert.deepEqual(Array.from(stump.predict({ data: Float64Array.from([1.5, 1.6]), n: 2, d: 1 })), [0, 10]);
});

test('deterministic by seed; different seeds differ; JSON round trip', () => {
  const x = uniform(400, 6, 7), y = xor(x);
  const a = new RandomForestClassifier({ nTrees: 10, seed: 5 }).fit(x, y);
  const b = new RandomForestClassifier({ nTrees: 10, seed: 5 }).fit(x, y);
  const c = new RandomForestClassifier({ nTrees: 10, seed: 6 }).fit(x, y);
  const xt = uniform(200, 6, 8);
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.notDeepEqual(a.predictProba(xt).data, c.predictProba(xt).data);
  const back = FittedForest.fromJSON(JSON.parse(JSON.stringify(a)));
  assert.deepEqual(back.predictProba(xt).data, a.predictProba(xt).data);
  const bad = a.toJSON();
  bad.trees[0]!.left[0] = 0;
  assert.throws(() => FittedForest.fromJSON(bad), /node 0 .* children after it/);
});

test('metrics and option errors', () => {
  assert.equal(accuracy([0, 1, 1, 0], [0, 1, 0, 0]), 0.75);
  assert.equal(r2Score([1, 2, 3], [1, 2, 3]), 1);
  assert.equal(r2Score([1, 2, 3], [2, 2, 2]), 0);
  assert.throws(() => new RandomForestClassifier({ maxFeatures: 1.5 }), /maxFeatures/);
  assert.throws(() => new RandomForestClassifier().fit(uniform(3, 2, 1), [0, 1]), /expected 3 targets/);
  assert.throws(() => new RandomForestClassifier().fit(uniform(2, 2, 1), [0, 0.5]), /label 0.5 at 1/);
});
