/**
 * Recording noise of one kind at a stated signal-to-noise ratio, added to any
 * ECG (synthetic or real), for stability tests of explanations. The noise is
 * made per electrode (RA, LA, LL, C1..C6) as the generator's noise models make
 * it (noise.ts) and seen through the leads as real leads see it (I = LA - RA,
 * II = LL - RA, Vi = Ci - Wilson's terminal; III, aVR, aVL, aVF derived), so a
 * 12-lead record stays consistent; a record with other leads gets independent
 * noise per lead.
 *
 * Kinds (after the MIT-BIH Noise Stress Test's 'bw', 'ma' and 'em'):
 * - baseline: respiration (0.15-0.35 Hz) plus slow drift (0.03-0.3 Hz);
 * - emg: muscle noise, white Gaussian in bursts (one envelope for the patient);
 * - powerline: 50 Hz mains with unequal electrode amplitudes; at rates that
 *   cannot hold 50 Hz (fs < 112 Hz) 60 Hz mains, as it aliases when sampled
 *   without an anti-aliasing filter (40 Hz at 100 Hz);
 * - motion: electrode motion, steps with exponential recovery (0.1-0.6 s)
 *   and a damped 1-6 Hz ringing, about 0.4 events/s in 1-3 electrodes.
 *
 * SNR = 10 log10(P_signal / P_noise), powers as mean squares over all leads
 * and samples, the signal's per-lead mean removed first.
 */
import { deriveEcg } from '../preprocess/derive.js';
import type { Ecg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';

export const NOISE_TYPES = ['baseline', 'emg', 'powerline', 'motion'] as const;
export type NoiseType = (typeof NOISE_TYPES)[number];

export interface NoiseSpec {
  type: NoiseType;
  snrDb: number;
}

/** Short names accepted in 'TYPE:SNR' lists. */
const ALIASES: Record<string, NoiseType> = { bw: 'baseline', baseline: 'baseline', emg: 'emg', ma: 'emg', pl: 'powerline', powerline: 'powerline', em: 'motion', motion: 'motion' };

/** Parses 'baseline:6,emg:12,...' (aliases bw, ma/emg, pl, em). */
export function parseNoiseList(text: string, field = '--noise'): NoiseSpec[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const [name, snr] = item.split(':');
    const type = ALIASES[(name ?? '').trim().toLowerCase()];
    const snrDb = Number(snr);
    if (!type || snr === undefined || snr.trim() === '' || !Number.isFinite(snrDb) || snrDb < -20 || snrDb > 60) {
      throw new OptionError(field, `expected TYPE:SNR_DB items (TYPE ${NOISE_TYPES.join('|')} or bw|ma|pl|em, SNR -20..60 dB), got '${item}'`);
    }
    return { type, snrDb };
  });
}

export function noiseLabel(s: NoiseSpec): string {
  return `${s.type} ${s.snrDb} dB`;
}

const E = 9; // RA, LA, LL, C1..C6

function addSin(row: Float64Array, hz: number, fs: number, phase: number, amp: number): void {
  const w = (2 * Math.PI * hz) / fs;
  for (let t = 0; t < row.length; t++) row[t] += amp * Math.sin(w * t + phase);
}

/** Unscaled noise of one kind per electrode (rows of n samples). */
function electrodeNoise(type: NoiseType, rows: number, n: number, fs: number, rng: Rng): Float64Array {
  const e = new Float64Array(rows * n);
  if (type === 'baseline') {
    const respHz = rng.range(0.15, 0.35), respPhase = rng.range(0, 2 * Math.PI);
    for (let k = 0; k < rows; k++) {
      const row = e.subarray(k * n, (k + 1) * n);
      addSin(row, respHz, fs, respPhase, rng.range(0.2, 1));
      for (let d = 0; d < 3; d++) addSin(row, rng.range(0.03, 0.3), fs, rng.range(0, 2 * Math.PI), rng.range(0.2, 1));
    }
  } else if (type === 'emg') {
    const burstHz = rng.range(0.1, 0.5), phase = rng.range(0, 2 * Math.PI), depth = rng.range(0.5, 2);
    const env = Float64Array.from({ length: n }, (_, t) => 1 + depth * Math.max(0, Math.sin((2 * Math.PI * burstHz * t) / fs + phase)) ** 4);
    for (let k = 0; k < rows; k++) {
      const amp = rng.range(0.5, 1.5);
      for (let t = 0; t < n; t++) e[k * n + t] = amp * env[t]! * rng.normal();
    }
  } else if (type === 'powerline') {
    const hz = 50 < 0.45 * fs ? 50 : 60;
    const phase = rng.range(0, 2 * Math.PI);
    for (let k = 0; k < rows; k++) addSin(e.subarray(k * n, (k + 1) * n), hz, fs, phase + rng.normal(0, 0.2), rng.range(0.1, 1));
  } else {
    const moving = new Set(rng.shuffle(Array.from({ length: rows }, (_, k) => k)).slice(0, 1 + rng.int(Math.min(3, rows))));
    for (const k of moving) {
      const row = e.subarray(k * n, (k + 1) * n);
      const events = Math.max(1, Math.round((0.4 * n) / fs * rng.range(0.6, 1.4)));
      for (let j = 0; j < events; j++) {
        const t0 = rng.int(n), amp = rng.normal(), tau = rng.range(0.1, 0.6) * fs, ring = rng.range(1, 6), ringAmp = rng.range(0.2, 0.8);
        for (let t = t0; t < n; t++) {
          const dt = t - t0, decay = Math.exp(-dt / tau);
          if (decay < 1e-4) break;
          row[t] += amp * decay * (1 + ringAmp * Math.sin((2 * Math.PI * ring * dt) / fs));
        }
      }
    }
  }
  return e;
}

