/**
 * Conv: dX as a Conv with the adjoint kernel (ConvTranspose as the fallback),
 * dW as one GEMM over an explicit im2col of the input, dB by summation.
 */
import { getIntAttr } from '../../onnx/proto.js';
import type { Emitter } from '../emitter.js';
import { unsupported, type BackwardContext, type Rule } from '../rule.js';
import { outputPadding, windowOf, type Window } from './geometry.js';

/**
 * How dW is computed. 'gemm' (default): im2col by one Gather, then one GEMM
 * with K = time*batch. 'conv': a Conv over batch-transposed tensors (the
 * output becomes the kernel). How dX is computed: 'conv' (default; 1-D,
 * group 1, static length): a Conv with the adjoint kernel (polyphase for
 * strides > 1); 'convtranspose': onnxruntime's ConvTranspose, which is also
 * the fallback for the other cases. Both kept so bench/autodiff.ts compares them.
 * im2colFloatsPerEcg bounds the im2col buffer of the 'gemm' form (floats per ECG of the batch).
 */
export const convOptions: { weightGrad: 'gemm' | 'conv'; inputGrad: 'conv' | 'convtranspose'; im2colFloatsPerEcg: number } = { weightGrad: 'gemm', inputGrad: 'conv', im2colFloatsPerEcg: 1 << 16 };

export const CONV_RULE: Rule = {
  backward(c) {
    const dy = c.dy();
    if (!dy) return [];
    const [x, w, b] = [c.x(0), c.x(1), c.x(2)];
    const win = windowOf(c.node, c.info, x, w);
    const group = getIntAttr(c.node, 'group', 1);
    const spatialAxes = Array.from({ length: win.spatial }, (_, i) => i + 2);
    const dx = c.wants(0) ? inputGrad(c, dy, win, group) : undefined;
    let dw: string | undefined;
    if (c.wants(1)) {
      if (group !== 1) unsupported(c.node, `weight gradient for group=${group} is not supported (only group=1)`);
      if (convOptions.weightGrad === 'gemm' && win.spatial === 1) dw = gemmWeightGrad(c.e, c, x, dy, win);
      dw ??= convWeightGrad(c.e, x, dy, win, w);
    }
    const db = b && c.wants(2) ? c.e.reduceSum(dy, [0, ...spatialAxes], false) : undefined;
    return [dx, dw, db];
  },
};

function inputGrad(c: BackwardContext, dy: string, win: Window, group: number): string {
  const { e } = c;
  const x = c.x(0);
  const ws = e.info.staticShape(c.x(1));
  const L = win.inputLengths[0];
  if (convOptions.inputGrad === 'conv' && win.spatial === 1 && group === 1) {
    let viaConv: string | undefined;
    if (win.strides[0] === 1) viaConv = inputGradStride1(e, dy, c.x(1), win);
    else if (win.dilations[0] === 1 && ws && L !== undefined) viaConv = inputGradPolyphase(e, dy, c.x(1), win, L, ws);
    if (viaConv) return viaConv;
  }
  const attrs = { kernel_shape: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads, group };
  if (win.inputLengths.every((L) => L !== undefined)) {
    const op = win.inputLengths.map((L, i) => outputPadding(win, i, L!));
    return e.op('ConvTranspose', [dy, c.x(1)], { ...attrs, output_padding: op }, `${x}_grad`);
  }
  // Input length unknown until run time: produce the longest candidate, then crop to x's length.
  const op = win.strides.map((s) => s - 1);
  const full = e.op('ConvTranspose', [dy, c.x(1)], { ...attrs, output_padding: op });
  if (op.every((p) => p === 0)) return full;
  const ends = e.op('Slice', [e.shapeOf(x), e.constInt([2]), e.constInt([2 ** 31 - 1])]);
  const axes = Array.from({ length: win.spatial }, (_, i) => i + 2);
  return e.op('Slice', [full, e.constInt(axes.map(() => 0)), ends, e.constInt(axes)], {}, `${x}_grad`);
}

/** W [Cout, Cin, k] -> [Cin, Cout, k] with the taps reversed: the kernel of the adjoint correlation. */
function adjointKernel(e: Emitter, w: string): string {
  const t = e.op('Transpose', [w], { perm: [1, 0, 2] });
  return e.op('Slice', [t, e.constInt([-1]), e.constInt([-(2 ** 62)]), e.constInt([2]), e.constInt([-1])]);
}

/**
 * Stride 1: dX is a plain Conv of dY with the adjoint kernel, padded so that
 * every tap that touched x is covered. (onnxruntime's CPU ConvTranspose is
 * many times slower than its Conv on these shapes; see bench/autodiff.ts.)
 */
