/**
 * Shapley values of a coalition game v(S) over M features, where v is the
 * model's target output with the features outside S masked. Estimators:
 * - exact:       all 2^M coalitions, the Shapley formula;
 * - kernel:      KernelSHAP as captum runs it (coalition sizes drawn with
 *                p(k) ∝ (M-1)/(k(M-k)), uniform subsets of that size; the
 *                all-present and all-absent coalitions weighted 1e6, every
 *                other 1; weighted least squares with an intercept), each
 *                drawn coalition paired with its complement unless told not;
 * - permutation: antithetic permutation sampling (each permutation and its
 *                reverse), M + 1 evaluations per permutation.
 * Plus LIME's weighted ridge regression for the same games. Evaluations are
 * asked for in batches (one model call per batch of masked ECGs).
 */
import { Rng } from '../util/rng.js';

/** v for each coalition (rows of 0/1 of length M). */
export type Game = (coalitions: Uint8Array[]) => Promise<number[]>;

export const KERNEL_EXTREME_WEIGHT = 1e6;

/** Solves A x = c by Gaussian elimination with partial pivoting (float64). */
function solve(A: Float64Array, c: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(A);
  const b = Float64Array.from(c);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]!) > Math.abs(a[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [a[k * n + j], a[p * n + j]] = [a[p * n + j]!, a[k * n + j]!];
      [b[k], b[p]] = [b[p]!, b[k]!];
    }
    const piv = a[k * n + k]!;
    if (Math.abs(piv) < 1e-300) continue;
    for (let i = k + 1; i < n; i++) {
      const f = a[i * n + k]! / piv;
      if (f === 0) continue;
      for (let j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j]!;
      b[i] -= f * b[k]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < n; j++) s -= a[i * n + j]! * x[j]!;
    const piv = a[i * n + i]!;
    x[i] = Math.abs(piv) < 1e-300 ? 0 : s / piv;
  }
  return x;
}

/**
 * Weighted least squares y ≈ b + Z φ (intercept b not penalised), with an
 * optional ridge penalty on φ; a tiny ridge keeps rank-deficient designs
 * solvable. Returns φ and b.
 */
export function weightedLinearFit(Z: readonly ArrayLike<number>[], y: readonly number[], w: readonly number[], ridge = 0): { phi: number[]; intercept: number } {
  const M = Z[0]?.length ?? 0;
  // Centre by the weighted means (the intercept's normal equation), then solve for φ.
  let sw = 0;
  const mz = new Float64Array(M);
  let my = 0;
  Z.forEach((z, i) => {
    sw += w[i]!;
    my += w[i]! * y[i]!;
    for (let j = 0; j < M; j++) mz[j] += w[i]! * z[j]!;
  });
  for (let j = 0; j < M; j++) mz[j]! /= sw;
  my /= sw;
  const B = new Float64Array(M * M);
  const d = new Float64Array(M);
  Z.forEach((z, i) => {
    const wi = w[i]!;
    const yc = y[i]! - my;
    for (let j = 0; j < M; j++) {
      const zj = z[j]! - mz[j]!;
      if (zj === 0) continue;
      d[j] += wi * zj * yc;
      for (let k = j; k < M; k++) B[j * M + k] += wi * zj * (z[k]! - mz[k]!);
    }
  });
  let trace = 0;
  for (let j = 0; j < M; j++) {
    for (let k = 0; k < j; k++) B[j * M + k] = B[k * M + j]!;
    trace += B[j * M + j]!;
  }
  const jitter = ridge > 0 ? ridge : 1e-12 * (trace / Math.max(1, M) || 1);
  for (let j = 0; j < M; j++) B[j * M + j] += jitter;
  const phi = Array.from(solve(B, d, M));
  const intercept = my - phi.reduce((s, p, j) => s + p * mz[j]!, 0);
  return { phi, intercept };
}

/** Coalition sizes k = 1..M-1 with captum's KernelSHAP probabilities (M-1)/(k(M-k)), as a cumulative table. */
function sizeTable(M: number): number[] {
  const p = Array.from({ length: M - 1 }, (_, i) => (M - 1) / ((i + 1) * (M - 1 - i)));
  const total = p.reduce((s, v) => s + v, 0);
  let acc = 0;
  return p.map((v) => (acc += v / total));
}

