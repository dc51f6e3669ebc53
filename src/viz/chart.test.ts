import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { makeEcg, type Ecg } from '../data/ecg.js';
import { STANDARD_LEADS } from '../data/leads.js';
import { synthesizeEcg } from '../data/synth/index.js';
import { openDataset } from '../data/datasets/index.js';
import { DataError, OptionError } from '../util/errors.js';
import { renderEcgSvg, CHART_COLORS } from './chart.js';
import { chartGeometry } from './layout.js';
import { pixelColumn } from './decimate.js';
import { CATEGORICAL, WAVE_COLORS, colorMap } from './palettes.js';
import { byClass, findAll, parseSvg, polylinePoints, type SvgNode } from './svg-parse.js';
import { LUDB_DIR } from '../../test/data-paths.js';

const TOL = 0.051; // points are written to 0.1 px

/** A 12-lead ECG whose lead k is a known function, for exact checks. */
function rampEcg(fs = 500, seconds = 10): Ecg {
  const n = fs * seconds;
  const signal = new Float32Array(12 * n);
  for (let l = 0; l < 12; l++) for (let i = 0; i < n; i++) signal[l * n + i] = Math.sin((2 * Math.PI * (l + 1) * i) / fs) * (0.5 + l / 12);
  return makeEcg({ signal, fs, leads: STANDARD_LEADS, meta: { recordId: 'ramp' } });
}

function segmentOf(doc: SvgNode, lead: string, row?: number): SvgNode {
  const segs = byClass(doc, 'segment').filter((s) => s.attrs['data-lead'] === lead && (row === undefined || Number(s.attrs['data-row']) === row));
  assert.equal(segs.length, 1, `one segment of ${lead}`);
  return segs[0]!;
}

function tracePointsOf(seg: SvgNode): number[][] {
  return byClass(seg, 'trace').map(polylinePoints);
}

test('geometry: 1 mV is gain mm tall and 1 s is speed mm wide, at N px/mm', () => {
  for (const [speed, gain, pxPerMm] of [[25, 10, 5], [50, 20, 3], [25, 5, 4]] as const) {
    const fs = 500, n = 3 * fs;
    // Lead II: 0 mV for 1 s, then a 1 mV step.
    const signal = new Float32Array(n).map((_, i) => (i >= fs ? 1 : 0));
    const ecg = makeEcg({ signal, fs, leads: ['II'], meta: { recordId: 'step' } });
    const doc = parseSvg(renderEcgSvg(ecg, { layout: '1x1', speed, gain, pxPerMm, exact: true }));
    const [pts] = tracePointsOf(segmentOf(doc, 'II'));
    assert.equal(pts!.length, 2 * n);
    const x = (i: number): number => pts![2 * i]!, y = (i: number): number => pts![2 * i + 1]!;
    assert.ok(Math.abs(y(fs - 1) - y(fs) - gain * pxPerMm) < TOL, `1 mV = ${y(fs - 1) - y(fs)} px, expected ${gain * pxPerMm}`);
    assert.ok(Math.abs(x(2 * fs) - x(fs) - speed * pxPerMm) < TOL, `1 s = ${x(2 * fs) - x(fs)} px`);
    const root = doc.children[0]!;
    assert.equal(Number(root.attrs['data-px-per-mm']), pxPerMm);
    assert.equal(Number(root.attrs['data-speed']), speed);
    assert.equal(Number(root.attrs['data-gain']), gain);
  }
});

