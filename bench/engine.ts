/**
 * ecgx engine vs PyTorch CPU on the same model, weights, inputs and threads,
 * measured in one run.
 *
 * Model: ecgx's resnet1d in Ribeiro et al.'s form at 12 x 1000 samples,
 * filters [64, 128, 196, 256, 320], downsample [4, 5, 5, 2] (1000 -> 250 -> 50
 * -> 10 -> 5), kernel 17, dropout 0.2, flatten head, 6 multi-label outputs.
 * bench/engine_torch.py builds a torch mirror of it from the ONNX file
 * (scripts/torch/resnet1d.py, same padding, weights from the initializers)
 * and checks that both give the same logits.
 *
 * Phases (batch 64, intra-op threads 2 on both sides), each in a fresh process
 * per side so that peak RSS is per phase; after each side's warm-up, the timed
 * steps alternate between the sides (ABBA), so both see the same machine load:
 *   forward    logits, inference mode
 *   saliency   d sum_b logits[b, 1] / d ecg
 *   blockgrad  d sum_b logits[b, 1] / d block2 (output of the 2nd residual block)
 *   train      one optimizer step: training mode (BN batch statistics, dropout
 *              0.2), BCE-with-logits loss, gradients of every parameter, AdamW
 *              (lr 1e-3, weight decay 0.01 on conv/linear weights); ecgx runs
 *              its Trainer.step (which also updates BN running statistics)
 *
 *   npm run build && node --expose-gc dist/bench/engine.js [--batch 64] [--threads 2]
 *       [--warmup 1] [--repeats 5] [--phases forward,saliency,blockgrad,train]
 *
 * Without torch in /usr/bin/python3 it says so and prints the ecgx figures only.
 */
import { Served, interleaved, serveSteps, torchVersionIn } from './_served.js';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/rng.js';
import { readNpy, writeNpy, type NdArray } from '../src/util/npy.js';
import { loadModel, saveModel, type ModelProto } from '../src/engine/onnx/proto.js';
import { OnnxSession } from '../src/engine/runtime.js';
import { gradientGraph, gradientGraphInfo } from '../src/engine/autodiff/index.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { Trainer } from '../src/train/trainer.js';

const PHASES = ['forward', 'saliency', 'blockgrad', 'train'] as const;
type Phase = (typeof PHASES)[number];
/** Debian's python with python3-torch; ECGX_BENCH_PYTHON overrides it. */
const PYTHON = process.env['ECGX_BENCH_PYTHON'] ?? '/usr/bin/python3';
const TORCH_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/engine_torch.py');
const CLASS = 1;
const BLOCK = 2;
const ARCH = { leads: 12, samples: 1000, filters: [64, 128, 196, 256, 320], downsample: [4, 5, 5, 2], kernel: 17, dropout: 0.2, head: 'flatten' as const, task: 'multilabel' as const, outputs: 6, seed: 1 };

interface Config { batch: number; threads: number; warmup: number; repeats: number; phases: Phase[] }
interface PhaseResult { phase: Phase; times_s: number[]; median_s: number; maxrss_kb: number; check_rel_err?: number | null }

function parseArgs(argv: string[]): Config & { child?: Phase; dir?: string } {
  const get = (k: string): string | undefined => {
    const i = argv.indexOf(`--${k}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (k: string, d: number): number => {
    const v = get(k);
    const n = v === undefined ? d : Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${k}: expected a non-negative integer, got ${v}`);
    return n;
  };
  const phases = (get('phases') ?? PHASES.join(',')).split(',') as Phase[];
  for (const p of phases) if (!PHASES.includes(p)) throw new Error(`--phases: unknown phase '${p}' (expected ${PHASES.join(', ')})`);
  const positive = (k: string, d: number): number => {
    const n = int(k, d);
    if (n < 1) throw new Error(`--${k}: expected at least 1, got ${n}`);
    return n;
  };
  return { batch: positive('batch', 64), threads: positive('threads', 2), warmup: int('warmup', 1), repeats: positive('repeats', 5), phases, child: get('child') as Phase | undefined, dir: get('dir') };
}


