/**
 * Sinus rhythm: R-peak times from an RR tachogram with heart-rate variability
 * in two bands, as in McSharry et al. (2003): a Mayer-wave (LF, ~0.1 Hz) and a
 * respiratory (HF) component, the latter being respiratory sinus arrhythmia
 * (RR shortens during inspiration), plus beat-to-beat jitter.
 */
import type { Rng } from '../../util/rng.js';

export interface RhythmSpec {
  /** Mean heart rate, beats/min. */
  hrBpm: number;
  /** Standard deviation of RR intervals, s. */
  sdnnS: number;
  /** LF/HF power ratio. */
  lfHf: number;
  /** Breathing rate, Hz. */
  respHz: number;
}

export interface Rhythm {
  /** R-peak times, s (may start before 0 and end after the record, so edge waves are complete). */
  rS: number[];
  /** RR interval preceding each R peak, s. */
  rrS: number[];
  /** Respiration phase signal in [-1, 1] at time t (s); +1 = full inspiration. */
  resp(tS: number): number;
}

export function makeRhythm(spec: RhythmSpec, startS: number, endS: number, rng: Rng): Rhythm {
  const rr0 = 60 / spec.hrBpm;
  const lfHz = rng.range(0.08, 0.12);
  const respPhase = rng.range(0, 2 * Math.PI);
  const lfPhase = rng.range(0, 2 * Math.PI);
  // 85% of the RR variance in the two bands (split by LF/HF), 15% beat-to-beat jitter.
  const bandVar = 0.85 * spec.sdnnS ** 2;
  const aHf = Math.sqrt((2 * bandVar) / (1 + spec.lfHf));
  const aLf = Math.sqrt(spec.lfHf) * aHf;
  const jitter = Math.sqrt(0.15) * spec.sdnnS;
  const resp = (t: number): number => Math.sin(2 * Math.PI * spec.respHz * t + respPhase);
  const rrAt = (t: number): number => {
    const v = rr0 - aHf * resp(t) + aLf * Math.sin(2 * Math.PI * lfHz * t + lfPhase) + rng.normal(0, jitter);
    return Math.min(2.0, Math.max(0.3, v, 0.6 * rr0));
  };
  const rS: number[] = [], rrS: number[] = [];
  let t = startS + rng.range(0, rr0);
  let prev = rrAt(t - rr0);
  while (t < endS) {
    rS.push(t);
    rrS.push(prev);
    prev = rrAt(t);
    t += prev;
  }
  return { rS, rrS, resp };
}
