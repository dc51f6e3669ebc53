/**
 * ECG delineation: R peaks and P/QRS/T onset, peak and offset, per lead and
 * fused over leads. A wavelet delineator in the manner of Martínez et al.
 * (2004, IEEE TBME 51:570): the à trous quadratic-spline transform at scales
 * 2^1..2^5, modulus maxima of the slope, and boundaries where the modulus
 * fades below a fraction of the wave's outermost maximum. QRS detection is
 * multi-lead: each lead's scale-2^3 modulus is normalised and averaged, so a
 * noisy or flat lead does not hide the beats the others show.
 *
 * Every lead is resampled to 250 Hz (the rate the wavelet scales were
 * designed for) and the results are mapped back to the record's rate, so
 * windows in milliseconds mean the same at 100 or 1000 Hz.
 */
import type { Ecg, WaveAnnotations, WaveInterval } from '../data/ecg.js';
import { bridgeGaps, resample } from '../data/preprocess/index.js';
import { fuseWaves, quantile } from './fuse.js';
import { waveletTransform } from './wavelet.js';

/** Rate, Hz, the delineator works at internally. */
export const DELINEATION_FS = 250;

export interface DelineateOptions {
  /** Leads to delineate, canonical names; default every lead of the record. */
  leads?: string[];
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
}

/** Internal per-lead state at DELINEATION_FS. */
interface Lead {
  name: string;
  x: Float64Array;
  /** w[k-1] = scale 2^k. */
  w: Float64Array[];
}

interface Beat {
  /** Centre of QRS energy (internal samples). */
  centre: number;
  qrs: WaveInterval | null;
}

const FS = DELINEATION_FS;
const ms = (t: number): number => Math.round((t * FS) / 1000);

/** Tunable thresholds (fractions of a modulus maximum), after Martínez et al. 2004 and tuned on LUDB. */
const P = {
  qrsSignificant: 0.12,
  qrsGap: ms(70),
  qrsOn: 0.08,
  qrsOff: 0.15,
  tOn: 0.25,
  tOff: 0.4,
  pOn: 0.4,
  pOff: 0.6,
  /** Scale-2^4 modulus (mV units of the transform) below which no T/P is reported. */
  tMin: 0.02,
  pMin: 0.012,
};

