// Text layout of the chart (header, legend, colour bar) and the colour bar's
// agreement with the overlay it explains. Text boxes are estimated with the
// DejaVu Sans advance widths of svg.ts; the last test checks those widths
// against what resvg actually draws with the font.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEcg, type Ecg } from '../data/ecg.js';
import { STANDARD_LEADS } from '../data/leads.js';
import { synthesizeEcg } from '../data/synth/index.js';
import { renderEcgSvg } from './chart.js';
import type { ClusterBands, EcgOverlays } from './overlays.js';
import { colorMap } from './palettes.js';
import { chartFontFiles, svgToRgba } from './png.js';
import { byClass, findAll, parseSvg, type SvgNode } from './svg-parse.js';
import { fitText, formatSignificant, textWidth } from './svg.js';

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  text: string;
}

function inherited(n: SvgNode, attr: string): string | undefined {
  for (let p: SvgNode | undefined = n; p; p = p.parent) if (p.attrs[attr] !== undefined) return p.attrs[attr];
  return undefined;
}

/** The box a <text> element's glyphs take, from its anchor, font size and (bold) tspans. */
function textBox(t: SvgNode): Box {
  const fs = Number(inherited(t, 'font-size'));
  assert.ok(fs > 0, 'text has a font size');
  const bold = (n: SvgNode): boolean => inherited(n, 'font-weight') === 'bold';
  let w = textWidth(t.text, fs, bold(t));
  for (const c of t.children) w += textWidth(c.text, fs, bold(c));
  const x = Number(t.attrs['x']), y = Number(t.attrs['y']);
  const anchor = inherited(t, 'text-anchor') ?? 'start';
  const x0 = anchor === 'end' ? x - w : anchor === 'middle' ? x - w / 2 : x;
  return { x0, x1: x0 + w, y0: y - 0.8 * fs, y1: y + 0.25 * fs, text: t.text + t.children.map((c) => c.text).join('') };
}

const overlap = (a: Box, b: Box): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

function rootSize(doc: SvgNode): { width: number; height: number } {
  const root = doc.children[0]!;
  return { width: Number(root.attrs['width']), height: Number(root.attrs['height']) };
}

function ecgWithDemographics(): Ecg {
  const e = synthesizeEcg({ fs: 100, seed: 1 });
  return makeEcg({ signal: e.signal, fs: e.fs, leads: e.leads, meta: { ...e.meta, recordId: 'r1', sex: 'F', age: 57 }, ...(e.waves ? { waves: e.waves } : {}) });
}

/** A slope-like signed attribution with tiny values (saliency magnitudes). */
function signedAttribution(ecg: Ecg, scale = 1e-3): Float32Array {
  const values = new Float32Array(ecg.signal.length);
  for (let i = 1; i < values.length; i++) values[i] = (ecg.signal[i]! - ecg.signal[i - 1]!) * scale;
  return values;
}

function clusterBands(n: number): ClusterBands {
  return { block: 'block3', labels: new Int32Array(n).map((_, i) => (i >> 4) % 4), k: 4, names: ['other', 'P', 'QRS', 'T'] };
}

const NARROW_CASES = [
  { width: 400, duration: 2.5, title: 'saliency → AFIB (record 123)' },
  { width: 300, duration: 2, title: 'integrated gradients → 1dAVb' },
  { width: 250, duration: 1, title: 'a very long title that cannot possibly fit on this chart' },
  { width: 1000, duration: 10, title: 'ig' },
];

