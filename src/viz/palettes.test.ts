import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATEGORICAL, OKABE_ITO, categoricalColor, colorMap, COLOR_MAPS, WAVE_COLORS } from './palettes.js';
import { deltaE76, mixRgb, parseHex, rgbToLab, simulateCvd, toHex, type ColorVisionDeficiency } from './color.js';
import { CHART_COLORS } from './chart.js';

test('Okabe-Ito values are the published ones', () => {
  // Okabe & Ito (2008), RGB 0-255: black, orange (230,159,0), sky blue (86,180,233),
  // bluish green (0,158,115), yellow (240,228,66), blue (0,114,178),
  // vermillion (213,94,0), reddish purple (204,121,167).
  const published: [string, number, number, number][] = [
    ['black', 0, 0, 0], ['orange', 230, 159, 0], ['skyBlue', 86, 180, 233], ['bluishGreen', 0, 158, 115],
    ['yellow', 240, 228, 66], ['blue', 0, 114, 178], ['vermillion', 213, 94, 0], ['reddishPurple', 204, 121, 167],
  ];
  for (const [name, r, g, b] of published) {
    const c = parseHex(OKABE_ITO[name as keyof typeof OKABE_ITO]);
    assert.deepEqual([c.r * 255, c.g * 255, c.b * 255].map(Math.round), [r, g, b], name);
  }
  assert.equal(CATEGORICAL.length, 8);
  assert.equal(new Set(CATEGORICAL).size, 8);
  assert.equal(CATEGORICAL[7], OKABE_ITO.black, 'black, the trace colour, comes last');
  for (let i = 0; i < 8; i++) assert.equal(categoricalColor(i), CATEGORICAL[i]);
});

test('the categorical extension beyond 8 gives distinct colours and keeps the hue order', () => {
  const colors = Array.from({ length: 24 }, (_, i) => categoricalColor(i));
  assert.equal(new Set(colors).size, 24);
  // Tints are lighter and shades darker than their base hue.
  for (let i = 0; i < 7; i++) {
    const base = rgbToLab(parseHex(colors[i]!)).l;
    assert.ok(rgbToLab(parseHex(colors[i + 8]!)).l > base, `tint of ${i}`);
    assert.ok(rgbToLab(parseHex(colors[i + 16]!)).l < base, `shade of ${i}`);
  }
  assert.equal(categoricalColor(24), categoricalColor(0));
  assert.throws(() => categoricalColor(-1), RangeError);
});

test('colour-vision deficiency: the 8 categorical colours stay pairwise distinct (Machado 2009, CIE76 dE > 15)', () => {
  const minPairwise = (colors: readonly string[], kind: ColorVisionDeficiency): number => {
    let min = Infinity;
    for (let i = 0; i < colors.length; i++) {
      for (let j = i + 1; j < colors.length; j++) {
        min = Math.min(min, deltaE76(simulateCvd(parseHex(colors[i]!), kind), simulateCvd(parseHex(colors[j]!), kind)));
      }
    }
    return min;
  };
  for (const kind of ['deuteranopia', 'protanopia', 'tritanopia'] as const) {
    assert.ok(minPairwise(CATEGORICAL, kind) > 15, `${kind}: min dE ${minPairwise(CATEGORICAL, kind).toFixed(1)}`);
  }
  assert.ok(minPairwise(Object.values(WAVE_COLORS), 'deuteranopia') > 20, `waves ${minPairwise(Object.values(WAVE_COLORS), 'deuteranopia').toFixed(1)}`);
  // The check has teeth: a classic red/green pair collapses for a deuteranope.
  assert.ok(minPairwise(['#d62728', '#2ca02c'], 'deuteranopia') < 15);
  assert.ok(deltaE76(parseHex('#d62728'), parseHex('#2ca02c')) > 50, 'while a normal viewer sees them far apart');
});

test('wave colours are greys, far from every cluster colour up to K = 15 and from each other', () => {
  for (const w of Object.values(WAVE_COLORS)) {
    const lab = rgbToLab(parseHex(w));
    assert.ok(Math.hypot(lab.a, lab.b) < 1, `${w} is grey`);
    // Up to K = 15 for normal vision (16 and 24 are black's tint and shade: greys themselves);
    // the 8 colour-blind-safe ones (K <= 8, the default) for a deuteranope.
    for (let i = 0; i < 15; i++) {
      const c = parseHex(categoricalColor(i));
      assert.ok(deltaE76(parseHex(w), c) > 20, `${w} vs cluster ${i} ${categoricalColor(i)}: dE ${deltaE76(parseHex(w), c).toFixed(1)}`);
      const dc = deltaE76(simulateCvd(parseHex(w), 'deuteranopia'), simulateCvd(c, 'deuteranopia'));
      if (i < 8) assert.ok(dc > 12, `${w} vs cluster ${i} for a deuteranope: dE ${dc.toFixed(1)}`);
    }
  }
});

