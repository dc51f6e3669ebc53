import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../test/data-paths.js';
import { readNpy } from '../util/npy.js';
import { makeEcg, type Ecg } from '../data/ecg.js';
import { attributionDisplay, defaultStyle, isPerSampleMap, percentileAbs, scaleRuleText } from './attribution.js';
import { renderEcgSvg } from './chart.js';
import { chartGeometry } from './layout.js';
import { byClass, findAll, parseSvg } from './svg-parse.js';

const DIR = resolve(REPO_ROOT, 'test/fixtures/torch');
const X = readNpy(resolve(DIR, 'x.npy'));
const IG = readNpy(resolve(DIR, 'classifier_ig.npy'));
const GRADCAM = readNpy(resolve(DIR, 'classifier_gradcam.npy'));
const LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

function fixtureEcg(b: number): Ecg {
  const per = 12 * 256;
  return makeEcg({ signal: X.data.slice(b * per, (b + 1) * per), fs: 100, leads: LEADS, meta: { recordId: `fixture-${b}` } });
}

test('percentileAbs: nearest rank over finite |values|', () => {
  const v = Float32Array.from([-10, 1, 2, 3, 4, 5, 6, 7, 8, 9, NaN]);
  assert.equal(percentileAbs(v, 100), 10);
  assert.equal(percentileAbs(v, 90), 9);
  assert.equal(percentileAbs(v, 50), 5);
  assert.equal(percentileAbs(v, 1), 1);
  assert.equal(percentileAbs(new Float32Array(4), 98), 0);
  assert.throws(() => percentileAbs(v, 0), RangeError);
});

test('display: signed maps are diverging (PuOr), non-negative ones viridis; the scale is the 98th percentile and the legend says so', () => {
  const ig = IG.data.subarray(0, 12 * 256);
  const d = attributionDisplay('integrated-gradients', ig, 12);
  assert.equal(d.signed, true);
  assert.equal(d.colormap, 'puor');
  assert.equal(d.style, 'trace');
  assert.equal(d.scale, percentileAbs(ig, 98));
  assert.ok(d.saturated >= 0.02 && d.saturated < 0.025, `saturated ${d.saturated}`);
  assert.equal(scaleRuleText(d), '98th percentile of |value|, 2.0% saturate');
  assert.equal(scaleRuleText(attributionDisplay('x', ig, 12, { percentile: 100 })), 'largest |value|');
  assert.equal(scaleRuleText(attributionDisplay('x', ig, 12, { scale: 1 })), 'fixed scale');
  const g = attributionDisplay('gradcam', GRADCAM.data.subarray(0, 256), 1);
  assert.equal(g.signed, false);
  assert.equal(g.colormap, 'viridis');
  assert.equal(g.style, 'background');
  // Unknown methods are judged by their values: IG's map varies per sample, Grad-CAM's does not.
  assert.equal(isPerSampleMap(ig, 12), true);
  assert.equal(isPerSampleMap(GRADCAM.data.subarray(0, 256), 1), false);
  assert.equal(defaultStyle('my-method', ig, 12), 'trace');
  assert.equal(defaultStyle('my-method', GRADCAM.data.subarray(0, 256), 1), 'background');
});

/** Share of the drawn samples of each level in the chart's attribution layer, read back from the SVG paths. */
function levelShares(svg: string, ecg: Ecg): Map<number, number> {
  const doc = parseSvg(svg);
  const g = chartGeometry(ecg, { layout: '12x1' });
  const dx = (g.speed * g.pxPerMm) / ecg.fs;
  const layer = [...byClass(doc, 'attribution-trace'), ...byClass(doc, 'attribution-background')];
  assert.equal(layer.length, 1);
  const counts = new Map<number, number>();
  for (const p of findAll(layer[0]!, (e) => e.name === 'path')) {
    const level = Math.abs(Number(p.attrs['data-level']));
    let px = 0;
    // Each sub-path covers [min x, max x] of its points; samples = px / dx.
    for (const sub of p.attrs['d']!.split('M').filter(Boolean)) {
      const xs = [...sub.matchAll(/(-?[\d.]+)[ ,](-?[\d.]+)/g)].map((m) => Number(m[1]));
      const hm = /h(-?[\d.]+)/.exec(sub);
      px += hm ? Number(hm[1]) : Math.max(...xs) - Math.min(...xs);
    }
    counts.set(level, (counts.get(level) ?? 0) + px / dx);
  }
  const total = 12 * ecg.nSamples;
  return new Map([...counts].map(([k, v]) => [k, v / total]));
}

function shareAtLeast(shares: Map<number, number>, level: number): number {
  let s = 0;
  for (const [k, v] of shares) if (k >= level) s += v;
  return s;
}

test('IG fixture: with the default scale, at least 30% of the drawn samples are above 20% intensity (the largest-|value| scale: under 15%)', () => {
  for (let b = 0; b < IG.shape[0]!; b++) {
    const ecg = fixtureEcg(b);
    const values = IG.data.slice(b * 12 * 256, (b + 1) * 12 * 256);
    const robust = renderEcgSvg(ecg, { layout: '12x1', overlays: { attribution: { method: 'integrated-gradients', values, leads: 12 } } });
    assert.ok(robust.includes('attribution-trace'), 'IG colours the trace by default');
    assert.ok(robust.includes('scale: 98th percentile of |value|'), 'the legend states the rule');
    const shares = levelShares(robust, ecg);
    const above = shareAtLeast(shares, 0.2);
    assert.ok(above >= 0.3, `ECG ${b}: ${(100 * above).toFixed(1)}% of samples above 20% intensity`);
    const old = levelShares(renderEcgSvg(ecg, { layout: '12x1', overlays: { attribution: { method: 'integrated-gradients', values, leads: 12, percentile: 100 } } }), ecg);
    assert.ok(shareAtLeast(old, 0.2) < 0.15, `ECG ${b}: largest-|value| scale ${(100 * shareAtLeast(old, 0.2)).toFixed(1)}%`);
  }
});
