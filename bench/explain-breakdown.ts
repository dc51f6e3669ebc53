/**
 * Where the time of Grad-CAM and saliency goes on small ECG models (the two
 * models of bench/explain.ts, batch 32, 2 intra-op threads):
 *
 * 1. Layers of one call, timed in the same process, interleaved:
 *      explain()          the whole ecgx call (target handling, seeds, the run, Grad-CAM's map and upsampling)
 *      OnnxSession.run    ecgx's runtime wrapper (feed checks, tensors, output copies)
 *      ort run            onnxruntime's session.run on prepared tensors
 *      model_run          onnxruntime's own time for the run (profiler), and the sum of its kernel times
 *    so that JS = explain() - OnnxSession.run, feeds/fetches = OnnxSession.run - ort run,
 *    binding = ort run - model_run, session overhead = model_run - kernels.
 * 2. Kernel time by group (profiler): forward convolutions, backward
 *    convolutions, ReLU masks, BatchNorm scaling, MaxPool (with argmax) and its
 *    scatter, the polyphase interleave (Transpose, Slice), the rest.
 * 3. Session options and graph shape, each against the default, interleaved:
 *    1-D convolutions run as 1-D (the default runs them as 2-D, onnx/conv-2d.ts),
 *    spinning, threads, memory pattern, memory arena, execution mode,
 *    optimisation level, a fixed batch dimension (what a free dimension
 *    override does; onnxruntime-node has no such option), BatchNorm folding
 *    off, and the gradient graph's unused forward outputs (probs) pruned.
 *
 *   npm run build && node dist/bench/explain-breakdown.js [--batch 32] [--threads 2] [--repeats 7]
 *       [--models explain,resnet1d-small] [--methods gradcam,saliency] [--sections layers,kernels,options]
 */
import '../src/engine/telemetry.js';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/util/rng.js';
import type { NdArray } from '../src/util/npy.js';
import { encodeModel, makeValueInfo, valueInfoDims, type ModelProto } from '../src/engine/onnx/proto.js';
import { withExtraOutputs } from '../src/engine/onnx/inspect.js';
import { OnnxSession, runtimeDefaults } from '../src/engine/runtime.js';
import { conv1dAs2d } from '../src/engine/onnx/conv-2d.js';
import { gradientGraph, gradientGraphInfo } from '../src/engine/autodiff/index.js';
import { foldOptions } from '../src/engine/autodiff/fold.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { buildModel } from '../src/models/index.js';
import { createExplainer } from '../src/explain/index.js';
import { median } from './_timing.js';

const MODELS: Record<string, () => ModelProto> = {
  explain: () => resnet1d({ leads: 12, samples: 1000, filters: [32, 64, 64, 128], downsample: [4, 5, 5], kernel: 9, dropout: 0.2, head: 'flatten', task: 'multilabel', outputs: 6, seed: 1, fs: 100 }),
  'resnet1d-small': () => buildModel('resnet1d-small', { leads: 12, samples: 1000, task: 'multilabel', outputs: 6, seed: 1, fs: 100 }),
};
const CLASS = 1;

const get = (k: string): string | undefined => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const num = (k: string, d: number): number => Number(get(k) ?? d);
const list = (k: string, d: string[]): string[] => (get(k) ?? d.join(',')).split(',');
const ms = (v: number): string => v.toFixed(1);

function inputs(n: number): NdArray {
  const r = new Rng(7);
  return { data: Float32Array.from({ length: n * 12000 }, () => r.normal(0, 0.5)), shape: [n, 12, 1000] };
}

/** The gradient graph an explainer builds: d logits[b, target_b] / d wrt, seeded per ECG, with `keep` as outputs. */
function explainGraph(model: ModelProto, method: string): { graph: ModelProto; fetch: string[]; seedInput: string } {
  const wrt = method === 'gradcam' ? 'block3' : 'ecg';
  const keep = method === 'gradcam' ? ['block3'] : [];
  const base = keep.length ? withExtraOutputs(model, keep) : model;
  const graph = gradientGraph(base, { of: 'logits', seed: 'input', wrt: [wrt], mode: 'inference' });
  const info = gradientGraphInfo(graph)!;
  return { graph, fetch: ['logits', info.gradients[wrt]!, ...keep], seedInput: info.seedInput! };
}

/** The graph with only `keep` outputs (what a session for one method needs; onnxruntime runs every node that feeds a graph output). */
function pruneOutputs(m: ModelProto, keep: string[]): ModelProto {
  const g = m.graph!;
  const want = new Set(keep);
  const need = new Set(keep);
  const nodes = [...(g.node ?? [])].reverse().filter((n) => {
    if (!(n.output ?? []).some((o) => need.has(o))) return false;
    for (const i of n.input ?? []) if (i) need.add(i);
    return true;
  }).reverse();
  return { ...m, graph: { ...g, node: nodes, output: (g.output ?? []).filter((o) => want.has(o.name ?? '')), initializer: (g.initializer ?? []).filter((t) => need.has(t.name ?? '')) } };
}