/** Builds one phase of ecgx in this (child) process and returns its step. */
async function ecgxPhase(phase: Phase, dir: string, cfg: Config): Promise<{ step: () => Promise<unknown>; release: () => Promise<void> }> {
  const model = loadModel(join(dir, 'model.onnx'));
  const x = readNpy(join(dir, 'x.npy'));
  const opts = { batchSize: cfg.batch };
  let step: () => Promise<unknown>;
  let session: OnnxSession;
  if (phase === 'forward') {
    session = await OnnxSession.create(model, { threads: cfg.threads });
    step = () => session.run({ ecg: x }, { ...opts, outputs: ['logits'] });
  } else if (phase === 'saliency' || phase === 'blockgrad') {
    const wrt = phase === 'saliency' ? 'ecg' : `block${BLOCK}`;
    const g = gradientGraph(model, { of: 'logits', index: CLASS, wrt: [wrt] });
    const out = gradientGraphInfo(g)!.gradients[wrt]!;
    session = await OnnxSession.create(g, { threads: cfg.threads });
    step = () => session.run({ ecg: x }, { ...opts, outputs: [out] });
  } else {
    // ecgx's own training step: BCE graph + autodiff in training mode, fresh
    // dropout masks, BN running-statistics update, AdamW (lr 1e-3, decay 0.01).
    const y = readNpy(join(dir, 'y.npy'));
    const trainer = await Trainer.create(model, { loss: { kind: 'bce' }, threads: cfg.threads });
    const rng = new Rng(7);
    const step = () => trainer.step(x, y, 1e-3, rng);
    return { step, release: () => trainer.release() };
  }
  return { step, release: () => session.release() };
}

/** Child process: warm up, then one timed step per 'step' line on stdin (same protocol as engine_torch.py --serve). */
async function serveEcgx(phase: Phase, dir: string, cfg: Config): Promise<void> {
  const { step, release } = await ecgxPhase(phase, dir, cfg);
  await serveSteps(step, release, cfg.warmup, { phase });
}

/**
 * Times one phase on both sides, interleaved (ABBA order) so that both see the
 * same machine load; warm-ups run one side at a time.
 */
