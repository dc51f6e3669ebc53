/**
 * ECG delineation: R peaks and P/QRS/T onset, peak and offset, per lead and
 * fused over leads. A wavelet delineator in the manner of Martínez et al.
 * (2004, IEEE TBME 51:570): the à trous quadratic-spline transform at scales
 * 2^1..2^5, modulus maxima of the slope, and boundaries where the modulus
 * fades below a fraction of the wave's outermost maximum.
 *
 * Steps, per record:
 * 1. Each lead: gaps (NaN) bridged, pacing needles removed (spikes.ts),
 *    resampled to 250 Hz (the rate the wavelet scales are designed for; the
 *    results are mapped back to the record's rate, so windows in ms mean the
 *    same from 100 to 1000 Hz), zero-phase band-passed 0.5-40 Hz. A lead
 *    that is flat, shorter than 0.6 s or more than half missing is skipped.
 * 2. Multi-lead QRS detection on the averaged, per-lead normalised scale-2^3
 *    modulus (a noisy or flat lead does not hide the beats the others show).
 * 3. Per lead, per beat: QRS from the scale-2^2 maxima; the beat's fused QRS
 *    (fuse.ts: lower-quartile onset, upper-quartile offset, median peak over
 *    the leads) then bounds each lead's boundaries to a window around it.
 * 4. Per lead: T after the fused QRS and P before it (after the previous
 *    beat's fused T) from the scale-2^4 maxima. No P at all when the atrial
 *    activity before the QRS is not coherent from beat to beat (atrial
 *    fibrillation); a wave whose slope stays below threshold is absent.
 * 5. Fusion per beat: QRS shown in >= 1/4 of the delineated leads, P and T in
 *    >= 1/2, with the quartile rule above, under the key '*'.
 */
import type { Ecg, WaveAnnotations, WaveInterval } from '../data/ecg.js';
import { canonicalLead } from '../data/leads.js';
import { OptionError } from '../util/errors.js';
import { bridgeGaps, butterworth, resample, sosfiltfilt, type Sos } from '../data/preprocess/index.js';
import { FUSION_MIN_FRACTION, fuseBeat, quantile } from './fuse.js';
import { removeSpikes } from './spikes.js';
import { waveletTransform } from './wavelet.js';
import { pearson } from '../util/stats.js';

/** Rate, Hz, the delineator works at internally. */
export const DELINEATION_FS = 250;

export interface DelineateOptions {
  /** Leads to delineate, canonical names; default every lead of the record. */
  leads?: string[];
  /** Advanced: override thresholds of the delineator (see `DEFAULT_TUNING`). */
  tuning?: Partial<DelineationTuning>;
}

/**
 * Result of `ecgDelineate`. Every position is a sample index at `fs` (the
 * record's own rate), counted from the first sample; divide by `fs` for
 * seconds. Waves follow the annotation type (`WaveInterval`): per lead keyed
 * by canonical lead name, and fused over leads under `'*'`.
 */
export interface Delineation {
  /** Sampling rate of every sample index below, Hz. */
  fs: number;
  /** Samples per lead of the delineated record. */
  nSamples: number;
  /** R peaks (one per detected beat, fused over leads), samples, ascending. */
  rPeaks: number[];
  /** P/QRS/T intervals per lead and under '*' (fused), samples, sorted by onset. A wave not found is absent, never guessed. */
  waves: WaveAnnotations;
  /** Leads that were delineated; leads that were flat or mostly missing are left out of `waves`. */
  leads: string[];
  /**
   * What decided whether P waves are reported (atrial fibrillation has none):
   * the atrial activity's beat-to-beat coherence, the spread of the P-to-QRS
   * distance (ms), and, for information, the RR irregularity.
   */
  atrial: { coherence: number; rrIrregularity: number; prSpreadMs: number; pWaves: boolean };
}

/** Internal per-lead state at DELINEATION_FS. */
interface Lead {
  name: string;
  /** The lead at 250 Hz, band-passed (what the transform sees). */
  x: Float64Array;
  /** The lead at 250 Hz before the band-pass: R peaks are found on it, so the low-pass does not blunt them. */
  raw: Float64Array;
  /** w[k-1] = scale 2^k. */
  w: Float64Array[];
  /** Robust SD of W(2^2) over the record (1.4826 x median |W|): the lead's noise level at QRS scale. */
  noise2: number;
}

