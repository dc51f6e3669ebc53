import type { Ecg } from '../ecg.js';
import { deriveEcg, mapWaves } from './derive.js';
import { bridgeGaps } from './gaps.js';
import { resample, resampleRatio, type ResampleOptions } from './resample.js';

/**
 * Resamples every lead to `fsOut` Hz (see resample) and rescales the wave
 * annotations to samples at the new rate (rounded). Gaps are bridged before
 * and restored after: an output sample is NaN when either input sample around
 * its time was missing.
 */
export function resampleEcg(ecg: Ecg, fsOut: number, opts: ResampleOptions = {}): Ecg {
  const { up, down } = resampleRatio(ecg.fs, fsOut);
  const n = ecg.nSamples;
  const nOut = Math.round((n * up) / down);
  const signal = new Float32Array(ecg.leads.length * nOut);
  for (let l = 0; l < ecg.leads.length; l++) {
    const { filled, missing, empty } = bridgeGaps(ecg.signal.subarray(l * n, (l + 1) * n));
    const lead = signal.subarray(l * nOut, (l + 1) * nOut);
    if (empty) {
      lead.fill(NaN);
      continue;
    }
    lead.set(resample(filled, ecg.fs, fsOut, opts));
    if (!missing) continue;
    for (let j = 0; j < nOut; j++) {
      const t = (j * down) / up; // time of output j in input samples
      const i0 = Math.min(n - 1, Math.floor(t));
      const i1 = Math.min(n - 1, Math.ceil(t));
      if (missing[i0] || missing[i1]) lead[j] = NaN;
    }
  }
  const ratio = up / down;
  return deriveEcg(ecg, { signal, fs: fsOut, waves: ecg.waves && mapWaves(ecg.waves, (s) => s * ratio, nOut) });
}
