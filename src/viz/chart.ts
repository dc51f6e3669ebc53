/**
 * The clinical ECG chart as an SVG string: standard paper (1 mm / 5 mm grid),
 * calibration pulses, lead labels, time and voltage axes, and switchable
 * overlays (wave spans, attributions, TLC cluster bands and entropy).
 * Pure functions from data to text: no DOM, runs in Node and in a browser.
 *
 * Elements carry classes and data attributes (`segment` groups with
 * data-lead/row/col/t0/t1, `trace` polylines, `wave` spans with
 * data-onset/offset in samples, ...) so that tests, the report and the web app
 * can find them.
 */
import type { Ecg, WaveInterval } from '../data/ecg.js';
import { DataError } from '../util/errors.js';
import { pixelColumn, tracePoints } from './decimate.js';
import { chartGeometry, type ChartGeometry, type PaperOptions, type RowGeometry, type SegmentGeometry, HEADER_MM, LEGEND_LINE_MM, SMALL_FONT_MM } from './layout.js';
import type { AttributionOverlay, ClusterBands, EcgOverlays, EntropyTrace, WaveOverlay } from './overlays.js';
import { overlayDisplay, scaleRuleText } from './attribution.js';
import { categoricalColor, colorMap, OKABE_ITO, WAVE_COLORS, type ColorMap } from './palettes.js';
import { el, esc, fitText, formatSignificant, num, pointsAttr, polylinePath, rectPath, textWidth } from './svg.js';

export interface EcgChartOptions extends PaperOptions {
  /** Overlays to draw; each only when present. */
  overlays?: EcgOverlays;
  /** Title at the top left; default the record id. */
  title?: string;
  /** Keep every sample instead of the min/max per pixel column (default false). */
  exact?: boolean;
  /**
   * Smallest legend text, px (default 0: legend text is set in mm like the
   * rest of the paper). A chart shown at its own size on a screen (report,
   * web app) sets it so that a narrow chart keeps a readable legend.
   */
  minFontPx?: number;
  /** Unit of the signal's values, shown on the voltage axis (default 'mV'; e.g. 'z' for standardised model input). */
  units?: string;
  /** Room for panel labels of at least this many characters: charts stacked with the same value share their time axis. */
  labelChars?: number;
}

/** Paper and ink colours. */
export const CHART_COLORS = {
  background: '#ffffff',
  gridMinor: '#f5c4c4',
  gridMajor: '#e07b7b',
  trace: '#000000',
  text: '#000000',
  axis: '#444444',
} as const;

const FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';

interface Ctx {
  ecg: Ecg;
  g: ChartGeometry;
  mm: (v: number) => number;
  traceWidth: number;
  exact: boolean;
  units: string;
}

/** Renders an ECG chart. Throws OptionError for impossible options and DataError for overlays that do not fit the ECG. */
export function renderEcgSvg(ecg: Ecg, opts: EcgChartOptions = {}): string {
  const ov = opts.overlays ?? {};
  checkOverlays(ecg, ov);
  const placement = ov.clusterPlacement ?? 'strip';
  const strips = placement === 'strip' ? (ov.clusters ?? []) : [];
  const legend = legendEntries(ov);
  const labelChars = Math.max(opts.labelChars ?? 0, ...strips.map((b) => b.block.length), ov.entropy?.length ? 7 : 0);
  const panels = { clusterBands: strips.length, entropy: (ov.entropy?.length ?? 0) > 0, legendLines: 0, labelChars };
  const attr = ov.attribution ? prepareAttribution(ov.attribution) : undefined;
  // Text is laid out in mm, which do not depend on the resolution: a first
  // geometry gives the paper's extent, the text's line count sizes the final one.
  const base = chartGeometry(ecg, opts, panels);
  const span = { left: base.paper.x / base.pxPerMm, width: base.paper.widthMm };
  const head = headerLayout(ecg, base, opts.title ?? ecg.meta.recordId, span);
  const lm = legendMetrics(opts.minFontPx !== undefined && opts.minFontPx > 0 ? opts.minFontPx / base.pxPerMm : 0);
  const legendRows = legendLayout(legend, attr, span, lm);
  const rowCount = legendRows.length ? legendRows[legendRows.length - 1]!.row + 1 : 0;
  // A colour bar on the last row hangs its value labels below it: room for them (descenders included).
  const lastBar = legendRows.some((p) => p.kind === 'colorbar' && p.row === rowCount - 1);
  const legendLines = rowCount + (lastBar ? Math.max(0, lm.colorbarHeight / 2 + 1.3 * lm.labelFont - lm.line / 2 - 2) / lm.line : 0);
  const g = chartGeometry(ecg, opts, { ...panels, legendLines, legendLineMm: lm.line, headerMm: head.heightMm });
  const mm = (v: number): number => v * g.pxPerMm;
  const ctx: Ctx = { ecg, g, mm, traceWidth: Math.max(1, mm(0.3)), exact: opts.exact ?? false, units: opts.units ?? 'mV' };

  const parts: string[] = [];
  parts.push(el('rect', { class: 'background', x: 0, y: 0, width: g.width, height: g.height, fill: CHART_COLORS.background }));
  parts.push(header(ctx, head));
  parts.push(grid(ctx));
  if (ov.clusters?.length && placement === 'behind') parts.push(clustersBehind(ctx, ov.clusters[0]!));
  if (ov.waves) parts.push(waveSpans(ctx, ov.waves));
  if (attr && attr.style === 'background') parts.push(attributionBackground(ctx, attr));
  if (attr && attr.style === 'trace') parts.push(attributionHighlight(ctx, attr));
  parts.push(calibration(ctx));
  parts.push(traces(ctx));
  parts.push(leadLabels(ctx));
  parts.push(axes(ctx));
  strips.forEach((b, i) => parts.push(clusterStrip(ctx, b, i)));
  if (ov.entropy?.length) parts.push(entropyPanel(ctx, ov.entropy));
  if (legendRows.length) parts.push(renderLegend(ctx, legendRows, attr, lm));

  const rootAttrs = {
    xmlns: 'http://www.w3.org/2000/svg',
    width: num(g.width), height: num(g.height), viewBox: `0 0 ${num(g.width)} ${num(g.height)}`,
    'font-family': FONT,
    'data-layout': g.layout, 'data-px-per-mm': g.pxPerMm, 'data-speed': g.speed, 'data-gain': g.gain,
    'data-fs': g.fs, 'data-start': g.start, 'data-duration': g.duration,
  };
  return `<svg${Object.entries(rootAttrs).map(([k, v]) => ` ${k}="${typeof v === 'number' ? String(v) : esc(v)}"`).join('')}>` +
    el('title', {}, esc(`ECG ${ecg.meta.recordId}`)) + parts.join('') + '</svg>\n';
}

