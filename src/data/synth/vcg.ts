/**
 * The cardiac dipole and its projection onto the 12 leads.
 *
 * Heart activity is a time-varying 3D dipole in Frank's coordinates
 * (x: to the patient's left, y: to the feet, z: to the back), in mV. The eight
 * independent leads (I, II, V1-V6) are linear projections of the dipole with
 * Dower's inverse transform (Dower et al., J Electrocardiol 1988), as in the
 * vectorcardiographic extension of McSharry's model by Sayadi, Shamsollahi &
 * Clifford (2010). The four other limb leads follow exactly from I and II
 * (Einthoven, Goldberger), so they are derived, never projected.
 */
import { STANDARD_LEADS } from '../leads.js';

/** A dipole or direction in Frank's XYZ space (mV for dipoles, unitless for directions). */
export type Vec3 = readonly [number, number, number];

/** Independent leads, in the order of `DOWER_ROWS`. */
export const INDEPENDENT_LEADS = ['I', 'II', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const;

/** Dower's transform, rows for I, II, V1..V6 (lead = row · [x, y, z]). */
const DOWER_ROWS: readonly Vec3[] = [
  [0.632, -0.235, 0.059],
  [0.235, 1.066, -0.132],
  [-0.515, 0.157, -0.917],
  [0.044, 0.164, -1.387],
  [0.882, 0.098, -1.277],
  [1.213, 0.127, -0.601],
  [1.125, 0.127, -0.086],
  [0.831, 0.076, 0.23],
];

/** Lead vectors of all 12 standard leads, in STANDARD_LEADS order (limb leads by Einthoven/Goldberger). */
export const LEAD_VECTORS: readonly Vec3[] = (() => {
  const [i, ii, ...v] = DOWER_ROWS as [Vec3, Vec3, ...Vec3[]];
  const comb = (a: number, b: number): Vec3 => [a * i[0] + b * ii[0], a * i[1] + b * ii[1], a * i[2] + b * ii[2]];
  return [i, ii, comb(-1, 1), comb(-0.5, -0.5), comb(1, -0.5), comb(-0.5, 1), ...v];
})();

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
export function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}
export function scale(a: Vec3, k: number): Vec3 {
  return [a[0] * k, a[1] * k, a[2] * k];
}
export function norm(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}
export function unit(a: Vec3): Vec3 {
  return scale(a, 1 / norm(a));
}

/** Rotation in the frontal plane (about z) by `deg` degrees; positive turns +x toward +y (clockwise as seen from the front, i.e. rightward axis shift). */
export function rotateFrontal(a: Vec3, deg: number): Vec3 {
  const r = (deg * Math.PI) / 180, c = Math.cos(r), s = Math.sin(r);
  return [c * a[0] - s * a[1], s * a[0] + c * a[1], a[2]];
}

/** Rotation in the horizontal plane (about y) by `deg` degrees; positive turns +x (left) toward -z (anterior). */
export function rotateHorizontal(a: Vec3, deg: number): Vec3 {
  const r = (deg * Math.PI) / 180, c = Math.cos(r), s = Math.sin(r);
  return [c * a[0] + s * a[2], a[1], -s * a[0] + c * a[2]];
}

/** Mean direction of a set of leads: the dipole direction that deflects them most together. */
export function leadsDirection(leads: readonly string[]): Vec3 {
  let acc: Vec3 = [0, 0, 0];
  for (const name of leads) {
    const k = (STANDARD_LEADS as readonly string[]).indexOf(name);
    if (k < 0) throw new RangeError(`leadsDirection: unknown lead ${name}`);
    acc = add(acc, LEAD_VECTORS[k]!);
  }
  return unit(acc);
}

/** Projection of a dipole onto the 12 leads (mV), STANDARD_LEADS order. */
export function project12(d: Vec3): Float64Array {
  const out = new Float64Array(12);
  for (let k = 0; k < 12; k++) out[k] = dot(LEAD_VECTORS[k]!, d);
  return out;
}

/**
 * Builds the 12-lead signal from the 8 independent leads (rows I, II, V1..V6 of
 * `indep`, each `n` samples): III = II - I, aVR = -(I + II)/2,
 * aVL = I - II/2, aVF = II - I/2. Computed in float64, rounded once to float32.
 */
export function deriveTwelveLeads(indep: Float64Array, n: number): Float32Array {
  const out = new Float32Array(12 * n);
  for (let t = 0; t < n; t++) {
    const i = indep[t]!, ii = indep[n + t]!;
    out[t] = i;
    out[n + t] = ii;
    out[2 * n + t] = ii - i;
    out[3 * n + t] = -(i + ii) / 2;
    out[4 * n + t] = i - ii / 2;
    out[5 * n + t] = ii - i / 2;
  }
  out.set(indep.subarray(2 * n, 8 * n), 6 * n);
  return out;
}
