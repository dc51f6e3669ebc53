/**
 * Checks a gradient graph against central finite differences. The scalar is
 * L = sum(of * r) for a fixed random r (so no symmetry can hide an error, as
 * sum(softmax) = 1 would); the analytic side is gradientGraph's VJP with seed
 * r, the numeric side (L(x + h e_i) - L(x - h e_i)) / 2h per element, with the
 * forward run in float64 whenever ORT has float64 kernels for all its ops.
 */
import '../telemetry.js'; // before onnxruntime-node: see telemetry.ts
import * as ort from 'onnxruntime-node';
import { ModelError } from '../../util/errors.js';
import type { NdArray } from '../../util/npy.js';
import { Rng } from '../../util/rng.js';
import { DType, encodeModel, tensorFloat32, type ModelProto, type TensorProto } from '../onnx/proto.js';
import { gradientGraph, gradientGraphInfo, parameterValues, type GradientOptions } from './gradient.js';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-3 in float64, 1e-2 in float32). */
  step?: number;
  /** At most this many elements per tensor are checked (a seeded random subset); default 64. */
  maxElements?: number;
  seed?: number;
}

export interface GradCheckResult {
  tensor: string;
  /** ||g_fd - g|| / ||g_fd|| over the checked elements. */
  relError: number;
  maxAbsError: number;
  checked: number;
  precision: 'float64' | 'float32';
  analytic: Float64Array;
  numeric: Float64Array;
}

/** The nodes (and only them) needed to compute `outputs`. */
export function pruneToOutputs(model: ModelProto, outputs: string[]): ModelProto {
  const g = model.graph!;
  const need = new Set(outputs);
  const keep: typeof g.node = [];
  for (const n of [...(g.node ?? [])].reverse()) {
    if (!(n.output ?? []).some((o) => need.has(o))) continue;
    keep.push(n);
    for (const i of n.input ?? []) if (i) need.add(i);
  }
  keep.reverse();
  const outInfo = outputs.map((o) => (g.output ?? []).find((v) => v.name === o) ?? { name: o });
  return { ...model, graph: { ...g, node: keep, output: outInfo, initializer: (g.initializer ?? []).filter((t) => need.has(t.name ?? '')), input: (g.input ?? []).filter((v) => need.has(v.name ?? '')) } };
}

function toDoubleTensor(t: TensorProto): TensorProto {
  if (t.dataType !== DType.FLOAT) return t;
  const f = tensorFloat32(t);
  const d = Float64Array.from(f);
  return { ...t, dataType: DType.DOUBLE, rawData: new Uint8Array(d.buffer), floatData: [] };
}

/** The same graph computing in float64 (initializers, inputs, outputs, casts and constants). */
export function toFloat64(model: ModelProto): ModelProto {
  const g = model.graph!;
  const vi = (v: NonNullable<typeof g.input>[number]) => (v.type?.tensorType?.elemType === DType.FLOAT ? { ...v, type: { ...v.type, tensorType: { ...v.type.tensorType, elemType: DType.DOUBLE } } } : v);
  const node = (g.node ?? []).map((n) => ({
    ...n,
    attribute: (n.attribute ?? []).map((a) => {
      if (a.t) return { ...a, t: toDoubleTensor(a.t) };
      if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === DType.FLOAT) return { ...a, i: DType.DOUBLE };
      return a;
    }),
  }));
  return { ...model, graph: { ...g, node, initializer: (g.initializer ?? []).map(toDoubleTensor), input: (g.input ?? []).map(vi), output: (g.output ?? []).map(vi), valueInfo: (g.valueInfo ?? []).map(vi) } };
}

/** Values held in float64 while perturbing, whatever precision the session computes in. */
interface Values {
  data: Float32Array | Float64Array;
  shape: number[];
}

function toOrt(a: Values, double: boolean): ort.Tensor {
  if (double) return new ort.Tensor('float64', a.data instanceof Float64Array ? a.data : Float64Array.from(a.data), a.shape);
  return new ort.Tensor('float32', a.data instanceof Float32Array ? a.data : Float32Array.from(a.data), a.shape);
}

