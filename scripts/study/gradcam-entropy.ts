/**
 * The paper's claim that TLC shows "class-dependent representational
 * stability not visible to Grad-CAM", put to a test on a training run's test
 * folds.
 *
 * For each test ECG: TLC's mean entropy per block (the fold's fitted TLC), and
 * for each class c the Grad-CAM map for target c with two per-ECG summaries:
 * its dispersion over time (normalised entropy of the map as a distribution:
 * 1 = spread evenly, 0 = one sample) and its stability under small noise
 * (Spearman correlation between the map of the ECG and of the ECG plus
 * Gaussian noise of sd 0.02 in model-input units). Per class, the AUROC of each
 * summary for the label says how much it differs between ECGs with and
 * without the class (0.5: not at all). If TLC's entropy is class-dependent
 * where Grad-CAM's summaries are not, the claim holds on this model.
 *
 * Usage: node dist/scripts/study/gradcam-entropy.js --run RUNDIR --tlc-dir DIR --folds 1,2,3 [--max-ecgs N] [--threads T] --out FILE.json
 * (DIR holds tlc-fold-K.json from `ecgx tlc evaluate --out DIR`.)
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  auroc, createExplainer, datasetSource, FittedTlc, meanStd, openRun, Rng, TlcPipeline, writeFileAtomic, loadModel,
} from '../../src/index.js';

function normEntropy(v: Float32Array, off: number, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += Math.max(0, v[off + t]!);
  if (!(s > 0)) return NaN;
  let h = 0;
  for (let t = 0; t < n; t++) {
    const p = Math.max(0, v[off + t]!) / s;
    if (p > 0) h -= p * Math.log(p);
  }
  return h / Math.log(n);
}

function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let u = i; u <= j; u++) r[idx[u]!] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a), rb = ranks(b), n = ra.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += ra[i]! / n;
    mb += rb[i]! / n;
  }
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i]! - ma) * (rb[i]! - mb);
    saa += (ra[i]! - ma) ** 2;
    sbb += (rb[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { run: { type: 'string' }, 'tlc-dir': { type: 'string' }, folds: { type: 'string' }, 'max-ecgs': { type: 'string' }, threads: { type: 'string' }, out: { type: 'string' } } });
  const runDir = resolve(values.run!), tlcDir = resolve(values['tlc-dir']!);
  const { plan, folds: available } = await openRun(runDir);
  const folds = values.folds ? values.folds.split(',').map(Number) : available;
  const maxEcgs = values['max-ecgs'] ? Number(values['max-ecgs']) : Infinity;
  const threads = values.threads ? { threads: Number(values.threads) } : {};
  const { task, card, foldOf } = plan;
  const classes = task.classes, k = classes.length;
  const perFold: Record<string, unknown>[] = [];
  const t0 = performance.now();
  for (const f of folds) {
    const ids = task.examples.filter((e) => foldOf.get(e.id) === f).map((e) => e.id).slice(0, maxEcgs);
    const target = new Map(task.examples.map((e) => [e.id, e.target]));
    const modelPath = join(runDir, `fold-${f}`, 'model.onnx');
    const tlc = FittedTlc.load(join(tlcDir, `tlc-fold-${f}.json`));
    const pipe = await TlcPipeline.open(loadModel(modelPath), tlc, threads);
    const cam = await createExplainer('gradcam', modelPath, threads);
    const groups = tlc.groupNames;
    const entropy: number[][] = groups.map(() => []);
    const dispersion: number[][] = classes.map(() => []), stability: number[][] = classes.map(() => []);
    const labels: number[][] = classes.map(() => []);
    const rng = new Rng(1000 + f);
    try {
      for await (const b of (await datasetSource(plan.dataset, card, ids)).batches(32)) {
        const r = await pipe.explainBatch(b.x, card.fs);
        const n = b.items.length, T = b.x.shape[2]!;
        r.explanations.forEach((e) => e.groups.forEach((g, gi) => entropy[gi]!.push(g.sequence.entropy.reduce((a, v) => a + v, 0) / g.sequence.entropy.length)));
        b.items.forEach((it) => classes.forEach((_, c) => labels[c]!.push(target.get(it.id)![c]! > 0.5 ? 1 : 0)));
        const noisy = Float32Array.from(b.x.data, (v) => v + rng.normal(0, 0.02));
        for (let c = 0; c < k; c++) {
          const a = await cam.explain({ x: b.x, fs: card.fs }, { target: c });
          const an = await cam.explain({ x: { data: noisy, shape: b.x.shape }, fs: card.fs }, { target: c });
          for (let i = 0; i < n; i++) {
            dispersion[c]!.push(normEntropy(a.values.data as Float32Array, i * T, T));
            stability[c]!.push(spearman(a.values.data.subarray(i * T, (i + 1) * T), an.values.data.subarray(i * T, (i + 1) * T)));
          }
        }
      }
    } finally {
      await pipe.release();
      await cam.release?.();
    }
    const au = (score: number[], y: number[]): number => {
      const keep = score.map((s, i) => [s, y[i]!] as const).filter(([s]) => Number.isFinite(s));
      return auroc(keep.map((v) => v[0]), keep.map((v) => v[1]));
    };
    perFold.push({
      fold: f, ecgs: ids.length,
      classes: Object.fromEntries(classes.map((c, j) => [c, {
        positives: labels[j]!.reduce((a, v) => a + v, 0),
        tlcEntropy: Object.fromEntries(groups.map((g, gi) => [g, au(entropy[gi]!, labels[j]!)])),
        gradcamDispersion: au(dispersion[j]!, labels[j]!),
        gradcamStability: au(stability[j]!, labels[j]!),
        gradcamZeroMaps: dispersion[j]!.filter((v) => !Number.isFinite(v)).length,
      }])),
    });
    process.stderr.write(`fold ${f}: ${ids.length} ECGs, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  type C = { positives: number; tlcEntropy: Record<string, number>; gradcamDispersion: number; gradcamStability: number };
  const pf = perFold as { classes: Record<string, C> }[];
  const groups = Object.keys(pf[0]!.classes[classes[0]!]!.tlcEntropy);
  const summary = Object.fromEntries(classes.map((c) => [c, {
    positives: pf.reduce((a, f) => a + f.classes[c]!.positives, 0),
    tlcEntropy: Object.fromEntries(groups.map((g) => [g, meanStd(pf.map((f) => f.classes[c]!.tlcEntropy[g]!))])),
    gradcamDispersion: meanStd(pf.map((f) => f.classes[c]!.gradcamDispersion)),
    gradcamStability: meanStd(pf.map((f) => f.classes[c]!.gradcamStability)),
  }]));
  writeFileAtomic(resolve(values.out!), JSON.stringify({ run: runDir, folds, maxEcgs: Number.isFinite(maxEcgs) ? maxEcgs : null, seconds: (performance.now() - t0) / 1000, perFold, summary }, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`gradcam-entropy: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
