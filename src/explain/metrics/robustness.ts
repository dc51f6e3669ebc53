/**
 * captum's two perturbation metrics, so ecgx numbers compare with captum
 * users' (captum.metrics.infidelity and sensitivity_max, same defaults):
 *
 * - infidelity (Yeh et al. 2019): E_I[(I · φ - (F(x) - F(x - I)))^2] over
 *   `samples` perturbations I ~ N(0, sigma^2) per sample; 'normalized' also
 *   reports it with φ scaled by the least-squares β = E[I·φ Δ] / E[(I·φ)^2]
 *   (captum's normalize=True), which makes methods of different scales
 *   comparable. A time-only map [1, time] applies to every lead.
 * - max-sensitivity: max over `samples` perturbations δ ~ U(-radius, radius)
 *   of ||φ(x + δ) - φ(x)|| / ||φ(x)|| (Frobenius norms), the explainer re-run
 *   on each perturbed ECG for the same target and seed.
 *
 * Each ECG's perturbations come from Rng(seed) restarted for it.
 */
import type { NdArray } from '../../util/npy.js';
import { Rng } from '../../util/rng.js';
import type { ExplainModel } from '../model.js';

export interface InfidelityOptions {
  samples?: number;
  /** Perturbation sd, input units (captum's examples: 0.003; default 0.01). */
  sigma?: number;
  seed?: number;
  batchSize?: number;
}

export interface InfidelityResult {
  /** Per model input. */
  infidelity: number[];
  normalized: number[];
}

export async function infidelity(model: ExplainModel, x: NdArray, attr: NdArray, target: readonly number[], o: InfidelityOptions = {}): Promise<InfidelityResult> {
  const [n, leads, time] = x.shape as [number, number, number];
  const rows = attr.shape[1]!;
  const per = leads * time;
  const S = o.samples ?? 10;
  const sigma = o.sigma ?? 0.01;
  const batch = o.batchSize ?? 64;
  const K = model.width;
  const fx = await model.scores(x, batch);
  const dots: number[][] = [];
  const diffs: number[][] = [];
  // Rows (ECG b, sample s) in chunks: the perturbations of one chunk, then one model call.
  const total = n * S;
  let rng = new Rng(o.seed ?? 0);
  for (let start = 0; start < total; start += batch) {
    const count = Math.min(batch, total - start);
    const xp = new Float32Array(count * per);
    const dot = new Float64Array(count);
    for (let r = 0; r < count; r++) {
      const b = Math.floor((start + r) / S);
      if ((start + r) % S === 0) rng = new Rng(o.seed ?? 0);
      const a = attr.data.subarray(b * rows * time, (b + 1) * rows * time);
      let d = 0;
      for (let i = 0; i < per; i++) {
        const noise = sigma * rng.normal();
        xp[r * per + i] = x.data[b * per + i]! - noise;
        d += noise * a[rows === 1 ? i % time : i]!;
      }
      dot[r] = d;
    }
    const fp = await model.scores({ data: xp, shape: [count, leads, time] }, batch);
    for (let r = 0; r < count; r++) {
      const b = Math.floor((start + r) / S);
      const k = target[b]!;
      (dots[b] ??= []).push(dot[r]!);
      (diffs[b] ??= []).push(fx.data[b * K + k]! - fp.data[r * K + k]!);
    }
  }
  const infid: number[] = [];
  const normalized: number[] = [];
  for (let b = 0; b < n; b++) {
    const d = dots[b]!;
    const f = diffs[b]!;
    let num = 0;
    let den = 0;
    for (let s = 0; s < S; s++) {
      num += d[s]! * f[s]!;
      den += d[s]! * d[s]!;
    }
    const beta = den > 0 ? num / den : 0;
    infid.push(d.reduce((acc, v, s) => acc + (v - f[s]!) ** 2, 0) / S);
    normalized.push(d.reduce((acc, v, s) => acc + (beta * v - f[s]!) ** 2, 0) / S);
  }
  return { infidelity: infid, normalized };
}

export interface SensitivityOptions {
  samples?: number;
  /** Half-width of the uniform perturbation, input units (captum: 0.02). */
  radius?: number;
  seed?: number;
}

/** Max-sensitivity per ECG; `explain` re-runs the method on a perturbed batch (same target per ECG, same seed). */
export async function maxSensitivity(explain: (x: NdArray) => Promise<NdArray>, x: NdArray, attr: NdArray, o: SensitivityOptions = {}): Promise<number[]> {
  const [n, leads, time] = x.shape as [number, number, number];
  const per = leads * time;
  const S = o.samples ?? 10;
  const radius = o.radius ?? 0.02;
  const aPer = attr.data.length / n;
  const rngs = Array.from({ length: n }, () => new Rng(o.seed ?? 0));
  const best = new Array<number>(n).fill(0);
  for (let s = 0; s < S; s++) {
    // One perturbation of every ECG per call, so each ECG's perturbations follow its own stream.
    const xp = new Float32Array(n * per);
    for (let b = 0; b < n; b++) for (let i = 0; i < per; i++) xp[b * per + i] = x.data[b * per + i]! + rngs[b]!.range(-radius, radius);
    const ap = await explain({ data: xp, shape: [n, leads, time] });
    for (let b = 0; b < n; b++) {
      let num = 0;
      let den = 0;
      for (let i = 0; i < aPer; i++) {
        const v = attr.data[b * aPer + i]!;
        num += (ap.data[b * aPer + i]! - v) ** 2;
        den += v * v;
      }
      const sens = den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
      best[b] = Math.max(best[b]!, sens);
    }
  }
  return best;
}
