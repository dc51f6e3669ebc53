/**
 * Training throughput at PTB-XL scale: ECGs of 12 leads x 1000 samples
 * (10 s at 100 Hz), batch 64, 17,000 training ECGs per epoch.
 *
 * For each model, `--steps` optimizer steps of ecgx's Trainer.step (training
 * graph with BN batch statistics, dropout masks, BCE loss, gradients of every
 * parameter, BN running-statistics update, AdamW) are timed after one warm-up
 * step; seconds per epoch = 17,000 / (ECG/s), i.e. extrapolated from the
 * timed steps (data loading from the in-memory cache and validation are not
 * included).
 * Also timed: creating the onnxruntime session of the training graph, which is
 * what each step would cost on top if parameters were initializers rewritten
 * every step instead of graph inputs.
 * Peer (same run, same model and threads): PyTorch CPU, bench/engine_torch.py
 * --phase train (forward, BCE, backward, AdamW), for every model (its torch
 * mirror of resnet1d has the flatten and GAP heads); skipped without torch.
 *
 *   npm run build && node --expose-gc dist/bench/train.js [--steps 5] [--batch 64] [--threads 2]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../src/models/index.js';
import { saveModel } from '../src/engine/onnx/proto.js';
import { OnnxSession } from '../src/engine/runtime.js';
import { Trainer } from '../src/train/trainer.js';
import { trainingGraph } from '../src/train/graph.js';
import { Rng } from '../src/util/rng.js';
import { writeNpy, type NdArray } from '../src/util/npy.js';

const arg = (k: string, d: number): number => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const STEPS = arg('steps', 5), BATCH = arg('batch', 64), THREADS = arg('threads', 2);
const EPOCH = 17_000;
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/engine_torch.py');

const MODELS = [
  'resnet1d-small:filters=16,32,32,64', // the model of the measured cross-validation runs
  // Its flatten-head twin with downsampling that divides 1000 (1000 -> 250 -> 125 -> 25).
  'resnet1d-small:filters=16,32,32,64;downsample=4,2,5;head=flatten',
  'resnet1d-small', // 32,64,64,128, kernel 9, GAP
  'resnet1d:downsample=4,5,5,2', // Ribeiro et al. 2020 (64,128,196,256,320, kernel 17, flatten) at 1000 samples, as bench/engine.ts
];

function randomBatch(seed: number): { x: NdArray; y: NdArray } {
  const rng = new Rng(seed);
  return {
    x: { data: Float32Array.from({ length: BATCH * 12 * 1000 }, () => rng.normal(0, 0.3)), shape: [BATCH, 12, 1000] },
    y: { data: Float32Array.from({ length: BATCH * 5 }, () => (rng.uniform() < 0.3 ? 1 : 0)), shape: [BATCH, 5] },
  };
}

function torchPeer(dir: string): { ecgPerS: number; version: string } | string {
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, '--model', join(dir, 'model.onnx'), '--input', join(dir, 'x.npy'), '--targets', join(dir, 'y.npy'), '--phase', 'train', '--threads', String(THREADS), '--warmup', '1', '--repeats', String(STEPS)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { median_s?: number; torch?: string; error?: string };
    if (j.median_s) return { ecgPerS: BATCH / j.median_s, version: j.torch ?? '?' };
    return j.error ?? 'no result';
  } catch {
    return `failed: ${(r.stderr || line).split('\n').filter(Boolean).pop() ?? 'no output'}`;
  }
}

const loadBefore = loadavg()[0]!;
const rows: string[][] = [];
const notes: string[] = [];
const { x, y } = randomBatch(1);
for (const spec of MODELS) {
  const model = buildModel(spec, { leads: 12, samples: 1000, task: 'multilabel', outputs: 5, seed: 1 });
  const t0 = performance.now();
  const graph = trainingGraph(model, { kind: 'bce' });
  const session = await OnnxSession.create(graph.model, { threads: THREADS });
  const createS = (performance.now() - t0) / 1000;
  await session.release();
  const trainer = await Trainer.create(model, { loss: { kind: 'bce' }, threads: THREADS });
  const rng = new Rng(2);
  await trainer.step(x, y, 1e-3, rng); // warm-up
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const s = performance.now();
    await trainer.step(x, y, 1e-3, rng);
    times.push((performance.now() - s) / 1000);
  }
  await trainer.release();
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1]!;
  const rate = BATCH / median;
  const params = graph.params.reduce((a, p) => a + p.shape.reduce((u, v) => u * v, 1), 0);
  let peer = 'n/a', ratio = 'n/a';
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-bench-train-'));
  saveModel(join(dir, 'model.onnx'), model);
  writeNpy(join(dir, 'x.npy'), x);
  writeNpy(join(dir, 'y.npy'), y);
  const t = torchPeer(dir);
  rmSync(dir, { recursive: true, force: true });
  if (typeof t === 'string') notes.push(`${spec}: torch peer ${t}`);
  else {
    peer = t.ecgPerS.toFixed(1);
    ratio = (rate / t.ecgPerS).toFixed(2);
    notes.push(`torch ${t.version}`);
  }
  rows.push([spec, String(params), rate.toFixed(1), (EPOCH / rate).toFixed(0), (median * 1000).toFixed(0), createS.toFixed(2), peer, ratio]);
  globalThis.gc?.();
}

const head = ['model', 'params', 'ecgx ECG/s', 's/epoch@17k', 'ms/step', 'session create s', 'torch ECG/s', 'ecgx/torch'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
console.log(`training step, batch ${BATCH} of 12 x 1000, ${THREADS} threads, median of ${STEPS} steps after 1 warm-up; s/epoch = 17,000 / (ECG/s), extrapolated`);
console.log(head.map((h, i) => h.padEnd(widths[i]!)).join('  '));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
for (const n of [...new Set(notes)]) console.log(n);
console.log(`1-min load average: ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (the sides run one after the other, not interleaved: compare ratios only at similar load)`);