function inputGradStride1(e: Emitter, dy: string, w: string, win: Window): string | undefined {
  const span = win.dilations[0]! * (win.kernel[0]! - 1);
  const pads = [span - win.pads[0]!, span - win.pads[1]!];
  if (pads.some((p) => p < 0)) return undefined;
  return e.op('Conv', [dy, adjointKernel(e, w)], { kernel_shape: win.kernel, dilations: win.dilations, pads });
}

/**
 * Stride s > 1 (dilation 1): polyphase form. Input sample v = q*s + r (in the
 * padded input) receives dY[q - m] * W[r + m*s], so the s phases are one Conv
 * of dY with s*Cin output channels (kernel taps r, r+s, ... per phase), then
 * interleaved: [N, s, Cin, Q] -> [N, Cin, Q, s] -> [N, Cin, Q*s], and cropped.
 * When the length is a multiple of s, the phases can instead be taken on the
 * unpadded input (alignedPolyphase): no crop, the same or fewer taps.
 */
function inputGradPolyphase(e: Emitter, dy: string, w: string, win: Window, L: number, ws: number[]): string | undefined {
  const [k, s] = [win.kernel[0]!, win.strides[0]!];
  const [p0] = [win.pads[0]!];
  const [cout, cin] = [ws[0]!, ws[1]!];
  const lo = Math.floor((L + win.pads[0]! + win.pads[1]! - k) / s) + 1;
  const kmax = Math.ceil(k / s);
  const q0 = Math.floor(p0 / s), q1 = Math.ceil((p0 + L) / s);
  const left = kmax - 1 - q0, right = q1 - lo;
  const start = p0 - q0 * s;
  if (start !== 0 || (q1 - q0) * s !== L) {
    const aligned = alignedPolyphase(e, dy, w, { k, s, p0, L, lo, cin, cout }, kmax);
    if (aligned) return aligned;
  }
  if (left < 0 || right < 0) return undefined;
  // Phase kernels: pad taps to kmax*s, [Cout, Cin, kmax, s] -> [s, Cin, Cout, kmax], reverse taps, merge phases into channels.
  let wp = w;
  if (kmax * s > k) wp = e.op('Pad', [w, e.constInt([0, 0, 0, 0, 0, kmax * s - k])]);
  const phased = e.op('Transpose', [e.op('Reshape', [wp, e.constInt([cout, cin, kmax, s])])], { perm: [3, 1, 0, 2] });
  const flipped = e.op('Slice', [phased, e.constInt([-1]), e.constInt([-(2 ** 62)]), e.constInt([3]), e.constInt([-1])]);
  const kernel = e.op('Reshape', [flipped, e.constInt([s * cin, cout, kmax])]);
  const y = e.op('Conv', [dy, kernel], { kernel_shape: [kmax], pads: [left, right] }); // [N, s*Cin, q1 - q0]
  const inter = interleave(e, y, s, cin, q1 - q0);
  if (start === 0 && (q1 - q0) * s === L) return inter;
  return e.op('Slice', [inter, e.constInt([start]), e.constInt([start + L]), e.constInt([2])]);
}

/** [N, s*Cin, Q] (phase-major channels) -> [N, Cin, Q*s]. */
function interleave(e: Emitter, y: string, s: number, cin: number, q: number): string {
  return e.op('Reshape', [e.op('Transpose', [e.op('Reshape', [y, e.constInt([0, s, cin, q])])], { perm: [0, 2, 3, 1] }), e.constInt([0, cin, q * s])]);
}

/**
 * Polyphase on the unpadded input, for L a multiple of s: sample u = q*s + r
 * with r + p0 = c_r*s + e_r receives dY[q + c_r - m] * W[e_r + m*s]. One Conv
 * over dY whose taps t = c_r - m - offMin are gathered from W per phase (a
 * zero tap where a phase has none), output exactly L/s steps: no crop of the
 * interleaved result (for the resnet1d strides with kernel 9, a Slice over the
 * largest activation gone). Undefined when it would need more taps than the
 * padded form, or negative padding.
 */