function checkOverlays(ecg: Ecg, ov: EcgOverlays): void {
  const n = ecg.nSamples;
  for (const b of ov.clusters ?? []) {
    if (b.labels.length !== n) throw new DataError(`cluster bands of ${b.block}: ${b.labels.length} labels for an ECG of ${n} samples (expected one per sample)`);
    if (!Number.isInteger(b.k) || b.k < 1) throw new DataError(`cluster bands of ${b.block}: k must be an integer >= 1, got ${b.k}`);
    for (const l of b.labels) if (l >= b.k) throw new DataError(`cluster bands of ${b.block}: cluster id ${l} >= k = ${b.k}`);
  }
  for (const e of ov.entropy ?? []) {
    if (e.values.length !== n) throw new DataError(`entropy of ${e.block}: ${e.values.length} values for an ECG of ${n} samples (expected one per sample)`);
  }
  const a = ov.attribution;
  if (a) {
    if (a.leads !== 1 && a.leads !== ecg.leads.length) throw new DataError(`attribution ${a.method}: ${a.leads} leads, expected 1 or the ECG's ${ecg.leads.length}`);
    if (a.values.length !== a.leads * n) throw new DataError(`attribution ${a.method}: ${a.values.length} values, expected ${a.leads} x ${n}`);
  }
}

// ---------------------------------------------------------------- paper

/** Font sizes of the header, mm. */
const TITLE_FONT_MM = 4;
const INFO_FONT_MM = 3;
/** Smallest size the paper settings shrink to on a very narrow chart, mm. */
const MIN_INFO_FONT_MM = 2;
/** Room kept between texts on one line, mm. */
const TEXT_GAP_MM = 3;
/**
 * Text widths are estimated with DejaVu Sans metrics; a browser may set the
 * chart in a fallback font a few percent wider, so layout keeps this margin.
 */
const WIDTH_MARGIN = 1.05;

/** The horizontal extent text may use (the paper's), mm. */
interface TextSpan {
  left: number;
  width: number;
}

interface HeaderLayout {
  title: string;
  /** '   sex, age' after the title, or '' when unknown or when the title leaves no room (they then lead the second line). */
  who: string;
  info: string;
  infoFontMm: number;
  /** Baseline of the paper settings: beside the title (7 mm) or on a second line. */
  infoBaselineMm: number;
  heightMm: number;
}

function est(text: string, fontMm: number, bold = false): number {
  return textWidth(text, fontMm, bold) * WIDTH_MARGIN;
}

/** Title left, paper settings right; on a chart too narrow for both on one line, the settings go on a second line. */
function headerLayout(ecg: Ecg, g: ChartGeometry, titleText: string, span: TextSpan): HeaderLayout {
  const end = g.start + g.duration;
  // Fields are set apart by three no-break spaces: SVG collapses runs of plain spaces.
  const sep = '\u00a0\u00a0\u00a0';
  const info = [`${num(g.speed)} mm/s`, `${num(g.gain)} mm/mV`, `${num(g.fs)} Hz`, `${num(g.start)}–${num(end)} s`].join(sep);
  const whoText = [ecg.meta.sex, ecg.meta.age !== undefined ? `${ecg.meta.age} y` : undefined].filter((x) => x !== undefined).join(', ');
  const title = fitText(titleText, TITLE_FONT_MM, span.width / WIDTH_MARGIN, true);
  const titleW = est(title, TITLE_FONT_MM, true);
  const who = whoText && titleW + est(sep + whoText, TITLE_FONT_MM) <= span.width ? sep + whoText : '';
  const lineW = titleW + est(who, TITLE_FONT_MM);
  if (lineW + TEXT_GAP_MM + est(info, INFO_FONT_MM) <= span.width) {
    return { title, who, info, infoFontMm: INFO_FONT_MM, infoBaselineMm: 7, heightMm: HEADER_MM };
  }
  // Two lines; sex and age that did not fit beside the title lead the second.
  const second = whoText && !who ? whoText + sep + info : info;
  const infoFontMm = Math.max(MIN_INFO_FONT_MM, Math.min(INFO_FONT_MM, (INFO_FONT_MM * span.width) / est(second, INFO_FONT_MM)));
  return { title, who, info: fitText(second, infoFontMm, span.width / WIDTH_MARGIN), infoFontMm, infoBaselineMm: 7 + 1.5 * infoFontMm, heightMm: HEADER_MM + 1.5 * infoFontMm };
}