const FS = DELINEATION_FS;
const ms = (t: number): number => Math.round((t * FS) / 1000);

/**
 * Thresholds of the delineator: fractions of a modulus maximum (after
 * Martínez et al. 2004, adjusted on LUDB), windows in internal samples.
 */
export interface DelineationTuning {
  /** A QRS modulus maximum counts when above this fraction of the lead's main one. */
  qrsSignificant: number;
  /** Longest gap between consecutive QRS maxima of one complex, samples at 250 Hz. */
  qrsGap: number;
  /** QRS onset/offset: where |W(2^2)| fades below this fraction of the first/last maximum. */
  qrsOn: number;
  qrsOff: number;
  /** Significant QRS maxima and boundaries also exceed this multiple of the lead's noise level (robust SD of W(2^2)). */
  qrsNoise: number;
  /** QRS boundaries lie where |W(2^2)| is below this multiple of the noise level at least. */
  qrsFloor: number;
  /** The QRS peak is the R wave when its height is at least this fraction of the deepest negative deflection, else the deepest point. */
  qrsPositivePeak: number;
  /** A lead's QRS onset is kept within [fused - a, fused + b] ms (offset likewise), [a, b]. */
  qrsOnWindow: [number, number];
  qrsOffWindow: [number, number];
  /** A T wave has two slopes when the opposite slope next to its largest reaches this fraction of it; else it is a single-slope T. */
  tPairRatio: number;
  /** Zero-phase Butterworth band-pass (order 2, run forwards and backwards) applied at 250 Hz before the transform, Hz; null for none. */
  bandHz: [number, number] | null;
  /** QRS detection: a peak within `tWaveWindowMs` of a beat and lower than this fraction of it is its T wave. */
  tWaveRatio: number;
  tWaveWindowMs: number;
  /** QRS detection: search-back threshold over long gaps, fraction of the typical beat height. */
  searchBack: number;
  /** Below this beat-to-beat coherence of the atrial activity (see atrialCoherence), no P wave is reported. */
  pCoherence: number;
  /**
   * No P wave either when the waves found before each QRS keep no steady
   * distance from it: the median absolute deviation of (QRS onset - P peak)
   * over the beats, fused over leads, above this many ms (atrial
   * fibrillation whose baseline undulations repeat enough to pass the
   * coherence test, e.g. LUDB record 101: 62 ms; sinus records: at most 26 ms).
   */
  pPrSpreadMs: number;
  /** T and P onset/offset: where |W(2^4)| fades below this fraction of the first/last maximum. */
  tOn: number;
  tOff: number;
  pOn: number;
  pOff: number;
  /** Scale-2^4 modulus (transform units, about mV per 64 ms) below which no T/P is reported. */
  tMin: number;
  pMin: number;
}

export const DEFAULT_TUNING: Readonly<DelineationTuning> = {
  qrsSignificant: 0.12,
  qrsGap: ms(70),
  qrsOn: 0.08,
  qrsOff: 0.15,
  tOn: 0.35,
  tOff: 0.5,
  pOn: 0.7,
  pOff: 0.9,
  tMin: 0.02,
  pMin: 0.012,
  qrsNoise: 4,
  qrsFloor: 2,
  pCoherence: 0.72,
  pPrSpreadMs: 40,
  qrsPositivePeak: 0.05,
  tWaveRatio: 0.8,
  tWaveWindowMs: 400,
  bandHz: [0.5, 40],
  tPairRatio: 0.25,
  qrsOnWindow: [10, 25],
  qrsOffWindow: [30, 12],
  searchBack: 0.15,
};

/**
 * Delineates a record (any number of leads, 100-1000 Hz). Never throws on
 * unusable signal: a flat, too short or all-NaN record gives no beats and
 * no waves. Throws OptionError for a lead name the record does not have.
 */
