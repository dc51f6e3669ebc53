/**
 * The 12-lead median-beat panel: one template beat per lead (explain/beats)
 * in the clinical 3x4 arrangement (I II III | aVR aVL aVF | V1 V2 V3 | V4 V5 V6)
 * with a lead-II strip under it, each with the mean |attribution| of a method
 * at every beat phase, the template's P/QRS/T spans, and TLC's most frequent
 * cluster and mean entropy per phase.
 *
 * It is drawn by the ECG chart itself (same paper, colour rule and legends):
 * the template is laid four times end to end, so that each column of the
 * 3x4 print shows one whole beat; the time axis therefore reads in beats
 * (each column starts 0.x s before the R peak), as the title says.
 */
import { makeEcg, type Ecg, type WaveInterval } from '../data/ecg.js';
import { beatSummary, type BeatMapInput, type BeatSummary } from '../explain/beats/beats.js';
import { renderEcgSvg, type EcgChartOptions } from './chart.js';
import type { EcgOverlays } from './overlays.js';

export interface BeatPanelOptions extends Pick<EcgChartOptions, 'width' | 'pxPerMm' | 'gain' | 'minFontPx' | 'units'> {
  /** Map of the summary to draw (default its first; none when it has none). */
  map?: string;
  /** The map's explained class, for the legend. */
  target?: string;
  /** Draw TLC's clusters and entropy (default: when the summary has them). */
  tlc?: boolean;
  /** Show the template's wave spans (default true). */
  waves?: boolean;
  /** Paper speed, mm/s (default 50: one beat per column). */
  speed?: number;
  title?: string;
}

const COPIES = 4;

function tile<T extends Float32Array | Int32Array>(src: T, rows: number, length: number, make: (n: number) => T): T {
  const out = make(rows * length * COPIES);
  for (let q = 0; q < rows; q++) for (let c = 0; c < COPIES; c++) out.set(src.subarray(q * length, (q + 1) * length), (q * COPIES + c) * length);
  return out;
}

export function renderBeatPanelSvg(s: BeatSummary, o: BeatPanelOptions = {}): string {
  const L = s.leads.length, n = s.length * COPIES;
  const signal = tile(s.median, L, s.length, (k) => new Float32Array(k));
  const waves: WaveInterval[] = [];
  for (let c = 0; c < COPIES; c++) for (const w of s.waves) waves.push({ ...w, onset: w.onset + c * s.length, offset: w.offset + c * s.length, ...(w.peak !== undefined ? { peak: w.peak + c * s.length } : {}) });
  const ecg = makeEcg({ signal, fs: s.fs, leads: s.leads, meta: { recordId: 'median beat' }, waves: { '*': waves } });
  const overlays: EcgOverlays = {};
  const map = o.map !== undefined ? s.maps.find((m) => m.name === o.map) : s.maps[0];
  if (o.map !== undefined && !map) throw new RangeError(`renderBeatPanelSvg: the summary has no map '${o.map}' (it has ${s.maps.map((m) => m.name).join(', ') || 'none'})`);
  if (map) overlays.attribution = { method: map.name, ...(o.target ? { target: o.target } : {}), values: tile(map.mean, map.rows, s.length, (k) => new Float32Array(k)), leads: map.rows, signed: false };
  if (s.tlc && o.tlc !== false) {
    overlays.clusters = [{ block: s.tlc.layer, labels: tile(s.tlc.mode, 1, s.length, (k) => new Int32Array(k)), k: s.tlc.k }];
    overlays.entropy = [{ block: s.tlc.layer, values: tile(s.tlc.entropy, 1, s.length, (k) => new Float32Array(k)) }];
  }
  if (o.waves !== false) overlays.waves = { source: 'template beat', waves: { '*': waves } };
  const before = (s.r / s.fs).toFixed(2);
  const title = o.title ?? `median beats: ${s.beats} beat${s.beats === 1 ? '' : 's'}${s.ecgs > 1 ? ` of ${s.ecgs} ECGs` : ''}, one per column, R at ${before} s`;
  return renderEcgSvg(ecg, {
    layout: '3x4+II', duration: n / s.fs, speed: o.speed ?? 50, title, overlays,
    ...(o.width !== undefined ? { width: o.width } : {}), ...(o.pxPerMm !== undefined ? { pxPerMm: o.pxPerMm } : {}),
    ...(o.gain !== undefined ? { gain: o.gain } : {}), ...(o.minFontPx !== undefined ? { minFontPx: o.minFontPx } : {}), ...(o.units !== undefined ? { units: o.units } : {}),
  });
}

/**
 * Median-beat panels of one drawn record, one per chart of `plot` (its
 * attribution, TLC bands and entropy summarised per beat phase); waves from
 * the record's annotations ('*'), else the delineator.
 */
export function beatPanelsOf(ecg: Ecg, charts: readonly { title: string; overlays: EcgOverlays }[], o: BeatPanelOptions = {}): string[] {
  return charts.map((c) => {
    const a = c.overlays.attribution;
    const maps: BeatMapInput[] = a ? [{ name: a.method, values: a.values, rows: a.leads }] : [];
    const band = c.overlays.clusters?.[c.overlays.clusters.length - 1];
    const ent = c.overlays.entropy?.find((e) => e.block === band?.block) ?? c.overlays.entropy?.[0];
    const s = beatSummary([{ ecg, maps, ...(band && ent ? { tlc: { layer: band.block, clusters: band.labels, entropy: ent.values, k: band.k } } : {}) }]);
    return renderBeatPanelSvg(s, { ...o, ...(a?.target ? { target: a.target } : {}), title: `${c.title} · ${o.title ?? `median of ${s.beats} beats`}` });
  });
}
