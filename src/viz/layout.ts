/**
 * Geometry of an ECG chart on standard paper: where each row, lead segment,
 * calibration pulse and overlay panel goes, in px. Pure arithmetic, shared by
 * the SVG renderer and by anything that maps a pointer back to (lead, time).
 *
 * One time axis serves every layout: x = gridX + calibration zone +
 * (t - start) * speed. In the 3x4 layout column c shows t in
 * [start + c*D/4, start + (c+1)*D/4), so a column's x range is exactly its
 * stretch of the rhythm strip below it.
 */
import type { Ecg } from '../data/ecg.js';
import { canonicalLead, STANDARD_LEADS } from '../data/leads.js';
import { OptionError } from '../util/errors.js';

/** '3x4+II': the clinical print (4 columns of 3 leads, lead-II rhythm strip); '12x1': every lead stacked; '1x1': one lead. */
export type EcgLayout = '3x4+II' | '12x1' | '1x1';
export const ECG_LAYOUTS: readonly EcgLayout[] = ['3x4+II', '12x1', '1x1'];

export interface PaperOptions {
  /** Default: '3x4+II' for a record with the 12 standard leads, else '12x1'. */
  layout?: EcgLayout;
  /** Lead of the '1x1' layout (name or index); default II when present, else the first lead. */
  lead?: string | number;
  /** Lead of the 3x4 rhythm strip; default II. */
  rhythmLead?: string;
  /** Paper speed, mm/s (default 25). */
  speed?: number;
  /** Gain, mm/mV (default 10). */
  gain?: number;
  /** Resolution, px per mm (default 4). Ignored when `width` is given. */
  pxPerMm?: number;
  /** Total width in px; sets pxPerMm. */
  width?: number;
  /** First second shown (default 0). */
  start?: number;
  /** Seconds shown; default 10 for '3x4+II' and the whole record otherwise. */
  duration?: number;
  /** Row height in mm, a multiple of 5; default 40 ('3x4+II', '1x1') or 25 ('12x1'). */
  rowHeightMm?: number;
}

/** One lead drawn over one time window. */
export interface SegmentGeometry {
  lead: string;
  /** Row in the signal (-1 when the record lacks the lead: the segment stays empty). */
  leadIndex: number;
  row: number;
  col: number;
  /** Time window [t0, t1) in s from the record's start. */
  t0: number;
  t1: number;
  /** Sample window [n0, n1), clipped to the record. */
  n0: number;
  n1: number;
  /** x of t0 and t1, px. */
  x0: number;
  x1: number;
}

export interface RowGeometry {
  top: number;
  bottom: number;
  /** y of 0 mV, px; on a 5 mm line. */
  baseline: number;
  segments: SegmentGeometry[];
}

/** A horizontal band under the ECG sharing its time axis. */
export interface PanelGeometry {
  top: number;
  bottom: number;
}

export interface ChartGeometry {
  layout: EcgLayout;
  pxPerMm: number;
  speed: number;
  gain: number;
  fs: number;
  start: number;
  duration: number;
  width: number;
  height: number;
  /** Paper (the gridded area), px. Its width and height are whole multiples of 5 mm. */
  paper: { x: number; y: number; width: number; height: number; widthMm: number; heightMm: number };
  /** Width of the calibration zone at the left of each row, mm (a multiple of 5). */
  calibrationZoneMm: number;
  rows: RowGeometry[];
  /** y of the time axis (the paper's bottom edge). */
  axisY: number;
  /** One panel per cluster band, then the entropy panel, when asked for. */
  clusterPanels: PanelGeometry[];
  entropyPanel: PanelGeometry | undefined;
  /** Top of the legend area. */
  legendTop: number;
  /** x of time t (s from the record's start). */
  xOfTime(t: number): number;
  /** x of sample n. */
  xOfSample(n: number): number;
}