export function ecgDelineate(ecg: Ecg, opts: DelineateOptions = {}): Delineation {
  const names = opts.leads ?? ecg.leads;
  const leads: Lead[] = [];
  const nIn = ecg.nSamples;
  const nInt = Math.round((nIn * FS) / ecg.fs);
  for (const name of names) {
    const li = ecg.leads.indexOf(name);
    if (li < 0) continue;
    const raw = ecg.signal.subarray(li * nIn, (li + 1) * nIn);
    const bridged = bridgeGaps(raw);
    if (bridged.empty) continue;
    if (bridged.missing) {
      let miss = 0;
      for (const m of bridged.missing) miss += m;
      if (miss > 0.5 * nIn) continue;
    }
    const x = ecg.fs === FS ? bridged.filled : Float64Array.from(resample(bridged.filled, ecg.fs, FS));
    if (x.length < ms(600)) continue;
    const w = waveletTransform(x, 5);
    if (maxAbs(w[1]!) < 1e-4) continue; // flat line
    leads.push({ name, x, w });
  }
  const toFs = (i: number): number => Math.min(nIn - 1, Math.max(0, Math.round((i * ecg.fs) / FS)));
  const waves: WaveAnnotations = {};
  if (leads.length === 0) return { fs: ecg.fs, nSamples: nIn, rPeaks: [], waves: { '*': [] }, leads: [] };

  const centres = detectQrs(leads, nInt);
  const perLead: WaveInterval[][] = leads.map(() => []);
  const qrsPerBeat: (WaveInterval | null)[][] = centres.map(() => []);
  leads.forEach((lead, l) => {
    centres.forEach((c, b) => {
      const q = delineateQrs(lead, c);
      qrsPerBeat[b]!.push(q);
      if (q) perLead[l]!.push(q);
    });
  });
  // Fused QRS per beat anchors the P and T search windows of every lead.
  const beats: Beat[] = centres.map((c, b) => {
    const qs = qrsPerBeat[b]!.filter((q): q is WaveInterval => q !== null);
    const fused = qs.length > 0 ? fuseWaves([qs], 'QRS', { nLeads: 1 })[0] ?? null : null;
    if (fused && qs.length > 1) {
      fused.onset = Math.round(quantile(qs.map((q) => q.onset), 0.25));
      fused.offset = Math.round(quantile(qs.map((q) => q.offset), 0.75));
      fused.peak = Math.round(quantile(qs.map((q) => q.peak ?? c), 0.5));
    }
    return { centre: c, qrs: fused };
  });
  const rrs = beats.slice(1).map((b, i) => b.centre - beats[i]!.centre);
  const medRR = rrs.length > 0 ? quantile(rrs, 0.5) : ms(1000);

  leads.forEach((lead, l) => {
    beats.forEach((beat, b) => {
      if (!beat.qrs) return;
      const next = beats[b + 1]?.qrs ?? null;
      const prev = beats[b - 1]?.qrs ?? null;
      const rrNext = next ? beats[b + 1]!.centre - beat.centre : medRR;
      const t = delineateT(lead, beat.qrs, next, rrNext, nInt);
      if (t) perLead[l]!.push(t);
      const p = delineateP(lead, beat.qrs, prev, nInt);
      if (p) perLead[l]!.push(p);
    });
  });

  // Back to the record's rate.
  const scaled = perLead.map((ws) =>
    ws
      .map((w) => {
        const o: WaveInterval = { wave: w.wave, onset: toFs(w.onset), offset: toFs(w.offset) };
        if (w.peak !== undefined) o.peak = toFs(w.peak);
        return o;
      })
      .sort((a, b) => a.onset - b.onset),
  );
  leads.forEach((lead, l) => (waves[lead.name] = scaled[l]!));
  const nL = leads.length;
  const fused = [
    ...fuseWaves(scaled, 'QRS', { nLeads: nL, minFraction: 0.25 }),
    ...fuseWaves(scaled, 'P', { nLeads: nL, minFraction: 0.5 }),
    ...fuseWaves(scaled, 'T', { nLeads: nL, minFraction: 0.5 }),
  ].sort((a, b) => a.onset - b.onset);
  waves['*'] = fused;
  const rPeaks = beats.filter((b) => b.qrs).map((b) => toFs(b.qrs!.peak ?? b.centre));
  return { fs: ecg.fs, nSamples: nIn, rPeaks: [...new Set(rPeaks)].sort((a, b) => a - b), waves, leads: leads.map((l) => l.name) };
}

/**
 * Multi-lead QRS detection: each lead's |W(2^3)| is scaled by its 98th
 * percentile and clipped (so one lead's artefact or pacing spike cannot
 * dominate), the leads are averaged and integrated over 100 ms; beats are
 * the envelope's peaks above 30% of the typical beat height, 200 ms apart,
 * with Pan-Tompkins's T-wave rejection and a search-back at half the
 * threshold over gaps longer than 1.6 median RR.
 */
function detectQrs(leads: Lead[], n: number): number[] {
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
      if (prev && cd.i - prev.i < ms(360) && cd.h < 0.5 * prev.h) continue; // a T wave, not a beat
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
      const inGap = cands.filter((cd) => cd.i > a + ms(250) && cd.i < b - ms(250) && cd.h >= 0.15 * ref);
      for (const cd of accept(0.15 * ref, inGap)) added.push(cd);
    }
    if (added.length > 0) beats = [...beats, ...added].sort((x, y) => x.i - y.i);
  }
  // Envelope peaks lag the QRS by the integration window's skew; recentre on the raw average.
  return beats.map((b) => argMax(c, b.i - ms(60), b.i + ms(60)));
}

