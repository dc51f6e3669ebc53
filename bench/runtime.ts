/**
 * OnnxSession's internal batching and extra outputs against raw onnxruntime
 * (ort.InferenceSession.run on the same chunks, in the same process), on
 * Ribeiro et al.'s 1D-ResNet form at 12 x 1000 samples (filters 64..320,
 * downsample 4,5,5,2, kernel 17, flatten head, 6 labels; bench/engine.ts's model).
 * The two sides alternate within each repeat, and each keeps its best time,
 * so load from other processes hits both alike.
 *
 *   npm run build && node --expose-gc dist/bench/runtime.js [--ecgs 64] [--threads 2] [--repeats 3]
 *
 * Columns: ECG/s of OnnxSession.run (batchSize b over all ECGs), ECG/s of raw
 * ort.run over the same chunks, their ratio, and the process RSS after the
 * row (a high-water mark: rows run in increasing batch size). Then the cost
 * of also returning the last three block activations.
 */
import * as ort from 'onnxruntime-node';
import { OnnxSession, ortVersion } from '../src/engine/runtime.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { encodeModel } from '../src/engine/onnx/proto.js';
import { inspectModel } from '../src/engine/onnx/inspect.js';
import { Rng } from '../src/util/rng.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name}: expected a positive integer`);
  return v;
}

const N = arg('ecgs', 64);
const THREADS = arg('threads', 2);
const REPEATS = arg('repeats', 3);
const LEADS = 12;
const SAMPLES = 1000;

/** Best seconds of each function, run alternately (after one warm-up each). */
async function bestOf(fs: (() => Promise<unknown>)[]): Promise<number[]> {
  for (const f of fs) await f();
  const t = fs.map(() => Infinity);
  for (let r = 0; r < REPEATS; r++) {
    for (const [i, f] of fs.entries()) {
      const t0 = performance.now();
      await f();
      t[i] = Math.min(t[i]!, (performance.now() - t0) / 1000);
    }
  }
  return t;
}

async function main(): Promise<void> {
  const model = resnet1d({ leads: LEADS, samples: SAMPLES, filters: [64, 128, 196, 256, 320], downsample: [4, 5, 5, 2], kernel: 17, dropout: 0.2, head: 'flatten', task: 'multilabel', outputs: 6, seed: 1 });
  const info = inspectModel(model);
  const rng = new Rng(1);
  const x = Float32Array.from({ length: N * LEADS * SAMPLES }, () => rng.normal(0, 0.3));
  const session = await OnnxSession.create(model, { threads: THREADS });
  const raw = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'all', intraOpNumThreads: THREADS, interOpNumThreads: 1 });
  const per = LEADS * SAMPLES;
  const rawRun = async (b: number, outputs: string[]): Promise<void> => {
    for (let s = 0; s < N; s += b) {
      const c = Math.min(b, N - s);
      await raw.run({ ecg: new ort.Tensor('float32', x.subarray(s * per, (s + c) * per), [c, LEADS, SAMPLES]) }, outputs);
    }
  };
  console.log(`OnnxSession vs raw onnxruntime-node ${ortVersion()}: resnet1d 12x${SAMPLES}, ${info.parameters.toLocaleString('en-US')} parameters, ${N} ECGs, ${THREADS} threads, best of ${REPEATS}`);
  console.log('');
  console.log('batch   OnnxSession ECG/s   raw ort ECG/s   ratio   RSS after (MB)');
  for (const b of [1, 8, 32, 64]) {
    if (b > N) break;
    const [tS, tR] = (await bestOf([() => session.run({ ecg: { data: x, shape: [N, LEADS, SAMPLES] } }, { batchSize: b, outputs: ['logits'] }), () => rawRun(b, ['logits'])])) as [number, number];
    (globalThis as { gc?: () => void }).gc?.();
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(`${String(b).padStart(5)}   ${(N / tS).toFixed(1).padStart(17)}   ${(N / tR).toFixed(1).padStart(13)}   ${(tR / tS).toFixed(2).padStart(5)}   ${rss.toFixed(0).padStart(14)}`);
  }
  const blocks = info.blocks.slice(-3);
  const withBlocks = await OnnxSession.create(model, { threads: THREADS, extraOutputs: blocks });
  const [tPlain, tBlocks] = (await bestOf([
    () => session.run({ ecg: { data: x, shape: [N, LEADS, SAMPLES] } }, { batchSize: 64, outputs: ['logits'] }),
    () => withBlocks.run({ ecg: { data: x, shape: [N, LEADS, SAMPLES] } }, { batchSize: 64 }),
  ])) as [number, number];
  console.log('');
  console.log(`extra outputs (batch 64): logits only ${(N / tPlain).toFixed(1)} ECG/s; logits + ${blocks.join(', ')} ${(N / tBlocks).toFixed(1)} ECG/s (ratio ${(tPlain / tBlocks).toFixed(2)})`);
  await session.release();
  await withBlocks.release();
  await raw.release();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
