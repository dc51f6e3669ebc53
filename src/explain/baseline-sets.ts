/**
 * Sets of reference ECGs for the Shapley-style gradient methods (DeepLIFT-SHAP,
 * GradientSHAP): expectations over a background distribution rather than one
 * baseline. 'zero' and 'mean' give one reference; 'noise' gives `count`
 * seeded references around each lead's mean (sd: NOISE_FRACTION of the ECG's
 * range), drawn from Rng(seed) per ECG so an ECG's set does not depend on its
 * batch; a FILE.npy (or an array) [K, leads, time] is one background set for
 * every ECG (e.g. K training ECGs, SHAP's usual choice).
 */
import { OptionError } from '../util/errors.js';
import { readNpy, type NdArray } from '../util/npy.js';
import { Rng } from '../util/rng.js';

/** Noise sd of the 'noise' references, as a fraction of the ECG's range (max - min over its leads). */
export const NOISE_FRACTION = 0.1;

export interface BaselineSet {
  /** References per ECG. */
  count: number;
  /** ECG b's reference k: [leads * time] values. */
  get(b: number, k: number): Float32Array;
  /** How the set was given, for run records. */
  label: string;
}

/** Text of the CLI: zero, mean, noise, or FILE.npy [K, leads, time]. */
export function baselineSetFromText(field: string) {
  return (text: string): unknown => {
    if (text === 'zero' || text === 'mean' || text === 'noise') return text;
    if (!text.endsWith('.npy')) throw new OptionError(field, `expected zero, mean, noise or a FILE.npy [K, leads, time], got '${text}'`);
    const a = readNpy(text);
    if (a.shape.length === 3 || a.shape.length === 2) return a;
    throw new OptionError(field, `${text} has shape [${a.shape.join(', ')}], expected [K, leads, time] (background ECGs)`);
  };
}

export function baselineSet(spec: unknown, x: NdArray, count: number, seed: number, field: string): BaselineSet {
  const [, leads, time] = x.shape as [number, number, number];
  const per = leads * time;
  const row = (b: number): Float32Array => x.data.subarray(b * per, (b + 1) * per);
  if (spec === undefined || spec === 'zero') {
    const z = new Float32Array(per);
    return { count: 1, get: () => z, label: 'zero' };
  }
  if (spec === 'mean') {
    const cache = new Map<number, Float32Array>();
    return {
      count: 1,
      label: 'mean',
      get(b) {
        let m = cache.get(b);
        if (!m) cache.set(b, (m = leadMeans(row(b), leads, time)));
        return m;
      },
    };
  }
  if (spec === 'noise') {
    const cache = new Map<number, Float32Array[]>();
    return {
      count,
      label: 'noise',
      get(b, k) {
        let set = cache.get(b);
        if (!set) {
          const r = row(b);
          const mean = leadMeans(r, leads, time);
          let lo = Infinity;
          let hi = -Infinity;
          for (const v of r) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
          const sd = NOISE_FRACTION * (hi - lo);
          const rng = new Rng(seed);
          set = Array.from({ length: count }, () => Float32Array.from(mean, (m) => m + sd * rng.normal()));
          cache.set(b, set);
        }
        return set[k]!;
      },
    };
  }
  const a = spec as Partial<NdArray>;
  if (a && a.data instanceof Float32Array && Array.isArray(a.shape)) {
    const shape = a.shape.length === 2 ? [1, ...a.shape] : a.shape;
    if (shape.length !== 3 || shape[1] !== leads || shape[2] !== time) {
      throw new OptionError(field, `background set has shape [${a.shape.join(', ')}], expected [K, ${leads}, ${time}]`);
    }
    const data = a.data;
    return { count: shape[0]!, get: (_b, k) => data.subarray(k * per, (k + 1) * per), label: `array [${shape.join(', ')}]` };
  }
  throw new OptionError(field, `expected zero, mean, noise or an array [K, leads, time], got ${JSON.stringify(spec)}`);
}

function leadMeans(r: Float32Array, leads: number, time: number): Float32Array {
  const out = new Float32Array(leads * time);
  for (let l = 0; l < leads; l++) {
    let s = 0;
    for (let t = 0; t < time; t++) s += r[l * time + t]!;
    out.fill(s / time, l * time, (l + 1) * time);
  }
  return out;
}