function header(ctx: Ctx, h: HeaderLayout): string {
  const { g, mm } = ctx;
  return el('g', { class: 'header', fill: CHART_COLORS.text }, [
    el('text', { class: 'title', x: g.paper.x, y: mm(7), 'font-size': mm(TITLE_FONT_MM) }, el('tspan', { 'font-weight': 'bold' }, esc(h.title)) + (h.who ? esc(h.who) : '')),
    el('text', { class: 'header-info', x: g.paper.x + g.paper.width, y: mm(h.infoBaselineMm), 'font-size': mm(h.infoFontMm), 'text-anchor': 'end' }, esc(h.info)),
  ].join(''));
}

function grid(ctx: Ctx): string {
  const { g, mm } = ctx;
  const { x, y, widthMm, heightMm } = g.paper;
  const minor: string[] = [], major: string[] = [];
  for (let i = 0; i <= widthMm; i++) (i % 5 === 0 ? major : minor).push(`M${num(x + mm(i))} ${num(y)}V${num(y + mm(heightMm))}`);
  for (let j = 0; j <= heightMm; j++) (j % 5 === 0 ? major : minor).push(`M${num(x)} ${num(y + mm(j))}H${num(x + mm(widthMm))}`);
  return el('g', { class: 'grid', fill: 'none', 'shape-rendering': 'crispEdges' }, [
    el('path', { class: 'grid-minor', stroke: CHART_COLORS.gridMinor, 'stroke-width': Math.max(1, mm(0.1)), d: minor.join('') }),
    el('path', { class: 'grid-major', stroke: CHART_COLORS.gridMajor, 'stroke-width': Math.max(1, mm(0.2)), d: major.join('') }),
  ].join(''));
}

/** 1 mV x 200 ms pulse at the start of each row, centred in the calibration zone. */
function calibration(ctx: Ctx): string {
  const { g, mm } = ctx;
  const zone = mm(g.calibrationZoneMm);
  const w = 0.2 * g.speed * g.pxPerMm;
  const h = g.gain * g.pxPerMm;
  const x0 = g.paper.x;
  const xs = x0 + (zone - w) / 2;
  const d = g.rows.map((r) => `M${num(x0)} ${num(r.baseline)}H${num(xs)}V${num(r.baseline - h)}H${num(xs + w)}V${num(r.baseline)}H${num(x0 + zone)}`).join('');
  return el('path', { class: 'calibration', d, fill: 'none', stroke: CHART_COLORS.trace, 'stroke-width': ctx.traceWidth, 'stroke-linejoin': 'miter' });
}

function yOf(ctx: Ctx, row: RowGeometry): (v: number) => number {
  const k = ctx.g.gain * ctx.g.pxPerMm;
  return (v) => row.baseline - v * k;
}

function segmentRuns(ctx: Ctx, row: RowGeometry, s: SegmentGeometry): number[][] {
  if (s.leadIndex < 0 || s.n1 <= s.n0) return [];
  const values = ctx.ecg.signal.subarray(s.leadIndex * ctx.ecg.nSamples, (s.leadIndex + 1) * ctx.ecg.nSamples);
  return tracePoints(values, s.n0, s.n1, { x0: ctx.g.xOfSample(0), dx: (ctx.g.speed * ctx.g.pxPerMm) / ctx.ecg.fs, y: yOf(ctx, row), exact: ctx.exact });
}

function traces(ctx: Ctx): string {
  const out: string[] = [];
  for (const row of ctx.g.rows) {
    for (const s of row.segments) {
      const lines = segmentRuns(ctx, row, s).map((run) => el('polyline', { class: 'trace', points: pointsAttr(run) }));
      out.push(el('g', {
        class: 'segment', 'data-lead': s.lead, 'data-row': s.row, 'data-col': s.col,
        'data-t0': String(s.t0), 'data-t1': String(s.t1), 'data-n0': s.n0, 'data-n1': s.n1, 'data-baseline': row.baseline,
      }, lines.join('')));
    }
  }
  // Column separators of the 3x4 print: a short bar where one column's leads give way to the next.
  const seps: string[] = [];
  for (const row of ctx.g.rows) {
    for (const s of row.segments) {
      if (s.col > 0) seps.push(`M${num(s.x0)} ${num(row.baseline - ctx.mm(5))}V${num(row.baseline + ctx.mm(5))}`);
    }
  }
  const sepPath = seps.length ? el('path', { class: 'separator', d: seps.join(''), stroke: CHART_COLORS.trace, 'stroke-width': ctx.traceWidth * 1.5 }) : '';
  return el('g', { class: 'traces', fill: 'none', stroke: CHART_COLORS.trace, 'stroke-width': ctx.traceWidth, 'stroke-linejoin': 'round', 'stroke-linecap': 'round' }, out.join('') + sepPath);
}

