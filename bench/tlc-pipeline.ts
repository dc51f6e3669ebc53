// TLC end to end: explain throughput against the model's plain forward on the
// same ECGs in the same process (the target: >= 0.8x), the cost of the
// extra outputs alone, and the fit time; with --million, mini-batch k-means on
// 1,000,000 vectors of dim 256, K = 8 (target: < 60 s; needs ~1.1 GB).
// Model: resnet1d-small (32,64,64,128; GAP) and the Ribeiro resnet1d, random
// init, 12 leads x 1000 samples (10 s at 100 Hz); 128 ECGs; batches of 32.
// Explain runs two ways: the default (the clusters' logits computed by
// onnxruntime in the model's own run, FittedTlc.withLogits) and the
// reference path (raw activations out, distances in JavaScript).
// Run: npm run build && node --expose-gc dist/bench/tlc-pipeline.js [--million] [--threads N]
import { loadavg } from 'node:os';
import {
  ActivationReader, OnnxSession, TlcPipeline, fitTlc, tensorSource, buildModel, KMeans, Rng, type Points,
} from '../src/index.js';

const args = process.argv.slice(2);
const threadsArg = args.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : undefined;
const N = 128, LEADS = 12, T = 1000, FS = 100, BATCH = 32;

function ecgs(seed: number): Float32Array {
  const r = new Rng(seed);
  const x = new Float32Array(N * LEADS * T);
  for (let row = 0; row < N * LEADS; row++) {
    const f = r.range(0.8, 2), ph = r.range(0, 6.28);
    for (let t = 0; t < T; t++) x[row * T + t] = Math.sin((2 * Math.PI * f * t) / FS + ph) ** 15 + 0.05 * r.normal();
  }
  return x;
}

const rows: string[][] = [['model', 'step', 'seconds', 'ECG/s', 'vs forward']];
const x = { data: ecgs(1), shape: [N, LEADS, T] };
const so = threads !== undefined ? { threads } : {};
type Step = [string, () => Promise<void>];
const models: { spec: string; fitS: number; samples: string; steps: Step[]; release: () => Promise<void> }[] = [];
for (const spec of ['resnet1d-small', 'resnet1d']) {
  const model = buildModel(spec, { leads: LEADS, samples: T, task: 'multilabel', outputs: 5, fs: FS, seed: 1 });
  const t0 = performance.now();
  const tlc = await fitTlc(model, { x, fs: FS }, { k: 8, seed: 1, maxSamples: 10000 }, { ...so, progress: false });
  const fitS = (performance.now() - t0) / 1000;
  const plain = await OnnxSession.create(model, so);
  const reader = await ActivationReader.open(model, so);
  const pipe = await TlcPipeline.open(model, tlc, so);
  const pipeJs = await TlcPipeline.open(model, tlc, { ...so, logits: false });
  models.push({
    spec, fitS, samples: tlc.fit.samples.join('/'),
    steps: [
      ['forward', async () => {
        for (let s = 0; s < N; s += BATCH) await plain.run({ ecg: { data: x.data.subarray(s * LEADS * T, (s + BATCH) * LEADS * T), shape: [BATCH, LEADS, T] } });
      }],
      ['forward + 3 block outputs', async () => {
        for await (const _ of reader.batches(x, BATCH)) void _;
      }],
      ['tlc explain (K=8, 3 blocks; logits in the model run)', async () => {
        for await (const _ of pipe.explain(tensorSource(x, FS), BATCH)) void _;
      }],
      ['tlc explain (K=8, 3 blocks; activations, JS distances)', async () => {
        for await (const _ of pipeJs.explain(tensorSource(x, FS), BATCH)) void _;
      }],
    ],
    release: async () => {
      await plain.release();
      await reader.release();
      await pipe.release();
      await pipeJs.release();
    },
  });
}
// Interleaved repetitions over both models and all steps (best of 4 each), so
// that load changes on a shared machine hit every step alike.
const best = models.map((m) => m.steps.map(() => Infinity));
for (let rep = 0; rep < 5; rep++) {
  for (const [mi, m] of models.entries()) {
    for (const [i, [, f]] of m.steps.entries()) {
      const t1 = performance.now();
      await f();
      if (rep > 0) best[mi]![i] = Math.min(best[mi]![i]!, (performance.now() - t1) / 1000); // rep 0 warms up
    }
  }
}
for (const [mi, m] of models.entries()) {
  await m.release();
  const forward = best[mi]![0]!;
  const row = (step: string, s: number): string[] => [m.spec, step, s.toFixed(3), (N / s).toFixed(1), step === 'forward' ? '1.00' : (forward / s).toFixed(2)];
  m.steps.forEach(([name], i) => rows.push(row(name, best[mi]![i]!)));
  rows.push([m.spec, `tlc fit (${N} ECGs, ${m.samples} vectors)`, m.fitS.toFixed(3), (N / m.fitS).toFixed(1), '']);
}

if (args.includes('--million')) {
  const n = 1_000_000, d = 256, k = 8;
  const rng = new Rng(3);
  const centers = Array.from({ length: k * d }, () => rng.normal(0, 2));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(k);
    for (let j = 0; j < d; j++) data[i * d + j] = centers[c * d + j]! + rng.normal();
  }
  const pts: Points = { data, n, d };
  const t0 = performance.now();
  const km = new KMeans({ k, algorithm: 'minibatch', nInit: 1, seed: 1 }).fit(pts);
  const s = (performance.now() - t0) / 1000;
  rows.push(['-', `mini-batch k-means 1e6 x 256, K=8 (inertia/n ${(km.inertia / n).toFixed(1)})`, s.toFixed(2), '', '']);
}

const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(`load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}; threads ${threads ?? 'default'}`);
for (const r of rows) console.log(r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