test('header: the title and the paper settings never overlap and stay on the chart, however narrow', () => {
  const ecg = ecgWithDemographics();
  for (const c of NARROW_CASES) {
    const svg = renderEcgSvg(ecg, { layout: '1x1', lead: 'II', duration: c.duration, width: c.width, title: c.title });
    const doc = parseSvg(svg);
    const { width } = rootSize(doc);
    const [title, info] = findAll(byClass(doc, 'header')[0]!, (e) => e.name === 'text');
    const a = textBox(title!), b = textBox(info!);
    assert.ok(!overlap(a, b), `${c.width} px: title [${a.x0.toFixed(1)}, ${a.x1.toFixed(1)}] x [${a.y0.toFixed(1)}, ${a.y1.toFixed(1)}] overlaps '${b.text}' [${b.x0.toFixed(1)}, ${b.x1.toFixed(1)}] x [${b.y0.toFixed(1)}, ${b.y1.toFixed(1)}]`);
    for (const box of [a, b]) assert.ok(box.x0 >= 0 && box.x1 <= width, `${c.width} px: '${box.text}' spans [${box.x0.toFixed(1)}, ${box.x1.toFixed(1)}] of ${width}`);
    // The header stays above the paper.
    const firstRow = byClass(doc, 'segment')[0]!;
    const baseline = Number(firstRow.attrs['data-baseline']);
    assert.ok(b.y1 < baseline, 'paper settings above the ECG');
    void svg;
    // Nothing is dropped: the speed, gain and the sex/age are all in the header.
    const header = a.text + ' ' + b.text;
    for (const part of ['mm/s', 'mm/mV', 'F, 57 y']) assert.ok(header.includes(part), `${c.width} px: header '${header}' has ${part}`);
    if (c.width === 1000) assert.equal(title!.attrs['y'], info!.attrs['y'], 'a wide chart keeps one header line');
  }
});

test('legend: every text and swatch stays inside the chart; items that do not fit wrap onto new rows', () => {
  const ecg = ecgWithDemographics();
  const n = ecg.nSamples;
  const overlays: EcgOverlays = {
    clusters: [clusterBands(n), { ...clusterBands(n), block: 'block4', k: 6, names: ['other', 'P wave onset', 'QRS complex', 'T wave', 'ST segment', 'baseline wander'] }],
    entropy: [{ block: 'block3', values: new Float32Array(n).fill(0.3) }, { block: 'block4', values: new Float32Array(n).fill(0.6) }],
    waves: { source: 'synthetic ground truth', waves: ecg.waves! },
    attribution: { method: 'integrated gradients', values: signedAttribution(ecg), leads: ecg.leads.length, signed: true },
  };
  for (const c of NARROW_CASES) {
    const doc = parseSvg(renderEcgSvg(ecg, { layout: '1x1', lead: 'II', duration: c.duration, width: c.width, overlays }));
    const { width, height } = rootSize(doc);
    const legend = byClass(doc, 'legend')[0]!;
    const texts = findAll(legend, (e) => e.name === 'text').map(textBox);
    for (const b of texts) {
      assert.ok(b.x0 >= 0 && b.x1 <= width + 1e-6, `${c.width} px: legend text '${b.text}' spans [${b.x0.toFixed(1)}, ${b.x1.toFixed(1)}] of ${width}`);
      assert.ok(b.y1 <= height + 1e-6, `${c.width} px: legend text '${b.text}' below the chart (${b.y1} > ${height})`);
    }
    for (const r of findAll(legend, (e) => e.name === 'rect')) {
      const x = Number(r.attrs['x']), w = Number(r.attrs['width']);
      assert.ok(x >= 0 && x + w <= width + 0.01, `${c.width} px: legend rect [${x}, ${x + w}] of ${width}`);
    }
    // No two legend texts collide.
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) assert.ok(!overlap(texts[i]!, texts[j]!), `${c.width} px: '${texts[i]!.text}' overlaps '${texts[j]!.text}'`);
    // Every cluster keeps its entry (shortened at worst, never dropped).
    const labels = texts.map((b) => b.text);
    for (const id of [0, 1, 2, 3, 4, 5]) assert.ok(labels.some((l) => l.startsWith(`${id} `)), `${c.width} px: cluster ${id} in the legend`);
  }
});

