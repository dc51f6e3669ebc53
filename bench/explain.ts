/**
 * Attribution throughput against PyTorch CPU, interleaved in one run, on two
 * model sizes; then (ecgx only) the other methods, the coalition methods and
 * TCAV, and IG's peak memory against its internal batch size.
 *
 * Models (12 x 1000 inputs, 6 multi-label outputs, seed 1):
 *   explain         the explain bench model: resnet1d filters [32, 64, 64, 128],
 *                   downsample [4, 5, 5] (1000 -> 250 -> 50 -> 10), kernel 9, flatten head
 *   resnet1d-small  ecgx's resnet1d-small at its defaults: filters [32, 64, 64, 128],
 *                   downsample [4, 2, 2] (1000 -> 250 -> 125 -> 63), kernel 9, GAP head
 * Input: a batch of 32 seeded 12 x 1000 signals; target class 1; 2 intra-op
 * threads on both sides.
 *
 * Peer table: for each model and method (Grad-CAM, saliency, input x
 * gradient, IG at 64 steps with internal batch 64, and one training step:
 * BCE, every parameter's gradient, AdamW) an ecgx child and a torch child
 * (bench/explain_torch.py, or bench/engine_torch.py for the training step)
 * each warm up at the timed batch size, then their timed calls alternate
 * ABBA, as in bench/engine.ts, so both see the same machine load. Each child
 * reports its peak RSS (node + onnxruntime, or python + torch), and torch
 * checks that its values match ecgx's (relative L2).
 *
 * The coalition methods (shap-waves, lime) and TCAV run on one synthetic 10 s
 * ECG at 100 Hz with its ground-truth waves (src/data/synth), one call each:
 * Shapley over 12 leads x 3 waves x beats (~420 features) is KernelSHAP with
 * 2M + 1024 paired coalitions, i.e. ~1900 masked copies run through the model
 * in batches of 64: seconds, bounded by the forward rate.
 *
 *   npm run build && node --expose-gc dist/bench/explain.js [--repeats 5] [--batch 32] [--threads 2]
 *       [--models explain,resnet1d-small] [--methods gradcam,saliency,input-x-gradient,integrated-gradients,train]
 *       [--peer-only]
 */
import { spawnSync } from 'node:child_process';
import { Served, interleaved, serveSteps, torchVersionIn } from './_served.js';
import { median } from './_timing.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/rng.js';
import { readNpy, writeNpy, type NdArray } from '../src/util/npy.js';
import { loadModel, saveModel, type ModelProto } from '../src/engine/onnx/proto.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { buildModel } from '../src/models/index.js';
import { createExplainer } from '../src/explain/index.js';
import { Trainer } from '../src/train/trainer.js';
import { synthesizeDatabaseRecord } from '../src/data/synth/database.js';

const PYTHON = process.env['ECGX_BENCH_PYTHON'] ?? '/usr/bin/python3';
const HERE = dirname(fileURLToPath(import.meta.url));
const TORCH_EXPLAIN = resolve(HERE, '../../bench/explain_torch.py');
const TORCH_ENGINE = resolve(HERE, '../../bench/engine_torch.py');
const ARCH = { leads: 12, samples: 1000, filters: [32, 64, 64, 128], downsample: [4, 5, 5], kernel: 9, dropout: 0.2, head: 'flatten' as const, task: 'multilabel' as const, outputs: 6, seed: 1, fs: 100 };
const BENCH_MODELS: Record<string, () => ModelProto> = {
  explain: () => resnet1d(ARCH),
  'resnet1d-small': () => buildModel('resnet1d-small', { leads: 12, samples: 1000, task: 'multilabel', outputs: 6, seed: 1, fs: 100 }),
};
const CLASS = 1;
/** Methods timed against torch: ecgx name, options, torch name ('train': bench/engine_torch.py --phase train). */
const PEER: [string, Record<string, unknown>, string][] = [
  ['gradcam', {}, 'gradcam'],
  ['saliency', {}, 'saliency'],
  ['input-x-gradient', {}, 'ixg'],
  ['integrated-gradients', { steps: 64, batchSize: 64 }, 'ig'],
  ['train', {}, 'train'],
];
/** ecgx only, on the explain model. */
const METHODS: [string, Record<string, unknown>][] = [
  ['smoothgrad', { samples: 16 }],
  ['occlusion', { window: 100, stride: 50 }],
  ['deeplift', {}],
  ['deeplift-shap', { count: 8 }],
  ['gradient-shap', { samples: 32 }],
  ['guided-backprop', {}],
  ['guided-gradcam', {}],
  ['lrp', {}],
];
/** One 10 s ECG each (their cost is model calls per ECG). */
const PER_ECG: [string, Record<string, unknown>][] = [
  ['shap-waves', { features: 'wave-beats' }],
  ['shap-waves', { features: 'waves' }],
  ['shap-waves', { features: 'waves', estimator: 'permutation', samples: 980 }],
  ['lime', { features: 'waves', samples: 1000 }],
];