async function runPhase(phase: Phase, dir: string, cfg: Config, withTorch: boolean): Promise<{ ecgx?: PhaseResult; torch?: PhaseResult; notes: string[] }> {
  const common = ['--threads', String(cfg.threads), '--warmup', String(cfg.warmup), '--repeats', String(cfg.repeats)];
  const { results, notes } = await interleaved<PhaseResult, 'ecgx' | 'torch'>([
    () => new Served('ecgx', process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', phase, '--dir', dir, '--batch', String(cfg.batch), ...common]),
    () => (withTorch ? new Served('torch', PYTHON, [TORCH_SCRIPT, '--serve', '--model', join(dir, 'model.onnx'), '--input', join(dir, 'x.npy'), '--targets', join(dir, 'y.npy'),
      '--phase', phase, '--block', String(BLOCK), '--cls', String(CLASS), '--check', join(dir, 'logits8.npy'), ...common]) : undefined),
  ], cfg.repeats);
  return { ...results, notes };
}

function prepare(dir: string, cfg: Config): ModelProto {
  const model = resnet1d(ARCH);
  saveModel(join(dir, 'model.onnx'), model);
  const rng = new Rng(2020);
  const x = new Float32Array(cfg.batch * ARCH.leads * ARCH.samples);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal(0, 0.5);
  writeNpy(join(dir, 'x.npy'), { data: x, shape: [cfg.batch, ARCH.leads, ARCH.samples] });
  const y = new Float32Array(cfg.batch * ARCH.outputs);
  for (let i = 0; i < y.length; i++) y[i] = rng.uniform() < 0.3 ? 1 : 0;
  writeNpy(join(dir, 'y.npy'), { data: y, shape: [cfg.batch, ARCH.outputs] });
  return model;
}

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  if (cfg.child) {
    await serveEcgx(cfg.child, cfg.dir!, cfg);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-bench-engine-'));
  try {
    const model = prepare(dir, cfg);
    // Reference logits for the agreement check: ecgx's forward on the first (up to) 8 ECGs.
    const nCheck = Math.min(8, cfg.batch);
    const check = await OnnxSession.create(model, { threads: cfg.threads });
    const x = readNpy(join(dir, 'x.npy'));
    const first = { data: x.data.subarray(0, nCheck * ARCH.leads * ARCH.samples), shape: [nCheck, ARCH.leads, ARCH.samples] };
    writeNpy(join(dir, 'logits8.npy'), (await check.run({ ecg: first }, { outputs: ['logits'] }))['logits']!);
    await check.release();

    const load0 = loadavg()[0]!;
    const torchVersion = torchVersionIn(PYTHON);
    console.log(`ecgx engine bench: resnet1d 12 x ${ARCH.samples}, filters [${ARCH.filters}], downsample [${ARCH.downsample}], kernel ${ARCH.kernel}; batch ${cfg.batch}, ${cfg.threads} thread${cfg.threads === 1 ? '' : 's'} per side, warm-up ${cfg.warmup}, median of ${cfg.repeats}`);
    if (!torchVersion) console.log(`PyTorch: not available (${PYTHON} cannot import torch and onnx; apt-get install python3-torch python3-onnx); ecgx figures only`);
    else console.log(`PyTorch ${torchVersion} CPU via ${PYTHON} ${TORCH_SCRIPT}`);

    const rows: { phase: Phase; ecgx?: PhaseResult; torch?: PhaseResult; notes: string[] }[] = [];
    let checkErr: number | undefined;
    for (const phase of cfg.phases) {
      const r = await runPhase(phase, dir, cfg, torchVersion !== undefined);
      if (typeof r.torch?.check_rel_err === 'number') checkErr = Math.max(checkErr ?? 0, r.torch.check_rel_err);
      rows.push({ phase, ...r });
    }

    const target: Record<Phase, [number, string]> = { forward: [1.0, '>= 1.0x'], saliency: [0.8, '>= 0.8x'], blockgrad: [0.8, '>= 0.8x'], train: [0.8, 'time <= 1.25x'] };
    const rate = (r?: PhaseResult): string => (r ? (cfg.batch / r.median_s).toFixed(1) : '-');
    const mb = (r?: PhaseResult): string => (r ? (r.maxrss_kb / 1024).toFixed(0) : '-');
    const header = ['phase', 'ecgx ECG/s', 'torch ECG/s', 'ecgx/torch', 'target', 'met', 'ecgx ms', 'torch ms', 'ecgx RSS MB', 'torch RSS MB'];
    const table = rows.map((r) => {
      const ratio = r.ecgx && r.torch ? r.torch.median_s / r.ecgx.median_s : undefined;
      const [goal, label] = target[r.phase];
      return [r.phase, rate(r.ecgx), rate(r.torch), ratio === undefined ? '-' : `${ratio.toFixed(2)}x`, label,
        ratio === undefined ? '-' : ratio >= goal ? 'yes' : 'NO',
        r.ecgx ? (r.ecgx.median_s * 1000).toFixed(0) : '-', r.torch ? (r.torch.median_s * 1000).toFixed(0) : '-', mb(r.ecgx), mb(r.torch)];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const fmt = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(fmt(header));
    for (const row of table) console.log(fmt(row));
    console.log('ratio = ecgx throughput / torch throughput (= torch time / ecgx time); train target: ecgx step time <= 1.25x torch, i.e. ratio >= 0.8x');
    console.log(`machine load average (1 min) at start ${load0.toFixed(1)}, at end ${loadavg()[0]!.toFixed(1)} (${availableParallelism()} cores): other work on the machine slows both sides, not always equally`);
    if (checkErr !== undefined) console.log(`same model check: torch mirror vs ecgx logits, relative L2 error ${checkErr.toExponential(2)}`);
    for (const r of rows) for (const n of r.notes) console.log(`${r.phase}: ${n}`);

    const outDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'engine.json'), JSON.stringify({ date: new Date().toISOString(), config: cfg, arch: ARCH, node: process.version, torch: torchVersion ?? null, checkErr: checkErr ?? null, rows }, null, 1) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