function leadLabels(ctx: Ctx): string {
  const { g, mm } = ctx;
  const out: string[] = [];
  for (const row of g.rows) {
    for (const s of row.segments) {
      const label = s.leadIndex < 0 ? `${s.lead} (absent)` : s.lead;
      out.push(el('text', { class: 'lead-label', x: s.x0 + mm(1.5), y: row.top + mm(5), 'data-lead': s.lead }, esc(label)));
    }
  }
  return el('g', { class: 'lead-labels', 'font-size': mm(3.5), 'font-weight': 'bold', fill: CHART_COLORS.text }, out.join(''));
}

/** Time ticks each second under the paper; mV ticks left of each row. */
function axes(ctx: Ctx): string {
  const { g, mm } = ctx;
  const fontSize = mm(SMALL_FONT_MM);
  const ticks: string[] = [], labels: string[] = [];
  const end = g.start + g.duration;
  for (let t = Math.ceil(g.start - 1e-9); t <= end + 1e-9; t++) {
    const x = g.xOfTime(t);
    ticks.push(`M${num(x)} ${num(g.axisY)}V${num(g.axisY + mm(1.5))}`);
    labels.push(el('text', { class: 'time-label', x, y: g.axisY + mm(1.5) + fontSize, 'text-anchor': 'middle', 'data-t': t }, `${t} s`));
  }
  const mvPerPx = 1 / (g.gain * g.pxPerMm);
  for (const row of g.rows) {
    // Ticks strictly inside the row: one on its edge would read as the next row's.
    const hi = Math.ceil((row.baseline - row.top) * mvPerPx - 1e-6) - 1;
    const lo = 1 - Math.ceil((row.bottom - row.baseline) * mvPerPx - 1e-6);
    for (let v = lo; v <= hi; v++) {
      const y = row.baseline - v / mvPerPx;
      ticks.push(`M${num(g.paper.x - mm(1.5))} ${num(y)}H${num(g.paper.x)}`);
      if (y - row.top > fontSize * 0.5 && row.bottom - y > fontSize * 0.5) {
        labels.push(el('text', { class: 'mv-label', x: g.paper.x - mm(2), y: y + fontSize * 0.35, 'text-anchor': 'end', 'data-mv': v }, String(v)));
      }
    }
  }
  labels.push(el('text', { class: 'unit-label', x: g.paper.x - mm(2), y: g.paper.y - mm(1.5), 'text-anchor': 'end' }, esc(ctx.units)));
  return el('g', { class: 'axes', 'font-size': fontSize, fill: CHART_COLORS.axis }, el('path', { d: ticks.join(''), stroke: CHART_COLORS.axis, 'stroke-width': Math.max(1, mm(0.2)), fill: 'none' }) + labels.join(''));
}

// ---------------------------------------------------------------- overlays

function wavesOfLead(ov: WaveOverlay, lead: string): WaveInterval[] {
  return ov.waves[lead] ?? ov.waves['*'] ?? [];
}

/** Wave letters above the spans, mm. */
const WAVE_LETTER_MM = 2.2;

function waveSpans(ctx: Ctx, ov: WaveOverlay): string {
  const { g, mm } = ctx;
  const spans: string[] = [], letters: string[] = [], ticks: Record<string, string[]> = { P: [], QRS: [], T: [] };
  const font = mm(WAVE_LETTER_MM);
  for (const row of g.rows) {
    for (const s of row.segments) {
      if (s.leadIndex < 0) continue;
      // Letters must not run into each other or into the lead's label.
      let free = s.x0 + mm(1.5) + est(s.lead, 3.5, true) * g.pxPerMm + mm(1);
      for (const w of wavesOfLead(ov, s.lead)) {
        if (w.offset < s.n0 || w.onset >= s.n1) continue;
        const a = Math.max(w.onset, s.n0), b = Math.min(w.offset, s.n1 - 1);
        const xa = g.xOfSample(a), xb = g.xOfSample(b);
        spans.push(el('rect', {
          class: `wave wave-${w.wave}`, 'data-lead': s.lead, 'data-row': s.row, 'data-col': s.col, 'data-onset': w.onset, 'data-offset': w.offset,
          x: xa, y: row.top + mm(1), width: Math.max(xb - xa, 0.5), height: row.bottom - row.top - mm(2), fill: WAVE_COLORS[w.wave],
        }));
        const half = (est(w.wave, WAVE_LETTER_MM) * g.pxPerMm) / 2, mid = (xa + xb) / 2;
        if (mid - half >= free && mid + half <= s.x1) {
          letters.push(el('text', { class: `wave-letter wave-letter-${w.wave}`, x: mid, y: row.top + mm(1) + font }, w.wave));
          free = mid + half + mm(0.5);
        }
        const list = ticks[w.wave]!;
        if (w.onset >= s.n0) list.push(`M${num(xa)} ${num(row.bottom - mm(1))}v${num(-mm(3))}`);
        if (w.offset < s.n1) list.push(`M${num(xb)} ${num(row.bottom - mm(1))}v${num(-mm(3))}`);
      }
    }
  }
  const tickPaths = Object.entries(ticks).filter(([, d]) => d.length).map(([wave, d]) =>
    el('path', { class: `wave-ticks wave-ticks-${wave}`, d: d.join(''), stroke: WAVE_COLORS[wave as 'P' | 'QRS' | 'T'], 'stroke-width': Math.max(1, mm(0.3)), fill: 'none' }));
  return el('g', { class: 'waves', 'data-source': ov.source },
    el('g', { 'fill-opacity': 0.3 }, spans.join('')) + tickPaths.join('') +
    el('g', { class: 'wave-letters', 'font-size': num(font), 'text-anchor': 'middle', fill: CHART_COLORS.axis }, letters.join('')));
}

