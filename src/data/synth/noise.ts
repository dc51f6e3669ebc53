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
  // Shared over electrodes: respiration, the EMG burst envelope (one patient's muscles), the mains phase.
  const respAt = new Float64Array(n), env = new Float64Array(n), plSin = new Float64Array(n), plCos = new Float64Array(n);
  const burstHz = rng.range(0.1, 0.5), burstPhase = rng.range(0, 2 * Math.PI), burstDepth = rng.range(0, 2);
  const plOn = levels.powerlineHz < 0.45 * fs;
  const w = (2 * Math.PI * levels.powerlineHz) / fs;
  for (let t = 0; t < n; t++) {
    respAt[t] = resp(t / fs);
    env[t] = 1 + burstDepth * Math.max(0, Math.sin((2 * Math.PI * burstHz * t) / fs + burstPhase)) ** 4;
    if (plOn) { plSin[t] = Math.sin(w * t); plCos[t] = Math.cos(w * t); }
  }
  const plPhase = rng.range(0, 2 * Math.PI);
  for (let k = 0; k < E; k++) {
    const row = e.subarray(k * n, (k + 1) * n);
    const respAmp = levels.baselineMv * rng.range(0.1, 0.6);
    for (let t = 0; t < n; t++) row[t] = respAmp * respAt[t]!;
    for (let d = 0; d < 3; d++) addSinusoid(row, (2 * Math.PI * rng.range(0.03, 0.3)) / fs, rng.range(0, 2 * Math.PI), levels.baselineMv * rng.range(0.1, 0.5));
    const emg = levels.emgMv * rng.range(0.5, 1.5);
    if (emg > 0) for (let t = 0; t < n; t++) row[t] += emg * env[t]! * rng.normal();
    const pl = levels.powerlineMv * rng.range(0, 1), ph = plPhase + rng.normal(0, 0.2);
    if (plOn && pl > 0) {
      const a = pl * Math.cos(ph), b = pl * Math.sin(ph);
      for (let t = 0; t < n; t++) row[t] += a * plSin[t]! + b * plCos[t]!;
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

/** row[t] += amp * sin(w t + phase), by a rotation recurrence (no sin per sample). */
function addSinusoid(row: Float64Array, w: number, phase: number, amp: number): void {
  const cw = Math.cos(w), sw = Math.sin(w);
  let s = Math.sin(phase), c = Math.cos(phase);
  for (let t = 0; t < row.length; t++) {
    row[t] += amp * s;
    const s2 = s * cw + c * sw;
    c = c * cw - s * sw;
    s = s2;
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
