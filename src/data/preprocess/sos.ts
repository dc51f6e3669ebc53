/**
 * Running IIR filters stored as second-order sections (SOS), the numerically
 * stable form (a high-order direct-form polynomial loses its poles to rounding
 * at ECG cut-offs such as 0.5 Hz at 500 Hz). Arithmetic is float64 throughout;
 * results are returned as Float32Array like every ecgx signal.
 *
 * These are plain maths: a NaN sample propagates, as in scipy. The Ecg-level
 * functions (filter-ecg.ts) bridge missing samples first.
 */

/** One section in scipy's row layout `[b0, b1, b2, a0, a1, a2]`, normalised to a0 = 1. */
export type SosSection = readonly [b0: number, b1: number, b2: number, a0: number, a1: number, a2: number];

/** A cascade of second-order sections, applied first to last (scipy's `sos` array). */
export type Sos = readonly SosSection[];

/**
 * Filters `x` causally through the cascade (direct form II transposed, like
 * scipy.signal.sosfilt with zero initial state).
 */
export function sosfilt(sos: Sos, x: Float32Array | Float64Array): Float32Array {
  const y = Float64Array.from(x);
  filterInPlace(sos, y, null, 0);
  return Float32Array.from(y);
}

/**
 * Zero-phase filtering: forward then backward through the cascade, so the
 * magnitude response is squared and the phase is zero (an R peak stays where
 * it is). Follows scipy.signal.sosfiltfilt: the signal is extended at both ends
 * by `padlen` samples of odd extension (`2*x[0] - x[k]`), and each pass starts
 * from the steady state of a step of the extension's first value, which
 * suppresses the start-up transient of a signal with an offset.
 *
 * `padlen` defaults to scipy's `3 * (2 * sections + 1 - trivial)`; unlike
 * scipy, a signal shorter than that is not an error: padlen shrinks to
 * `length - 1`.
 */
export function sosfiltfilt(sos: Sos, x: Float32Array | Float64Array, opts: { padlen?: number } = {}): Float32Array {
  return Float32Array.from(sosfiltfilt64(sos, x, opts.padlen));
}

/** sosfiltfilt with a float64 result (for callers that keep float64). */
export function sosfiltfilt64(sos: Sos, x: ArrayLike<number>, padlen?: number): Float64Array {
  const n = x.length;
  if (n === 0) return new Float64Array(0);
  const pad = Math.max(0, Math.min(padlen ?? defaultPadlen(sos), n - 1));
  const m = n + 2 * pad;
  const ext = new Float64Array(m);
  const x0 = x[0]!;
  const xl = x[n - 1]!;
  for (let i = 0; i < pad; i++) ext[i] = 2 * x0 - x[pad - i]!;
  for (let i = 0; i < n; i++) ext[pad + i] = x[i]!;
  for (let i = 0; i < pad; i++) ext[pad + n + i] = 2 * xl - x[n - 2 - i]!;

  const zi = sosfiltZi(sos);
  filterInPlace(sos, ext, zi, ext[0]!, false);
  filterInPlace(sos, ext, zi, ext[m - 1]!, true);
  return ext.slice(pad, pad + n);
}

/**
 * Initial state of each section (rows of `[z0, z1]`) that is the steady state
 * of the cascade's response to a unit step (scipy.signal.sosfilt_zi). Each
 * section sees the DC gain of the sections before it.
 */
export function sosfiltZi(sos: Sos): Float64Array {
  const zi = new Float64Array(2 * sos.length);
  let level = 1;
  sos.forEach(([b0, b1, b2, , a1, a2], s) => {
    // Steady state of DF2T for a constant input u: y = g*u with g = sum(b)/sum(a),
    // z1 = (b2 - a2*g)*u and z0 = y - b0*u.
    const g = (b0 + b1 + b2) / (1 + a1 + a2);
    zi[2 * s] = (b1 + b2 - (a1 + a2) * g) * level;
    zi[2 * s + 1] = (b2 - a2 * g) * level;
    level *= g;
  });
  return zi;
}

/**
 * Complex response of the cascade at the given frequencies (Hz). `magnitude`
 * is |H| (linear, not dB); `phase` is arg H in radians, wrapped to (-pi, pi].
 */
export function frequencyResponse(sos: Sos, freqsHz: readonly number[], fs: number): { magnitude: number[]; phase: number[] } {
  const magnitude: number[] = [];
  const phase: number[] = [];
  for (const f of freqsHz) {
    const w = (2 * Math.PI * f) / fs;
    // z^-1 = e^{-jw}, z^-2 = e^{-2jw}
    const c1 = Math.cos(w), s1 = -Math.sin(w);
    const c2 = Math.cos(2 * w), s2 = -Math.sin(2 * w);
    let hr = 1, hi = 0;
    for (const [b0, b1, b2, a0, a1, a2] of sos) {
      const nr = b0 + b1 * c1 + b2 * c2, ni = b1 * s1 + b2 * s2;
      const dr = a0 + a1 * c1 + a2 * c2, di = a1 * s1 + a2 * s2;
      const d = dr * dr + di * di;
      const qr = (nr * dr + ni * di) / d, qi = (ni * dr - nr * di) / d;
      const tr = hr * qr - hi * qi;
      hi = hr * qi + hi * qr;
      hr = tr;
    }
    magnitude.push(Math.hypot(hr, hi));
    phase.push(Math.atan2(hi, hr));
  }
  return { magnitude, phase };
}

function defaultPadlen(sos: Sos): number {
  // scipy counts sections whose b2 (resp. a2) is exactly zero: first-order ones.
  const trivialB = sos.filter((s) => s[2] === 0).length;
  const trivialA = sos.filter((s) => s[5] === 0).length;
  return 3 * (2 * sos.length + 1 - Math.min(trivialB, trivialA));
}

/**
 * Runs the cascade over `y` in place, from the first sample to the last or
 * (`backward`) from the last to the first; initial state `zi` scaled by
 * `ziScale`, or zero.
 */
function filterInPlace(sos: Sos, y: Float64Array, zi: Float64Array | null, ziScale: number, backward = false): void {
  const n = y.length;
  const start = backward ? n - 1 : 0;
  const step = backward ? -1 : 1;
  for (let s = 0; s < sos.length; s++) {
    const [b0, b1, b2, a0, a1, a2] = sos[s]!;
    if (a0 !== 1) throw new RangeError(`sosfilt: section ${s} has a0 = ${a0}, expected 1`);
    let z0 = zi ? zi[2 * s]! * ziScale : 0;
    let z1 = zi ? zi[2 * s + 1]! * ziScale : 0;
    for (let k = 0, i = start; k < n; k++, i += step) {
      const xi = y[i]!;
      const yi = b0 * xi + z0;
      z0 = b1 * xi - a1 * yi + z1;
      z1 = b2 * xi - a2 * yi;
      y[i] = yi;
    }
  }
}
