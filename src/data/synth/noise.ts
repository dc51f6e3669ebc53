/**
 * Recording noise and the acquisition device. Noise is made per electrode
 * (RA, LA, LL, C1..C6) and turned into lead noise the way real leads see it
 * (I = LA - RA, II = LL - RA, Vi = Ci - Wilson's terminal), so the derived limb
 * leads stay consistent. Baseline wander follows respiration plus slow drift;
 * muscle (EMG) noise is bursty broadband noise; powerline interference is a
 * 50/60 Hz sinusoid whose amplitude differs between electrodes (impedance
 * mismatch). Frequencies above 0.45 fs are left out, as the anti-aliasing filter
 * of a device sampling at fs would remove them.
 */
import type { Rng } from '../../util/rng.js';

export interface NoiseLevels {
  /** Baseline wander amplitude per electrode, mV. */
  baselineMv: number;
  /** EMG standard deviation per electrode, mV. */
  emgMv: number;
  /** Powerline amplitude per electrode, mV. */
  powerlineMv: number;
  /** Mains frequency, Hz. */
  powerlineHz: 50 | 60;
}

/** Adds electrode noise to the 8 independent leads (I, II, V1..V6; `n` samples each). */
export function addElectrodeNoise(indep: Float64Array, n: number, fs: number, levels: NoiseLevels, resp: (tS: number) => number, rng: Rng): void {
  if (levels.baselineMv <= 0 && levels.emgMv <= 0 && levels.powerlineMv <= 0) return;
  const E = 9; // RA, LA, LL, C1..C6
  const e = new Float64Array(E * n);
  const burstHz = rng.range(0.1, 0.5), burstPhase = rng.range(0, 2 * Math.PI), burstDepth = rng.range(0, 2);
  const plPhase = rng.range(0, 2 * Math.PI);
  const plOn = levels.powerlineHz < 0.45 * fs;
  for (let k = 0; k < E; k++) {
    const respAmp = levels.baselineMv * rng.range(0.1, 0.6);
    const drift = [0, 1, 2].map(() => ({ f: rng.range(0.03, 0.3), p: rng.range(0, 2 * Math.PI), a: levels.baselineMv * rng.range(0.1, 0.5) }));
    const emg = levels.emgMv * rng.range(0.5, 1.5);
    const pl = plOn ? levels.powerlineMv * rng.range(0, 1) : 0;
    const plP = plPhase + rng.normal(0, 0.2);
    const row = e.subarray(k * n, (k + 1) * n);
    for (let t = 0; t < n; t++) {
      const s = t / fs;
      let v = respAmp * resp(s);
      for (const d of drift) v += d.a * Math.sin(2 * Math.PI * d.f * s + d.p);
      if (emg > 0) {
        const env = 1 + burstDepth * Math.max(0, Math.sin(2 * Math.PI * burstHz * s + burstPhase)) ** 4;
        v += emg * env * rng.normal();
      }
      if (pl > 0) v += pl * Math.sin(2 * Math.PI * levels.powerlineHz * s + plP);
      row[t] = v;
    }
  }
  for (let t = 0; t < n; t++) {
    const ra = e[t]!, la = e[n + t]!, ll = e[2 * n + t]!;
    const wct = (ra + la + ll) / 3;
    indep[t] += la - ra;
    indep[n + t] += ll - ra;
    for (let c = 0; c < 6; c++) indep[(2 + c) * n + t] += e[(3 + c) * n + t]! - wct;
  }
}

/**
 * The device's band limits as zero-phase filters on each of the `rows` rows:
 * a first-order high-pass at `highpassHz` and a second-order Butterworth
 * low-pass at `lowpassHz` (skipped when at or above 0.45 fs), each run forward
 * and backward. Linear, so derived leads stay consistent.
 */
export function applyDeviceFilters(x: Float64Array, rows: number, n: number, fs: number, highpassHz: number | null, lowpassHz: number | null): void {
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    if (highpassHz !== null && highpassHz > 0) {
      highpass1(row, fs, highpassHz);
      row.reverse();
      highpass1(row, fs, highpassHz);
      row.reverse();
    }
    if (lowpassHz !== null && lowpassHz < 0.45 * fs) {
      butter2Lowpass(row, fs, lowpassHz);
      row.reverse();
      butter2Lowpass(row, fs, lowpassHz);
      row.reverse();
    }
  }
}

function highpass1(x: Float64Array, fs: number, fc: number): void {
  const a = 1 / (1 + (2 * Math.PI * fc) / fs);
  let prevX = x[0]!, prevY = 0;
  for (let t = 0; t < x.length; t++) {
    const xt = x[t]!;
    const y = a * (prevY + xt - prevX);
    prevX = xt;
    prevY = y;
    x[t] = y;
  }
}

function butter2Lowpass(x: Float64Array, fs: number, fc: number): void {
  // Bilinear-transform biquad (RBJ cookbook form, Q = 1/sqrt(2)); state starts at the first sample's steady state.
  const w = (2 * Math.PI * fc) / fs;
  const alpha = Math.sin(w) / Math.SQRT2, cw = Math.cos(w);
  const a0 = 1 + alpha;
  const b0 = (1 - cw) / 2 / a0, b1 = (1 - cw) / a0, b2 = b0, a1 = (-2 * cw) / a0, a2 = (1 - alpha) / a0;
  let x1 = x[0]!, x2 = x[0]!, y1 = x[0]!, y2 = x[0]!;
  for (let t = 0; t < x.length; t++) {
    const xt = x[t]!;
    const y = b0 * xt + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1; x1 = xt; y2 = y1; y1 = y;
    x[t] = y;
  }
}
