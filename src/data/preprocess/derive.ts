/** Building a new Ecg from an old one without touching the old one. */
import type { Ecg, WaveAnnotations, WaveInterval } from '../ecg.js';

/**
 * A new Ecg with the given fields replaced; meta is copied (shallow), waves
 * are copied unless given.
 */
export function deriveEcg(
  ecg: Ecg,
  changes: { signal: Float32Array; fs?: number; leads?: string[]; waves?: WaveAnnotations | undefined },
): Ecg {
  const leads = changes.leads ?? [...ecg.leads];
  const nSamples = leads.length > 0 ? changes.signal.length / leads.length : 0;
  if (!Number.isInteger(nSamples)) throw new RangeError(`deriveEcg: signal length ${changes.signal.length} is not a multiple of ${leads.length} leads`);
  const out: Ecg = { signal: changes.signal, fs: changes.fs ?? ecg.fs, nSamples, leads, meta: { ...ecg.meta } };
  const waves = 'waves' in changes ? changes.waves : ecg.waves && mapWaves(ecg.waves, (s) => s, nSamples);
  if (waves) out.waves = waves;
  return out;
}

/**
 * Moves every wave boundary through `map` (old sample -> new sample, rounded),
 * then keeps the waves that still overlap [0, nSamples): boundaries are
 * clamped into the record and a peak that fell outside it is dropped.
 */
export function mapWaves(waves: WaveAnnotations, map: (sample: number) => number, nSamples: number): WaveAnnotations {
  const out: WaveAnnotations = {};
  for (const [key, list] of Object.entries(waves)) {
    const kept: WaveInterval[] = [];
    for (const w of list) {
      const onset = Math.round(map(w.onset));
      const offset = Math.round(map(w.offset));
      if (offset < 0 || onset > nSamples - 1) continue;
      const moved: WaveInterval = { wave: w.wave, onset: Math.max(0, onset), offset: Math.min(nSamples - 1, offset) };
      if (w.peak !== undefined) {
        const peak = Math.round(map(w.peak));
        if (peak >= 0 && peak <= nSamples - 1) moved.peak = peak;
      }
      kept.push(moved);
    }
    out[key] = kept;
  }
  return out;
}