/** Noise of one kind for an ECG's leads, [leads * n], unscaled. */
function leadNoise(ecg: Ecg, type: NoiseType, rng: Rng): Float64Array {
  const n = ecg.nSamples, L = ecg.leads.length;
  const out = new Float64Array(L * n);
  const standard = STANDARD_LEADS.every((l) => ecg.leads.includes(l));
  if (!standard) {
    out.set(electrodeNoise(type, L, n, ecg.fs, rng));
    return out;
  }
  const e = electrodeNoise(type, E, n, ecg.fs, rng);
  const at = (name: string): number => ecg.leads.indexOf(name);
  const [iI, iII, iIII, iAVR, iAVL, iAVF] = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF'].map(at) as number[];
  for (let t = 0; t < n; t++) {
    const ra = e[t]!, la = e[n + t]!, ll = e[2 * n + t]!;
    const i = la - ra, ii = ll - ra, wct = (ra + la + ll) / 3;
    out[iI! * n + t] = i;
    out[iII! * n + t] = ii;
    out[iIII! * n + t] = ii - i;
    out[iAVR! * n + t] = -(i + ii) / 2;
    out[iAVL! * n + t] = i - ii / 2;
    out[iAVF! * n + t] = ii - i / 2;
    for (let c = 0; c < 6; c++) out[at(`V${c + 1}`) * n + t] = e[(3 + c) * n + t]! - wct;
  }
  return out;
}

/** Mean-square power of the signal with each lead's mean removed (NaN samples left out). */
export function signalPower(ecg: Ecg): number {
  const n = ecg.nSamples;
  let ss = 0, count = 0;
  for (let l = 0; l < ecg.leads.length; l++) {
    let s = 0, c = 0;
    for (let t = 0; t < n; t++) {
      const v = ecg.signal[l * n + t]!;
      if (Number.isFinite(v)) (s += v, c++);
    }
    const m = c ? s / c : 0;
    for (let t = 0; t < n; t++) {
      const v = ecg.signal[l * n + t]!;
      if (Number.isFinite(v)) (ss += (v - m) ** 2, count++);
    }
  }
  return count ? ss / count : 0;
}

/** A copy of `ecg` with noise of `spec.type` at `spec.snrDb` (waves, evidence and meta kept). */
export function addEcgNoise(ecg: Ecg, spec: NoiseSpec, rng: Rng): Ecg {
  if (!NOISE_TYPES.includes(spec.type)) throw new OptionError('noise.type', `expected ${NOISE_TYPES.join('|')}, got '${spec.type}'`);
  if (!Number.isFinite(spec.snrDb)) throw new OptionError('noise.snrDb', `expected a number of dB, got ${spec.snrDb}`);
  const noise = leadNoise(ecg, spec.type, rng);
  let pn = 0;
  for (const v of noise) pn += v * v;
  pn /= noise.length;
  const ps = signalPower(ecg);
  const k = pn > 0 && ps > 0 ? Math.sqrt(ps / (pn * 10 ** (spec.snrDb / 10))) : 0;
  const signal = new Float32Array(ecg.signal.length);
  for (let i = 0; i < signal.length; i++) signal[i] = ecg.signal[i]! + k * noise[i]!;
  const out = deriveEcg(ecg, { signal });
  if (ecg.evidence) out.evidence = ecg.evidence;
  return out;
}
