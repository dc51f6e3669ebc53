/**
 * ECG-native features for the coalition methods (Shapley values over waves,
 * LIME): a feature is a set of samples a cardiologist names, and masking it
 * replaces those samples by a stated baseline.
 *
 * Kinds (per lead, or with leads 'all' the same segments in every lead):
 * - waves:      P, QRS, T (all beats together) and baseline (the rest);
 * - wave-beats: each P, QRS and T of each beat, plus the lead's baseline;
 * - beats:      each beat, cut half-way between consecutive R peaks;
 * - windows:    fixed windows of `window` seconds.
 * Waves and beats come from the delineator (per lead where it delineated the
 * lead, else its fusion over leads) or from given annotations.
 *
 * Masking baselines: 'median' (each lead's median over the ECG),
 * 'interpolate' (a straight line across each masked run, between the samples
 * that bound it; flat at the signal's ends) or 'zero'.
 */
import { makeEcg, type WaveAnnotations, type WaveInterval } from '../data/ecg.js';
import { STANDARD_LEADS, canonicalLead } from '../data/leads.js';
import { ecgDelineate } from '../delineate/delineate.js';
import { OptionError } from '../util/errors.js';

export const FEATURE_KINDS = ['waves', 'wave-beats', 'beats', 'windows'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];
export const MASK_BASELINES = ['median', 'interpolate', 'zero'] as const;
export type MaskBaseline = (typeof MASK_BASELINES)[number];

export interface EcgFeature {
  /** e.g. 'II QRS', 'V1 QRS #3', 'I beat 2', '* 0.50-1.00 s'. */
  label: string;
  /** Lead name, or '*' for a feature over all leads. */
  lead: string;
  wave?: 'P' | 'QRS' | 'T' | 'baseline';
  beat?: number;
  /** Half-open sample ranges [start, end) of the feature in its lead(s). */
  segments: [number, number][];
}

export interface FeatureSpec {
  kind: FeatureKind;
  /** Features per lead ('each') or shared by all leads ('all'). */
  leads: 'each' | 'all';
  /** Window length, seconds (kind 'windows'). */
  window: number;
}

/** Lead names of a [leads, time] input: the batch's, else the 12 standard leads, else lead1... */
export function leadNames(leads: number, given?: readonly string[]): string[] {
  if (given && given.length === leads) return given.map(canonicalLead);
  return leads === 12 ? [...STANDARD_LEADS] : Array.from({ length: leads }, (_, i) => `lead${i + 1}`);
}

/** Wave annotations and R peaks of one ECG [leads * time] from the delineator. */
export function delineateRow(row: Float32Array, names: string[], fs: number): { waves: WaveAnnotations; rPeaks: number[] } {
  const d = ecgDelineate(makeEcg({ signal: row, fs, leads: names, meta: { recordId: 'explained' } }));
  return { waves: d.waves, rPeaks: d.rPeaks };
}

/** R peaks from annotations: each QRS's peak, else its middle (fused '*' waves, else the first lead's). */
export function rPeaksOf(waves: WaveAnnotations): number[] {
  const list = waves['*'] ?? Object.values(waves)[0] ?? [];
  return list.filter((w) => w.wave === 'QRS').map((w) => w.peak ?? Math.round((w.onset + w.offset) / 2)).sort((a, b) => a - b);
}

/**
 * The features of one ECG. `waves`/`rPeaks` are needed for the wave and beat
 * kinds; features with no samples are left out.
 */
