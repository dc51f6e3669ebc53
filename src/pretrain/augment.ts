/**
 * Augmentations that make the two views of a contrastive pair. Each works on
 * one record's signal (Float32Array, leads-major, mV) and draws its random
 * choices from the Rng it is given, so a seed fixes the view. Each returns a
 * new array (the input is left as is) plus what it chose, so tests can check
 * exactly what happened.
 */
import { OptionError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** One record's samples: `leads * samples` values, leads-major. */
export interface Signal {
  data: Float32Array;
  leads: number;
  samples: number;
}

/** A contiguous window of `length` samples per lead, at a uniformly random offset. */
export function randomCrop(x: Signal, length: number, rng: Rng): { signal: Signal; offset: number } {
  if (!Number.isInteger(length) || length < 1 || length > x.samples) throw new RangeError(`randomCrop: length ${length} must be in 1..${x.samples}`);
  const offset = rng.int(x.samples - length + 1);
  const data = new Float32Array(x.leads * length);
  for (let l = 0; l < x.leads; l++) data.set(x.data.subarray(l * x.samples + offset, l * x.samples + offset + length), l * length);
  return { signal: { data, leads: x.leads, samples: length }, offset };
}

/** Linear interpolation of each lead to `samples` samples (end points kept): stretches a crop back to the model's length. */
export function resizeLinear(x: Signal, samples: number): Signal {
  const data = new Float32Array(x.leads * samples);
  const scale = samples > 1 ? (x.samples - 1) / (samples - 1) : 0;
  for (let l = 0; l < x.leads; l++) {
    const src = l * x.samples;
    for (let t = 0; t < samples; t++) {
      const p = t * scale;
      const i = Math.min(Math.floor(p), x.samples - 1);
      const f = p - i;
      const a = x.data[src + i]!;
      const b = i + 1 < x.samples ? x.data[src + i + 1]! : a;
      data[l * samples + t] = a + f * (b - a);
    }
  }
  return { data, leads: x.leads, samples };
}

/** Every sample times one factor drawn uniformly in [lo, hi) (a device's gain error). */
export function amplitudeScale(x: Signal, range: readonly [number, number], rng: Rng): { signal: Signal; factor: number } {
  const factor = rng.range(range[0], range[1]);
  return { signal: { ...x, data: x.data.map((v) => v * factor) }, factor };
}

/** Independent N(0, sd^2) noise on every sample, mV. */
export function gaussianNoise(x: Signal, sd: number, rng: Rng): { signal: Signal } {
  const data = x.data.slice();
  for (let i = 0; i < data.length; i++) data[i]! += rng.normal(0, sd);
  return { signal: { ...x, data } };
}

/**
 * Baseline wander: a sinusoid of frequency uniform in [0.05, 0.5) Hz (breathing,
 * electrode drift) and random phase, amplitude uniform in [0, amplitudeMv),
 * the same on every lead.
 */
export function baselineWander(x: Signal, fs: number, amplitudeMv: number, rng: Rng): { signal: Signal; hz: number; amplitude: number } {
  const hz = rng.range(0.05, 0.5);
  const amplitude = rng.range(0, amplitudeMv);
  const phase = rng.range(0, 2 * Math.PI);
  const data = x.data.slice();
  for (let t = 0; t < x.samples; t++) {
    const w = amplitude * Math.sin((2 * Math.PI * hz * t) / fs + phase);
    for (let l = 0; l < x.leads; l++) data[l * x.samples + t]! += w;
  }
  return { signal: { ...x, data }, hz, amplitude };
}

/** Each lead set to zero with probability p (an unplugged electrode); at least one lead is always kept. */
export function leadDropout(x: Signal, p: number, rng: Rng): { signal: Signal; dropped: number[] } {
  let dropped: number[] = [];
  for (let l = 0; l < x.leads; l++) if (rng.uniform() < p) dropped.push(l);
  if (dropped.length === x.leads) {
    const keep = rng.int(x.leads);
    dropped = dropped.filter((l) => l !== keep);
  }
  const data = x.data.slice();
  for (const l of dropped) data.fill(0, l * x.samples, (l + 1) * x.samples);
  return { signal: { ...x, data }, dropped };
}

/**
 * Zeroes `segments` non-overlapping stretches of time (all leads) that
 * together cover round(fraction * samples) samples. `mask[t]` is 1 where
 * the signal was masked. Segments have near-equal lengths and random places.
 */
export function timeMask(x: Signal, fraction: number, rng: Rng, segments = 1): { signal: Signal; mask: Uint8Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`timeMask: fraction ${fraction} must be in [0, 1)`);
  const total = Math.round(fraction * x.samples);
  const k = Math.max(1, Math.min(segments, total));
  const lengths = Array.from({ length: k }, (_, i) => Math.floor(total / k) + (i < total % k ? 1 : 0));
  // Free samples distributed over the k + 1 gaps around the segments (stars and bars, uniform).
  const free = x.samples - total;
  const cuts = Array.from({ length: k }, () => rng.int(free + 1)).sort((a, b) => a - b);
  const mask = new Uint8Array(x.samples);
  let at = 0, prevCut = 0;
  for (let i = 0; i < k; i++) {
    at += cuts[i]! - prevCut;
    prevCut = cuts[i]!;
    mask.fill(1, at, at + lengths[i]!);
    at += lengths[i]!;
  }
  const data = x.data.slice();
  for (let l = 0; l < x.leads; l++) for (let t = 0; t < x.samples; t++) if (mask[t]) data[l * x.samples + t] = 0;
  return { signal: { ...x, data }, mask };
}