// One thread: tiny graphs, and creating a thread pool per session costs more than the runs.
const QUIET: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1 };
/** Finite differences run the forward as written (no fusions). */
const PLAIN: ort.InferenceSession.SessionOptions = { ...QUIET, graphOptimizationLevel: 'disabled' };

export async function gradCheck(model: ModelProto, opts: Omit<GradientOptions, 'seed'>, feeds: Record<string, NdArray>, o: GradCheckOptions = {}): Promise<GradCheckResult[]> {
  const rng = new Rng(o.seed ?? 1);
  const grad = gradientGraph(model, { ...opts, seed: 'input', parameters: 'input' });
  const meta = gradientGraphInfo(grad)!;
  const fwd = pruneToOutputs(grad, [opts.of]);
  const fwd32 = await ort.InferenceSession.create(encodeModel(fwd), PLAIN);
  const base: Record<string, ort.Tensor> = {};
  const allFeeds = { ...parameterValues(model, meta.parameterInputs), ...feeds };
  for (const [k, v] of Object.entries(allFeeds)) base[k] = toOrt(v, false);
  const of0 = (await fwd32.run(base))[opts.of]!;
  const r = new Float32Array(of0.data.length);
  for (let i = 0; i < r.length; i++) r[i] = rng.normal();

  const gs = await ort.InferenceSession.create(encodeModel(grad), QUIET);
  const gout = await gs.run({ ...base, [meta.seedInput!]: new ort.Tensor('float32', r, of0.dims as number[]) });

  let fd: ort.InferenceSession = fwd32;
  let double = false;
  try {
    fd = await ort.InferenceSession.create(encodeModel(toFloat64(fwd)), PLAIN);
    double = true;
  } catch {
    // Some op has no float64 kernel in ORT (Conv, ConvTranspose...): differences in float32.
  }
  const h = o.step ?? (double ? 1e-3 : 1e-2);
  const values: Record<string, Values> = { ...allFeeds };
  for (const w of opts.wrt) if (!values[w]) throw new ModelError(`gradCheck: '${w}' is neither a fed input nor a parameter (intermediate tensors are checked through the chain rule instead)`);
  const loss = async (feedsNow: Record<string, Values>): Promise<number> => {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feedsNow)) if (fd.inputNames.includes(k)) f[k] = toOrt(v, double);
    const y = (await fd.run(f))[opts.of]!.data as Float32Array | Float64Array;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
    return s;
  };
  const results: GradCheckResult[] = [];
  for (const w of opts.wrt) {
    const x = values[w]!;
    const n = x.data.length;
    const max = o.maxElements ?? 64;
    const idx = n <= max ? Array.from({ length: n }, (_, i) => i) : pick(rng, n, max);
    const an = gout[meta.gradients[w]!]!.data as Float32Array;
    const analytic = new Float64Array(idx.length), numeric = new Float64Array(idx.length);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const plus = { data: Float64Array.from(x.data), shape: x.shape };
      const minus = { data: Float64Array.from(x.data), shape: x.shape };
      plus.data[i]! += h;
      minus.data[i]! -= h;
      const lp = await loss({ ...values, [w]: plus });
      const lm = await loss({ ...values, [w]: minus });
      numeric[k] = (lp - lm) / (2 * h);
      analytic[k] = an[i]!;
    }
    let num = 0, den = 0, maxAbs = 0;
    for (let k = 0; k < idx.length; k++) {
      const d = numeric[k]! - analytic[k]!;
      num += d * d;
      den += numeric[k]! * numeric[k]!;
      maxAbs = Math.max(maxAbs, Math.abs(d));
    }
    results.push({ tensor: w, relError: Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12), maxAbsError: maxAbs, checked: idx.length, precision: double ? 'float64' : 'float32', analytic, numeric });
  }
  return results;
}

function pick(rng: Rng, n: number, k: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(rng.int(n));
  return [...chosen].sort((a, b) => a - b);
}
