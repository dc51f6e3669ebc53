import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc } from '../../train/metrics.js';
import { Rng } from '../../util/rng.js';
import { categoricalColor } from '../palettes.js';
import { rocCurve, rocCurves, rocSpec } from './roc.js';
import { confusionMatrix, confusionSpec } from './confusion.js';
import { clusterProportionsSpec, clusterPrototypesSpec, entropyByClassSpec, surrogateFidelitySpec } from './tlc-views.js';
import { renderVegaSvg } from './vega.js';

test('ROC area equals the Mann-Whitney AUROC of train/metrics, with ties', () => {
  const rng = new Rng(3);
  const n = 200;
  const t = Float64Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 1 : 0));
  // Rounded scores make ties, where the curve must take a diagonal step.
  const s = Float64Array.from(t, (v) => Math.round((v * 0.8 + rng.uniform()) * 10) / 10);
  const c = rocCurve('x', s, t);
  assert.ok(Math.abs(c.auc - auroc(s, t)) < 1e-12, `${c.auc} vs ${auroc(s, t)}`);
  assert.deepEqual(c.points[0], { fpr: 0, tpr: 0 });
  assert.deepEqual(c.points.at(-1), { fpr: 1, tpr: 1 });
  for (let i = 1; i < c.points.length; i++) assert.ok(c.points[i]!.fpr >= c.points[i - 1]!.fpr && c.points[i]!.tpr >= c.points[i - 1]!.tpr);
  assert.equal(rocCurve('p', [0.9, 0.8, 0.1], [1, 1, 0]).auc, 1);
  assert.ok(Number.isNaN(rocCurve('none', [0.2, 0.4], [0, 0]).auc));
});

test('confusion matrix: multi-class argmax counts and multi-label 2x2 tables', () => {
  // 3 ECGs, classes a/b: true a,a,b; predicted a,b,b.
  const scores = [0.9, 0.1, 0.4, 0.6, 0.2, 0.8], targets = [1, 0, 1, 0, 0, 1];
  const mc = confusionMatrix('multiclass', ['a', 'b'], scores, targets);
  const get = (a: string, p: string, panel = ''): number => mc.concat(ml).find((c) => c.panel === panel && c.actual === a && c.predicted === p)!.count;
  const ml = confusionMatrix('multilabel', ['a', 'b'], scores, targets);
  assert.deepEqual([get('a', 'a'), get('a', 'b'), get('b', 'a'), get('b', 'b')], [1, 1, 0, 1]);
  // class a: scores .9 .4 .2 vs targets 1 1 0 -> TP 1, FN 1, TN 1.
  assert.deepEqual([get('yes', 'yes', 'a'), get('yes', 'no', 'a'), get('no', 'yes', 'a'), get('no', 'no', 'a')], [1, 1, 0, 1]);
  assert.equal(ml.reduce((s, c) => s + c.count, 0), 6);
});

test('cohort specs render to SVG in Node with one mark per datum and the chart palette', async () => {
  const curves = rocCurves(['A', 'B'], [0.9, 0.2, 0.3, 0.7, 0.6, 0.5], [1, 0, 0, 1, 1, 0]);
  const roc = await renderVegaSvg(rocSpec(curves));
  assert.match(roc, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(roc.includes('A (AUC 1.000)'), 'legend names the class with its AUC');
  assert.equal((roc.match(/aria-roledescription="line mark"/g) ?? []).length, 3, 'the diagonal and one line per class');

  const cm = await renderVegaSvg(confusionSpec(confusionMatrix('multiclass', ['A', 'B'], [0.9, 0.1, 0.2, 0.8, 0.6, 0.4], [1, 0, 0, 1, 0, 1])));
  assert.equal((cm.match(/aria-roledescription="rect mark"/g) ?? []).length, 4);

  const props = [0, 1, 2].flatMap((cl) => ['NORM', 'MI'].map((c) => ({ class: c, group: 'block3', cluster: cl, proportion: [0.5, 0.3, 0.2][cl]!, n: 4 })));
  const ps = await renderVegaSvg(clusterProportionsSpec(props, 3, { block3: ['QRS', 'T', 'other'] }));
  assert.equal((ps.match(/aria-roledescription="bar"/g) ?? []).length, 6);
  assert.ok(ps.includes('c0 (QRS)'));
  assert.ok(ps.toLowerCase().includes(categoricalColor(1).toLowerCase()), 'cluster 1 drawn in the chart colour of cluster 1');

  const ent = await renderVegaSvg(entropyByClassSpec([{ class: 'NORM', entropy: 0.2, record: '1' }, { class: 'NORM', entropy: 0.3, record: '2' }, { class: 'MI', entropy: 0.6, record: '3' }], 'block3'));
  assert.equal((ent.match(/aria-roledescription="point"/g) ?? []).length, 3);

  const proto = await renderVegaSvg(clusterPrototypesSpec([0, 1].flatMap((c) => [-0.1, 0, 0.1].map((t) => ({ cluster: c, t, mean: c + t, sd: 0.1, n: 5 }))), 2, { group: 'block3', lead: 'II' }));
  assert.ok(proto.includes('c0 n=5') && proto.includes('c1 n=5'));

  const fid = await renderVegaSvg(surrogateFidelitySpec([{ fold: 1, measure: 'fidelity %', value: 80 }, { fold: 2, measure: 'fidelity %', value: 90 }, { fold: 1, measure: 'forest AUROC', value: NaN }]));
  assert.equal((fid.match(/aria-roledescription="point"/g) ?? []).length, 2, 'NaN rows are left out');
});
