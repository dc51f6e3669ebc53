/**
 * Zero-phase filtering of whole ECGs: baseline-wander removal (high-pass),
 * band-pass and power-line notch. Every lead goes through sosfiltfilt after
 * its gaps are bridged (gaps.ts); NaN is put back where samples were missing.
 */
import type { Ecg } from '../ecg.js';
import { OptionError } from '../../util/errors.js';
import { deriveEcg } from './derive.js';
import { butterworth, notchFilter } from './design.js';
import { bridgeGaps, restoreGaps } from './gaps.js';
import { sosfiltfilt64, type Sos } from './sos.js';

/** Default Butterworth order of highpassEcg/bandpassEcg (band-pass: 2*order poles). */
export const DEFAULT_FILTER_ORDER = 2;
/** Default quality factor of notchEcg: -3 dB bandwidth f0/30 (1.7 Hz at 50 Hz). */
export const DEFAULT_NOTCH_Q = 30;

/** Applies `sos` forward and backward (zero phase) to every lead. */
export function filterEcg(ecg: Ecg, sos: Sos): Ecg {
  const n = ecg.nSamples;
  const signal = new Float32Array(ecg.signal.length);
  for (let l = 0; l < ecg.leads.length; l++) {
    const { filled, missing, empty } = bridgeGaps(ecg.signal.subarray(l * n, (l + 1) * n));
    const lead = signal.subarray(l * n, (l + 1) * n);
    if (empty) lead.fill(NaN);
    else lead.set(restoreGaps(Float32Array.from(sosfiltfilt64(sos, filled)), missing));
  }
  return deriveEcg(ecg, { signal });
}

/** Removes baseline wander: zero-phase Butterworth high-pass at `cutoffHz` (e.g. 0.5 Hz). */
export function highpassEcg(ecg: Ecg, cutoffHz: number, opts: { order?: number } = {}): Ecg {
  return filterEcg(ecg, butterworth(opts.order ?? DEFAULT_FILTER_ORDER, cutoffHz, ecg.fs, 'highpass'));
}

/** Zero-phase Butterworth band-pass `[lowHz, highHz]` (e.g. [0.5, 40]). */
export function bandpassEcg(ecg: Ecg, bandHz: readonly [number, number], opts: { order?: number } = {}): Ecg {
  if (!Array.isArray(bandHz) || bandHz.length !== 2) throw new OptionError('bandHz', `expected [low, high] in Hz, got ${String(bandHz)}`);
  return filterEcg(ecg, butterworth(opts.order ?? DEFAULT_FILTER_ORDER, bandHz, ecg.fs, 'bandpass'));
}

/** Removes power-line interference at `f0Hz` (50 or 60 Hz) with a zero-phase notch. */
export function notchEcg(ecg: Ecg, f0Hz: number, opts: { q?: number } = {}): Ecg {
  return filterEcg(ecg, notchFilter(f0Hz, opts.q ?? DEFAULT_NOTCH_Q, ecg.fs));
}