test('colour bar: a signed attribution legend shows the overlay\'s diverging map, level by level, even with several charts on one page', () => {
  const ecg = ecgWithDemographics();
  const signed = signedAttribution(ecg);
  const unsigned = signed.map(Math.abs);
  const charts = [
    renderEcgSvg(ecg, { layout: '1x1', title: 'gradcam', overlays: { attribution: { method: 'gradcam', values: unsigned, leads: 12 } } }),
    renderEcgSvg(ecg, { layout: '1x1', title: 'saliency', overlays: { attribution: { method: 'saliency', values: signed, leads: 12, signed: true } } }),
    renderEcgSvg(ecg, { layout: '1x1', title: 'ig trace', overlays: { attribution: { method: 'ig', values: signed, leads: 12, style: 'trace' } } }),
  ];
  // As in the report's HTML: the charts share one document, where an id names the first element that has it.
  const page = parseSvg(`<div>${charts.join('')}</div>`);
  const byId = (id: string): SvgNode | undefined => findAll(page, (e) => e.attrs['id'] === id)[0];
  /** Colour of legend position u in [0, 1], resolving url(#id) fills the way a browser does. */
  const legendColorAt = (bar: SvgNode, u: number): string => {
    const rects = [bar, ...findAll(bar, (e) => true)].filter((e) => e.name === 'rect' && e.attrs['fill'] !== 'none');
    const x0 = Math.min(...rects.map((r) => Number(r.attrs['x']))), x1 = Math.max(...rects.map((r) => Number(r.attrs['x']) + Number(r.attrs['width'])));
    const x = x0 + u * (x1 - x0);
    const r = rects.find((q) => Number(q.attrs['x']) <= x && x <= Number(q.attrs['x']) + Number(q.attrs['width']))!;
    const fill = r.attrs['fill']!;
    const ref = /^url\(#(.+)\)$/.exec(fill);
    if (!ref) return fill;
    const stops = findAll(byId(ref[1]!)!, (e) => e.name === 'stop');
    return stops.reduce((best, s) => (Math.abs(Number(s.attrs['offset']) - u) < Math.abs(Number(best.attrs['offset']) - u) ? s : best)).attrs['stop-color']!;
  };
  const rdbu = colorMap('puor'), viridis = colorMap('viridis');
  const svgs = page.children[0]!.children;
  assert.equal(svgs.length, 3);
  svgs.forEach((svg, i) => {
    const bar = byClass(svg, 'colorbar')[0]!;
    // The ends and the middle of the bar in the map the overlay is drawn with.
    if (i > 0) {
      assert.equal(legendColorAt(bar, 0.01), rdbu.at(-1), `chart ${i}: left end is the map's -1`);
      assert.equal(legendColorAt(bar, 0.99), rdbu.at(1), `chart ${i}: right end is the map's +1`);
      assert.equal(legendColorAt(bar, 0.5), rdbu.at(0), `chart ${i}: middle is the map's 0`);
    } else {
      assert.equal(legendColorAt(bar, 0.99), viridis.at(1), 'unsigned: right end is viridis(1)');
    }
  });
  svgs.forEach((svg, i) => {
    // Level by level: the legend step of each level the overlay draws has the overlay's colour.
    const steps = new Map(byClass(byClass(svg, 'colorbar')[0]!, 'colorbar-step').map((s) => [s.attrs['data-level']!, s.attrs['fill']!]));
    const drawn = findAll(byClass(svg, 'attribution')[0]!, (e) => e.name === 'path');
    assert.ok(drawn.length > 3, `chart ${i}: overlay draws several levels`);
    for (const p of drawn) assert.equal(steps.get(p.attrs['data-level']!), p.attrs['fill'] ?? p.attrs['stroke'], `chart ${i}: level ${p.attrs['data-level']}`);
  });
  // Ids would collide between the charts of one page: the chart uses none.
  assert.deepEqual(findAll(page, (e) => e.attrs['id'] !== undefined).map((e) => e.attrs['id']), []);
});

test('colour bar labels keep 2 significant digits at any scale and stay inside the chart', () => {
  const ecg = makeEcg({ signal: new Float32Array(12 * 500).map((_, i) => Math.sin(i / 20)), fs: 100, leads: STANDARD_LEADS, meta: { recordId: 's' } });
  for (const scale of [6.19e-4, 3.2e-7, 0.0042, 0.5, 17, 123456]) {
    const values = new Float32Array(ecg.signal.length).map((_, i) => Math.sin(i / 7) * scale);
    for (const [width, duration] of [[400, 2.5], [1000, 5]] as const) {
      const doc = parseSvg(renderEcgSvg(ecg, { layout: '1x1', width, duration, overlays: { attribution: { method: 'saliency', values, leads: 12, signed: true } } }));
      // The bar's value labels: the legend's numeric texts.
      const labels = findAll(byClass(doc, 'legend')[0]!, (e) => e.name === 'text' && e.text !== '' && Number.isFinite(Number(e.text)));
      assert.equal(labels.length, 3);
      const [lo, zero, hi] = labels.map((l) => l.text);
      assert.equal(zero, '0');
      const expected = Math.max(...values.map(Math.abs));
      const { width: w } = rootSize(doc);
      for (const l of labels) {
        const b = textBox(l);
        assert.ok(b.x0 >= 0 && b.x1 <= w, `label '${b.text}' [${b.x0.toFixed(1)}, ${b.x1.toFixed(1)}] inside the ${w} px chart`);
      }
      for (const [text, v] of [[hi!, expected], [lo!, -expected]] as const) {
        assert.ok(!/^-?0(\.0*)?$/.test(text), `scale ${scale}: label '${text}' must not read as 0`);
        assert.ok(Math.abs(Number(text) - v) <= 0.05 * Math.abs(v), `scale ${scale}: label '${text}' vs ${v}`);
        assert.ok(text.length <= 8, `scale ${scale}: label '${text}' keeps 2 significant digits, no more`);
      }
    }
  }
});

test('formatSignificant and fitText', () => {
  assert.equal(formatSignificant(0.000619), '6.2e-4');
  assert.equal(formatSignificant(-0.000619), '-6.2e-4');
  assert.equal(formatSignificant(0.0123), '0.012');
  assert.equal(formatSignificant(150), '150');
  assert.equal(formatSignificant(123456), '1.2e5');
  assert.equal(formatSignificant(0), '0');
  for (const v of [1e-12, 3.7e-5, 0.00099, 0.001, 0.98, 9999, 1e4, 5.5e20]) {
    const back = Number(formatSignificant(v));
    assert.ok(Math.abs(back - v) <= 0.05 * v, `${v} -> ${formatSignificant(v)}`);
  }
  assert.equal(fitText('short', 3, 100), 'short');
  const cut = fitText('a label far too long for its box', 3, 30);
  assert.ok(cut.endsWith('…') && textWidth(cut, 3) <= 30 && cut.length > 3, cut);
});

test('textWidth matches the ink resvg draws with DejaVu Sans', { skip: chartFontFiles().length === 0 && 'DejaVu Sans not installed' }, () => {
  const fs = 40;
  for (const [text, bold] of [['25 mm/s   10 mm/mV   100 Hz', false], ['clusters block3', true], ['WMWMWM iiiii 0123', false], ['saliency → AFIB (record 123)', true]] as const) {
    const width = 2000;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="80"><text x="10" y="55" font-family="DejaVu Sans" font-size="${fs}"${bold ? ' font-weight="bold"' : ''} xml:space="preserve">${text}</text></svg>`;
    const img = svgToRgba(svg);
    let xMin = Infinity, xMax = -Infinity;
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        if (img.rgba[4 * (y * img.width + x)]! < 128) {
          xMin = Math.min(xMin, x);
          xMax = Math.max(xMax, x);
        }
      }
    }
    const ink = xMax - xMin + 1;
    const est = textWidth(text, fs, bold);
    // The advance exceeds the ink by the first and last glyphs' side bearings (a few % of an em each).
    assert.ok(est >= ink && est - ink < 0.3 * fs, `'${text}': estimated ${est.toFixed(1)} px, ink ${ink} px`);
  }
});