interface PreparedAttribution {
  overlay: AttributionOverlay;
  style: 'background' | 'trace';
  map: ColorMap;
  signed: boolean;
  scale: number;
  /** The legend's words for how the scale was chosen. */
  rule: string;
}

function prepareAttribution(a: AttributionOverlay): PreparedAttribution {
  let d;
  try {
    d = overlayDisplay(a);
  } catch (e) {
    throw new DataError((e as Error).message);
  }
  return { overlay: a, style: d.style, map: colorMap(d.colormap), signed: d.signed, scale: d.scale, rule: scaleRuleText(d) };
}

/** Levels per side of zero: attributions are drawn in 16 (unsigned) or 2 x 16 (signed) steps. */
const LEVELS = 16;

/** Normalised, quantised level in [-1, 1] (signed) or [0, 1]. */
function levelOf(p: PreparedAttribution, v: number): number {
  if (!Number.isFinite(v)) return 0;
  const t = Math.max(p.signed ? -1 : 0, Math.min(1, v / p.scale));
  return Math.round(t * LEVELS) / LEVELS;
}

function colorOfLevel(p: PreparedAttribution, level: number): string {
  if (p.map.kind === 'diverging') return p.map.at(level);
  return p.map.at(p.signed ? (level + 1) / 2 : level);
}

/** Per pixel column (or per sample when sparse): the sample of largest |value|, so that peaks survive. */
function attributionBins(ctx: Ctx, p: PreparedAttribution, s: SegmentGeometry): { xa: number; xb: number; level: number }[] {
  const { g } = ctx;
  const n = ctx.ecg.nSamples;
  const lead = p.overlay.leads === 1 ? 0 : s.leadIndex;
  const vals = p.overlay.values.subarray(lead * n, (lead + 1) * n);
  const dx = (g.speed * g.pxPerMm) / ctx.ecg.fs;
  const bins: { xa: number; xb: number; level: number }[] = [];
  const col = (i: number): number => (dx < 1 ? pixelColumn(g.xOfSample(i)) : i);
  let i = s.n0;
  while (i < s.n1) {
    const c = col(i);
    let best = vals[i]!, j = i + 1;
    for (; j < s.n1 && col(j) === c; j++) if (!(Math.abs(best) >= Math.abs(vals[j]!))) best = vals[j]!;
    const xa = Math.max(s.x0, g.xOfSample(i) - dx / 2), xb = Math.min(s.x1, g.xOfSample(j - 1) + dx / 2);
    const level = levelOf(p, best);
    const last = bins[bins.length - 1];
    if (last && last.level === level) last.xb = xb;
    else bins.push({ xa, xb, level });
    i = j;
  }
  return bins;
}

function attributionBackground(ctx: Ctx, p: PreparedAttribution): string {
  // One path per colour level: far fewer bytes than a rect per run.
  const byLevel = new Map<number, string[]>();
  for (const row of ctx.g.rows) {
    for (const s of row.segments) {
      if (s.leadIndex < 0) continue;
      for (const b of attributionBins(ctx, p, s)) {
        if (b.level === 0) continue;
        if (!byLevel.has(b.level)) byLevel.set(b.level, []);
        byLevel.get(b.level)!.push(rectPath(b.xa, row.top, b.xb - b.xa, row.bottom - row.top));
      }
    }
  }
  const paths = [...byLevel.entries()].sort((a, b) => a[0] - b[0]).map(([level, d]) =>
    el('path', { 'data-level': String(level), d: d.join(''), fill: colorOfLevel(p, level), 'fill-opacity': num(levelOpacity(p, level)) }));
  return el('g', { class: 'attribution attribution-background', 'data-method': p.overlay.method }, paths.join(''));
}

/** Highlighter pieces weaker than this fraction of the scale are not drawn (they would be invisible). */
const MIN_HIGHLIGHT = 1 / 8;

/** Opacity a level is drawn with: background bands stop short of opaque so the grid shows through; highlighter pieces below MIN_HIGHLIGHT are left out. */
function levelOpacity(p: PreparedAttribution, level: number): number {
  const a = Math.abs(level);
  return p.style === 'trace' ? (a >= MIN_HIGHLIGHT ? a : 0) : 0.85 * a;
}

/** A wide coloured stroke under the black trace, coloured by the attribution at each point. */
function attributionHighlight(ctx: Ctx, p: PreparedAttribution): string {
  const byLevel = new Map<number, string[]>();
  for (const row of ctx.g.rows) {
    for (const s of row.segments) {
      if (s.leadIndex < 0) continue;
      const bins = attributionBins(ctx, p, s);
      if (bins.length === 0) continue;
      for (const run of segmentRuns(ctx, row, s)) {
        let bi = 0, cur: number[] = [], curLevel = NaN;
        const flush = (): void => {
          if (cur.length < 4 || !(Math.abs(curLevel) >= MIN_HIGHLIGHT)) return;
          if (!byLevel.has(curLevel)) byLevel.set(curLevel, []);
          byLevel.get(curLevel)!.push(polylinePath(cur));
        };
        for (let k = 0; k < run.length; k += 2) {
          const x = run[k]!;
          while (bi < bins.length - 1 && x >= bins[bi]!.xb) bi++;
          const level = bins[bi]!.level;
          if (level !== curLevel) {
            // Close the previous piece at this point so the pieces join up.
            cur.push(x, run[k + 1]!);
            flush();
            cur = [];
            curLevel = level;
          }
          cur.push(x, run[k + 1]!);
        }
        flush();
      }
    }
  }
  const paths = [...byLevel.entries()].sort((a, b) => a[0] - b[0]).map(([level, d]) =>
    el('path', { 'data-level': String(level), d: d.join(''), stroke: colorOfLevel(p, level), 'stroke-opacity': num(levelOpacity(p, level)) }));
  return el('g', { class: 'attribution attribution-trace', 'data-method': p.overlay.method, fill: 'none', 'stroke-width': num(ctx.traceWidth * 4), 'stroke-linejoin': 'round', 'stroke-linecap': 'round' }, paths.join(''));
}

