/**
 * Integrated Gradients (Sundararajan et al. 2017): (x - x') times the path
 * integral of the input gradient from the baseline x' to x, by quadrature
 * over alpha. The default grid and weights are those of the PyTorch reference
 * (test/fixtures/torch/manifest.json): trapezoid on alpha_k = k/steps, k = 0..steps.
 * Interpolated inputs are made and run in chunks of batchSize rows, so memory
 * does not grow with steps. The completeness delta sum(IG) - (F(x) - F(x'))
 * is reported per ECG in meta (it shrinks with more steps).
 */
import { OptionError } from '../util/errors.js';
import { readNpy, type NdArray } from '../util/npy.js';
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';

export type IgRule = 'trapezoid' | 'riemann-left' | 'riemann-right' | 'riemann-middle' | 'gauss-legendre';
export const IG_RULES: readonly IgRule[] = ['trapezoid', 'riemann-left', 'riemann-right', 'riemann-middle', 'gauss-legendre'];

/**
 * Gauss-Legendre nodes and weights on [-1, 1]: roots of P_n by Newton's
 * method from Chebyshev guesses (float64, converged to 1e-15).
 */
export function gaussLegendre(n: number): { x: number[]; w: number[] } {
  const x = new Array<number>(n);
  const w = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      // P_n(z) by the three-term recurrence, and P_n'(z).
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * z * p1 - (k - 1) * p0) / k];
      const pn = n === 1 ? z : p1;
      const pm = n === 1 ? 1 : p0;
      dp = (n * (z * pn - pm)) / (z * z - 1);
      const dz = pn / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

/** Quadrature points on [0, 1] and their weights (summing to 1). */
export function igGrid(steps: number, rule: IgRule): { alpha: number[]; weight: number[] } {
  switch (rule) {
    case 'trapezoid':
      return {
        alpha: Array.from({ length: steps + 1 }, (_, k) => k / steps),
        weight: Array.from({ length: steps + 1 }, (_, k) => (k === 0 || k === steps ? 0.5 : 1) / steps),
      };
    case 'riemann-left':
      return { alpha: Array.from({ length: steps }, (_, k) => k / steps), weight: Array<number>(steps).fill(1 / steps) };
    case 'riemann-right':
      return { alpha: Array.from({ length: steps }, (_, k) => (k + 1) / steps), weight: Array<number>(steps).fill(1 / steps) };
    case 'riemann-middle':
      return { alpha: Array.from({ length: steps }, (_, k) => (k + 0.5) / steps), weight: Array<number>(steps).fill(1 / steps) };
    case 'gauss-legendre': {
      // Nodes mapped from [-1, 1] to [0, 1]: exact for polynomials of degree 2 steps - 1 along the path.
      const { x, w } = gaussLegendre(steps);
      return { alpha: x.map((v) => (v + 1) / 2), weight: w.map((v) => v / 2) };
    }
  }
}

/**
 * The baseline for each ECG: 'zero', 'mean' (each lead's mean over time), a
 * number (constant), or an array [leads, time] (shared) or [batch, leads, time].
 */
export function igBaseline(spec: unknown, x: NdArray, field = 'integrated-gradients.baseline'): Float32Array {
  const [n, leads, time] = x.shape as [number, number, number];
  const per = leads * time;
  const out = new Float32Array(n * per);
  if (spec === undefined || spec === 'zero') return out;
  if (typeof spec === 'number') return out.fill(spec);
  if (spec === 'mean') {
    for (let r = 0; r < n * leads; r++) {
      let s = 0;
      for (let t = 0; t < time; t++) s += x.data[r * time + t]!;
      out.fill(s / time, r * time, (r + 1) * time);
    }
    return out;
  }
  const a = spec as Partial<NdArray>;
  if (a && a.data instanceof Float32Array && Array.isArray(a.shape)) {
    const shape = a.shape.join(',');
    if (shape === `${leads},${time}`) {
      for (let b = 0; b < n; b++) out.set(a.data, b * per);
      return out;
    }
    if (shape === `${n},${leads},${time}` || shape === `1,${leads},${time}`) {
      for (let b = 0; b < n; b++) out.set(a.data.subarray(shape.startsWith('1,') ? 0 : b * per, (shape.startsWith('1,') ? 0 : b * per) + per), b * per);
      return out;
    }
    throw new OptionError(field, `baseline has shape [${a.shape.join(', ')}], expected [${leads}, ${time}] or [${n}, ${leads}, ${time}]`);
  }
  throw new OptionError(field, `expected zero, mean, a number or an array, got ${JSON.stringify(spec)}`);
}

