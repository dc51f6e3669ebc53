import type { Ecg } from '../ecg.js';
import { OptionError } from '../../util/errors.js';
import { deriveEcg } from './derive.js';

export interface StandardizeOptions {
  /**
   * A lead whose standard deviation is below `minStd` (mV; default 1e-6, a
   * flat or disconnected lead) is only centred, not scaled, so that its noise
   * is not blown up to unit variance.
   */
  minStd?: number;
}

/**
 * Per-lead z-score over time: (x - mean) / std, population std. Missing
 * samples (non-finite) are left out of the statistics and stay NaN.
 */
export function standardize(ecg: Ecg, opts: StandardizeOptions = {}): Ecg {
  const minStd = opts.minStd ?? 1e-6;
  if (!(minStd >= 0)) throw new OptionError('minStd', `expected a standard deviation >= 0 mV, got ${minStd}`);
  const n = ecg.nSamples;
  const signal = new Float32Array(ecg.signal.length);
  for (let l = 0; l < ecg.leads.length; l++) {
    const x = ecg.signal.subarray(l * n, (l + 1) * n);
    // Two passes in float64: mean, then centred sum of squares (stable for offsets >> std).
    let count = 0, sum = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite(x[i]!)) (count++, (sum += x[i]!));
    const mean = count > 0 ? sum / count : 0;
    let ss = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite(x[i]!)) ss += (x[i]! - mean) ** 2;
    const std = count > 0 ? Math.sqrt(ss / count) : 0;
    const scale = std >= minStd && std > 0 ? 1 / std : 1;
    const y = signal.subarray(l * n, (l + 1) * n);
    for (let i = 0; i < n; i++) y[i] = Number.isFinite(x[i]!) ? (x[i]! - mean) * scale : NaN;
  }
  return deriveEcg(ecg, { signal });
}