/** QRS of one lead around a detected beat, from the scale-2^2 modulus maxima. */
function delineateQrs(lead: Lead, centre: number): WaveInterval | null {
  const w = lead.w[1]!;
  const n = w.length;
  const lo = Math.max(1, centre - ms(150));
  const hi = Math.min(n - 2, centre + ms(150));
  const m0 = argMaxAbs(w, centre - ms(50), centre + ms(50));
  const M = Math.abs(w[m0]!);
  if (!(M > 1e-3)) return null;
  const maxima = modulusMaxima(w, lo, hi, P.qrsSignificant * M);
  // Chain outwards from the main maximum while significant maxima follow closely.
  let first = m0;
  let last = m0;
  for (let j = maxima.length - 1; j >= 0; j--) {
    const m = maxima[j]!;
    if (m < first && first - m <= P.qrsGap) first = m;
  }
  for (const m of maxima) if (m > last && m - last <= P.qrsGap) last = m;
  const onset = fadeBackward(w, first, P.qrsOn * Math.abs(w[first]!), lo);
  const offset = fadeForward(w, last, P.qrsOff * Math.abs(w[last]!), hi) + 1;
  const peak = mainDeflection(lead.x, onset, offset);
  return { wave: 'QRS', onset, peak, offset };
}

/** T wave of one lead after a fused QRS, from the scale-2^4 modulus maxima (2^5 when 2^4 shows none). */
function delineateT(lead: Lead, qrs: WaveInterval, next: WaveInterval | null, rr: number, n: number): WaveInterval | null {
  const start = qrs.offset + ms(40);
  let end = qrs.onset + Math.round(ms(620) * Math.sqrt(rr / FS));
  if (next) end = Math.min(end, next.onset - ms(80));
  end = Math.min(end, n - 2);
  if (end - start < ms(80)) return null;
  return monophasicWave(lead, 3, start, end, 'T', P.tMin, P.tOn, P.tOff);
}

/** P wave of one lead before a fused QRS; absent when the scale-2^4 modulus shows no wave above threshold. */
function delineateP(lead: Lead, qrs: WaveInterval, prev: WaveInterval | null, n: number): WaveInterval | null {
  let start = qrs.onset - ms(300);
  if (prev) start = Math.max(start, prev.offset + ms(200));
  const end = qrs.onset - ms(20);
  if (start < 1 || end - start < ms(60) || end > n - 2) return null;
  return monophasicWave(lead, 3, start, end, 'P', P.pMin, P.pOn, P.pOff);
}

/**
 * A P or T wave in [start, end]: the largest modulus maximum and the largest
 * opposite-signed maximum next to it (within 200 ms) bracket the wave's peak
 * (the zero crossing between them); onset and offset are where the modulus
 * fades below a fraction of the outer maxima.
 */
function monophasicWave(lead: Lead, level: number, start: number, end: number, kind: 'P' | 'T', minModulus: number, xiOn: number, xiOff: number): WaveInterval | null {
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
  if (m2 < 0 || Math.abs(w[m2]!) < 0.25 * Math.abs(w[m1]!)) return null;
  const a = Math.min(m1, m2);
  const b = Math.max(m1, m2);
  let peak = a;
  for (let i = a; i < b; i++) {
    if (Math.sign(w[i]!) !== Math.sign(w[i + 1]!)) {
      peak = i + 1;
      break;
    }
  }
  const onset = fadeBackward(w, a, xiOn * Math.abs(w[a]!), Math.max(1, start - ms(100)));
  const offset = fadeForward(w, b, xiOff * Math.abs(w[b]!), Math.min(w.length - 2, end + ms(100))) + 1;
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

/** Sample of largest |x - baseline| in [a, b], the baseline joining x[a] and x[b]. */
function mainDeflection(x: Float64Array, a: number, b: number): number {
  let best = a;
  let bestV = -1;
  const xa = x[a]!;
  const slope = b > a ? (x[b]! - xa) / (b - a) : 0;
  for (let i = a; i <= b; i++) {
    const v = Math.abs(x[i]! - (xa + slope * (i - a)));
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
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