test('grid: 1 mm minor and 5 mm major lines, counts and spacing match the paper size', () => {
  const ecg = rampEcg();
  const pxPerMm = 4;
  const g = chartGeometry(ecg, { layout: '3x4+II', pxPerMm });
  assert.equal(g.paper.widthMm, 10 + 250, 'calibration zone + 10 s at 25 mm/s');
  assert.equal(g.paper.heightMm, 4 * 40);
  const doc = parseSvg(renderEcgSvg(ecg, { layout: '3x4+II', pxPerMm }));
  const lines = (cls: string): { v: number[]; h: number[] } => {
    const d = byClass(doc, cls)[0]!.attrs['d']!;
    const v: number[] = [], h: number[] = [];
    for (const m of d.matchAll(/M([\d.]+) ([\d.]+)([VH])/g)) (m[3] === 'V' ? v : h).push(m[3] === 'V' ? Number(m[1]) : Number(m[2]));
    return { v, h };
  };
  const minor = lines('grid-minor'), major = lines('grid-major');
  assert.equal(major.v.length, 260 / 5 + 1);
  assert.equal(minor.v.length, 261 - (260 / 5 + 1));
  assert.equal(major.h.length, 160 / 5 + 1);
  assert.equal(minor.h.length, 161 - (160 / 5 + 1));
  const all = [...minor.v, ...major.v].sort((a, b) => a - b);
  for (let i = 1; i < all.length; i++) assert.ok(Math.abs(all[i]! - all[i - 1]! - pxPerMm) < 0.011, 'vertical lines every 1 mm');
  for (let i = 1; i < major.v.length; i++) assert.ok(Math.abs(major.v[i]! - major.v[i - 1]! - 5 * pxPerMm) < 0.011, 'major lines every 5 mm');
  // t = 0 and every second fall on major lines (25 mm/s = 5 large squares per second).
  for (let t = 0; t <= 10; t++) assert.ok(major.v.some((x) => Math.abs(x - g.xOfTime(t)) < 0.011), `t=${t} s on a major line`);
  assert.equal(byClass(doc, 'grid-major')[0]!.attrs['stroke'], CHART_COLORS.gridMajor);
});

test('calibration pulse: one per row, 1 mV (10 mm) tall and 200 ms (5 mm) wide', () => {
  const ecg = rampEcg();
  for (const [layout, rows] of [['3x4+II', 4], ['12x1', 12], ['1x1', 1]] as const) {
    const pxPerMm = 5;
    const doc = parseSvg(renderEcgSvg(ecg, { layout, pxPerMm }));
    const d = byClass(doc, 'calibration')[0]!.attrs['d']!;
    const pulses = [...d.matchAll(/M([\d.]+) ([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)/g)];
    assert.equal(pulses.length, rows, layout);
    for (const p of pulses) {
      const [, , base, x1, top, x2, back] = p.map(Number);
      assert.ok(Math.abs(base! - top! - 10 * pxPerMm) < 0.011, 'height 10 mm');
      assert.ok(Math.abs(x2! - x1! - 5 * pxPerMm) < 0.011, 'width 5 mm');
      assert.equal(back, base);
    }
  }
});

test('3x4+II layout: aVL in row 2 column 2 over [2.5, 5) s, rhythm strip of II over the full 10 s; points are the transformed samples', () => {
  const ecg = rampEcg();
  const pxPerMm = 4;
  const g = chartGeometry(ecg, { layout: '3x4+II', pxPerMm });
  const doc = parseSvg(renderEcgSvg(ecg, { layout: '3x4+II', pxPerMm, exact: true }));
  const segs = byClass(doc, 'segment');
  assert.equal(segs.length, 13);
  const avl = segmentOf(doc, 'aVL');
  assert.equal(avl.attrs['data-row'], '1');
  assert.equal(avl.attrs['data-col'], '1');
  assert.equal(Number(avl.attrs['data-t0']), 2.5);
  assert.equal(Number(avl.attrs['data-t1']), 5);
  const fs = ecg.fs, n = ecg.nSamples, li = ecg.leads.indexOf('aVL');
  const [pts] = tracePointsOf(avl);
  assert.equal(pts!.length / 2, 1250, 'samples 1250..2499');
  const baseline = Number(avl.attrs['data-baseline']);
  for (let k = 0; k < 1250; k++) {
    const i = 1250 + k;
    assert.ok(Math.abs(pts![2 * k]! - g.xOfSample(i)) < TOL, "Math.abs(pts![2 * k]! - g.xOfSample(i)) < TOL");
    assert.ok(Math.abs(pts![2 * k + 1]! - (baseline - ecg.signal[li * n + i]! * 10 * pxPerMm)) < TOL, "Math.abs(pts![2 * k + 1]! - (baseline - ecg.signal[li * n + i]! * 10 * pxPerMm)) < TOL");
  }
  assert.ok(pts![0]! >= g.xOfTime(2.5) - TOL && pts![pts!.length - 2]! < g.xOfTime(5), "pts![0]! >= g.xOfTime(2.5) - TOL && pts![pts!.length - 2]! < g.xOfTime(5)");
  // Row order of the clinical print.
  const at = (row: number, col: number): string => segs.find((s) => s.attrs['data-row'] === String(row) && s.attrs['data-col'] === String(col))!.attrs['data-lead']!;
  assert.deepEqual([0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => at(r, c))), [['I', 'aVR', 'V1', 'V4'], ['II', 'aVL', 'V2', 'V5'], ['III', 'aVF', 'V3', 'V6']]);
  const rhythm = segmentOf(doc, 'II', 3);
  assert.equal(Number(rhythm.attrs['data-t0']), 0);
  assert.equal(Number(rhythm.attrs['data-t1']), 10);
  const [rp] = tracePointsOf(rhythm);
  assert.equal(rp!.length / 2, fs * 10);
  assert.ok(Math.abs(rp![0]! - g.xOfTime(0)) < TOL && Math.abs(rp![rp!.length - 2]! - g.xOfTime(10 - 1 / fs)) < TOL, "Math.abs(rp![0]! - g.xOfTime(0)) < TOL && Math.abs(rp![rp!.length - 2]! - g.xOfTime(10 - 1");
  // Column separators at 2.5, 5 and 7.5 s in each of the 3 rows.
  const sep = byClass(doc, 'separator')[0]!.attrs['d']!;
  const xs = [...sep.matchAll(/M([\d.]+) /g)].map((m) => Number(m[1]));
  assert.equal(xs.length, 9);
  for (const t of [2.5, 5, 7.5]) assert.equal(xs.filter((x) => Math.abs(x - g.xOfTime(t)) < 0.011).length, 3);
  // Lead labels.
  assert.deepEqual(byClass(doc, 'lead-label').map((t) => t.text), ['I', 'aVR', 'V1', 'V4', 'II', 'aVL', 'V2', 'V5', 'III', 'aVF', 'V3', 'V6', 'II']);
  assert.deepEqual(byClass(doc, 'time-label').map((t) => t.text), Array.from({ length: 11 }, (_, t) => `${t} s`));
});

