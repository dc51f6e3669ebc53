/**
 * Model-parameter randomisation test (Adebayo et al. 2018, "Sanity checks
 * for saliency maps"), cascading: the weights of the layers are re-initialised
 * from the output layer down, one more layer per stage, and the attributions
 * of each randomised copy are rank-correlated with the trained model's. A
 * method whose maps stay similar while the model is destroyed explains the
 * input, not the model.
 *
 * Layers are the nodes with weights (Conv, ConvTranspose, Gemm, MatMul with
 * an initializer of rank >= 2); their weights and biases are redrawn from
 * N(0, sd of the trained tensor), seeded per layer so that stage k+1 keeps
 * stage k's random values. Batch-norm statistics are kept. The target is
 * resolved on the trained model and kept for every copy.
 */
import { loadModel, makeFloatTensor, tensorDims, tensorFloat32, DType, type ModelProto, type TensorProto } from '../../engine/onnx/proto.js';
import { Rng } from '../../util/rng.js';
import type { NdArray } from '../../util/npy.js';
import { ModelError } from '../../util/errors.js';
import { createExplainer } from '../registry.js';
import { ExplainModel } from '../model.js';
import type { ResolvedTarget, Target } from '../protocol.js';
import { attributionCorrelation } from './rank-correlation.js';

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export interface RandomizationOptions {
  /** Registered explainer name. */
  method: string;
  /** Options for createExplainer (e.g. { steps: 16 }). */
  methodOptions?: Record<string, unknown>;
  target: Target;
  seed?: number;
  /** Correlate magnitudes (default true, as Adebayo et al.'s absolute-value maps). */
  absolute?: boolean;
  correlation?: 'spearman' | 'kendall';
  /** Only the first `maxStages` stages (top layers); default all layers. */
  maxStages?: number;
}

export interface RandomizationStage {
  /** The layer (node name) randomised at this stage, on top of the previous ones. */
  layer: string;
  /** Initializers redrawn so far. */
  randomized: string[];
  /** Rank correlation with the trained model's attribution, per ECG. */
  correlation: number[];
  mean: number;
}

export interface RandomizationResult {
  method: string;
  target: ResolvedTarget;
  stages: RandomizationStage[];
}

/** Weighted layers from the output down: node name and its float initializers (weights first). */
export function randomizableLayers(model: ModelProto): { layer: string; params: string[] }[] {
  const g = model.graph ?? {};
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const out: { layer: string; params: string[] }[] = [];
  (g.node ?? []).forEach((n, i) => {
    if (!WEIGHTED.has(n.opType ?? '')) return;
    const params = (n.input ?? []).filter((x) => {
      const t = inits.get(x);
      return t !== undefined && t.dataType === DType.FLOAT && tensorDims(t).length >= 1;
    });
    if (!params.some((p) => tensorDims(inits.get(p)!).length >= 2)) return;
    out.push({ layer: n.name || `${n.opType}_${i}`, params });
  });
  return out.reverse();
}

/** A copy of `model` with these initializers redrawn from N(0, sd of each), seeded per name. */
export function randomizeInitializers(model: ModelProto, names: readonly string[], seed: number): ModelProto {
  const want = new Set(names);
  const g = model.graph ?? {};
  const initializer = (g.initializer ?? []).map((t): TensorProto => {
    const name = t.name ?? '';
    if (!want.has(name)) return t;
    const v = tensorFloat32(t);
    let m = 0;
    for (const x of v) m += x;
    m /= Math.max(1, v.length);
    let s = 0;
    for (const x of v) s += (x - m) ** 2;
    const dims = tensorDims(t);
    const fanIn = dims.slice(1).reduce((a, b) => a * b, 1);
    const sd = v.length > 1 && s > 0 ? Math.sqrt(s / v.length) : 1 / Math.sqrt(Math.max(1, fanIn));
    const rng = new Rng(seed ^ hashName(name));
    return makeFloatTensor(name, dims, Float32Array.from(v, () => rng.normal(0, sd)));
  });
  return { ...model, graph: { ...g, initializer } };
}

function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Explains ECG b for target[b]: ECGs are grouped by class, so a fixed per-ECG target works with any method. */
async function explainFixed(model: ModelProto, x: NdArray, target: readonly number[], o: RandomizationOptions): Promise<NdArray> {
  const e = await createExplainer(o.method, model, o.methodOptions ?? {});
  try {
    const [n, leads, time] = x.shape as [number, number, number];
    const per = leads * time;
    let out: NdArray | undefined;
    for (const k of new Set(target)) {
      const which = target.flatMap((t, b) => (t === k ? [b] : []));
      const sub = new Float32Array(which.length * per);
      which.forEach((b, i) => sub.set(x.data.subarray(b * per, (b + 1) * per), i * per));
      const a = await e.explain({ x: { data: sub, shape: [which.length, leads, time] } }, { target: k, seed: o.seed ?? 0 });
      const rows = a.values.shape[1]!;
      out ??= { data: new Float32Array(n * rows * time), shape: [n, rows, time] };
      which.forEach((b, i) => out!.data.set(a.values.data.subarray(i * rows * time, (i + 1) * rows * time), b * rows * time));
    }
    return out!;
  } finally {
    await e.release?.();
  }
}

export async function cascadingRandomization(model: ModelProto | string, x: NdArray, opts: RandomizationOptions): Promise<RandomizationResult> {
  const proto = typeof model === 'string' ? loadModel(model) : model;
  const trained = new ExplainModel(proto);
  const scores = opts.target === 'predicted' ? await trained.scores(x) : undefined;
  const target = trained.resolveTarget(opts.target, x.shape[0]!, scores);
  await trained.release();
  const layers = randomizableLayers(proto).slice(0, opts.maxStages ?? Infinity);
  if (layers.length === 0) throw new ModelError('randomisation test: the model has no layers with weights (Conv, Gemm, MatMul)');
  const seed = opts.seed ?? 0;
  const ref = await explainFixed(proto, x, target.index, opts);
  const stages: RandomizationStage[] = [];
  const randomized: string[] = [];
  for (const l of layers) {
    randomized.push(...l.params);
    const copy = randomizeInitializers(proto, randomized, seed);
    const a = await explainFixed(copy, x, target.index, opts);
    const correlation = attributionCorrelation(ref, a, { method: opts.correlation ?? 'spearman', absolute: opts.absolute ?? true });
    const finite = correlation.filter(Number.isFinite);
    stages.push({ layer: l.layer, randomized: [...randomized], correlation, mean: finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : NaN });
  }
  return { method: opts.method, target, stages };
}