const get = (k: string): string | undefined => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const arg = (k: string, d: number): number => {
  const v = get(k);
  const n = v !== undefined ? Number(v) : d;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${k}: expected a positive integer`);
  return n;
};
const list = (k: string, all: string[]): string[] => {
  const v = (get(k) ?? all.join(',')).split(',');
  for (const x of v) if (!all.includes(x)) throw new Error(`--${k}: unknown '${x}' (expected ${all.join(', ')})`);
  return v;
};

function inputs(n: number): NdArray {
  const r = new Rng(7);
  const x = new Float32Array(n * 12 * 1000);
  for (let row = 0; row < n * 12; row++) {
    const f = r.range(0.8, 2);
    const ph = r.range(0, 6.28);
    for (let t = 0; t < 1000; t++) x[row * 1000 + t] = Math.sin((2 * Math.PI * f * t) / 100 + ph) + 0.1 * r.normal();
  }
  return { data: x, shape: [n, 12, 1000] };
}

function targets(n: number): NdArray {
  const r = new Rng(2020);
  return { data: Float32Array.from({ length: n * 6 }, () => (r.uniform() < 0.3 ? 1 : 0)), shape: [n, 6] };
}

/** Child mode: IG at 64 steps with this internal batch size; prints peak RSS. */
async function childIg(modelPath: string, internal: number, n: number, threads: number): Promise<void> {
  const e = await createExplainer('integrated-gradients', modelPath, { threads });
  const t0 = performance.now();
  await e.explain({ x: inputs(n) }, { target: CLASS, steps: 64, batchSize: internal });
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ internal, s, maxrss_mb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

/**
 * Child mode (ecgx side of the peer table): one method on one model, warmed
 * up at the timed batch, its values written for torch's check, then one
 * timed call per 'step' line on stdin (bench/engine.ts's protocol).
 */
async function serveEcgx(dir: string, model: string, method: string, threads: number, warmup: number): Promise<void> {
  const path = join(dir, `${model}.onnx`);
  const x = readNpy(join(dir, 'x.npy'));
  let step: () => Promise<unknown>;
  let release: () => Promise<void>;
  if (method === 'train') {
    const trainer = await Trainer.create(loadModel(path), { loss: { kind: 'bce' }, threads });
    const y = readNpy(join(dir, 'y.npy'));
    const rng = new Rng(7);
    step = () => trainer.step(x, y, 1e-3, rng);
    release = () => trainer.release();
  } else {
    const opts = PEER.find((p) => p[0] === method)![1];
    const e = await createExplainer(method, path, { threads, ...opts });
    step = () => e.explain({ x }, { target: CLASS, seed: 1 });
    release = async () => e.release?.();
    const a = (await step()) as { values: NdArray };
    writeNpy(join(dir, `${model}-${method}.npy`), a.values);
  }
  await serveSteps(step, release, warmup);
}

interface SideResult { times_s: number[]; median_s: number; maxrss_kb: number; check_rel_err?: number | null }

interface PeerRow { model: string; method: string; ecgx?: SideResult; torch?: SideResult; notes: string[] }

/** One (model, method): both children warm up one after the other, then their timed calls alternate ABBA. */
async function peerRow(dir: string, model: string, method: string, torchName: string, cfg: { threads: number; repeats: number; warmup: number }, withTorch: boolean): Promise<PeerRow> {
  const common = ['--threads', String(cfg.threads), '--warmup', String(cfg.warmup)];
  const modelPath = join(dir, `${model}.onnx`), xPath = join(dir, 'x.npy');
  // A pause before each timed call (50 ms): threads that spin after a run (torch's OpenMP, onnxruntime with
  // spinning on) would slow the other side's start.
  const { results, notes } = await interleaved<SideResult, 'ecgx' | 'torch'>([
    // ecgx first: its warm-up writes the values that torch checks against.
    () => new Served('ecgx', process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', dir, model, method, ...common]),
    (started) => {
      if (!withTorch) return undefined;
      const args = torchName === 'train'
        ? [TORCH_ENGINE, '--serve', '--phase', 'train', '--model', modelPath, '--input', xPath, '--targets', join(dir, 'y.npy'), '--repeats', String(cfg.repeats), ...common]
        : [TORCH_EXPLAIN, '--serve', '--method', torchName, '--model', modelPath, '--input', xPath, '--cls', String(CLASS), '--steps', '64', '--internal-batch', '64', ...common,
          ...(started.includes('ecgx') ? ['--ref', join(dir, `${model}-${method}.npy`)] : [])];
      return new Served('torch', PYTHON, args);
    },
  ], cfg.repeats, 50);
  return { model, method, ...results, notes };
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(fmt(header));
  for (const r of rows) console.log(fmt(r));
}

async function main(): Promise<void> {
  const ci = process.argv.indexOf('--child-ig');
  if (ci >= 0) return childIg(process.argv[ci + 1]!, Number(process.argv[ci + 2]), Number(process.argv[ci + 3]), Number(process.argv[ci + 4]));
  const cc = process.argv.indexOf('--child');
  if (cc >= 0) return serveEcgx(process.argv[cc + 1]!, process.argv[cc + 2]!, process.argv[cc + 3]!, arg('threads', 2), Number(get('warmup') ?? 1));
  const repeats = arg('repeats', 5);
  const n = arg('batch', 32);
  const threads = arg('threads', 2);
  const models = list('models', Object.keys(BENCH_MODELS));
  const methods = list('methods', PEER.map((p) => p[0]));
  const peerOnly = process.argv.includes('--peer-only');
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-bench-explain-'));
  try {
    for (const m of Object.keys(BENCH_MODELS)) saveModel(join(dir, `${m}.onnx`), BENCH_MODELS[m]!());
    const modelPath = join(dir, 'explain.onnx');
    const x = inputs(n);
    writeNpy(join(dir, 'x.npy'), x);
    writeNpy(join(dir, 'y.npy'), targets(n));
    const load0 = loadavg();
    const torchVersion = torchVersionIn(PYTHON);
    console.log(`explain bench: batch ${n} x 12 x 1000, class ${CLASS}, ${threads} intra-op threads per side, warm-up 1 at the timed batch, median of ${repeats} (ABBA)`);
    console.log(`models: explain = resnet1d filters ${ARCH.filters.join(',')} downsample ${ARCH.downsample.join(',')} kernel ${ARCH.kernel} flatten; resnet1d-small = its defaults (filters 32,64,64,128, downsample 4,2,2, kernel 9, GAP)`);
    console.log(`peer: ${torchVersion ? `PyTorch ${torchVersion} CPU via ${PYTHON}` : `none (${PYTHON} cannot import torch and onnx); ecgx figures only`}`);
    console.log(`load average at start: ${load0.map((l) => l.toFixed(2)).join(' ')} (${availableParallelism()} cores)`);

    const rows: PeerRow[] = [];
    for (const model of models) {
      for (const [method, , torchName] of PEER) {
        if (!methods.includes(method)) continue;
        rows.push(await peerRow(dir, model, method, torchName, { threads, repeats, warmup: 1 }, torchVersion !== undefined));
      }
    }
    const rate = (r?: SideResult): string => (r ? (n / r.median_s).toFixed(1) : '-');
    const mb = (r?: SideResult): string => (r ? (r.maxrss_kb / 1024).toFixed(0) : '-');
    console.log('');
    printTable(['model', 'method', 'ecgx ECG/s', 'torch ECG/s', 'ecgx/torch', 'ecgx ms', 'torch ms', 'ecgx RSS MB', 'torch RSS MB', 'rel. diff'], rows.map((r) => {
      const ratio = r.ecgx && r.torch ? `${(r.torch.median_s / r.ecgx.median_s).toFixed(2)}x` : '-';
      const check = r.torch?.check_rel_err;
      return [r.model, r.method, rate(r.ecgx), rate(r.torch), ratio, r.ecgx ? (r.ecgx.median_s * 1000).toFixed(0) : '-', r.torch ? (r.torch.median_s * 1000).toFixed(0) : '-', mb(r.ecgx), mb(r.torch), typeof check === 'number' ? check.toExponential(1) : '-'];
    }));
    console.log('ecgx/torch = torch time / ecgx time (> 1: ecgx faster); train = one optimizer step (BCE, all gradients, AdamW); RSS = peak of each side\'s process; rel. diff = torch values vs ecgx\'s (relative L2)');
    console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}: other work on the machine slows both sides, not always equally`);
    for (const r of rows) for (const note of r.notes) console.log(`${r.model} ${r.method}: ${note}`);
    if (peerOnly) return;

    const others: { method: string; options: string; s: number }[] = [];
    for (const [method, opts] of METHODS) {
      const e = await createExplainer(method, modelPath, { threads, ...opts });
      await e.explain({ x }, { target: CLASS, seed: 1 });
      const times: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        await e.explain({ x }, { target: CLASS, seed: 1 });
        times.push((performance.now() - t0) / 1000);
      }
      await e.release?.();
      others.push({ method, options: JSON.stringify(opts), s: median(times) });
    }

    // Coalition methods and TCAV on synthetic 10 s ECGs with ground-truth waves.
    const synth = Array.from({ length: 17 }, (_, i) => synthesizeDatabaseRecord({ n: 17, fs: 100, seed: 3, layout: 'ptbxl' }, i));
    const one = { data: synth[0]!.signal, shape: [1, 12, 1000] };
    const perEcg: { method: string; options: string; features: number; s: number }[] = [];
    for (const [method, opts] of PER_ECG) {
      const e = await createExplainer(method, modelPath, { threads, ...opts });
      const t0 = performance.now();
      const a = await e.explain({ x: one, fs: 100, leads: synth[0]!.leads }, { target: CLASS, seed: 1 });
      perEcg.push({ method, options: JSON.stringify(opts), features: (a.meta!['features'] as unknown[][])[0]!.length, s: (performance.now() - t0) / 1000 });
      await e.release?.();
    }
    const pool = new Float32Array(16 * 12000);
    synth.slice(1).forEach((r, i) => pool.set(r.signal, i * 12000));
    const t0 = performance.now();
    const tcav = await createExplainer('tcav', modelPath, { threads, concept: 'edit:widen-qrs', pool: { data: pool, shape: [16, 12, 1000] }, randomSets: 10, setSize: 8 });
    const fitS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const ta = await tcav.explain({ x }, { target: CLASS });
    const tcavS = (performance.now() - t1) / 1000;
    await tcav.release?.();

    console.log(`\n| method (ecgx only, explain model, batch ${n}) | options | s / batch | ECG/s |`);
    console.log(`|---|---|---:|---:|`);
    for (const r of others) console.log(`| ${r.method} | ${r.options} | ${r.s.toFixed(3)} | ${(n / r.s).toFixed(1)} |`);

    console.log(`\n| method (one 10 s ECG, 12 x 1000) | options | features | s / ECG |`);
    console.log(`|---|---|---:|---:|`);
    for (const r of perEcg) console.log(`| ${r.method} | ${r.options} | ${r.features} | ${r.s.toFixed(2)} |`);
    const t = ta.meta!['tcav'] as { score: number; p: number };
    console.log(`| tcav (edit:widen-qrs, pool 16, 10 random sets) | fit once | - | ${fitS.toFixed(2)} |`);
    console.log(`| tcav | explain batch of ${n} (TCAV ${t.score.toFixed(2)}, p ${t.p.toFixed(3)}) | - | ${(tcavS / n).toFixed(3)} |`);

    console.log(`\n| IG 64 steps, internal batch | s / batch | peak RSS MB |`);
    console.log(`|---:|---:|---:|`);
    for (const internal of [16, 64, 256]) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child-ig', modelPath, String(internal), String(n), String(threads)], { encoding: 'utf8' });
      const j = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { s: number; maxrss_mb: number };
      console.log(`| ${internal} | ${j.s.toFixed(2)} | ${j.maxrss_mb.toFixed(0)} |`);
    }
    console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