test('decimated traces: every point is a transformed sample and each pixel column keeps its min and max', () => {
  const ecg = synthesizeEcg({ fs: 500, seed: 11, durationS: 10 });
  const pxPerMm = 4;
  const g = chartGeometry(ecg, { layout: '12x1', pxPerMm });
  const doc = parseSvg(renderEcgSvg(ecg, { layout: '12x1', pxPerMm }));
  const n = ecg.nSamples;
  const dx = (25 * pxPerMm) / ecg.fs;
  let total = 0;
  for (const [li, lead] of ecg.leads.entries()) {
    const seg = segmentOf(doc, lead);
    const baseline = Number(seg.attrs['data-baseline']);
    const [pts] = tracePointsOf(seg);
    const vals = ecg.signal.subarray(li * n, (li + 1) * n);
    const yOf = (v: number): number => baseline - v * 10 * pxPerMm;
    const seen = new Set<number>();
    for (let k = 0; k < pts!.length; k += 2) {
      const i = Math.round((pts![k]! - g.xOfSample(0)) / dx);
      assert.ok(Math.abs(pts![k]! - g.xOfSample(i)) < TOL, 'x is a sample position');
      assert.ok(Math.abs(pts![k + 1]! - yOf(vals[i]!)) < TOL, 'y is that sample');
      seen.add(i);
    }
    // Per pixel column: its min and max sample are drawn.
    const cols = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const c = pixelColumn(g.xOfSample(i));
      if (!cols.has(c)) cols.set(c, []);
      cols.get(c)!.push(i);
    }
    for (const idx of cols.values()) {
      const lo = Math.min(...idx.map((i) => vals[i]!)), hi = Math.max(...idx.map((i) => vals[i]!));
      assert.ok(idx.some((i) => seen.has(i) && vals[i] === lo) && idx.some((i) => seen.has(i) && vals[i] === hi), `${lead}: min and max of the column of sample ${idx[0]}`);
    }
    assert.ok(seen.size <= 2 * cols.size, "seen.size <= 2 * cols.size");
    total += seen.size;
  }
  assert.ok(total < 0.45 * 12 * n, `${total} points for ${12 * n} samples`);
});

