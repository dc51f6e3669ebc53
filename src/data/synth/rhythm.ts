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

/**
 * Atrial fibrillation: no organised atrial activity, so the ventricles follow an
 * irregularly irregular rhythm (independent RR intervals, log-normal with ~18%
 * spread around the mean rate).
 */
export function makeAfibRhythm(hrBpm: number, respHz: number, startS: number, endS: number, rng: Rng): Rhythm {
  const rr0 = 60 / hrBpm;
  const respPhase = rng.range(0, 2 * Math.PI);
  const resp = (t: number): number => Math.sin(2 * Math.PI * respHz * t + respPhase);
  const rS: number[] = [], rrS: number[] = [];
  const draw = (): number => Math.min(2.0, Math.max(0.3, rr0 * Math.exp(rng.normal(-0.016, 0.18))));
  let prev = draw();
  for (let t = startS + rng.range(0, rr0); t < endS; ) {
    rS.push(t);
    rrS.push(prev);
    prev = draw();
    t += prev;
  }
  return { rS, rrS, resp };
}

/**
 * Fibrillatory (f) waves of atrial fibrillation, added to the independent leads:
 * two atrial dipoles (right atrium toward V1 and the inferior leads, left atrium
 * leftward-posterior) oscillating at 4-9 Hz with wandering frequency and
 * amplitude, `amplitudeMv` at the larger.
 */
export function addFibrillatoryWaves(indep: Float64Array, n: number, fs: number, amplitudeMv: number, leadVectors: readonly (readonly [number, number, number])[], rng: Rng): void {
  const sources = [
    { vec: [-0.25, 0.45, -0.86] as const, amp: amplitudeMv },
    { vec: [0.6, 0.2, 0.77] as const, amp: amplitudeMv * rng.range(0.3, 0.6) },
  ];
  for (const src of sources) {
    const f0 = rng.range(4.5, 8), wobbleHz = rng.range(0.05, 0.3), wobble = rng.range(0.3, 1.0), ph0 = rng.range(0, 2 * Math.PI);
    const amHz = rng.range(0.1, 0.5), amPh = rng.range(0, 2 * Math.PI);
    const proj = leadVectors.map((lv) => lv[0] * src.vec[0] + lv[1] * src.vec[1] + lv[2] * src.vec[2]);
    let phase = rng.range(0, 2 * Math.PI);
    for (let t = 0; t < n; t++) {
      const s = t / fs;
      phase += (2 * Math.PI * (f0 + wobble * Math.sin(2 * Math.PI * wobbleHz * s + ph0))) / fs;
      const v = src.amp * (1 + 0.35 * Math.sin(2 * Math.PI * amHz * s + amPh)) * Math.sin(phase);
      for (let r = 0; r < proj.length; r++) indep[r * n + t] += v * proj[r]!;
    }
  }
}