/** Runs of equal cluster id over samples [n0, n1): [id, first, last+1]. */
function clusterRuns(labels: Int32Array, n0: number, n1: number): [number, number, number][] {
  const runs: [number, number, number][] = [];
  let i = n0;
  while (i < n1) {
    const id = labels[i]!;
    let j = i + 1;
    while (j < n1 && labels[j] === id) j++;
    runs.push([id, i, j]);
    i = j;
  }
  return runs;
}

function windowSamples(ctx: Ctx): [number, number] {
  const { g, ecg } = ctx;
  const n0 = Math.min(ecg.nSamples, Math.round(g.start * ecg.fs));
  return [n0, Math.min(ecg.nSamples, Math.round((g.start + g.duration) * ecg.fs))];
}

function clusterStrip(ctx: Ctx, b: ClusterBands, index: number): string {
  const { g, mm } = ctx;
  const panel = g.clusterPanels[index]!;
  const [n0, n1] = windowSamples(ctx);
  const rects = clusterRuns(b.labels, n0, n1).filter(([id]) => id >= 0).map(([id, a, e]) =>
    el('rect', { class: 'cluster', 'data-cluster': id, 'data-from': a, 'data-to': e, x: g.xOfSample(a), y: panel.top, width: g.xOfSample(e) - g.xOfSample(a), height: panel.bottom - panel.top, fill: categoricalColor(id) }));
  const label = el('text', { x: g.xOfTime(g.start) - mm(1), y: (panel.top + panel.bottom) / 2 + mm(SMALL_FONT_MM) * 0.35, 'text-anchor': 'end', 'font-size': mm(SMALL_FONT_MM), fill: CHART_COLORS.text }, esc(b.block));
  const frame = el('rect', { x: g.xOfTime(g.start), y: panel.top, width: g.xOfTime(g.start + g.duration) - g.xOfTime(g.start), height: panel.bottom - panel.top, fill: 'none', stroke: CHART_COLORS.axis, 'stroke-width': 0.5 });
  return el('g', { class: 'cluster-band', 'data-block': b.block, 'data-k': b.k, 'shape-rendering': 'crispEdges' }, rects.join('') + frame + label);
}

function clustersBehind(ctx: Ctx, b: ClusterBands): string {
  const byId = new Map<number, string[]>();
  for (const row of ctx.g.rows) {
    for (const s of row.segments) {
      for (const [id, a, e] of clusterRuns(b.labels, s.n0, s.n1)) {
        if (id < 0) continue;
        if (!byId.has(id)) byId.set(id, []);
        byId.get(id)!.push(rectPath(ctx.g.xOfSample(a), row.top, ctx.g.xOfSample(e) - ctx.g.xOfSample(a), row.bottom - row.top));
      }
    }
  }
  const paths = [...byId.entries()].sort((x, y) => x[0] - y[0]).map(([id, d]) => el('path', { class: 'cluster', 'data-cluster': id, d: d.join(''), fill: categoricalColor(id) }));
  return el('g', { class: 'cluster-band cluster-behind', 'data-block': b.block, 'data-k': b.k, 'fill-opacity': 0.2 }, paths.join(''));
}

const ENTROPY_COLORS = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.reddishPurple, OKABE_ITO.black];

function entropyColor(i: number): string {
  return ENTROPY_COLORS[i % ENTROPY_COLORS.length]!;
}

function entropyPanel(ctx: Ctx, traces: EntropyTrace[]): string {
  const { g, mm } = ctx;
  const panel = g.entropyPanel!;
  const xa = g.xOfTime(g.start), xb = g.xOfTime(g.start + g.duration);
  const h = panel.bottom - panel.top;
  const y = (v: number): number => panel.bottom - Math.min(1, Math.max(0, v)) * h;
  const fontSize = mm(SMALL_FONT_MM);
  const parts: string[] = [];
  const rules = [0, 0.5, 1].map((v) => `M${num(xa)} ${num(y(v))}H${num(xb)}`).join('');
  parts.push(el('path', { d: rules, stroke: '#bbbbbb', 'stroke-width': 0.5, fill: 'none' }));
  for (const v of [0, 0.5, 1]) parts.push(el('text', { x: xa - mm(1), y: y(v) + fontSize * 0.35, 'text-anchor': 'end', 'font-size': fontSize, fill: CHART_COLORS.axis }, String(v)));
  const title = traces.length === 1 ? `entropy (${traces[0]!.block})` : 'entropy';
  parts.push(el('text', { x: xa, y: panel.top - mm(1), 'font-size': fontSize, fill: CHART_COLORS.text }, esc(title)));
  const [n0, n1] = windowSamples(ctx);
  traces.forEach((t, i) => {
    const runs = tracePoints(t.values, n0, n1, { x0: g.xOfSample(0), dx: (g.speed * g.pxPerMm) / ctx.ecg.fs, y, exact: ctx.exact });
    parts.push(el('g', { class: 'entropy', 'data-block': t.block, fill: 'none', stroke: entropyColor(i), 'stroke-width': Math.max(1, mm(0.3)) }, runs.map((r) => el('polyline', { points: pointsAttr(r) })).join('')));
  });
  return el('g', { class: 'entropy-panel' }, parts.join(''));
}