test('NaN samples break the trace', () => {
  const ecg = rampEcg(250, 4);
  const n = ecg.nSamples;
  const ii = ecg.leads.indexOf('II');
  for (let i = 300; i < 320; i++) ecg.signal[ii * n + i] = NaN;
  const doc = parseSvg(renderEcgSvg(ecg, { layout: '1x1', lead: 'II', exact: true }));
  const lines = tracePointsOf(segmentOf(doc, 'II'));
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.length / 2 + lines[1]!.length / 2, n - 20);
});

test('overlays appear only when switched on', () => {
  const ecg = synthesizeEcg({ fs: 250, seed: 2, durationS: 10 });
  const n = ecg.nSamples;
  const plain = renderEcgSvg(ecg);
  for (const cls of ['wave', 'attribution', 'cluster-band', 'entropy-panel', 'legend']) assert.ok(!plain.includes(`class="${cls}`), cls);
  const labels = new Int32Array(n).map((_, i) => Math.floor(i / 100) % 3);
  const overlays = {
    waves: { source: 'synthetic', waves: ecg.waves! },
    attribution: { method: 'test', values: new Float32Array(n).fill(0.5), leads: 1 },
    clusters: [{ block: 'b3', labels, k: 3 }],
    entropy: [{ block: 'b3', values: new Float32Array(n).fill(0.25) }],
  };
  for (const [key, cls] of [['waves', 'wave'], ['attribution', 'attribution'], ['clusters', 'cluster-band'], ['entropy', 'entropy-panel']] as const) {
    const svg = renderEcgSvg(ecg, { overlays: { [key]: overlays[key] } });
    assert.ok(svg.includes(`class="${cls}`), `${key} on`);
    for (const other of ['wave', 'attribution', 'cluster-band', 'entropy-panel'].filter((c) => c !== cls)) assert.ok(!svg.includes(`class="${other}`), `${other} off with only ${key}`);
    // Every overlay but a single entropy trace (the panel is its own legend) adds a legend line.
    assert.equal(svg.includes('class="legend"'), key !== 'entropy', `legend with ${key}`);
  }
});