/**
 * A baseline given as text (the CLI): zero, mean, a number, or a FILE.npy
 * holding one baseline [leads, time] for every ECG, or one per ECG
 * [N, leads, time] in input order (as captum takes a baselines tensor shaped
 * like the inputs). A per-ECG array is marked `perEcg`: explain/run.ts gives
 * each batch the rows of its own ECGs (every window of a record its row), so
 * the result does not depend on how ECGs are batched.
 */
export function baselineFromText(text: string, field = 'integrated-gradients.baseline'): unknown {
  if (text === 'zero' || text === 'mean') return text;
  if (text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (!text.endsWith('.npy')) throw new OptionError(field, `expected zero, mean, a number or a FILE.npy, got '${text}'`);
  const a = readNpy(text);
  if (a.shape.length === 2 || (a.shape.length === 3 && a.shape[0] === 1)) return { data: a.data, shape: a.shape.slice(-2) };
  if (a.shape.length === 3 && a.shape[0]! > 1) return { data: a.data, shape: a.shape, perEcg: true, file: text };
  throw new OptionError(field, `${text} has shape [${a.shape.join(', ')}], expected [leads, time] (one baseline for every ECG) or [N, leads, time] (one per ECG, in input order)`);
}

const OPTIONS: readonly OptionDecl[] = [
  { name: 'baseline', kind: 'text', default: 'zero', help: "the reference input: zero, mean (each lead's mean), a number, or FILE.npy [leads, time] (all ECGs) or [N, leads, time] (one per ECG, input order)", fromText: baselineFromText },
  { name: 'steps', kind: 'int', default: 64, min: 1, max: 4096, help: 'quadrature steps of the path integral' },
  { name: 'rule', kind: 'choice', default: 'trapezoid', choices: IG_RULES, help: 'quadrature rule (gauss-legendre: steps nodes, for smooth models)' },
];

export const integratedGradients: ExplainerFactory = {
  name: 'integrated-gradients',
  summary: 'path integral of gradients from a baseline (zero|mean|array; steps=64, trapezoid), with completeness delta',
  options: OPTIONS,
  conformance: { steps: 8 },
  perInputMeta: ['completenessDelta', 'outputChange'],
  async create(model, opts = {}) {
    return new ModelExplainer('integrated-gradients', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, batchSize }) => {
      const steps = opts.int('steps');
      const rule = opts.choice<IgRule>('rule');
      const spec = opts.raw('baseline');
      opts.record('baseline', typeof spec === 'string' || typeof spec === 'number' ? spec : spec === undefined ? 'zero' : (spec as { perEcg?: boolean }).perEcg ? 'array per ECG' : 'array');
      const base = igBaseline(spec, x);
      const { alpha, weight } = igGrid(steps, rule);
      const [n, leads, time] = x.shape as [number, number, number];
      const per = leads * time;
      const avg = new Float64Array(n * per);
      const session = await model.gradients([model.input]);
      const P = alpha.length;
      const rows = n * P;
      // One buffer for every chunk's interpolated inputs (a chunk is the run's input only until the run returns).
      const buffer = new Float32Array(Math.min(batchSize, rows) * per);
      for (let start = 0; start < rows; start += batchSize) {
        const count = Math.min(batchSize, rows - start);
        const pts = buffer.subarray(0, count * per);
        const index: number[] = [];
        for (let r = 0; r < count; r++) {
          const b = Math.floor((start + r) / P);
          const a = alpha[(start + r) % P]!;
          for (let i = 0; i < per; i++) {
            const x0 = base[b * per + i]!;
            pts[r * per + i] = x0 + a * (x.data[b * per + i]! - x0);
          }
          index.push(target.index[b]!);
        }
        const g = (await session.run({ data: pts, shape: [count, leads, time] }, index, batchSize)).grads[model.input]!;
        for (let r = 0; r < count; r++) {
          const b = Math.floor((start + r) / P);
          const w = weight[(start + r) % P]!;
          for (let i = 0; i < per; i++) avg[b * per + i] += w * g.data[r * per + i]!;
        }
      }
      const values = new Float32Array(n * per);
      for (let i = 0; i < values.length; i++) values[i] = (x.data[i]! - base[i]!) * avg[i]!;
      // Completeness: sum of attributions against the change of the target output.
      const fx = await model.scores(x, batchSize);
      const fb = await model.scores({ data: base, shape: x.shape }, batchSize);
      const K = model.width;
      const delta: number[] = [];
      const change: number[] = [];
      for (let b = 0; b < n; b++) {
        let s = 0;
        for (let i = b * per; i < (b + 1) * per; i++) s += values[i]!;
        const k = target.index[b]!;
        const d = fx.data[b * K + k]! - fb.data[b * K + k]!;
        change.push(d);
        delta.push(s - d);
      }
      return { values: { data: values, shape: [n, leads, time] }, meta: { completenessDelta: delta, outputChange: change } };
    });
  },
};