// ---------------------------------------------------------------- legend

type LegendItem = { swatch: 'box' | 'line'; color: string; label: string };
/** A legend line, with the overlay it belongs to (its group's class, so a page can hide both together). */
type LegendLine = ({ title: string; items: LegendItem[] } | { title: string; colorbar: true }) & { overlay: 'waves' | 'cluster-band' | 'entropy-panel' | 'attribution' };

function legendEntries(ov: EcgOverlays): LegendLine[] {
  const lines: LegendLine[] = [];
  if (ov.waves) lines.push({ overlay: 'waves', title: `waves (${ov.waves.source})`, items: (['P', 'QRS', 'T'] as const).map((w) => ({ swatch: 'box', color: WAVE_COLORS[w], label: w })) });
  for (const b of ov.clusters ?? []) {
    lines.push({
      overlay: 'cluster-band',
      title: `clusters ${b.block}${b.names && b.namedBy ? ` (named by ${b.namedBy})` : ''}`,
      items: Array.from({ length: b.k }, (_, id) => ({ swatch: 'box' as const, color: categoricalColor(id), label: b.names?.[id] !== undefined ? `${id} ${b.names[id]}` : String(id) })),
    });
  }
  if ((ov.entropy?.length ?? 0) > 1) lines.push({ overlay: 'entropy-panel', title: 'entropy', items: ov.entropy!.map((e, i) => ({ swatch: 'line', color: entropyColor(i), label: e.block })) });
  if (ov.attribution) lines.push({ overlay: 'attribution', title: `attribution: ${ov.attribution.method}${ov.attribution.target !== undefined ? ` → ${ov.attribution.target}` : ''}`, colorbar: true });
  return lines;
}

/** Legend sizes, mm: one set per chart, scaled up together when a minimum font size asks for it. */
interface LegendMetrics {
  font: number;
  /** Value labels under the colour bar. */
  labelFont: number;
  swatch: number;
  line: number;
  gap: number;
  colorbar: number;
  colorbarMin: number;
  colorbarHeight: number;
}

/** Legend font on paper, mm (about 11 px at the default 4 px per mm). */
const LEGEND_FONT_MM = SMALL_FONT_MM * 1.1;

function legendMetrics(minFontMm: number): LegendMetrics {
  const k = Math.max(1, minFontMm / LEGEND_FONT_MM);
  return {
    font: LEGEND_FONT_MM * k, labelFont: LEGEND_FONT_MM * k, swatch: 3 * k, line: LEGEND_LINE_MM * k,
    gap: TEXT_GAP_MM * k, colorbar: 40 * k, colorbarMin: 20 * k, colorbarHeight: 3 * k,
  };
}

/** One placed piece of the legend: x in mm from the chart's left edge, on a legend row. */
type LegendPiece = { overlay: LegendLine['overlay'] } & (
  | { kind: 'title'; row: number; x: number; text: string }
  | { kind: 'item'; row: number; x: number; item: LegendItem }
  | { kind: 'colorbar'; row: number; x: number; width: number }
  | { kind: 'note'; row: number; x: number; text: string });

/**
 * Places the legend's pieces on rows within the paper's extent: a line whose
 * items do not fit continues on the next row, indented; labels too long for
 * a whole row are cut with an ellipsis.
 */
function legendLayout(lines: LegendLine[], attr: PreparedAttribution | undefined, span: TextSpan, m: LegendMetrics): LegendPiece[] {
  const pieces: LegendPiece[] = [];
  const right = span.left + span.width;
  const indent = span.left + m.gap;
  let row = -1;
  for (const line of lines) {
    row++;
    const title = fitText(line.title, m.font, span.width / WIDTH_MARGIN, true);
    pieces.push({ overlay: line.overlay, kind: 'title', row, x: span.left, text: title });
    let x = span.left + est(title, m.font, true) + m.gap;
    if ('colorbar' in line) {
      if (!attr) continue;
      const labels = colorbarLabels(attr);
      // The end labels sit inside the bar's ends and the 0 at its middle: they must not meet.
      const minW = Math.max(m.colorbarMin, 2 * Math.max(...labels.map((l) => est(l.text, m.labelFont))) + 2 * m.gap);
      if (right - x < minW) {
        row++;
        x = indent;
      }
      const width = Math.min(Math.max(m.colorbar, minW), right - x);
      pieces.push({ overlay: line.overlay, kind: 'colorbar', row, x, width });
      // How the scale was chosen, after the bar (or on its own row when there is no room).
      x += width + m.gap;
      const note = `scale: ${attr.rule}`;
      if (right - x < est(note, m.font)) {
        // The bar's value labels hang into the row under it: the note goes one further down.
        row += 2;
        x = indent;
      }
      pieces.push({ overlay: line.overlay, kind: 'note', row, x, text: fitText(note, m.font, (right - x) / WIDTH_MARGIN) });
      continue;
    }
    const room = right - indent - m.swatch - 1;
    const items = line.items.map((item) => ({ ...item, label: fitText(item.label, m.font, room / WIDTH_MARGIN) }));
    const widths = items.map((item) => m.swatch + 1 + est(item.label, m.font));
    // Continuation rows line up under the first item; after a title that
    // leaves too little room (for the widest item, or under half the width),
    // the items start on their own rows instead, one stacked column reading badly.
    const rowStart = right - x >= Math.max(span.width * 0.45, ...widths) ? x : indent;
    if (rowStart === indent && items.length) {
      row++;
      x = indent;
    }
    items.forEach((item, i) => {
      const w = widths[i]!;
      if (x + w > right && x > rowStart) {
        row++;
        x = rowStart;
      }
      pieces.push({ overlay: line.overlay, kind: 'item', row, x, item });
      x += w + m.gap;
    });
  }
  return pieces;
}