test('cluster bands: one band per block, runs at the right samples, colours from the palette in order, legend names', () => {
  const ecg = synthesizeEcg({ fs: 250, seed: 5, durationS: 10 });
  const n = ecg.nSamples;
  const k = 5;
  const labels = new Int32Array(n).map((_, i) => Math.floor(i / 50) % k);
  labels.fill(-1, 0, 10); // unassigned: left blank
  const other = new Int32Array(n);
  const g = chartGeometry(ecg, { layout: '12x1' }, { clusterBands: 2, entropy: false, legendLines: 2, labelChars: 6 });
  const doc = parseSvg(renderEcgSvg(ecg, { layout: '12x1', overlays: { clusters: [{ block: 'block3', labels, k, names: ['other', 'P', 'QRS', 'T', 'other'] }, { block: 'block4', labels: other, k: 1 }] } }));
  const bands = byClass(doc, 'cluster-band');
  assert.deepEqual(bands.map((b) => b.attrs['data-block']), ['block3', 'block4']);
  const rects = byClass(bands[0]!, 'cluster');
  assert.equal(rects.length, n / 50);
  for (const r of rects) {
    const id = Number(r.attrs['data-cluster']), from = Number(r.attrs['data-from']), to = Number(r.attrs['data-to']);
    assert.equal(r.attrs['fill'], CATEGORICAL[id]);
    for (let i = from; i < to; i++) assert.equal(labels[i], id);
    assert.ok(Math.abs(Number(r.attrs['x']) - g.xOfSample(from)) < 0.011, "Math.abs(Number(r.attrs['x']) - g.xOfSample(from)) < 0.011");
    assert.ok(Math.abs(Number(r.attrs['width']) - (g.xOfSample(to) - g.xOfSample(from))) < 0.02, "Math.abs(Number(r.attrs['width']) - (g.xOfSample(to) - g.xOfSample(from))) < 0.02");
  }
  assert.equal(Number(rects[0]!.attrs['data-from']), 10, 'negative ids are blank');
  assert.equal(byClass(bands[1]!, 'cluster').length, 1);
  const swatches = byClass(byClass(doc, 'legend')[0]!, 'legend-swatch');
  assert.deepEqual(swatches.slice(0, k).map((s) => s.attrs['fill']), CATEGORICAL.slice(0, k));
  const legendText = findAll(byClass(doc, 'legend')[0]!, (e) => e.name === 'text').map((t) => t.text);
  assert.ok(legendText.includes('clusters block3') && legendText.includes('2 QRS') && legendText.includes('3 T'), "legendText.includes('clusters block3') && legendText.includes('2 QRS') && legendText.inclu");
  // Behind the trace instead: one tinted path per cluster id, and no strip.
  const behind = parseSvg(renderEcgSvg(ecg, { layout: '12x1', overlays: { clusters: [{ block: 'block3', labels, k }], clusterPlacement: 'behind' } }));
  const paths = byClass(byClass(behind, 'cluster-behind')[0]!, 'cluster');
  assert.deepEqual(paths.map((p) => p.attrs['fill']), CATEGORICAL.slice(0, k));
  assert.equal(byClass(behind, 'cluster-band').length, 1);
});

test('entropy panel: 0 at the panel bottom, 1 at its top', () => {
  const ecg = synthesizeEcg({ fs: 250, seed: 6, durationS: 4 });
  const n = ecg.nSamples;
  const values = new Float32Array(n).map((_, i) => (i < n / 2 ? 0 : 1));
  const g = chartGeometry(ecg, { layout: '1x1' }, { clusterBands: 0, entropy: true, legendLines: 0, labelChars: 7 });
  const doc = parseSvg(renderEcgSvg(ecg, { layout: '1x1', overlays: { entropy: [{ block: 'b4', values }] }, exact: true }));
  const pts = polylinePoints(findAll(byClass(doc, 'entropy')[0]!, (e) => e.name === 'polyline')[0]!);
  assert.equal(pts.length / 2, n);
  assert.ok(Math.abs(pts[1]! - g.entropyPanel!.bottom) < TOL && Math.abs(pts[pts.length - 1]! - g.entropyPanel!.top) < TOL, "Math.abs(pts[1]! - g.entropyPanel!.bottom) < TOL && Math.abs(pts[pts.length - 1]! - g.entr");
});

