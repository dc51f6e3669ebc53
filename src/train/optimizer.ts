/**
 * AdamW (Loshchilov & Hutter 2019) as PyTorch's torch.optim.AdamW computes it:
 *   p <- p - lr * wd * p                      (decoupled decay; only where `decay`)
 *   m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * plus global-norm gradient clipping and learning-rate schedules.
 * Arithmetic is in float64 per element, stored back as float32.
 */
import { OptionError } from '../util/errors.js';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface OptimizerSlot {
  name: string;
  value: Float32Array;
  decay: boolean;
}

/** Optimizer state that resuming needs: step count and the two moment buffers per parameter. */
export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  step = 0;
  readonly m = new Map<string, Float32Array>();
  readonly v = new Map<string, Float32Array>();

  constructor(o: AdamWOptions = {}) {
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0.01;
  }

  /** One update of every slot in place, with gradients `grads[name]` and learning rate `lr`. */
  update(slots: readonly OptimizerSlot[], grads: Readonly<Record<string, Float32Array>>, lr: number): void {
    this.step++;
    const b1 = this.beta1, b2 = this.beta2;
    const c1 = 1 - b1 ** this.step, c2 = 1 - b2 ** this.step;
    for (const s of slots) {
      const g = grads[s.name];
      if (!g || g.length !== s.value.length) throw new RangeError(`AdamW: gradient of '${s.name}' missing or of the wrong size`);
      let m = this.m.get(s.name), v = this.v.get(s.name);
      if (!m) this.m.set(s.name, (m = new Float32Array(g.length)));
      if (!v) this.v.set(s.name, (v = new Float32Array(g.length)));
      const decay = s.decay ? 1 - lr * this.weightDecay : 1;
      const p = s.value;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        const mi = b1 * m[i]! + (1 - b1) * gi;
        const vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i]! * decay - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + this.eps);
      }
    }
  }

  state(): AdamWState {
    return { step: this.step, m: Object.fromEntries(this.m), v: Object.fromEntries(this.v) };
  }

  load(s: AdamWState): void {
    this.step = s.step;
    this.m.clear();
    this.v.clear();
    for (const [k, a] of Object.entries(s.m)) this.m.set(k, a);
    for (const [k, a] of Object.entries(s.v)) this.v.set(k, a);
  }
}

/** Scales the gradients in place so that their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(grads: Readonly<Record<string, Float32Array>>, maxNorm: number): number {
  let sq = 0;
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  if (Number.isFinite(maxNorm) && norm > maxNorm) {
    const f = maxNorm / (norm + 1e-6);
    for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i]! *= f;
  }
  return norm;
}

export type ScheduleKind = 'cosine' | 'onecycle' | 'constant';

export interface ScheduleOptions {
  kind: ScheduleKind;
  /** Peak learning rate. */
  lr: number;
  /** Total optimizer steps of the run. */
  totalSteps: number;
  /** cosine: linear warm-up steps from 0 to lr (default 5% of the run). */
  warmupSteps?: number;
}

/**
 * Learning rate at step `step` (0-based):
 * - cosine: linear warm-up to lr, then half a cosine down to 0 at totalSteps;
 * - onecycle: as PyTorch's OneCycleLR (cos annealing, pct_start 0.3,
 *   div_factor 25, final_div_factor 1e4): lr/25 -> lr over 30% of the run,
 *   then down to lr/25/1e4;
 * - constant: lr.
 */
export function learningRate(o: ScheduleOptions, step: number): number {
  const total = Math.max(1, o.totalSteps);
  const cosine = (from: number, to: number, frac: number): number => to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, frac))))) / 2;
  switch (o.kind) {
    case 'constant':
      return o.lr;
    case 'cosine': {
      const warm = o.warmupSteps ?? Math.round(0.05 * total);
      if (step < warm) return (o.lr * (step + 1)) / warm;
      return cosine(o.lr, 0, (step - warm) / Math.max(1, total - warm));
    }
    case 'onecycle': {
      const up = Math.max(1, Math.round(0.3 * total) - 1);
      const start = o.lr / 25, end = start / 1e4;
      if (step <= up) return cosine(start, o.lr, step / up);
      return cosine(o.lr, end, (step - up) / Math.max(1, total - 1 - up));
    }
    default:
      throw new OptionError('schedule', `expected cosine|onecycle|constant, got '${String(o.kind)}'`);
  }
}