export function ecgFeatures(spec: FeatureSpec, names: string[], time: number, fs: number | undefined, marks?: { waves: WaveAnnotations; rPeaks: number[] }): EcgFeature[] {
  const groups = spec.leads === 'each' ? names : ['*'];
  const out: EcgFeature[] = [];
  const wavesOf = (lead: string): WaveInterval[] => {
    const w = marks?.waves;
    if (!w) return [];
    return (lead !== '*' && w[lead]) || w['*'] || [];
  };
  for (const lead of groups) {
    if (spec.kind === 'windows') {
      if (!fs) throw new OptionError('windowSeconds', 'windows in seconds need the sampling rate (the batch, the model card or the fs option)');
      const w = Math.max(1, Math.round(spec.window * fs));
      for (let s = 0; s < time; s += w) {
        const e = Math.min(time, s + w);
        out.push({ label: `${lead} ${(s / fs).toFixed(2)}-${(e / fs).toFixed(2)} s`, lead, segments: [[s, e]] });
      }
      continue;
    }
    if (spec.kind === 'beats') {
      const r = marks?.rPeaks ?? [];
      const cuts = [0, ...r.slice(1).map((p, i) => Math.round((p + r[i]!) / 2)), time];
      for (let k = 0; k + 1 < cuts.length; k++) {
        if (cuts[k + 1]! > cuts[k]!) out.push({ label: `${lead} beat ${k + 1}`, lead, beat: k + 1, segments: [[cuts[k]!, cuts[k + 1]!]] });
      }
      continue;
    }
    // waves / wave-beats: label each sample (QRS first where intervals touch), the rest is baseline.
    const label = new Int8Array(time).fill(-1);
    const kinds = ['P', 'QRS', 'T'] as const;
    const intervals = wavesOf(lead)
      .map((w) => ({ w, s: Math.max(0, Math.round(w.onset)), e: Math.min(time, Math.round(w.offset) + 1) }))
      .filter((v) => v.e > v.s)
      .sort((a, b) => a.s - b.s);
    const perWave: Record<string, [number, number][]> = { P: [], QRS: [], T: [] };
    for (const pass of ['QRS', 'P', 'T'] as const) {
      let beat = 0;
      for (const v of intervals) {
        if (v.w.wave !== pass) continue;
        beat++;
        let s = v.s;
        while (s < v.e && label[s] !== -1) s++;
        let e = s;
        while (e < v.e && label[e] === -1) e++;
        if (e <= s) continue;
        label.fill(kinds.indexOf(pass), s, e);
        perWave[pass]!.push([s, e]);
        if (spec.kind === 'wave-beats') out.push({ label: `${lead} ${pass} #${beat}`, lead, wave: pass, beat, segments: [[s, e]] });
      }
    }
    if (spec.kind === 'waves') for (const k of kinds) if (perWave[k]!.length) out.push({ label: `${lead} ${k}`, lead, wave: k, segments: perWave[k]! });
    const rest: [number, number][] = [];
    for (let t = 0; t < time; ) {
      if (label[t] !== -1) {
        t++;
        continue;
      }
      let e = t;
      while (e < time && label[e] === -1) e++;
      rest.push([t, e]);
      t = e;
    }
    if (rest.length) out.push({ label: `${lead} baseline`, lead, wave: 'baseline', segments: rest });
  }
  return out;
}

/** Prepared masking of one ECG: fills a copy with some features absent. */
export class FeatureMasker {
  private readonly medians: Float32Array;
  private readonly leadIndex: Map<string, number>;

  constructor(
    private readonly row: Float32Array,
    private readonly names: string[],
    private readonly time: number,
    readonly features: readonly EcgFeature[],
    private readonly baseline: MaskBaseline,
  ) {
    this.leadIndex = new Map(names.map((n, i) => [n, i]));
    this.medians = Float32Array.from(names, (_, l) => median(row.subarray(l * time, (l + 1) * time)));
  }

  /** Writes the ECG with feature f absent where present[f] is 0 into out ([leads * time]). */
  fill(present: ArrayLike<number>, out: Float32Array): void {
    const { time, row } = this;
    const leads = this.names.length;
    out.set(row);
    const absent = new Uint8Array(leads * time);
    let any = false;
    this.features.forEach((f, k) => {
      if (present[k]) return;
      any = true;
      const ls = f.lead === '*' ? Array.from({ length: leads }, (_, i) => i) : [this.leadIndex.get(f.lead)!];
      for (const l of ls) for (const [s, e] of f.segments) absent.fill(1, l * time + s, l * time + e);
    });
    if (!any) return;
    for (let l = 0; l < leads; l++) {
      const o = l * time;
      for (let t = 0; t < time; ) {
        if (!absent[o + t]) {
          t++;
          continue;
        }
        let e = t;
        while (e < time && absent[o + e]) e++;
        if (this.baseline === 'median') out.fill(this.medians[l]!, o + t, o + e);
        else if (this.baseline === 'zero') out.fill(0, o + t, o + e);
        else {
          // A straight line between the samples bounding the run; flat at the ends, the median if the whole lead is masked.
          const a = t > 0 ? row[o + t - 1]! : undefined;
          const b = e < time ? row[o + e]! : undefined;
          for (let u = t; u < e; u++) {
            out[o + u] = a !== undefined && b !== undefined ? a + ((b - a) * (u - t + 1)) / (e - t + 1) : (a ?? b ?? this.medians[l]!);
          }
        }
        t = e;
      }
    }
  }

  /** Per-sample map [leads * time] of per-feature values (each sample gets its feature's value, as captum's feature masks). */
  spread(values: readonly number[]): Float32Array {
    const leads = this.names.length;
    const out = new Float32Array(leads * this.time);
    this.features.forEach((f, k) => {
      const ls = f.lead === '*' ? Array.from({ length: leads }, (_, i) => i) : [this.leadIndex.get(f.lead)!];
      for (const l of ls) for (const [s, e] of f.segments) out.fill(values[k]!, l * this.time + s, l * this.time + e);
    });
    return out;
  }
}

/** The lower middle value for an even count (as torch.median), so masks match captum's references. */
export function median(v: Float32Array): number {
  const s = Float32Array.from(v).sort();
  return s.length ? s[(s.length - 1) >> 1]! : 0;
}