export function ecgDelineate(ecg: Ecg, opts: DelineateOptions = {}): Delineation {
  const P: DelineationTuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const names = opts.leads ?? ecg.leads;
  // Zero-phase band-pass at the working rate: baseline wander and mains/EMG noise out, boundaries unmoved.
  const band: Sos | null = P.bandHz ? butterworth(2, P.bandHz, FS, 'bandpass') : null;
  const leads: Lead[] = [];
  const nIn = ecg.nSamples;
  const nInt = Math.round((nIn * FS) / ecg.fs);
  for (const name of names) {
    const li = ecg.leads.indexOf(canonicalLead(name));
    if (li < 0) throw new OptionError('leads', `no lead '${name}' in record ${ecg.meta.recordId} (it has ${ecg.leads.join(', ')})`);
    const raw = ecg.signal.subarray(li * nIn, (li + 1) * nIn);
    const bridged = bridgeGaps(raw);
    if (bridged.empty) continue;
    if (bridged.missing) {
      let miss = 0;
      for (const m of bridged.missing) miss += m;
      if (miss > 0.5 * nIn) continue;
    }
    const clean = removeSpikes(bridged.filled, ecg.fs).cleaned;
    const atFs = ecg.fs === FS ? clean : Float64Array.from(resample(clean, ecg.fs, FS));
    if (atFs.length < ms(600)) continue;
    const x = band ? Float64Array.from(sosfiltfilt(band, atFs)) : atFs;
    const w = waveletTransform(x, 5);
    if (maxAbs(w[1]!) < 1e-4) continue; // flat line
    leads.push({ name: ecg.leads[li]!, x, raw: atFs, w, noise2: 1.4826 * quantile(Array.from(w[1]!, Math.abs), 0.5) });
  }
  const toFs = (i: number): number => Math.min(nIn - 1, Math.max(0, Math.round((i * ecg.fs) / FS)));
  const waves: WaveAnnotations = {};
  if (leads.length === 0) return { fs: ecg.fs, nSamples: nIn, rPeaks: [], waves: { '*': [] }, leads: [], atrial: { coherence: NaN, rrIrregularity: NaN, prSpreadMs: NaN, pWaves: false } };

  const centres = detectQrs(leads, nInt, P);
  const nL = leads.length;
  // Per beat, per lead: the waves found (index = lead), so fusion groups by beat identity.
  const qrs: (WaveInterval | null)[][] = centres.map((c) => leads.map((lead) => delineateQrs(lead, c, P)));
  // The fused QRS of each beat anchors the P and T search windows of every lead.
  const fusedQrs = qrs.map((qs) => fuseBeat(present(qs), 'QRS', { nLeads: nL, minFraction: FUSION_MIN_FRACTION.QRS }));
  // Multi-lead consistency: a lead's QRS boundary far from the fused one is a
  // lead where the complex starts or ends nearly isoelectric; the boundary is
  // brought back into a window around the fused boundary (the spread that
  // LUDB's cardiologists' per-lead onsets show around their fused onset).
  qrs.forEach((qs, b) => {
    const f = fusedQrs[b];
    if (!f) return;
    for (const q of qs) {
      if (!q) continue;
      q.onset = clamp(q.onset, f.onset - ms(P.qrsOnWindow[0]), f.onset + ms(P.qrsOnWindow[1]));
      q.offset = clamp(q.offset, f.offset - ms(P.qrsOffWindow[0]), f.offset + ms(P.qrsOffWindow[1]));
      if (q.offset <= q.onset) q.offset = q.onset + 1;
      q.peak = clamp(q.peak ?? q.onset, q.onset, q.offset);
    }
  });
  const rrs = centres.slice(1).map((c, i) => c - centres[i]!);
  const medRR = rrs.length > 0 ? quantile(rrs, 0.5) : ms(1000);
  const tWaves = centres.map((c, b) => {
    const q = fusedQrs[b];
    if (!q) return leads.map(() => null);
    const next = fusedQrs[b + 1] ?? null;
    const rrNext = next ? centres[b + 1]! - c : medRR;
    return leads.map((lead) => delineateT(lead, q, next, rrNext, nInt, P));
  });
  // A P wave starts after the previous beat's T wave has ended (fused over leads).
  const fusedT = tWaves.map((ts) => fuseBeat(present(ts), 'T', { nLeads: nL, minFraction: FUSION_MIN_FRACTION.T }));
  const atrialOrder = atrialCoherence(leads, fusedQrs);
  const irregularity = rrIrregularity(centres);
  const coherent = !(atrialOrder < P.pCoherence);
  let pWaves = centres.map((_, b) => {
    const q = fusedQrs[b];
    if (!q || !coherent) return leads.map(() => null);
    let notBefore = q.onset - ms(300);
    const prevQrs = fusedQrs[b - 1];
    if (prevQrs) notBefore = Math.max(notBefore, prevQrs.offset + ms(200));
    const prevT = fusedT[b - 1];
    if (prevT) notBefore = Math.max(notBefore, prevT.offset);
    return leads.map((lead) => delineateP(lead, q, notBefore, nInt, P));
  });
  // Conducted P waves keep their distance to the QRS; waves that wander are atrial activity of another kind.
  const prSpread = prSpreadMs(pWaves, fusedQrs, nL);
  const hasP = coherent && !(prSpread > P.pPrSpreadMs);
  if (!hasP) pWaves = pWaves.map((ws) => ws.map(() => null));

  const toRecord = (w: WaveInterval): WaveInterval => {
    const o: WaveInterval = { wave: w.wave, onset: toFs(w.onset), offset: toFs(w.offset) };
    if (w.peak !== undefined) o.peak = toFs(w.peak);
    return o;
  };
  const byOnset = (a: WaveInterval, b: WaveInterval): number => a.onset - b.onset;
  leads.forEach((lead, l) => {
    const list: WaveInterval[] = [];
    for (const perBeat of [qrs, tWaves, pWaves]) for (const ws of perBeat) if (ws[l]) list.push(toRecord(ws[l]!));
    waves[lead.name] = list.sort(byOnset);
  });
  const fused: WaveInterval[] = [];
  for (const [kind, perBeat] of [['QRS', qrs], ['T', tWaves], ['P', pWaves]] as const) {
    for (const ws of perBeat) {
      const f = fuseBeat(present(ws).map(toRecord), kind, { nLeads: nL, minFraction: FUSION_MIN_FRACTION[kind] });
      if (f) fused.push(f);
    }
  }
  waves['*'] = fused.sort(byOnset);
  const rPeaks = fusedQrs.filter((q): q is WaveInterval => q !== null).map((q) => toFs(q.peak ?? q.onset));
  return {
    fs: ecg.fs, nSamples: nIn, rPeaks: [...new Set(rPeaks)].sort((a, b) => a - b), waves, leads: leads.map((l) => l.name),
    atrial: { coherence: atrialOrder, rrIrregularity: irregularity, prSpreadMs: prSpread, pWaves: hasP },
  };
}

