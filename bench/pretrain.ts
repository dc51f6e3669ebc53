/**
 * Pretraining throughput: ECGs of 12 leads x 1000 samples (10 s at 100 Hz).
 *
 * For the trunk `--model`, `--steps` optimizer steps (after one warm-up step)
 * of ecgx's Trainer.step with
 *   - supervised BCE on logits (the peer: the same trunk as `ecgx train` runs it),
 *   - contrastive NT-Xent (B records -> 2B augmented views per step),
 *   - masked-segment reconstruction (B records, decoder on the last block),
 * and, on the host, the cost of making the two augmented views of an ECG and
 * of fitting a ridge probe on 1500 x F embeddings. ECG/s counts records (a
 * contrastive step sees each record twice); the ratio is against the
 * supervised step measured in the same run. Peak RSS at the end.
 *
 *   npm run build && node --expose-gc dist/bench/pretrain.js [--steps 4] [--batch 32] [--threads 2] [--model SPEC]
 */
import { loadavg } from 'node:os';
import { buildModel } from '../src/models/index.js';
import { Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';
import type { NdArray } from '../src/util/npy.js';
import { contrastiveModel, maskedModel } from '../src/pretrain/encoder.js';
import { maskedReconstructionLoss, ntXentLoss } from '../src/pretrain/losses.js';
import { augmentView, DEFAULT_AUGMENT, timeMask } from '../src/pretrain/augment.js';
import { positiveWeights } from '../src/pretrain/sampler.js';
import { fitRidge } from '../src/pretrain/probe.js';

const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1]! : d;
};
const STEPS = Number(arg('steps', '4')), BATCH = Number(arg('batch', '32')), THREADS = Number(arg('threads', '2'));
const MODEL = arg('model', 'resnet1d-small:filters=16,32,32,64');
const L = 12, T = 1000, FS = 100;

function signals(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * L * T }, () => rng.normal(0, 0.3));
}

async function timeSteps(trainer: Trainer, make: () => { x: NdArray; y: NdArray }): Promise<number> {
  const rng = new Rng(1);
  const b0 = make();
  await trainer.step(b0.x, b0.y, 1e-4, rng); // warm-up
  let s = 0;
  for (let i = 0; i < STEPS; i++) {
    const b = make();
    const t0 = performance.now();
    await trainer.step(b.x, b.y, 1e-4, rng);
    s += performance.now() - t0;
  }
  await trainer.release();
  return (STEPS * BATCH) / (s / 1000);
}

const rows: [string, number, string][] = [];
const x = signals(BATCH, 3);

// Supervised peer: the zoo model with 5 BCE outputs.
const sup = await Trainer.create(buildModel(MODEL, { leads: L, samples: T, task: 'multilabel', outputs: 5, seed: 1 }), { loss: { kind: 'bce' }, threads: THREADS });
const ySup = { data: Float32Array.from({ length: BATCH * 5 }, (_, i) => (i % 3 === 0 ? 1 : 0)), shape: [BATCH, 5] };
const supRate = await timeSteps(sup, () => ({ x: { data: x, shape: [BATCH, L, T] }, y: ySup }));
rows.push(['supervised BCE step (peer)', supRate, '']);

const con = await Trainer.create(contrastiveModel(MODEL, { leads: L, samples: T, seed: 1 }), { loss: ntXentLoss(0.1), threads: THREADS });
const x2 = signals(2 * BATCH, 4);
const ids = Array.from({ length: 2 * BATCH }, (_, i) => String(i % BATCH));
const yCon = { data: positiveWeights(ids), shape: [2 * BATCH, 2 * BATCH] };
const conRate = await timeSteps(con, () => ({ x: { data: x2, shape: [2 * BATCH, L, T] }, y: yCon }));
rows.push([`contrastive NT-Xent step (${2 * BATCH} views)`, conRate, `${(conRate / supRate).toFixed(2)}x`]);

const mas = await Trainer.create(maskedModel(MODEL, { leads: L, samples: T, seed: 1 }), { loss: maskedReconstructionLoss(), threads: THREADS });
const yMas = new Float32Array(BATCH * (L + 1) * T);
for (let b = 0; b < BATCH; b++) {
  yMas.set(x.subarray(b * L * T, (b + 1) * L * T), b * (L + 1) * T);
  const m = timeMask({ data: x.subarray(0, L * T), leads: L, samples: T }, 0.3, new Rng(b), 4).mask;
  for (let t = 0; t < T; t++) yMas[b * (L + 1) * T + L * T + t] = m[t]!;
}
const masRate = await timeSteps(mas, () => ({ x: { data: x, shape: [BATCH, L, T] }, y: { data: yMas, shape: [BATCH, L + 1, T] } }));
rows.push(['masked reconstruction step', masRate, `${(masRate / supRate).toFixed(2)}x`]);

// Host-side work per record.
const one = { data: x.subarray(0, L * T), leads: L, samples: T };
const rng = new Rng(5);
let t0 = performance.now();
const N_AUG = 200;
for (let i = 0; i < N_AUG; i++) {
  augmentView(one, FS, DEFAULT_AUGMENT, rng);
  augmentView(one, FS, DEFAULT_AUGMENT, rng);
}
const augRate = N_AUG / ((performance.now() - t0) / 1000);
rows.push(['two augmented views (host)', augRate, `${(augRate / conRate).toFixed(1)}x the NT-Xent step`]);

const F = 64, N = 1500;
const emb = { data: Float32Array.from({ length: N * F }, (_, i) => Math.sin(i * 0.37) + ((i * 7919) % 13) / 13), shape: [N, F] };
const lab = { data: Float32Array.from({ length: N * 5 }, (_, i) => (i % 4 === 0 ? 1 : 0)), shape: [N, 5] };
t0 = performance.now();
fitRidge(emb, lab, 1);
const ridgeS = (performance.now() - t0) / 1000;
rows.push([`ridge probe fit (${N} x ${F}, 5 classes)`, N / ridgeS, `${(ridgeS * 1000).toFixed(1)} ms`]);

console.log(`bench/pretrain: model ${MODEL}, batch ${BATCH}, ${STEPS} timed steps, threads ${THREADS}, 12 x ${T} at ${FS} Hz; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log('what                                        ECG/s  note');
for (const [w, r, n] of rows) console.log(`${w.padEnd(42)} ${r.toFixed(1).padStart(7)}  ${n}`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