test('the Machado deuteranopia matrix keeps greys grey and merges red with green', () => {
  for (const g of ['#ffffff', '#808080', '#000000']) assert.equal(toHex(simulateCvd(parseHex(g), 'deuteranopia')), g);
  const red = simulateCvd(parseHex('#ff0000'), 'deuteranopia');
  const green = simulateCvd(parseHex('#00ff00'), 'deuteranopia');
  // Both become yellowish (blue channel well below red and green), and much closer than they were.
  for (const c of [red, green]) assert.ok(c.b < 0.5 * Math.min(c.r, c.g), toHex(c));
  assert.ok(deltaE76(red, green) < 0.5 * deltaE76(parseHex('#ff0000'), parseHex('#00ff00')));
});

test('CIE Lab reference values', () => {
  const white = rgbToLab(parseHex('#ffffff'));
  assert.ok(Math.abs(white.l - 100) < 1e-3 && Math.abs(white.a) < 1e-3 && Math.abs(white.b) < 1e-3);
  // sRGB red: L* 53.24, a* 80.09, b* 67.20 (Lindbloom's calculator).
  const red = rgbToLab(parseHex('#ff0000'));
  assert.ok(Math.abs(red.l - 53.24) < 0.05 && Math.abs(red.a - 80.09) < 0.05 && Math.abs(red.b - 67.2) < 0.05, JSON.stringify(red));
});

test('viridis and cividis endpoints and midpoint; lightness increases monotonically', () => {
  const v = colorMap('viridis');
  assert.equal(v.at(0), '#440154');
  assert.equal(v.at(1), '#fde725');
  assert.equal(v.at(128 / 255), '#21918c');
  assert.equal(v.at(-3), '#440154', 'clamped');
  assert.equal(v.at(Number.NaN), '#440154');
  const c = colorMap('cividis');
  assert.equal(c.at(0), '#00224e');
  assert.equal(c.at(1), '#fee838');
  for (const name of ['viridis', 'cividis'] as const) {
    let prev = -Infinity;
    for (let i = 0; i <= 100; i++) {
      const l = rgbToLab(parseHex(colorMap(name).at(i / 100))).l;
      assert.ok(l > prev, `${name} L* at ${i / 100}`);
      prev = l;
    }
  }
});

test('the diverging maps are near-white at zero and darken away from it; PuOr is purple below zero, orange above', () => {
  for (const name of ['puor', 'rdbu'] as const) {
    const d = colorMap(name);
    assert.equal(d.kind, 'diverging');
    assert.equal(d.at(0), '#f7f7f7');
    // Darker with |t| on both sides (PuOr's purple end is darker than its orange end; RdBu is near-symmetric).
    let prevN = rgbToLab(parseHex(d.at(0))).l, prevP = prevN;
    for (const t of [0.2, 0.5, 0.9]) {
      const ln = rgbToLab(parseHex(d.at(-t))).l, lp = rgbToLab(parseHex(d.at(t))).l;
      if (name === 'rdbu') assert.ok(Math.abs(ln - lp) < 8, `${name} lightness at +-${t}: ${ln.toFixed(1)} vs ${lp.toFixed(1)}`);
      assert.ok(ln < prevN && lp < prevP, `${name} darkens at +-${t}`);
      prevN = ln;
      prevP = lp;
    }
  }
  const neg = rgbToLab(parseHex(colorMap('puor').at(-0.8))), pos = rgbToLab(parseHex(colorMap('puor').at(0.8)));
  assert.ok(neg.b < 0 && neg.a > 0, 'negative: purple (a* > 0, b* < 0)');
  assert.ok(pos.b > 30, 'positive: orange (b* > 30)');
  assert.deepEqual([...COLOR_MAPS], ['viridis', 'cividis', 'puor', 'rdbu']);
});

test('signed attributions stay visible on ECG paper: every PuOr level, at the opacity the chart draws it, is >= 20 dE from both grid colours (RdBu fails)', () => {
  const minDistance = (name: 'puor' | 'rdbu', cvd?: 'deuteranopia'): number => {
    let worst = Infinity;
    for (const level of [-1, -0.5, -0.25, 0.25, 0.5, 1]) {
      // As attributionBackground draws it: the level's colour at 0.85 |level| opacity over white paper.
      const shown = mixRgb({ r: 1, g: 1, b: 1 }, parseHex(colorMap(name).at(level)), 0.85 * Math.abs(level));
      for (const grid of [CHART_COLORS.gridMinor, CHART_COLORS.gridMajor]) {
        const g = parseHex(grid);
        worst = Math.min(worst, cvd ? deltaE76(simulateCvd(shown, cvd), simulateCvd(g, cvd)) : deltaE76(shown, g));
      }
    }
    return worst;
  };
  assert.ok(minDistance('puor') >= 20, `PuOr ${minDistance('puor').toFixed(1)}`);
  assert.ok(minDistance('puor', 'deuteranopia') >= 12, `PuOr deuteranopia ${minDistance('puor', 'deuteranopia').toFixed(1)}`);
  assert.ok(minDistance('rdbu') < 10, `RdBu's red half sits on the red grid: ${minDistance('rdbu').toFixed(1)}`);
});