test('attribution: signed values on a diverging map, positive on viridis; a per-lead map colours only its lead', () => {
  const ecg = rampEcg(250, 10);
  const n = ecg.nSamples;
  const values = new Float32Array(12 * n);
  const v1 = ecg.leads.indexOf('V1');
  for (let i = 0; i < n; i++) values[v1 * n + i] = Math.sin(i / 20);
  const g = chartGeometry(ecg, { layout: '3x4+II' });
  const doc = parseSvg(renderEcgSvg(ecg, { layout: '3x4+II', overlays: { attribution: { method: 'ig', values, leads: 12, style: 'background' } } }));
  const paths = findAll(byClass(doc, 'attribution-background')[0]!, (e) => e.name === 'path');
  const rdbu = colorMap('puor');
  assert.ok(paths.length > 10, "paths.length > 10");
  for (const p of paths) {
    const level = Number(p.attrs['data-level']);
    assert.equal(p.attrs['fill'], rdbu.at(level));
    for (const m of p.attrs['d']!.matchAll(/M([\d.]+) ([\d.]+)h([\d.]+)/g)) {
      // V1 is row 0, column 2: t in [5, 7.5).
      assert.ok(Math.abs(Number(m[2]) - g.rows[0]!.top) < 0.011, 'only in row 0');
      assert.ok(Number(m[1]) >= g.xOfTime(5) - 0.011 && Number(m[1]) + Number(m[3]) <= g.xOfTime(7.5) + 0.011, 'only in column 2');
    }
  }
  const levels = paths.map((p) => Number(p.attrs['data-level']));
  assert.equal(Math.max(...levels), 1);
  assert.equal(Math.min(...levels), -1);
  // Positive values: viridis, levels in (0, 1].
  const pos = values.map(Math.abs);
  const posDoc = parseSvg(renderEcgSvg(ecg, { layout: '3x4+II', overlays: { attribution: { method: 'saliency', values: pos, leads: 12, style: 'background' } } }));
  const posPaths = findAll(byClass(posDoc, 'attribution-background')[0]!, (e) => e.name === 'path');
  for (const p of posPaths) {
    const level = Number(p.attrs['data-level']);
    assert.ok(level > 0 && level <= 1, "level > 0 && level <= 1");
    assert.equal(p.attrs['fill'], colorMap('viridis').at(level));
  }
  // The trace style draws coloured strokes under the trace instead of bands; it is the default of per-sample methods, bands of coarse ones.
  const tr = renderEcgSvg(ecg, { layout: '3x4+II', overlays: { attribution: { method: 'ig', values, leads: 12, style: 'trace' } } });
  assert.ok(tr.includes('attribution-trace') && !tr.includes('attribution-background'), "tr.includes('attribution-trace') && !tr.includes('attribution-background')");
  const byDefault = (method: string): string => renderEcgSvg(ecg, { layout: '3x4+II', overlays: { attribution: { method, values, leads: 12 } } });
  for (const m of ['integrated-gradients', 'saliency', 'smoothgrad', 'input-x-gradient']) assert.ok(byDefault(m).includes('attribution-trace'), `${m} colours the trace`);
  for (const m of ['gradcam', 'occlusion']) assert.ok(byDefault(m).includes('attribution-background'), `${m} shades the background`);
});

test('wave spans match the annotated samples (synthetic ground truth)', () => {
  const ecg = synthesizeEcg({ fs: 500, seed: 8, durationS: 10 });
  const g = chartGeometry(ecg, { layout: '3x4+II' });
  const doc = parseSvg(renderEcgSvg(ecg, { layout: '3x4+II', overlays: { waves: { source: 'synthetic', waves: ecg.waves! } } }));
  const spans = byClass(doc, 'wave');
  assert.ok(spans.length > 0, "spans.length > 0");
  for (const row of g.rows) {
    for (const s of row.segments) {
      const expected = (ecg.waves![s.lead] ?? ecg.waves!['*']!).filter((w) => w.offset >= s.n0 && w.onset < s.n1);
      const got = spans.filter((r) => r.attrs['data-lead'] === s.lead && r.attrs['data-row'] === String(s.row));
      assert.equal(got.length, expected.length, `${s.lead} row ${s.row}`);
      got.forEach((r, i) => {
        const w = expected[i]!;
        assert.equal(r.attrs['class'], `wave wave-${w.wave}`);
        assert.equal(Number(r.attrs['data-onset']), w.onset);
        assert.equal(Number(r.attrs['data-offset']), w.offset);
        assert.ok(Math.abs(Number(r.attrs['x']) - g.xOfSample(Math.max(w.onset, s.n0))) < 0.011, "Math.abs(Number(r.attrs['x']) - g.xOfSample(Math.max(w.onset, s.n0))) < 0.011");
        const width = Math.max(0.5, g.xOfSample(Math.min(w.offset, s.n1 - 1)) - g.xOfSample(Math.max(w.onset, s.n0)));
        assert.ok(Math.abs(Number(r.attrs['width']) - width) < 0.02, "Math.abs(Number(r.attrs['x']) + Number(r.attrs['width']) - g.xOfSample(Math.min(w.offset, ");
        assert.equal(r.attrs['fill'], WAVE_COLORS[w.wave]);
      });
    }
  }
});