/** The graph with the batch dimension of its input fixed (what a free dimension override would do). */
function fixBatch(m: ModelProto, n: number): ModelProto {
  const g = m.graph!;
  const input = (g.input ?? []).map((v) => {
    const d = valueInfoDims(v);
    return typeof d[0] === 'string' ? makeValueInfo(v.name ?? '', [n, ...d.slice(1)]) : v;
  });
  return { ...m, graph: { ...g, input } };
}

function feeds(x: NdArray, seedInput: string): Record<string, ort.Tensor> {
  const n = x.shape[0]!;
  const seed = new Float32Array(n * 6);
  for (let b = 0; b < n; b++) seed[b * 6 + CLASS] = 1;
  return { ecg: new ort.Tensor('float32', x.data, x.shape), [seedInput]: new ort.Tensor('float32', seed, [n, 6]) };
}

/** The graph a session runs: 1-D window ops as 2-D ones (onnx/conv-2d.ts) unless turned off, as OnnxSession does. */
const executed = (g: ModelProto, as2d = runtimeDefaults.conv1dAs2d): ModelProto => (as2d ? conv1dAs2d(g) : g);

const baseOptions = (threads: number): ort.InferenceSession.SessionOptions => ({
  graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: runtimeDefaults.spinning ? '1' : '0' }, inter_op: { allow_spinning: runtimeDefaults.spinning ? '1' : '0' } } },
});

/** Times the named steps interleaved (order reversed every round); median ms of each. */
async function interleaved(steps: Record<string, () => Promise<unknown>>, repeats: number): Promise<Record<string, number>> {
  const names = Object.keys(steps);
  for (const k of names) await steps[k]!();
  const t: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < repeats; r++) {
    for (const k of r % 2 ? [...names].reverse() : names) {
      // A pause between calls: a session that spins keeps its threads busy for a while after its run, which would slow the next one.
      await new Promise((r) => setTimeout(r, 30));
      const t0 = performance.now();
      await steps[k]!();
      t[k]!.push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((k) => [k, median(t[k]!)]));
}

const GROUPS: [string, (op: string, node: string) => boolean][] = [
  // Gradient nodes are named node_ad_*; onnxruntime names a node it rewrites (NCHWc) after its output, ad_*.
  ['conv forward', (op, node) => (op === 'Conv' || op === 'FusedConv') && !/^(node_)?ad_/.test(node)],
  ['conv backward (dX)', (op) => op === 'Conv' || op === 'FusedConv'],
  ['ReLU masks', (op) => op === 'Where' || op === 'Greater' || op === 'Cast' || op === 'Mul'],
  ['BN', (op) => op === 'BatchNormalization'],
  ['MaxPool + scatter', (op) => op === 'MaxPool' || op === 'ScatterElements' || op === 'ConstantOfShape'],
  ['interleave (Transpose, Slice)', (op) => op === 'Transpose' || op === 'Slice'],
  ['layout reorders (NCHWc)', (op) => op === 'ReorderInput' || op === 'ReorderOutput'],
  ['Add, Sum', (op) => op === 'Add' || op === 'Sum'],
  ['gemm, head, rest', () => true],
];

