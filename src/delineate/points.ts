import type { WaveInterval } from '../data/ecg.js';
import type { Delineation } from './delineate.js';

/** One beat of a delineation: its QRS with the P wave before it and the T wave after it, when found. */
export interface DelineatedBeat {
  p?: WaveInterval;
  qrs: WaveInterval;
  t?: WaveInterval;
}

/**
 * Groups one lead's waves (default the fused `'*'`) into beats: each QRS
 * with the P wave that ends before it (after the previous QRS) and the T
 * wave that starts after it (before the next QRS).
 */
export function delineationBeats(d: Delineation, lead = '*'): DelineatedBeat[] {
  const waves = d.waves[lead] ?? [];
  const qrs = waves.filter((w) => w.wave === 'QRS');
  return qrs.map((q, i) => {
    const prevOff = i > 0 ? qrs[i - 1]!.offset : -Infinity;
    const nextOn = i + 1 < qrs.length ? qrs[i + 1]!.onset : Infinity;
    const beat: DelineatedBeat = { qrs: q };
    const p = waves.find((w) => w.wave === 'P' && w.onset > prevOff && w.offset <= q.onset);
    const t = waves.find((w) => w.wave === 'T' && w.onset >= q.offset && w.offset < nextOn);
    if (p) beat.p = p;
    if (t) beat.t = t;
    return beat;
  });
}

/** neurokit2's names for the points of `ecg_delineate`, plus `ECG_R_Peaks`. */
export const NEUROKIT_POINTS = [
  'ECG_P_Onsets',
  'ECG_P_Peaks',
  'ECG_P_Offsets',
  'ECG_R_Onsets',
  'ECG_R_Peaks',
  'ECG_R_Offsets',
  'ECG_T_Onsets',
  'ECG_T_Peaks',
  'ECG_T_Offsets',
] as const;
export type NeurokitPoint = (typeof NEUROKIT_POINTS)[number];

/**
 * The delineation in neurokit2's layout: one array per point, one entry per
 * beat (aligned across arrays), sample indices at `d.fs`, NaN where the beat
 * has no such wave (no P in atrial fibrillation). `ECG_R_*` are the QRS
 * onset, peak and offset.
 */
export function delineationPoints(d: Delineation, lead = '*'): Record<NeurokitPoint, number[]> {
  const out = Object.fromEntries(NEUROKIT_POINTS.map((k) => [k, [] as number[]])) as Record<NeurokitPoint, number[]>;
  for (const b of delineationBeats(d, lead)) {
    out.ECG_P_Onsets.push(b.p?.onset ?? NaN);
    out.ECG_P_Peaks.push(b.p?.peak ?? NaN);
    out.ECG_P_Offsets.push(b.p?.offset ?? NaN);
    out.ECG_R_Onsets.push(b.qrs.onset);
    out.ECG_R_Peaks.push(b.qrs.peak ?? NaN);
    out.ECG_R_Offsets.push(b.qrs.offset);
    out.ECG_T_Onsets.push(b.t?.onset ?? NaN);
    out.ECG_T_Peaks.push(b.t?.peak ?? NaN);
    out.ECG_T_Offsets.push(b.t?.offset ?? NaN);
  }
  return out;
}