/** The colour bar's value labels, at fractions of its width; 2 significant digits so that tiny scales keep their value. */
function colorbarLabels(attr: PreparedAttribution): { at: number; text: string }[] {
  return attr.signed
    ? [{ at: 0, text: formatSignificant(-attr.scale) }, { at: 0.5, text: '0' }, { at: 1, text: formatSignificant(attr.scale) }]
    : [{ at: 0, text: '0' }, { at: 1, text: formatSignificant(attr.scale) }];
}

/**
 * The colour bar: one step per quantised level, in the colour and opacity the
 * overlay draws that level with, so the legend reads exactly like the chart
 * (and, having no gradient id, it cannot pick up another chart's gradient
 * when several charts share an HTML page).
 */
function colorbar(ctx: Ctx, attr: PreparedAttribution, x: number, yMid: number, w: number, m: LegendMetrics): string {
  const { mm } = ctx;
  const h = mm(m.colorbarHeight);
  const lo = attr.signed ? -LEVELS : 0;
  const steps = LEVELS - lo + 1;
  const stepW = w / steps;
  const out: string[] = [];
  for (let k = lo; k <= LEVELS; k++) {
    const level = k / LEVELS;
    out.push(el('rect', { class: 'colorbar-step', 'data-level': String(level), x: x + (k - lo) * stepW, y: yMid - h / 2, width: stepW, height: h, fill: colorOfLevel(attr, level), 'fill-opacity': num(levelOpacity(attr, level)) }));
  }
  out.push(el('rect', { x, y: yMid - h / 2, width: w, height: h, fill: 'none', stroke: CHART_COLORS.axis, 'stroke-width': 0.5 }));
  const labelPx = mm(m.labelFont);
  for (const l of colorbarLabels(attr)) {
    const anchor = l.at === 0 ? 'start' : l.at === 1 ? 'end' : 'middle';
    out.push(el('text', { class: 'colorbar-label', x: x + l.at * w, y: yMid + h / 2 + labelPx, 'text-anchor': anchor, 'font-size': labelPx }, esc(l.text)));
  }
  return el('g', { class: 'colorbar', 'data-colormap': attr.map.name, 'data-signed': String(attr.signed), 'data-scale': String(attr.scale), 'shape-rendering': 'crispEdges' }, out.join(''));
}

function renderLegend(ctx: Ctx, pieces: LegendPiece[], attr: PreparedAttribution | undefined, m: LegendMetrics): string {
  const { g, mm } = ctx;
  const fontSize = mm(m.font);
  const byOverlay = new Map<string, string[]>();
  for (const p of pieces) {
    if (!byOverlay.has(p.overlay)) byOverlay.set(p.overlay, []);
    const out = byOverlay.get(p.overlay)!;
    const yMid = g.legendTop + mm(m.line * p.row + m.line / 2);
    const x = mm(p.x);
    if (p.kind === 'title') {
      out.push(el('text', { class: 'legend-title', x, y: yMid + fontSize * 0.35, 'font-weight': 'bold' }, esc(p.text)));
    } else if (p.kind === 'colorbar') {
      if (attr) out.push(colorbar(ctx, attr, x, yMid, mm(p.width), m));
    } else if (p.kind === 'note') {
      out.push(el('text', { class: 'legend-note', x, y: yMid + fontSize * 0.35 }, esc(p.text)));
    } else {
      const it = p.item;
      const s = mm(m.swatch);
      out.push(it.swatch === 'box'
        ? el('rect', { class: 'legend-swatch', x, y: yMid - s / 2, width: s, height: s, fill: it.color, stroke: CHART_COLORS.axis, 'stroke-width': 0.5 })
        : el('path', { class: 'legend-swatch', d: `M${num(x)} ${num(yMid)}h${num(s)}`, stroke: it.color, 'stroke-width': Math.max(1, mm(0.5)) }));
      out.push(el('text', { class: 'legend-label', x: x + s + mm(1), y: yMid + fontSize * 0.35 }, esc(it.label)));
    }
  }
  const lines = [...byOverlay].map(([overlay, out]) => el('g', { class: `legend-line legend-${overlay}` }, out.join('')));
  return el('g', { class: 'legend', 'font-size': fontSize, fill: CHART_COLORS.text }, lines.join(''));
}