/** Layout of the extra panels the renderer needs (counts only). */
export interface PanelRequest {
  clusterBands: number;
  entropy: boolean;
  legendLines: number;
  /** Height of one legend row, mm (default LEGEND_LINE_MM; more when the legend's font is scaled up). */
  legendLineMm?: number;
  /** Longest panel label, characters (sets the left margin). */
  labelChars: number;
  /** Height of the header above the paper, mm (default HEADER_MM; the renderer asks for more when the title and the paper settings take two lines). */
  headerMm?: number;
}

export const HEADER_MM = 12;
export const AXIS_MM = 8;
export const CLUSTER_BAND_MM = 5;
export const PANEL_GAP_MM = 2;
export const ENTROPY_PANEL_MM = 20;
export const LEGEND_LINE_MM = 6;
const RIGHT_MARGIN_MM = 4;
const MIN_LEFT_MARGIN_MM = 9;
/** Panel and axis labels, mm: the glyph advance is about 0.6 em for DejaVu Sans. */
export const SMALL_FONT_MM = 2.6;

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new OptionError(name, `expected a number > 0, got ${v}`);
  return v;
}

function hasStandardLeads(ecg: Ecg): boolean {
  return STANDARD_LEADS.every((l) => ecg.leads.includes(l));
}

/** Resolves a lead option to its index in the record. */
export function resolveLead(ecg: Ecg, lead: string | number, option: string): number {
  if (typeof lead === 'number') {
    if (!Number.isInteger(lead) || lead < 0 || lead >= ecg.leads.length) throw new OptionError(option, `expected a lead index in 0..${ecg.leads.length - 1}, got ${lead}`);
    return lead;
  }
  const i = ecg.leads.indexOf(canonicalLead(lead));
  if (i < 0) throw new OptionError(option, `record ${ecg.meta.recordId} has no lead '${lead}' (it has ${ecg.leads.join(', ')})`);
  return i;
}