function alignedPolyphase(e: Emitter, dy: string, w: string, g: { k: number; s: number; p0: number; L: number; lo: number; cin: number; cout: number }, kmax: number): string | undefined {
  const { k, s, p0, L, lo, cin, cout } = g;
  if (L % s !== 0) return undefined;
  const q = L / s;
  const phases = Array.from({ length: s }, (_, r) => {
    const c = Math.floor((r + p0) / s), er = (r + p0) % s;
    return { c, er, taps: Math.max(0, Math.ceil((k - er) / s)) };
  });
  const used = phases.filter((p) => p.taps > 0);
  if (used.length === 0) return undefined;
  const offMin = Math.min(...used.map((p) => p.c - p.taps + 1));
  const offMax = Math.max(...used.map((p) => p.c));
  const K = offMax - offMin + 1;
  const padL = -offMin, padR = q - 1 + offMax - (lo - 1);
  if (K > kmax || padL < 0 || padR < 0) return undefined;
  // Tap t of phase r is W[e_r + m*s] with m = c_r - offMin - t; index k (a zero tap appended to W) where there is none.
  const idx: number[] = [];
  for (const p of phases) {
    for (let t = 0; t < K; t++) {
      const m = p.c - offMin - t;
      const j = p.er + m * s;
      idx.push(m >= 0 && j < k ? j : k);
    }
  }
  const wz = e.op('Pad', [w, e.constInt([0, 0, 0, 0, 0, 1])]); // [Cout, Cin, k + 1]
  const taps = e.op('Gather', [wz, e.constInt(idx, [s, K])], { axis: 2 }); // [Cout, Cin, s, K]
  const kernel = e.op('Reshape', [e.op('Transpose', [taps], { perm: [2, 1, 0, 3] }), e.constInt([s * cin, cout, K])]);
  const y = e.op('Conv', [dy, kernel], { kernel_shape: [K], pads: [padL, padR] }); // [N, s*Cin, L/s]
  return interleave(e, y, s, cin, q);
}

/**
 * dW[o, i, j] = sum_{n,t} dY[n, o, t] * xpad[n, i, t*s + j*d]: im2col, then one GEMM.
 * Time-major layout ([C, T, N]) so that one Gather copies each (tap, output
 * step) row of N samples, and the contraction axis K = (Lo, N) is contiguous
 * on both sides (no per-tap buffers or Concat: less time and memory than
 * strided Slices, see bench/autodiff.ts).
 */
function gemmWeightGrad(e: Emitter, c: BackwardContext, x: string, dy: string, win: Window): string | undefined {
  const ys = e.info.shape(dy);
  const ws = e.info.staticShape(c.x(1));
  const lo = ys?.[2];
  if (!ws || typeof lo !== 'number') return undefined;
  const [k, s, d] = [win.kernel[0]!, win.strides[0]!, win.dilations[0]!];
  const [cout, cin] = [ws[0]!, ws[1]!];
  let xp = x;
  if (win.pads[0] || win.pads[1]) xp = e.op('Pad', [x, e.constInt([0, 0, win.pads[0]!, 0, 0, win.pads[1]!])]);
  const xt = e.op('Transpose', [xp], { perm: [1, 2, 0] }); // [Cin, Lpad, N]
  const dyt = e.op('Transpose', [dy], { perm: [1, 2, 0] }); // [Cout, Lo, N]
  // Output steps in chunks so that the im2col buffer stays small (the batch is unknown here: bound it per ECG);
  // each chunk's GEMM accumulates into the previous one's result (Gemm's C input).
  const steps = Math.max(1, Math.min(lo, Math.floor(convOptions.im2colFloatsPerEcg / (cin * k))));
  let acc: string | undefined;
  for (let t0 = 0; t0 < lo; t0 += steps) {
    const n = Math.min(steps, lo - t0);
    const idx = e.constInt(Array.from({ length: k * n }, (_, i) => Math.floor(i / n) * d + (t0 + (i % n)) * s), [k, n]);
    const cols = e.op('Reshape', [e.op('Gather', [xt, idx], { axis: 1 }), e.constInt([cin * k, -1])]); // [Cin*k, n*N]
    const part = n === lo ? dyt : e.op('Slice', [dyt, e.constInt([t0]), e.constInt([t0 + n]), e.constInt([1])]);
    const a = e.op('Reshape', [part, e.constInt([cout, -1])]); // [Cout, n*N]
    acc = e.op('Gemm', acc ? [a, cols, acc] : [a, cols], { transB: 1 });
  }
  return e.op('Reshape', [acc!, e.constInt(ws)], {}, `${c.x(1)}_grad`);
}

/** dW as a Conv of the batch-transposed input by the batch-transposed output gradient. */
function convWeightGrad(e: Emitter, x: string, dy: string, win: Window, w: string): string {
  const perm = [1, 0, ...Array.from({ length: win.spatial }, (_, i) => i + 2)];
  const xt = e.op('Transpose', [x], { perm }); // [Cin, N, L]
  const dyt = e.op('Transpose', [dy], { perm }); // [Cout, N, Lo]
  // Roles swap: the original dilation is the stride over the input, the stride the dilation of the "kernel".
  const r = e.op('Conv', [xt, dyt], { strides: win.dilations, dilations: win.strides, pads: win.pads }); // [Cin, Cout, k' >= k]
  const axes = Array.from({ length: win.spatial }, (_, i) => i + 2);
  const cropped = e.op('Slice', [r, e.constInt(axes.map(() => 0)), e.constInt(win.kernel), e.constInt(axes)]);
  return e.op('Transpose', [cropped], { perm }, `${w}_grad`);
}
