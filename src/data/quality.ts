import type { Ecg } from './ecg.js';

/**
 * Records shorter than this hold less than a heartbeat at any plausible rate
 * (30-300 bpm is 0.2-2 s per beat; 1 s catches the clearly useless ones).
 */
export const MIN_DURATION_S = 1;
/** Fewer samples than this are no waveform at any sampling rate. */
export const MIN_SAMPLES = 10;
/**
 * Peak-to-peak ranges of all leads closer than this (relative) count as
 * "exactly the same": float32 rounding of a rescaled record is about 1e-7,
 * while real leads differ by far more than 0.01 %.
 */
const EQUAL_RANGE_TOLERANCE = 1e-4;

/**
 * One-line warnings about an ECG that reads but should not be analysed as if
 * it were an ordinary recording: all samples missing, every lead flat, too
 * short, or every lead spanning exactly the same physical range (LUDB as
 * distributed scales each lead to 1.000 mV peak to peak, and a record clipped
 * at the ADC's limits looks the same: millivolt axes and voltage criteria do
 * not apply). Empty for an ordinary record. Messages do not name the record;
 * callers add what identifies it.
 */
export function ecgQualityWarnings(ecg: Ecg): string[] {
  const n = ecg.nSamples;
  const ranges: number[] = []; // per lead with any finite sample
  for (let l = 0; l < ecg.leads.length; l++) {
    let lo = Infinity;
    let hi = -Infinity;
    const x = ecg.signal.subarray(l * n, (l + 1) * n);
    for (let t = 0; t < n; t++) {
      const v = x[t]!;
      if (v < lo) lo = v; // NaN compares false both ways: skipped
      if (v > hi) hi = v;
    }
    if (hi >= lo) ranges.push(hi - lo);
  }
  if (ranges.length === 0) return [`every sample is missing (NaN) in ${ecg.leads.length} lead(s) x ${n} samples: there is no signal to analyse`];
  const out: string[] = [];
  if (n >= 2 && ranges.every((r) => r === 0)) out.push(`every lead is flat (constant over all ${n} samples): there is no ECG signal`);
  const seconds = n / ecg.fs;
  if (n < MIN_SAMPLES || seconds < MIN_DURATION_S) {
    out.push(`only ${n} sample(s) (${+seconds.toPrecision(3)} s at ${ecg.fs} Hz): too short for ECG analysis (expected at least ${MIN_DURATION_S} s and ${MIN_SAMPLES} samples)`);
  }
  if (ranges.length >= 2 && ranges.every((r) => r > 0)) {
    const lo = Math.min(...ranges);
    const hi = Math.max(...ranges);
    if ((hi - lo) / hi <= EQUAL_RANGE_TOLERANCE) {
      out.push(
        `every lead spans exactly ${+lo.toPrecision(4)} mV peak to peak: the amplitudes look normalized (as LUDB's are, as distributed) or clipped, so millivolt axes and voltage criteria do not apply`,
      );
    }
  }
  return out;
}