/** KernelSHAP coalitions: all-present, all-absent, then `samples - 2` drawn (with complements when paired). */
export function kernelCoalitions(M: number, samples: number, rng: Rng, paired = true): Uint8Array[] {
  const out: Uint8Array[] = [new Uint8Array(M).fill(1), new Uint8Array(M)];
  if (M < 2) return out;
  const cum = sizeTable(M);
  const idx = Array.from({ length: M }, (_, i) => i);
  while (out.length < samples) {
    const u = rng.uniform();
    let k = cum.findIndex((c) => u < c) + 1;
    if (k <= 0) k = M - 1;
    // A uniform subset of size k: partial Fisher-Yates.
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(M - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const z = new Uint8Array(M);
    for (let i = 0; i < k; i++) z[idx[i]!] = 1;
    out.push(z);
    if (paired && out.length < samples) out.push(z.map((v) => 1 - v));
  }
  return out;
}

/** KernelSHAP values from evaluated coalitions (the regression alone; captum's masks can be fed here). */
export function kernelShapFit(coalitions: readonly Uint8Array[], v: readonly number[]): { phi: number[]; intercept: number } {
  const M = coalitions[0]?.length ?? 0;
  const w = coalitions.map((z) => {
    let k = 0;
    for (const b of z) k += b;
    return k === 0 || k === M ? KERNEL_EXTREME_WEIGHT : 1;
  });
  return weightedLinearFit(coalitions, [...v], w);
}

/** Exact Shapley values from v over all 2^M coalitions (bit j of the coalition index = feature j). */
export async function exactShapley(M: number, game: Game, chunk: number): Promise<{ phi: number[]; empty: number; full: number }> {
  const total = 1 << M;
  const v = new Float64Array(total);
  for (let start = 0; start < total; start += chunk) {
    const zs = Array.from({ length: Math.min(chunk, total - start) }, (_, i) => Uint8Array.from({ length: M }, (_, j) => ((start + i) >> j) & 1));
    (await game(zs)).forEach((val, i) => (v[start + i] = val));
  }
  const fact = [1];
  for (let i = 1; i <= M; i++) fact.push(fact[i - 1]! * i);
  const weight = Array.from({ length: M }, (_, k) => (fact[k]! * fact[M - k - 1]!) / fact[M]!);
  const phi = new Array<number>(M).fill(0);
  for (let s = 0; s < total; s++) {
    let k = 0;
    for (let t = s; t; t &= t - 1) k++;
    for (let j = 0; j < M; j++) if (!((s >> j) & 1)) phi[j]! += weight[k]! * (v[s | (1 << j)]! - v[s]!);
  }
  return { phi, empty: v[0]!, full: v[total - 1]! };
}

/** Antithetic permutation sampling: `permutations` orders (an even count: each with its reverse). */
export async function permutationShapley(M: number, game: Game, permutations: number, rng: Rng, chunk: number): Promise<{ phi: number[]; empty: number; full: number }> {
  const phi = new Array<number>(M).fill(0);
  let empty = 0;
  let full = 0;
  const orders: number[][] = [];
  while (orders.length < permutations) {
    const p = Array.from({ length: M }, (_, i) => i);
    for (let i = M - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    orders.push(p);
    if (orders.length < permutations) orders.push([...p].reverse());
  }
  // Several permutations per game call: prefix coalitions {}, {p0}, {p0, p1}, ..., all of each.
  const per = Math.max(1, Math.floor(chunk / (M + 1)));
  for (let g = 0; g < orders.length; g += per) {
    const group = orders.slice(g, g + per);
    const zs: Uint8Array[] = [];
    for (const p of group) {
      let z = new Uint8Array(M);
      zs.push(z);
      for (let i = 0; i < M; i++) {
        z = Uint8Array.from(z);
        z[p[i]!] = 1;
        zs.push(z);
      }
    }
    const v = await game(zs);
    group.forEach((p, q) => {
      const o = q * (M + 1);
      for (let i = 0; i < M; i++) phi[p[i]!]! += (v[o + i + 1]! - v[o + i]!) / orders.length;
      empty = v[o]!;
      full = v[o + M]!;
    });
  }
  return { phi, empty, full };
}
