/**
 * Attribution throughput per method, IG's peak memory against its internal
 * batch size, and a PyTorch CPU peer (captum-free torch code for saliency,
 * Grad-CAM and IG: bench/explain_torch.py) timed in the same run.
 *
 * Model: ecgx resnet1d, flatten head, filters [32, 64, 64, 128], downsample
 * [4, 5, 5] (1000 -> 250 -> 50 -> 10), kernel 9, 6 multi-label outputs; input
 * a batch of 32 seeded 12 x 1000 signals; target class 1; 2 intra-op threads
 * on both sides. Each method: one warm-up call, then --repeats timed calls
 * (median). Peak RSS of IG (64 steps) is measured in a fresh child process
 * per internal batch size (RSS includes node + onnxruntime, ~100 MB).
 *
 * The coalition methods (shap-waves, lime) and TCAV run on one synthetic 10 s
 * ECG at 100 Hz with its ground-truth waves (src/data/synth), one call each:
 * Shapley over 12 leads x 3 waves x beats (~420 features) is KernelSHAP with
 * 2M + 1024 paired coalitions, i.e. ~1900 masked copies run through the model
 * in batches of 64: seconds, bounded by the forward rate.
 *
 *   npm run build && node --expose-gc dist/bench/explain.js [--repeats 3] [--batch 32]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/rng.js';
import { writeNpy, type NdArray } from '../src/util/npy.js';
import { saveModel } from '../src/engine/onnx/proto.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { createExplainer } from '../src/explain/index.js';
import { synthesizeDatabaseRecord } from '../src/data/synth/database.js';

const PYTHON = process.env['ECGX_BENCH_PYTHON'] ?? '/usr/bin/python3';
const TORCH_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/explain_torch.py');
const ARCH = { leads: 12, samples: 1000, filters: [32, 64, 64, 128], downsample: [4, 5, 5], kernel: 9, dropout: 0.2, head: 'flatten' as const, task: 'multilabel' as const, outputs: 6, seed: 1, fs: 100 };
const CLASS = 1;
const THREADS = 2;
const METHODS: [string, Record<string, unknown>][] = [
  ['gradcam', {}],
  ['saliency', {}],
  ['input-x-gradient', {}],
  ['smoothgrad', { samples: 16 }],
  ['integrated-gradients', { steps: 64, batchSize: 64 }],
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

const arg = (k: string, d: number): number => {
  const i = process.argv.indexOf(`--${k}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : d;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${k}: expected a positive integer`);
  return n;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
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

/** Child mode: one IG call at 64 steps with this internal batch size; prints peak RSS. */
async function child(modelPath: string, internal: number, n: number): Promise<void> {
  const e = await createExplainer('integrated-gradients', modelPath, { threads: THREADS });
  const t0 = performance.now();
  await e.explain({ x: inputs(n) }, { target: CLASS, steps: 64, batchSize: internal });
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ internal, s, maxrss_mb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

async function main(): Promise<void> {
  const ci = process.argv.indexOf('--child-ig');
  if (ci >= 0) return child(process.argv[ci + 1]!, Number(process.argv[ci + 2]), Number(process.argv[ci + 3]));
  const repeats = arg('repeats', 3);
  const n = arg('batch', 32);
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-bench-explain-'));
  try {
    const modelPath = join(dir, 'model.onnx');
    saveModel(modelPath, resnet1d(ARCH));
    const x = inputs(n);
    const xPath = join(dir, 'x.npy');
    writeNpy(xPath, x);
    console.log(`explain bench: resnet1d filters ${ARCH.filters.join(',')} downsample ${ARCH.downsample.join(',')} kernel ${ARCH.kernel}, batch ${n} x 12 x 1000, class ${CLASS}, ${THREADS} threads, load ${loadavg()[0]!.toFixed(2)}`);
    const rows: { method: string; options: string; s: number }[] = [];
    for (const [method, opts] of METHODS) {
      const e = await createExplainer(method, modelPath, { threads: THREADS, ...opts });
      await e.explain({ x: { data: x.data.subarray(0, 2 * 12000), shape: [2, 12, 1000] } }, { target: CLASS, seed: 1 });
      const times: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        const a = await e.explain({ x }, { target: CLASS, seed: 1 });
        times.push((performance.now() - t0) / 1000);
        if (r === 0 && ['saliency', 'gradcam', 'integrated-gradients'].includes(method)) writeNpy(join(dir, `${method === 'integrated-gradients' ? 'ig' : method}.npy`), a.values);
      }
      await e.release?.();
      rows.push({ method, options: JSON.stringify(opts), s: median(times) });
    }

    // Coalition methods and TCAV on synthetic 10 s ECGs with ground-truth waves.
    const synth = Array.from({ length: 17 }, (_, i) => synthesizeDatabaseRecord({ n: 17, fs: 100, seed: 3, layout: 'ptbxl' }, i));
    const one = { data: synth[0]!.signal, shape: [1, 12, 1000] };
    const perEcg: { method: string; options: string; features: number; s: number }[] = [];
    for (const [method, opts] of PER_ECG) {
      const e = await createExplainer(method, modelPath, { threads: THREADS, ...opts });
      const t0 = performance.now();
      const a = await e.explain({ x: one, fs: 100, leads: synth[0]!.leads }, { target: CLASS, seed: 1 });
      perEcg.push({ method, options: JSON.stringify(opts), features: (a.meta!['features'] as unknown[][])[0]!.length, s: (performance.now() - t0) / 1000 });
      await e.release?.();
    }
    const pool = new Float32Array(16 * 12000);
    synth.slice(1).forEach((r, i) => pool.set(r.signal, i * 12000));
    const t0 = performance.now();
    const tcav = await createExplainer('tcav', modelPath, { threads: THREADS, concept: 'edit:widen-qrs', pool: { data: pool, shape: [16, 12, 1000] }, randomSets: 10, setSize: 8 });
    const fitS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const ta = await tcav.explain({ x }, { target: CLASS });
    const tcavS = (performance.now() - t1) / 1000;
    await tcav.release?.();

    // Torch peer, same model, input, class and threads.
    let torch: { torch: string; methods: Record<string, { median_s: number }>; check: Record<string, number> } | undefined;
    let torchNote = 'n/a';
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) {
      const r = spawnSync(PYTHON, [TORCH_SCRIPT, '--model', modelPath, '--input', xPath, '--cls', String(CLASS), '--steps', '64', '--internal-batch', '64', '--threads', String(THREADS), '--repeats', String(repeats), '--ref-dir', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
      const line = r.stdout.trim().split('\n').at(-1) ?? '';
      try {
        torch = JSON.parse(line);
        torchNote = `torch ${torch!.torch}`;
      } catch {
        torchNote = `n/a (torch peer failed: ${(r.stderr || line).trim().split('\n').at(-1)})`;
      }
    } else {
      torchNote = `n/a (no torch in ${PYTHON})`;
    }
    const peer: Record<string, string> = { saliency: 'saliency', gradcam: 'gradcam', 'integrated-gradients': 'ig' };
    console.log(`\n| method | options | s / batch | ECG/s | torch ECG/s | ecgx/torch | rel. diff vs torch |`);
    console.log(`|---|---|---:|---:|---:|---:|---:|`);
    for (const r of rows) {
      const p = peer[r.method] ? torch?.methods[peer[r.method]!] : undefined;
      const c = peer[r.method] ? torch?.check[peer[r.method]!] : undefined;
      const tps = p ? (n / p.median_s).toFixed(1) : 'n/a';
      const ratio = p ? (p.median_s / r.s).toFixed(2) : 'n/a';
      console.log(`| ${r.method} | ${r.options} | ${r.s.toFixed(3)} | ${(n / r.s).toFixed(1)} | ${tps} | ${ratio} | ${c !== undefined ? c.toExponential(1) : 'n/a'} |`);
    }
    console.log(`peer: ${torchNote}`);

    console.log(`\n| method (one 10 s ECG, 12 x 1000) | options | features | s / ECG |`);
    console.log(`|---|---|---:|---:|`);
    for (const r of perEcg) console.log(`| ${r.method} | ${r.options} | ${r.features} | ${r.s.toFixed(2)} |`);
    const t = ta.meta!['tcav'] as { score: number; p: number };
    console.log(`| tcav (edit:widen-qrs, pool 16, 10 random sets) | fit once | - | ${fitS.toFixed(2)} |`);
    console.log(`| tcav | explain batch of ${n} (TCAV ${t.score.toFixed(2)}, p ${t.p.toFixed(3)}) | - | ${(tcavS / n).toFixed(3)} |`);

    console.log(`\n| IG 64 steps, internal batch | s / batch | peak RSS MB |`);
    console.log(`|---:|---:|---:|`);
    for (const internal of [16, 64, 256]) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child-ig', modelPath, String(internal), String(n)], { encoding: 'utf8' });
      const j = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { s: number; maxrss_mb: number };
      console.log(`| ${internal} | ${j.s.toFixed(2)} | ${j.maxrss_mb.toFixed(0)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