/**
 * How alike the atrial activity before each QRS is from beat to beat: per
 * lead, the Pearson correlation of each beat's W(2^4) over the 232 ms before
 * QRS onset - 20 ms with the lead's median beat, median over beats, then
 * median over leads. A P wave at a steady PR interval repeats (about 0.9 on
 * LUDB's sinus records); fibrillatory waves do not (0.3-0.7 in its atrial
 * fibrillation records), and then no P wave is reported at all. NaN (test
 * skipped) with fewer than 3 beats.
 */
function atrialCoherence(leads: Lead[], qrs: (WaveInterval | null)[]): number {
  const len = ms(232);
  const gap = ms(20);
  const onsets = qrs.filter((q): q is WaveInterval => q !== null && q.onset - gap - len >= 0).map((q) => q.onset);
  if (onsets.length < 3) return NaN;
  const perLead: number[] = [];
  for (const lead of leads) {
    const w4 = lead.w[3]!;
    const segs = onsets.map((on) => w4.subarray(on - gap - len, on - gap));
    const template = new Float64Array(len);
    for (let i = 0; i < len; i++) template[i] = quantile(segs.map((sg) => sg[i]!), 0.5);
    // A flat segment (undefined correlation) counts as no repeating atrial activity.
    perLead.push(quantile(segs.map((sg) => pearson(sg, template) || 0), 0.5));
  }
  return quantile(perLead, 0.5);
}


/**
 * How irregular the rhythm is: the median |difference| between successive RR
 * intervals over the median RR. Sinus rhythm, even with respiratory
 * arrhythmia, changes little from one beat to the next; atrial fibrillation
 * is irregularly irregular. NaN with fewer than 4 beats.
 */
