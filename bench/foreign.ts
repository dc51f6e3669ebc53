/**
 * Bring your own model, at speed: the same network twice, once as ecgx builds
 * it (resnet1d, with its card) and once as a user's PyTorch export of it
 * (bench/foreign_export.py: the torch mirror with the same weights, exported
 * by torch.onnx, simplified and carded through the API as `ecgx model card
 * --out` does). Explain
 * (Grad-CAM, saliency, IG) and TLC explain run on the same records through
 * the card, in interleaved repetitions (A B B A ...), and the table gives
 * records per second and the ratio foreign / ecgx (target: within 5%).
 *
 * Model: resnet1d filters [32, 64, 64, 128], downsample [4, 5, 5], kernel 9,
 * flatten head, 6 outputs, 12 x 1000 at 100 Hz; 64 records of 10 s;
 * 2 intra-op threads; TLC K = 8 on the last three blocks.
 *
 *   npm run build && node --expose-gc dist/bench/foreign.js [--repeats 4]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/rng.js';
import { loadModel, saveModel } from '../src/engine/onnx/proto.js';
import { inspectModel } from '../src/engine/onnx/inspect.js';
import { simplifyModel } from '../src/engine/onnx/simplify.js';
import { resnet1d } from '../src/models/resnet1d.js';
import { completeCard, inferCard, trainingCard, withCard } from '../src/models/card.js';
import { loadCardedModel, openPredictor, type CardedModel } from '../src/models/predict.js';
import { makeEcg, type Ecg } from '../src/data/ecg.js';
import { STANDARD_LEADS } from '../src/data/leads.js';
import { explainRecords } from '../src/explain/run.js';
import { fitTlc } from '../src/explain/tlc/fit.js';
import { TlcPipeline } from '../src/explain/tlc/pipeline.js';
import { recordSource } from '../src/explain/tlc/source.js';
import { gc } from './_timing.js';

const PYTHON = process.env['ECGX_BENCH_PYTHON'] ?? '/usr/bin/python3';
const EXPORT = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/foreign_export.py');
const ARCH = { leads: 12, samples: 1000, filters: [32, 64, 64, 128], downsample: [4, 5, 5], kernel: 9, dropout: 0.2, head: 'flatten' as const, task: 'multilabel' as const, outputs: 6, seed: 1 };
const CLASSES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
const THREADS = 2;
const N = 64;

const arg = (k: string, d: number): number => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function records(): Ecg[] {
  const r = new Rng(5);
  return Array.from({ length: N }, (_, i) => {
    const x = new Float32Array(12 * 1000);
    for (let l = 0; l < 12; l++) {
      const f = r.range(0.8, 2), ph = r.range(0, 6.28);
      for (let t = 0; t < 1000; t++) x[l * 1000 + t] = Math.sin((2 * Math.PI * f * t) / 100 + ph) + 0.1 * r.normal();
    }
    return makeEcg({ signal: x, fs: 100, leads: STANDARD_LEADS, meta: { recordId: String(i) } });
  });
}

async function main(): Promise<void> {
  const repeats = arg('repeats', 4);
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-bench-foreign-'));
  try {
    const ecgxPath = join(dir, 'ecgx.onnx'), rawPath = join(dir, 'torch.onnx'), foreignPath = join(dir, 'foreign.onnx');
    const built = resnet1d(ARCH);
    saveModel(ecgxPath, withCard(built, trainingCard({ leads: [...STANDARD_LEADS], fs: 100, length: 1000 }, { task: 'multilabel', classes: CLASSES }, inspectModel(built))));
    const exp = spawnSync(PYTHON, [EXPORT, '--model', ecgxPath, '--out', rawPath], { encoding: 'utf8' });
    if (exp.status !== 0) {
      console.log(`foreign bench: n/a (the PyTorch export needs torch in ${PYTHON}: ${(exp.stderr || exp.stdout).trim().split('\n').at(-1)})`);
      return;
    }
    // The user's path: what the graph says, plus the flags `ecgx model card` would take.
    const raw = (await simplifyModel(loadModel(rawPath))).model, info = inspectModel(raw);
    const inferred = inferCard(raw, info).card;
    saveModel(foreignPath, withCard(raw, completeCard({ ...inferred, fs: 100, preprocess: [{ op: 'resample' }], fit: { longer: 'crop', shorter: 'pad', anchor: 'center' }, missingLeads: 'zero', output: { ...inferred.output, task: 'multilabel', kind: 'logits', classes: CLASSES } }, foreignPath, info)));
    const models: Record<string, CardedModel> = { ecgx: loadCardedModel(ecgxPath), foreign: loadCardedModel(foreignPath) };
    const ecgs = records();

    // Same network: the same scores on the same records.
    const scores: Float32Array[] = [];
    for (const m of Object.values(models)) {
      const p = await openPredictor(m, { threads: THREADS });
      scores.push(Float32Array.from((await p.predict(ecgs)).flatMap((x) => Object.values(x.values))));
      await p.release();
    }
    let diff = 0;
    for (let i = 0; i < scores[0]!.length; i++) diff = Math.max(diff, Math.abs(scores[0]![i]! - scores[1]![i]!));

    const tlcs = Object.fromEntries(await Promise.all(Object.entries(models).map(async ([k, m]) => {
      const src = await recordSource(m.card, async function* () { yield* ecgs; }, N, 'bench');
      return [k, await fitTlc(m.proto, src, { k: 8, seed: 1, layers: m.card.layers.tlc! }, { progress: false, threads: THREADS })] as const;
    })));
    const tasks: Record<string, (m: CardedModel, key: string) => Promise<void>> = {
      gradcam: async (m) => void (await explainRecords(m, ecgs, { methods: ['gradcam'], target: 1, threads: THREADS, progress: false })).model.release(),
      saliency: async (m) => void (await explainRecords(m, ecgs, { methods: ['saliency'], target: 1, threads: THREADS, progress: false })).model.release(),
      'ig (32 steps)': async (m) => void (await explainRecords(m, ecgs, { methods: ['ig'], options: { 'integrated-gradients': { steps: 32 } }, target: 1, threads: THREADS, progress: false })).model.release(),
      'tlc explain': async (m, key) => {
        const pipe = await TlcPipeline.open(m.proto, tlcs[key]!, { threads: THREADS });
        const src = await recordSource(m.card, async function* () { yield* ecgs; }, N, 'bench');
        for await (const r of pipe.explainRecords(src)) void r;
        await pipe.release();
      },
    };
    console.log(`foreign-model bench: resnet1d filters ${ARCH.filters.join(',')}, ${N} records 12 x 1000 at 100 Hz through each card, ${THREADS} threads, ${repeats} interleaved repeats, load ${loadavg()[0]!.toFixed(2)}`);
    console.log(`same network: max |score difference| ecgx vs PyTorch export ${diff.toExponential(1)}; graphs ${inspectModel(models['ecgx']!.proto).nodes.length} vs ${info.nodes.length} nodes`);
    console.log('\n| task | ecgx ECG/s | PyTorch export ECG/s | export / ecgx |');
    console.log('|---|---:|---:|---:|');
    for (const [name, run] of Object.entries(tasks)) {
      const times: Record<string, number[]> = { ecgx: [], foreign: [] };
      await run(models['ecgx']!, 'ecgx');
      await run(models['foreign']!, 'foreign');
      for (let r = 0; r < repeats; r++) {
        const order = r % 2 === 0 ? ['ecgx', 'foreign'] : ['foreign', 'ecgx'];
        for (const k of order) {
          gc();
          const t0 = performance.now();
          await run(models[k]!, k);
          times[k]!.push((performance.now() - t0) / 1000);
        }
      }
      const a = N / median(times['ecgx']!), b = N / median(times['foreign']!);
      console.log(`| ${name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(3)} |`);
    }
    console.log(`load at end ${loadavg()[0]!.toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
