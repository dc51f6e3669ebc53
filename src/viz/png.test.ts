import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEcg } from '../data/ecg.js';
import { synthesizeEcg } from '../data/synth/index.js';
import { renderEcgSvg, CHART_COLORS } from './chart.js';
import { chartGeometry } from './layout.js';
import { chartFontFiles, svgToPng, svgToRgba } from './png.js';
import { decodePng, PNG_SIGNATURE } from './png-decode.js';
import { parseHex } from './color.js';

const ecg = synthesizeEcg({ fs: 250, seed: 4, durationS: 6 });
const opts = { layout: '1x1' as const, pxPerMm: 4 };
const svg = renderEcgSvg(ecg, opts);
const g = chartGeometry(ecg, opts);

function rgbAt(img: { width: number; rgba: Uint8Array }, x: number, y: number): [number, number, number] {
  const i = (Math.floor(y) * img.width + Math.floor(x)) * 4;
  return [img.rgba[i]!, img.rgba[i + 1]!, img.rgba[i + 2]!];
}

function hexRgb(hex: string): [number, number, number] {
  const c = parseHex(hex);
  return [c.r, c.g, c.b].map((v) => Math.round(v * 255)) as [number, number, number];
}

test('PNG: signature, size, and the decoded pixels equal the rasteriser\'s own', () => {
  const png = svgToPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  const img = decodePng(png);
  assert.equal(img.width, Math.round(g.width));
  assert.equal(img.height, Math.round(g.height));
  const raw = svgToRgba(svg);
  assert.equal(raw.width, img.width);
  assert.ok(Buffer.from(raw.rgba).equals(Buffer.from(img.rgba)), 'decoded PNG = raw RGBA');
  const twice = decodePng(svgToPng(svg, { scale: 2 }));
  assert.deepEqual([twice.width, twice.height], [2 * img.width, 2 * img.height]);
});

test('PNG: white background, grid lines in the grid colours, black trace', () => {
  const img = decodePng(svgToPng(svg));
  assert.deepEqual(rgbAt(img, 2, 2), [255, 255, 255]);
  const row = g.rows[0]!;
  // Between horizontal lines (2.5 mm below the row top), inside the calibration zone above the pulse.
  const y = row.top + 2.5 * g.pxPerMm;
  const near = (x: number): [number, number, number][] => [x - 1, x, x + 1].map((xx) => rgbAt(img, xx, y));
  const major = hexRgb(CHART_COLORS.gridMajor), minor = hexRgb(CHART_COLORS.gridMinor);
  assert.ok(near(g.paper.x + 5 * g.pxPerMm).some((p) => p.join() === major.join()), `major line at 5 mm: ${JSON.stringify(near(g.paper.x + 5 * g.pxPerMm))}`);
  assert.ok(near(g.paper.x + 1 * g.pxPerMm).some((p) => p.join() === minor.join()), `minor line at 1 mm: ${JSON.stringify(near(g.paper.x + 4))}`);
  // Between two minor lines the paper is white.
  assert.deepEqual(rgbAt(img, g.paper.x + 1.5 * g.pxPerMm, y), [255, 255, 255]);

  // The trace: pure black pixels near the baseline, right of the calibration zone (at 3x zoom the 1.2 px line covers whole pixels).
  const big = decodePng(svgToPng(svg, { scale: 3 }));
  const countBlack = (img3: typeof big): number => {
    let n = 0;
    for (let yy = Math.floor(3 * (row.baseline - 20)); yy < 3 * (row.baseline + 12); yy++) {
      for (let xx = Math.ceil(3 * g.xOfTime(0)); xx < 3 * g.xOfTime(6); xx++) if (rgbAt(img3, xx, yy).join() === '0,0,0') n++;
    }
    return n;
  };
  assert.ok(countBlack(big) > 500, `black trace pixels: ${countBlack(big)}`);
  // Control: the same chart of an all-NaN lead has no black there.
  const blank = makeEcg({ signal: new Float32Array(ecg.nSamples).fill(NaN), fs: ecg.fs, leads: ['II'], meta: { recordId: 'blank' } });
  assert.equal(countBlack(decodePng(svgToPng(renderEcgSvg(blank, opts), { scale: 3 }))), 0);
});

test('PNG: labels render with the chart font', { skip: chartFontFiles().length === 0 && 'no DejaVu Sans installed (apt-get install fonts-dejavu-core)' }, () => {
  const img = decodePng(svgToPng(svg, { scale: 2 }));
  // Ink of the time label "3 s" under the axis: dark pixels in its box.
  const x = g.xOfTime(3), y0 = g.axisY + 1.5 * g.pxPerMm, h = 3 * g.pxPerMm;
  let ink = 0;
  for (let yy = 2 * y0; yy < 2 * (y0 + h); yy++) for (let xx = 2 * (x - 12); xx < 2 * (x + 12); xx++) if (rgbAt(img, xx, yy)[0] < 160) ink++;
  assert.ok(ink > 20, `ink pixels of the '3 s' label: ${ink}`);
  // And the lead label "II" at the row's top left.
  const lx = g.xOfTime(0) + 1.5 * g.pxPerMm, ly = g.rows[0]!.top + 2 * g.pxPerMm;
  let labelInk = 0;
  for (let yy = 2 * ly; yy < 2 * (ly + 3.5 * g.pxPerMm); yy++) for (let xx = 2 * lx; xx < 2 * (lx + 5 * g.pxPerMm); xx++) if (rgbAt(img, xx, yy).join() === '0,0,0') labelInk++;
  assert.ok(labelInk > 20, `ink pixels of the 'II' label: ${labelInk}`);
});

test('svgToPng rejects a bad scale', () => {
  assert.throws(() => svgToPng(svg, { scale: 0 }), RangeError);
});