function rrIrregularity(centres: readonly number[]): number {
  if (centres.length < 4) return NaN;
  const rr = centres.slice(1).map((c, i) => c - centres[i]!);
  const d = rr.slice(1).map((r, i) => Math.abs(r - rr[i]!));
  return quantile(d, 0.5) / quantile(rr, 0.5);
}

/**
 * Median absolute deviation (ms) of QRS onset - P peak over the beats whose P
 * wave fuses over leads; NaN with fewer than 4 such beats (too few to judge).
 */
function prSpreadMs(pWaves: readonly (WaveInterval | null)[][], qrs: readonly (WaveInterval | null)[], nLeads: number): number {
  const d: number[] = [];
  pWaves.forEach((ws, b) => {
    const p = fuseBeat(present(ws), 'P', { nLeads, minFraction: FUSION_MIN_FRACTION.P });
    const q = qrs[b];
    if (p && q && p.peak !== undefined) d.push(q.onset - p.peak);
  });
  if (d.length < 4) return NaN;
  const m = quantile(d, 0.5);
  return (quantile(d.map((v) => Math.abs(v - m)), 0.5) * 1000) / FS;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function present(ws: readonly (WaveInterval | null)[]): WaveInterval[] {
  return ws.filter((w): w is WaveInterval => w !== null);
}

/**
 * Multi-lead QRS detection: each lead's |W(2^3)| is scaled by its 98th
 * percentile and clipped (so one lead's artefact or pacing spike cannot
 * dominate), the leads are averaged and integrated over 100 ms; beats are
 * the envelope's peaks above 30% of the typical beat height (median of the
 * largest peaks, one per 2 s), 200 ms apart. A peak within `tWaveWindowMs` of a
 * beat and lower than `tWaveRatio` of it is taken for that beat's T wave (after
 * Pan-Tompkins); gaps longer than 1.6 median RR are searched again at
 * `searchBack` of the typical height.
 */
function detectQrs(leads: Lead[], n: number, P: DelineationTuning): number[] {
  const c = new Float64Array(n);
  for (const lead of leads) {
    const w3 = lead.w[2]!;
    const q = quantile(Array.from(w3, Math.abs), 0.98);
    if (!(q > 0)) continue;
    for (let i = 0; i < n; i++) c[i] += Math.min(Math.abs(w3[i]!) / q, 3);
  }
  const env = movingAverage(c, ms(100));
  const half = ms(200);
  const cands: { i: number; h: number }[] = [];
  for (let i = 1; i < n - 1; i++) {
    const h = env[i]!;
    if (!(h > env[i - 1]! && h >= env[i + 1]!)) continue;
    let isMax = true;
    for (let j = Math.max(0, i - half); j <= Math.min(n - 1, i + half); j++) {
      if (env[j]! > h) {
        isMax = false;
        break;
      }
    }
    if (isMax) cands.push({ i, h });
  }
  if (cands.length === 0) return [];
  const k = Math.max(1, Math.floor(n / FS / 2));
  const top = cands.map((x) => x.h).sort((a, b) => b - a).slice(0, k);
  const ref = quantile(top, 0.5);
  const accept = (thr: number, list: { i: number; h: number }[]): { i: number; h: number }[] => {
    const out: { i: number; h: number }[] = [];
    for (const cd of list) {
      if (cd.h < thr) continue;
      const prev = out[out.length - 1];
      if (prev && cd.i - prev.i < ms(P.tWaveWindowMs) && cd.h < P.tWaveRatio * prev.h) continue; // a T wave, not a beat
      out.push(cd);
    }
    return out;
  };
  let beats = accept(0.3 * ref, cands);
  if (beats.length >= 3) {
    const rr = quantile(beats.slice(1).map((b, i) => b.i - beats[i]!.i), 0.5);
    const added: { i: number; h: number }[] = [];
    const bounds = [{ i: -ms(300), h: 0 }, ...beats, { i: n + ms(300), h: 0 }];
    for (let j = 1; j < bounds.length; j++) {
      const a = bounds[j - 1]!.i;
      const b = bounds[j]!.i;
      if (b - a <= 1.6 * rr) continue;
      const inGap = cands.filter((cd) => cd.i > a + ms(250) && cd.i < b - ms(250) && cd.h >= P.searchBack * ref);
      for (const cd of accept(P.searchBack * ref, inGap)) added.push(cd);
    }
    if (added.length > 0) beats = [...beats, ...added].sort((x, y) => x.i - y.i);
  }
  // Envelope peaks lag the QRS by the integration window's skew; recentre on the raw average.
  return beats.map((b) => argMax(c, b.i - ms(60), b.i + ms(60)));
}

/** QRS of one lead around a detected beat, from the scale-2^2 modulus maxima. */
function delineateQrs(lead: Lead, centre: number, P: DelineationTuning): WaveInterval | null {
  const w = lead.w[1]!;
  const n = w.length;
  const lo = Math.max(1, centre - ms(150));
  const hi = Math.min(n - 2, centre + ms(150));
  const m0 = argMaxAbs(w, centre - ms(50), centre + ms(50));
  const M = Math.abs(w[m0]!);
  if (!(M > 1e-3)) return null;
  const maxima = modulusMaxima(w, lo, hi, Math.max(P.qrsSignificant * M, P.qrsNoise * lead.noise2));
  // Chain outwards from the main maximum while significant maxima follow closely.
  let first = m0;
  let last = m0;
  for (let j = maxima.length - 1; j >= 0; j--) {
    const m = maxima[j]!;
    if (m < first && first - m <= P.qrsGap) first = m;
  }
  for (const m of maxima) if (m > last && m - last <= P.qrsGap) last = m;
  const floor = P.qrsFloor * lead.noise2;
  const onset = fadeBackward(w, first, Math.max(floor, P.qrsOn * Math.abs(w[first]!)), lo);
  const offset = fadeForward(w, last, Math.max(floor, P.qrsOff * Math.abs(w[last]!)), hi) + 1;
  const peak = qrsPeak(lead.raw, onset, offset, P.qrsPositivePeak);
  return { wave: 'QRS', onset, peak, offset };
}

/** T wave of one lead after a fused QRS, from the scale-2^4 modulus maxima (2^5 when 2^4 shows none). */
function delineateT(lead: Lead, qrs: WaveInterval, next: WaveInterval | null, rr: number, n: number, P: DelineationTuning): WaveInterval | null {
  const start = qrs.offset + ms(40);
  let end = qrs.onset + Math.round(ms(620) * Math.sqrt(rr / FS));
  if (next) end = Math.min(end, next.onset - ms(80));
  end = Math.min(end, n - 2);
  if (end - start < ms(80)) return null;
  return monophasicWave(lead, 3, start, end, [qrs.offset, end + ms(100)], 'T', P.tMin, P.tOn, P.tOff, P.tPairRatio);
}

/** P wave of one lead before a fused QRS; absent when the scale-2^4 modulus shows no wave above threshold. */
function delineateP(lead: Lead, qrs: WaveInterval, start: number, n: number, P: DelineationTuning): WaveInterval | null {
  const end = qrs.onset - ms(20);
  if (start < 1 || end - start < ms(60) || end > n - 2) return null;
  return monophasicWave(lead, 3, start, end, [start - ms(100), qrs.onset], 'P', P.pMin, P.pOn, P.pOff, 0.25);
}

/**
 * A P or T wave in [start, end]: the largest modulus maximum and the largest
 * opposite-signed maximum next to it (within 200 ms) bracket the wave's peak
 * (the zero crossing between them); onset and offset are where the modulus
 * fades below a fraction of the outer maxima.
 */
function monophasicWave(lead: Lead, level: number, start: number, end: number, bounds: [number, number], kind: 'P' | 'T', minModulus: number, xiOn: number, xiOff: number, pairRatio: number): WaveInterval | null {
  const w = lead.w[level]!;
  const maxima = modulusMaxima(w, start, end, 0);
  if (maxima.length === 0) return null;
  let m1 = maxima[0]!;
  for (const m of maxima) if (Math.abs(w[m]!) > Math.abs(w[m1]!)) m1 = m;
  if (Math.abs(w[m1]!) < minModulus) return null;
  const sign = Math.sign(w[m1]!);
  let m2 = -1;
  for (const m of maxima) {
    if (Math.sign(w[m]!) === sign || Math.abs(m - m1) > ms(200)) continue;
    if (m2 < 0 || Math.abs(w[m]!) > Math.abs(w[m2]!)) m2 = m;
  }
  // Boundaries may run past the search window, but not into the QRS.
  const lo = Math.max(1, bounds[0]);
  const hi = Math.min(w.length - 2, bounds[1]);
  if (m2 < 0 || Math.abs(w[m2]!) < pairRatio * Math.abs(w[m1]!)) {
    // One slope only: a T wave that only rises (or only falls) back to the
    // baseline. Its peak is where the slope has halved, its end where the
    // slope has faded to a tenth. A lone slope before the QRS is not a P wave.
    if (kind === 'P' || Math.abs(w[m1]!) < 2 * minModulus) return null;
    const m = Math.abs(w[m1]!);
    const onset = fadeBackward(w, m1, xiOn * m, lo);
    const peak = fadeForward(w, m1, 0.5 * m, hi) + 1;
    const offset = Math.max(peak + 1, fadeForward(w, m1, 0.1 * m, hi) + 1);
    return { wave: kind, onset, peak, offset };
  }
  const a = Math.min(m1, m2);
  const b = Math.max(m1, m2);
  let peak = a;
  for (let i = a; i < b; i++) {
    if (Math.sign(w[i]!) !== Math.sign(w[i + 1]!)) {
      peak = i + 1;
      break;
    }
  }
  const onset = fadeBackward(w, a, xiOn * Math.abs(w[a]!), lo);
  const offset = fadeForward(w, b, xiOff * Math.abs(w[b]!), hi) + 1;
  return { wave: kind, onset, peak, offset };
}

/** Local maxima of |w| in [lo, hi] whose modulus is at least `min`, ascending. */
function modulusMaxima(w: Float64Array, lo: number, hi: number, min: number): number[] {
  const out: number[] = [];
  for (let i = Math.max(1, lo); i <= Math.min(w.length - 2, hi); i++) {
    const v = Math.abs(w[i]!);
    if (v >= min && v > Math.abs(w[i - 1]!) && v >= Math.abs(w[i + 1]!)) out.push(i);
  }
  return out;
}

/** Walks back from `from` until |w| drops below `thr` or reaches a local minimum. */
function fadeBackward(w: Float64Array, from: number, thr: number, lo: number): number {
  let i = from;
  while (i > lo && Math.abs(w[i]!) > thr && !(Math.abs(w[i - 1]!) > Math.abs(w[i]!))) i--;
  return i;
}

function fadeForward(w: Float64Array, from: number, thr: number, hi: number): number {
  let i = from;
  while (i < hi && Math.abs(w[i]!) > thr && !(Math.abs(w[i + 1]!) > Math.abs(w[i]!))) i++;
  return i;
}

/**
 * The QRS peak in the sense of LUDB's annotators (and of "R peak"): the
 * largest positive deflection above the baseline joining x[a] and x[b]; in a
 * QS complex, whose positive part is small against its negative part, the
 * deepest point instead.
 */
function qrsPeak(x: Float64Array, a: number, b: number, minPositive: number): number {
  let pos = a;
  let neg = a;
  let posV = -Infinity;
  let negV = Infinity;
  const xa = x[a]!;
  const slope = b > a ? (x[b]! - xa) / (b - a) : 0;
  for (let i = a; i <= b; i++) {
    const v = x[i]! - (xa + slope * (i - a));
    if (v > posV) {
      posV = v;
      pos = i;
    }
    if (v < negV) {
      negV = v;
      neg = i;
    }
  }
  return posV >= minPositive * Math.max(0, -negV) && posV > 0 ? pos : neg;
}

function movingAverage(x: Float64Array, width: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  const h = Math.floor(width / 2);
  let s = 0;
  const cum = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cum[i + 1] = s += x[i]!;
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - h);
    const b = Math.min(n, i + h + 1);
    out[i] = (cum[b]! - cum[a]!) / (b - a);
  }
  return out;
}

function argMax(x: Float64Array, lo: number, hi: number): number {
  let best = Math.max(0, lo);
  for (let i = best; i <= Math.min(x.length - 1, hi); i++) if (x[i]! > x[best]!) best = i;
  return best;
}

function argMaxAbs(x: Float64Array, lo: number, hi: number): number {
  let best = Math.max(0, lo);
  for (let i = best; i <= Math.min(x.length - 1, hi); i++) if (Math.abs(x[i]!) > Math.abs(x[best]!)) best = i;
  return best;
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (const v of x) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}