test('LUDB record 1: annotated waves of lead II are shaded at their samples', { skip: !existsSync(LUDB_DIR) && `LUDB not at ${LUDB_DIR}` }, async () => {
  const ecg = await (await openDataset(LUDB_DIR)).load('1');
  const doc = parseSvg(renderEcgSvg(ecg, { overlays: { waves: { source: 'annotations', waves: ecg.waves! } } }));
  const rhythm = byClass(doc, 'wave').filter((r) => r.attrs['data-lead'] === 'II' && r.attrs['data-row'] === '3');
  const annotated = ecg.waves!['II']!.filter((w) => w.onset < 5000);
  assert.ok(annotated.length >= 9, 'LUDB annotates several beats');
  assert.deepEqual(rhythm.map((r) => [r.attrs['class'], Number(r.attrs['data-onset']), Number(r.attrs['data-offset'])]), annotated.map((w) => [`wave wave-${w.wave}`, w.onset, w.offset]));
});

test('bad options and overlays that do not fit the ECG are typed errors', () => {
  const ecg = rampEcg(250, 4);
  const n = ecg.nSamples;
  assert.throws(() => renderEcgSvg(ecg, { layout: '1x1', lead: 'V7' }), (e: unknown) => e instanceof OptionError && /no lead 'V7'/.test(e.message));
  assert.throws(() => renderEcgSvg(ecg, { rowHeightMm: 33 }), OptionError);
  assert.throws(() => renderEcgSvg(ecg, { speed: 0 }), OptionError);
  assert.throws(() => renderEcgSvg(ecg, { start: 4 }), OptionError);
  assert.throws(() => renderEcgSvg(ecg, { layout: 'bogus' as never }), OptionError);
  assert.throws(() => renderEcgSvg(ecg, { overlays: { clusters: [{ block: 'b', labels: new Int32Array(n - 1), k: 2 }] } }), DataError);
  assert.throws(() => renderEcgSvg(ecg, { overlays: { clusters: [{ block: 'b', labels: new Int32Array(n).fill(2), k: 2 }] } }), DataError);
  assert.throws(() => renderEcgSvg(ecg, { overlays: { entropy: [{ block: 'b', values: new Float32Array(3) }] } }), DataError);
  assert.throws(() => renderEcgSvg(ecg, { overlays: { attribution: { method: 'm', values: new Float32Array(2 * n), leads: 2 } } }), DataError);
});

test('layouts: 12x1 stacks every lead over the whole record; 1x1 defaults to II; 3x4 of a record without the standard leads is refused no more than it must be', () => {
  const ecg = rampEcg(250, 6);
  const stacked = parseSvg(renderEcgSvg(ecg, { layout: '12x1' }));
  assert.deepEqual(byClass(stacked, 'segment').map((s) => s.attrs['data-lead']), [...STANDARD_LEADS]);
  for (const s of byClass(stacked, 'segment')) assert.equal(Number(s.attrs['data-t1']), 6);
  const single = parseSvg(renderEcgSvg(ecg, { layout: '1x1' }));
  assert.deepEqual(byClass(single, 'segment').map((s) => s.attrs['data-lead']), ['II']);
  // Two-lead Holter-style record: default layout is 12x1 with its own leads; 3x4 marks absent leads.
  const two = makeEcg({ signal: new Float32Array(2 * 1000), fs: 250, leads: ['II', 'V5'], meta: { recordId: 'holter' } });
  assert.deepEqual(byClass(parseSvg(renderEcgSvg(two)), 'segment').map((s) => s.attrs['data-lead']), ['II', 'V5']);
  const print = parseSvg(renderEcgSvg(two, { layout: '3x4+II' }));
  assert.ok(byClass(print, 'lead-label').some((t) => t.text === 'aVL (absent)'), "byClass(print, 'lead-label').some((t) => t.text === 'aVL (absent)')");
  // width sets the resolution.
  const w = parseSvg(renderEcgSvg(ecg, { layout: '1x1', width: 1500 })).children[0]!;
  assert.equal(Number(w.attrs['width']), 1500);
});
