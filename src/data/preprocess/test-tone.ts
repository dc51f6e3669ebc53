// Test helpers (not exported from the package): pure tones and their measured amplitude/phase.
import assert from 'node:assert/strict';
import { OptionError } from '../../util/errors.js';

/** amplitude * sin(2 pi f t + phase), t = i / fs. */
export function tone(n: number, fHz: number, fs: number, amplitude = 1, phase = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * fHz * i) / fs + phase));
}

/**
 * Least-squares fit of a sin(wt) + b cos(wt) + c over samples [from, to):
 * amplitude hypot(a, b) and phase atan2(b, a) relative to sin(2 pi f i / fs).
 */
export function measureTone(y: ArrayLike<number>, fHz: number, fs: number, from: number, to: number): { amplitude: number; phase: number } {
  // Normal equations of the 3-parameter fit (exact even for non-integer periods).
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const r = [0, 0, 0];
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * fHz * i) / fs;
    const v = [Math.sin(w), Math.cos(w), 1];
    for (let p = 0; p < 3; p++) {
      r[p]! += v[p]! * y[i]!;
      for (let q = 0; q < 3; q++) m[3 * p + q]! += v[p]! * v[q]!;
    }
  }
  const [a, b] = solve3(m, r);
  return { amplitude: Math.hypot(a, b), phase: Math.atan2(b, a) };
}

function solve3(m: number[], r: number[]): [number, number, number] {
  const det = (k: number[]): number =>
    k[0]! * (k[4]! * k[8]! - k[5]! * k[7]!) - k[1]! * (k[3]! * k[8]! - k[5]! * k[6]!) + k[2]! * (k[3]! * k[7]! - k[4]! * k[6]!);
  const d = det(m);
  const col = (c: number): number[] => m.map((v, i) => (i % 3 === c ? r[Math.floor(i / 3)]! : v));
  return [det(col(0)) / d, det(col(1)) / d, det(col(2)) / d];
}

/** An amplitude ratio in decibels. */
export const db = (amplitudeRatio: number): number => 20 * Math.log10(amplitudeRatio);

/** The `option` field of the OptionError that f throws; fails the test if f throws nothing or something else. */
export function optionOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof OptionError, String(e));
    return e.option;
  }
  assert.fail('expected an OptionError');
}
