/**
 * The choices inside ecgx's Conv gradient rule, measured on the engine
 * bench's model (resnet1d, 12 x 1000 samples, filters [64, 128, 196, 256, 320],
 * downsample [4, 5, 5, 2], kernel 17): how dX is computed ('conv': a Conv with
 * the adjoint kernel, polyphase for strides > 1; 'convtranspose': onnxruntime's
 * ConvTranspose) and how dW is computed ('gemm': im2col by strided slices + one
 * GEMM; 'conv': a Conv over batch-transposed tensors). The timed steps of all
 * variants are interleaved, so they see the same machine load.
 *
 *   npm run build && node --expose-gc dist/bench/autodiff.js [--batch 16] [--threads 2] [--repeats 5]
 *
 * Rows: forward (logits), saliency (d logits[:, 1] / d ecg, inference mode),
 * train (BCE loss, gradients of every parameter, BN batch statistics, dropout
 * masks fed). For PyTorch as the peer, see bench/engine.ts.
 */
import { resnet1d } from '../src/models/resnet1d.js';
import { OnnxSession } from '../src/engine/runtime.js';
import { gradientGraph, gradientGraphInfo } from '../src/engine/autodiff/gradient.js';
import { convOptions } from '../src/engine/autodiff/rules/conv.js';
import { Rng } from '../src/util/rng.js';
import type { NdArray } from '../src/util/npy.js';
import { withLoss, trainableParameters, TARGET_INPUT, LOSS_OUTPUT } from '../src/train/graph.js';

const ARCH = { leads: 12, samples: 1000, filters: [64, 128, 196, 256, 320], downsample: [4, 5, 5, 2], kernel: 17, dropout: 0.2, head: 'flatten' as const, task: 'multilabel' as const, outputs: 6, seed: 1 };

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const batch = arg('batch', 16), threads = arg('threads', 2), repeats = arg('repeats', 5);

const rng = new Rng(1);
const x: NdArray = { data: Float32Array.from({ length: batch * 12 * 1000 }, () => rng.normal()), shape: [batch, 12, 1000] };
const targets: NdArray = { data: Float32Array.from({ length: batch * 6 }, () => (rng.uniform() < 0.3 ? 1 : 0)), shape: [batch, 6] };
const model = resnet1d(ARCH);

interface Variant {
  name: string;
  step: () => Promise<unknown>;
  times: number[];
}

async function variant(name: string, dx: 'conv' | 'convtranspose', dw: 'gemm' | 'conv', kind: 'forward' | 'saliency' | 'train'): Promise<Variant> {
  convOptions.inputGrad = dx;
  convOptions.weightGrad = dw;
  let step: () => Promise<unknown>;
  if (kind === 'forward') {
    const s = await OnnxSession.create(model, { threads });
    step = () => s.run({ ecg: x }, { outputs: ['logits'], batchSize: batch });
  } else if (kind === 'saliency') {
    const g = gradientGraph(model, { of: 'logits', index: 1, wrt: ['ecg'] });
    const s = await OnnxSession.create(g, { threads });
    const out = gradientGraphInfo(g)!.gradients['ecg']!;
    step = () => s.run({ ecg: x }, { outputs: [out], batchSize: batch });
  } else {
    const lossModel = withLoss(model, { kind: 'bce' });
    const params = trainableParameters(model).params.map((p) => p.name);
    const g = gradientGraph(lossModel, { of: LOSS_OUTPUT, wrt: params, mode: 'training' });
    const info = gradientGraphInfo(g)!;
    const s = await OnnxSession.create(g, { threads });
    const outputs = [LOSS_OUTPUT, ...params.map((p) => info.gradients[p]!)];
    const maskRng = new Rng(2);
    step = () => {
      const feeds: Record<string, NdArray> = { ecg: x, [TARGET_INPUT]: targets };
      for (const d of info.training.dropout) {
        const shape = s.inputShapes[d.mask]!.map((v, i) => (typeof v === 'number' ? v : i === 0 ? batch : NaN));
        const n = shape.reduce((a, b) => a * b, 1);
        feeds[d.mask] = { data: Float32Array.from({ length: n }, () => (maskRng.uniform() < d.ratio ? 0 : 1 / (1 - d.ratio))), shape };
      }
      return s.run(feeds, { outputs, batchSize: batch });
    };
  }
  await step(); // warm-up
  return { name, step, times: [] };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const variants = [
  await variant('forward', 'conv', 'gemm', 'forward'),
  await variant('saliency dX=conv (default)', 'conv', 'gemm', 'saliency'),
  await variant('saliency dX=convtranspose', 'convtranspose', 'gemm', 'saliency'),
  await variant('train dX=conv dW=gemm (default)', 'conv', 'gemm', 'train'),
  await variant('train dX=conv dW=conv', 'conv', 'conv', 'train'),
  await variant('train dX=convtranspose dW=gemm', 'convtranspose', 'gemm', 'train'),
];
convOptions.inputGrad = 'conv';
convOptions.weightGrad = 'gemm';
for (let r = 0; r < repeats; r++) {
  for (const v of variants) {
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    await v.step();
    v.times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const fwd = median(variants[0]!.times);
console.log(`autodiff bench: resnet1d 12x1000, batch ${batch}, threads ${threads}, ${repeats} interleaved repeats (median)`);
console.log(`${'variant'.padEnd(34)} ${'ms/batch'.padStart(9)} ${'ECG/s'.padStart(8)} ${'x forward'.padStart(10)}`);
for (const v of variants) {
  const m = median(v.times);
  console.log(`${v.name.padEnd(34)} ${m.toFixed(0).padStart(9)} ${((batch * 1000) / m).toFixed(1).padStart(8)} ${(m / fwd).toFixed(2).padStart(10)}`);
}