/** onnxruntime's profile of `runs` runs: model_run and kernel time per group, ms per run. */
async function profile(graph: ModelProto, f: Record<string, ort.Tensor>, fetch: string[], threads: number, runs: number): Promise<{ modelRun: number; kernels: number; groups: Record<string, number> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-profile-'));
  try {
    const s = await ort.InferenceSession.create(encodeModel(executed(graph)), { ...baseOptions(threads), enableProfiling: true, profileFilePrefix: join(dir, 'p') });
    await s.run(f, fetch);
    for (let i = 0; i < runs; i++) await s.run(f, fetch);
    s.endProfiling();
    await s.release();
    const file = readdirSync(dir).find((x) => x.endsWith('.json'))!;
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
    const runsDur = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur).slice(1);
    const groups: Record<string, number> = Object.fromEntries(GROUPS.map(([g]) => [g, 0]));
    // Kernel events of the warm-up run are the first 1/(runs+1) of them.
    const kernelEvents = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    const timed = kernelEvents.slice(kernelEvents.length / (runs + 1));
    let kernels = 0;
    for (const e of timed) {
      const op = e.args?.op_name ?? '';
      const node = e.name.slice(0, -'_kernel_time'.length);
      const g = GROUPS.find(([, f]) => f(op, node))![0];
      groups[g]! += e.dur / 1000 / runs;
      kernels += e.dur / 1000 / runs;
    }
    return { modelRun: median(runsDur) / 1000, kernels, groups };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const n = num('batch', 32), threads = num('threads', 2), repeats = num('repeats', 7);
  const models = list('models', Object.keys(MODELS));
  const methods = list('methods', ['gradcam', 'saliency']);
  const sections = list('sections', ['layers', 'kernels', 'options']);
  const x = inputs(n);
  console.log(`explain breakdown: batch ${n} x 12 x 1000, class ${CLASS}, ${threads} intra-op threads, median of ${repeats} interleaved calls; onnxruntime-node ${ort.env.versions.node ?? ''}`);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${availableParallelism()} cores); spinning by default: ${runtimeDefaults.spinning}`);
  for (const key of models) {
    const model = MODELS[key]!();
    for (const method of methods) {
      const { graph, fetch, seedInput } = explainGraph(model, method);
      const f = feeds(x, seedInput);
      console.log(`\n== ${key}, ${method} (gradient graph: ${graph.graph!.node!.length} nodes)`);
      if (sections.includes('layers')) {
        const e = await createExplainer(method, model, { threads });
        const wrapped = await OnnxSession.create(graph, { threads });
        const raw = await ort.InferenceSession.create(encodeModel(executed(graph)), baseOptions(threads));
        const seed = { data: f[seedInput]!.data as Float32Array, shape: [n, 6] };
        const t = await interleaved({
          explain: () => e.explain({ x }, { target: CLASS }),
          wrapped: () => wrapped.run({ ecg: x, [seedInput]: seed }, { outputs: fetch, batchSize: n }),
          raw: () => raw.run(f, fetch),
        }, repeats);
        const p = await profile(graph, f, fetch, threads, 3);
        console.log(`explain() ${ms(t['explain']!)} ms = JS ${ms(t['explain']! - t['wrapped']!)} + feeds/fetches ${ms(t['wrapped']! - t['raw']!)} + binding ${ms(t['raw']! - p.modelRun)} + session overhead ${ms(p.modelRun - p.kernels)} + kernels ${ms(p.kernels)} (model_run ${ms(p.modelRun)}, profiled separately)`);
        if (sections.includes('kernels')) console.log('kernels: ' + Object.entries(p.groups).filter(([, v]) => v > 0).map(([g, v]) => `${g} ${ms(v)} ms (${((v / p.kernels) * 100).toFixed(0)}%)`).join(', '));
        await e.release?.();
        await wrapped.release();
        await raw.release();
      }
      if (!sections.includes('options')) continue;
      const variants: Record<string, { graph?: ModelProto; options?: ort.InferenceSession.SessionOptions; as2d?: boolean }> = {
        default: {},
        [runtimeDefaults.conv1dAs2d ? 'conv1d as 1-D' : 'conv1d as 2-D']: { as2d: !runtimeDefaults.conv1dAs2d },
        [runtimeDefaults.spinning ? 'no spinning' : 'spinning']: { options: { extra: { session: { intra_op: { allow_spinning: runtimeDefaults.spinning ? '0' : '1' }, inter_op: { allow_spinning: runtimeDefaults.spinning ? '0' : '1' } } } } },
        [`threads ${threads === 1 ? 2 : 1}`]: { options: { intraOpNumThreads: threads === 1 ? 2 : 1 } },
        'no memory pattern': { options: { enableMemPattern: false } },
        'no memory arena': { options: { enableCpuMemArena: false } },
        'parallel execution': { options: { executionMode: 'parallel', interOpNumThreads: threads } },
        'optimisation basic': { options: { graphOptimizationLevel: 'basic' } },
        'fixed batch dim': { graph: fixBatch(graph, n) },
        'probs pruned': { graph: pruneOutputs(graph, fetch) },
      };
      foldOptions.batchNorm = false;
      variants['BN not folded'] = { graph: explainGraph(model, method).graph };
      foldOptions.batchNorm = true;
      const steps: Record<string, () => Promise<unknown>> = {};
      const sessions: ort.InferenceSession[] = [];
      for (const [name, v] of Object.entries(variants)) {
        const s = await ort.InferenceSession.create(encodeModel(executed(v.graph ?? graph, v.as2d)), { ...baseOptions(threads), ...(v.options ?? {}) });
        sessions.push(s);
        steps[name] = () => s.run(f, fetch);
      }
      const t = await interleaved(steps, repeats);
      console.log('options and graph shape (ort run, ms; ratio to default):');
      for (const [name, v] of Object.entries(t)) console.log(`  ${name.padEnd(20)} ${ms(v).padStart(7)}  ${(v / t['default']!).toFixed(2)}`);
      for (const s of sessions) await s.release();
    }
  }
  console.log(`\nload average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