/** Strengths of the contrastive view augmentations; 0 (or 1 for cropFraction) turns one off. */
export interface AugmentOptions {
  /** Crop length as a fraction of the record, stretched back to the full length (default 0.8). */
  cropFraction: number;
  /** Amplitude factor range (default [0.8, 1.2]). */
  scale: [number, number];
  /** Gaussian noise sd, mV (default 0.02). */
  noiseMv: number;
  /** Baseline wander peak amplitude, mV (default 0.2). */
  wanderMv: number;
  /** Per-lead dropout probability (default 0.1). */
  leadDropout: number;
  /** Fraction of time masked (default 0.1, in 2 segments). */
  maskFraction: number;
}

export const DEFAULT_AUGMENT: Readonly<AugmentOptions> = { cropFraction: 0.8, scale: [0.8, 1.2], noiseMv: 0.02, wanderMv: 0.2, leadDropout: 0.1, maskFraction: 0.1 };

export function checkAugment(o: AugmentOptions): void {
  const bad = (k: string, what: string): never => {
    throw new OptionError(`augment.${k}`, what);
  };
  if (!(o.cropFraction > 0 && o.cropFraction <= 1)) bad('cropFraction', `expected a fraction in (0, 1], got ${o.cropFraction}`);
  if (!(o.scale[0] > 0 && o.scale[0] <= o.scale[1])) bad('scale', `expected 0 < lo <= hi, got ${o.scale.join(',')}`);
  if (!(o.noiseMv >= 0)) bad('noiseMv', `expected >= 0, got ${o.noiseMv}`);
  if (!(o.wanderMv >= 0)) bad('wanderMv', `expected >= 0, got ${o.wanderMv}`);
  if (!(o.leadDropout >= 0 && o.leadDropout < 1)) bad('leadDropout', `expected a probability in [0, 1), got ${o.leadDropout}`);
  if (!(o.maskFraction >= 0 && o.maskFraction < 1)) bad('maskFraction', `expected a fraction in [0, 1), got ${o.maskFraction}`);
}

/** One random view: crop (stretched back), scale, wander, noise, lead dropout, time mask, in that order. */
export function augmentView(x: Signal, fs: number, o: AugmentOptions, rng: Rng): Signal {
  let s = x;
  if (o.cropFraction < 1) {
    const len = Math.max(2, Math.round(o.cropFraction * x.samples));
    // The stretch changes the apparent heart rate by 1 / cropFraction at most: a mild, plausible change.
    s = resizeLinear(randomCrop(s, len, rng).signal, x.samples);
  }
  if (o.scale[0] !== 1 || o.scale[1] !== 1) s = amplitudeScale(s, o.scale, rng).signal;
  if (o.wanderMv > 0) s = baselineWander(s, fs, o.wanderMv, rng).signal;
  if (o.noiseMv > 0) s = gaussianNoise(s, o.noiseMv, rng).signal;
  if (o.leadDropout > 0) s = leadDropout(s, o.leadDropout, rng).signal;
  if (o.maskFraction > 0) s = timeMask(s, o.maskFraction, rng, 2).signal;
  return s;
}