/** Computes where everything goes. Throws OptionError for impossible options. */
export function chartGeometry(ecg: Ecg, opts: PaperOptions = {}, panels: PanelRequest = { clusterBands: 0, entropy: false, legendLines: 0, labelChars: 0 }): ChartGeometry {
  const layout = opts.layout ?? (hasStandardLeads(ecg) ? '3x4+II' : '12x1');
  if (!ECG_LAYOUTS.includes(layout)) throw new OptionError('layout', `expected one of ${ECG_LAYOUTS.join(', ')}, got '${String(layout)}'`);
  const speed = positive('speed', opts.speed, 25);
  const gain = positive('gain', opts.gain, 10);
  const start = opts.start ?? 0;
  if (!Number.isFinite(start) || start < 0) throw new OptionError('start', `expected seconds >= 0, got ${start}`);
  const recordS = ecg.nSamples / ecg.fs;
  if (start >= recordS) throw new OptionError('start', `${start} s is past the end of the record (${recordS} s)`);
  const duration = positive('duration', opts.duration, layout === '3x4+II' ? 10 : recordS - start);
  const rowHeightMm = positive('rowHeightMm', opts.rowHeightMm, layout === '12x1' ? 25 : 40);
  if (rowHeightMm % 5 !== 0) throw new OptionError('rowHeightMm', `expected a multiple of 5 mm (the large grid), got ${rowHeightMm}`);

  const pulseMm = 0.2 * speed;
  const calibrationZoneMm = Math.max(10, Math.ceil((pulseMm + 4) / 5) * 5);
  const traceMm = Math.ceil((duration * speed) / 5 - 1e-9) * 5;
  const paperWidthMm = calibrationZoneMm + traceMm;
  const leftMm = Math.max(MIN_LEFT_MARGIN_MM, Math.ceil(panels.labelChars * 0.6 * SMALL_FONT_MM + 2));
  const widthMm = leftMm + paperWidthMm + RIGHT_MARGIN_MM;
  const pxPerMm = opts.width !== undefined ? positive('width', opts.width, 0) / widthMm : positive('pxPerMm', opts.pxPerMm, 4);
  const mm = (v: number): number => v * pxPerMm;

  // Rows: which lead over which window.
  type Cell = { lead: string; row: number; col: number; t0: number; t1: number };
  const cells: Cell[] = [];
  let nRows: number;
  if (layout === '3x4+II') {
    const colS = duration / 4;
    const grid = [['I', 'aVR', 'V1', 'V4'], ['II', 'aVL', 'V2', 'V5'], ['III', 'aVF', 'V3', 'V6']];
    grid.forEach((leads, row) => leads.forEach((lead, col) => cells.push({ lead, row, col, t0: start + col * colS, t1: start + (col + 1) * colS })));
    const rhythm = opts.rhythmLead ?? 'II';
    cells.push({ lead: canonicalLead(rhythm), row: 3, col: 0, t0: start, t1: start + duration });
    if (opts.rhythmLead !== undefined) resolveLead(ecg, rhythm, 'rhythmLead');
    nRows = 4;
  } else if (layout === '12x1') {
    ecg.leads.forEach((lead, row) => cells.push({ lead, row, col: 0, t0: start, t1: start + duration }));
    nRows = ecg.leads.length;
  } else {
    const i = resolveLead(ecg, opts.lead ?? (ecg.leads.includes('II') ? 'II' : 0), 'lead');
    cells.push({ lead: ecg.leads[i]!, row: 0, col: 0, t0: start, t1: start + duration });
    nRows = 1;
  }

  const paperX = mm(leftMm);
  const headerMm = panels.headerMm ?? HEADER_MM;
  if (!Number.isFinite(headerMm) || headerMm < 0) throw new OptionError('headerMm', `expected mm >= 0, got ${headerMm}`);
  const paperY = mm(headerMm);
  const paperHeightMm = nRows * rowHeightMm;
  const x0 = paperX + mm(calibrationZoneMm);
  const xOfTime = (t: number): number => x0 + (t - start) * speed * pxPerMm;
  const xOfSample = (n: number): number => xOfTime(n / ecg.fs);
  // The baseline sits a little below the middle (most deflections are upward), on a 5 mm line.
  const baselineMm = Math.ceil((rowHeightMm * 0.55) / 5) * 5;
  const rows: RowGeometry[] = [];
  for (let r = 0; r < nRows; r++) {
    const top = paperY + mm(r * rowHeightMm);
    rows.push({ top, bottom: top + mm(rowHeightMm), baseline: top + mm(baselineMm), segments: [] });
  }
  for (const c of cells) {
    const leadIndex = ecg.leads.indexOf(c.lead);
    const n0 = Math.min(ecg.nSamples, Math.max(0, Math.round(c.t0 * ecg.fs)));
    const n1 = Math.min(ecg.nSamples, Math.max(n0, Math.round(c.t1 * ecg.fs)));
    rows[c.row]!.segments.push({ ...c, leadIndex, n0, n1, x0: xOfTime(c.t0), x1: xOfTime(c.t1) });
  }

  let y = paperY + mm(paperHeightMm) + mm(AXIS_MM);
  const clusterPanels: PanelGeometry[] = [];
  for (let b = 0; b < panels.clusterBands; b++) {
    clusterPanels.push({ top: y, bottom: y + mm(CLUSTER_BAND_MM) });
    y += mm(CLUSTER_BAND_MM + PANEL_GAP_MM);
  }
  let entropyPanel: PanelGeometry | undefined;
  if (panels.entropy) {
    y += mm(PANEL_GAP_MM + 3); // room for the panel's title
    entropyPanel = { top: y, bottom: y + mm(ENTROPY_PANEL_MM) };
    y += mm(ENTROPY_PANEL_MM + PANEL_GAP_MM + 2);
  }
  const legendTop = y;
  y += mm(panels.legendLines * (panels.legendLineMm ?? LEGEND_LINE_MM) + (panels.legendLines > 0 ? 2 : 0));

  return {
    layout, pxPerMm, speed, gain, fs: ecg.fs, start, duration,
    width: mm(widthMm), height: y,
    paper: { x: paperX, y: paperY, width: mm(paperWidthMm), height: mm(paperHeightMm), widthMm: paperWidthMm, heightMm: paperHeightMm },
    calibrationZoneMm, rows, axisY: paperY + mm(paperHeightMm),
    clusterPanels, entropyPanel, legendTop, xOfTime, xOfSample,
  };
}
