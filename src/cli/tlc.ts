import { join, resolve } from 'node:path';
import type { Command } from './command.js';
import { onInterrupt, shownPath } from '../util/interrupt.js';
import { batchSizeOption, choiceOption, foldsOption, numberOption, parseCommandArgs, required, threadsOption } from './command.js';
import { OptionError } from '../util/errors.js';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { Progress } from '../util/progress.js';
import { versions } from '../train/run.js';
import { loadCardedModel, type CardedModel } from '../models/predict.js';
import { openDataset } from '../data/datasets/registry.js';
import { DATA_FLAGS as LABEL_FLAGS, dataOptions, type DataFlagValues } from './data-flags.js';
import {
  FittedTlc, fitTlc, datasetSource, recordSource, TlcPipeline, TlcWaveStats, evaluateTlcRun, evaluateTlcStudy, modelStudy, sweepTlcStudy, formatTlcEvaluation, explanationJson, type TlcStudy,
  openRun, sweepTlcRun, wavesOf, bestPurity, labelQualityRun, type TlcOptions, type TlcExplanation, type EcgSource, type WaveSource,
} from '../explain/tlc/index.js';
import { SOURCE_FLAGS, openModelSource } from './model-input.js';
import { STORE_FLAG, tlcStore, storeFlags, storeLine } from './store-output.js';
import { fitSamplesCommand, sampleCommand } from './tlc-shards.js';

const usage = `Usage: ecgx tlc <fit|explain|evaluate|align|sweep|label-quality|sample|fit-samples> [options]

Time-localized clusters (TLC): the activations of a model's last residual
blocks, taken from the same onnxruntime run as the prediction and mapped to
input time, are clustered per timestamp, so each ECG becomes a sequence of
clusters with an entropy (uncertainty, in [0, 1]) per timestamp.

  ecgx tlc fit (--run RUNDIR [--fold K] | --model M.onnx --data DIR) [fit options] --out TLC.json
      Fits TLC. With --run: fold K's checkpoint (default: the first fold) on that
      fold's training ECGs (every fold but the test fold), preprocessed as in training.
  ecgx tlc explain --tlc TLC.json --model M.onnx (--record PATH | --data DIR [--records a,b] [--max-records N] [--shard I/N]) [--json] [--out FILE]
      Cluster sequences, entropy, segments and proportions per ECG. --json prints one
      JSON object per ECG (see README); --out writes those JSON lines to FILE instead;
      --store --out DIR writes an explanation store (tables records, scores, tlc, clusters,
      tlc_sequences; see 'ecgx query --help'; --summaries-only leaves out tlc_sequences);
      shards go together with 'ecgx merge'.
  ecgx tlc sample --model M.onnx --data DIR --shard I/N [fit options] --out SAMPLEDIR
  ecgx tlc fit-samples --out TLC.json SAMPLEDIR...
      TLC fitted on a cohort in shards: each shard samples its ECGs' activations (about
      --max-samples vectors per layer over the whole cohort; a record's draws depend only on
      its id), then one fit clusters every shard's sample (mini-batch k-means above 50,000
      vectors); 'tlc explain --shard I/N --store' then assigns every ECG.
  ecgx tlc evaluate (--run RUNDIR | --model M.onnx --data DIR [--labels FILE.csv ...] [--cv K]) [--tlc TLC.json | fit options]
                    [--fold K,...] [--waves annotations|delineate]
                    [--train-fraction F] [--noise SIGMA[,FROM,TO]] [--max-records N] [--out DIR [--force]] [--json]
      Per fold: TLC fitted on the training ECGs with the fold's checkpoint (or, with
      --tlc, the given TLC on the one fold whose checkpoint it was fitted on). With
      --model and --data instead of a run: any carded model (a PyTorch export too) on
      the records whose labels name its classes (join a table with --labels), in --cv
      seeded stratified folds (default 5), one model for every fold; random
      forests on cluster proportions (fidelity to the CNN's labels per ECG and class,
      exact match over all classes, Cohen's kappa per class, each beside a baseline
      that always predicts the most frequent label; accuracy and AUROC on the true
      labels beside the CNN's), clusters vs P/QRS/T of the test ECGs (with a null:
      waves shifted half a beat), what entropy separates (distribution, wave
      boundaries, ECGs the CNN gets wrong, each label), clusters enriched per class
      (per age quarter for regression), cluster prototypes.
      --train-fraction F fits TLC and the forests on a seeded fraction F of each
      fold's training ECGs; --noise adds Gaussian noise of sd SIGMA (model-input
      units) over the input fraction [FROM, TO) (default 0.4-0.6) of each test ECG and
      compares the stretch's entropy with the clean ECG's. --out DIR writes
      evaluation.json, evaluation.md, config.json (options, versions) and each
      fold's fitted TLC (tlc-fold-K.json).
  ecgx tlc align --tlc TLC.json --model M.onnx --data DIR [--waves annotations|delineate] [--max-records N] [--json]
      Clusters of a fitted TLC vs the waves of a dataset's records.
  ecgx tlc sweep (--run RUNDIR | --model M.onnx --data DIR [--labels ...] [--cv K]) --k 4,6,8,10,12 [--fold K] [fit options] [--json]
      For each K: inertia (or BIC), silhouette, and the fold's surrogate fidelity.
  ecgx tlc label-quality --run RUNDIR [--fold K] [--tlc TLC.json | fit options] [--test-fold] [--flip F]
                         [--parts P] [--top N] [--out FILE.csv] [--json]
      Labels whose ECG's clusters contradict them, most suspect first: each (ECG,
      class) label of fold K's training ECGs (or, with --test-fold, of its test ECGs,
      which the CNN never saw) is scored by random forests on the cluster proportions
      that never saw that ECG (P-part cross-fitting, default 5; with --test-fold,
      forests on the training ECGs): score = 1 - p(given label). Prints the top N
      (default 20); --out writes every pair as CSV (id, class, label, probability,
      score[, flipped]). --flip F first flips one class of a seeded share F of the
      audited ECGs and reports the share of flipped labels in the top k (k = flips,
      and 2 k) beside what a random ranking finds.

Fit options:
  --layers a,b,c        tensor names (default: the last three residual blocks; see 'ecgx model info')
  --k K                 clusters, 2-1000 (default 8)
  --method M            kmeans (default) | gmm (diagonal Gaussian mixture)
  --concat              cluster the layers concatenated at input resolution (default: each layer)
  --pca N               principal components after standardising, 1-4096 (default: none)
  --max-samples N       timestamp vectors sampled per layer for fitting, 2-10000000 (default 100000)
  --upsampling U        nearest (default) | linear: block samples -> input samples
  --seed S              seed of the sampling, k-means++ and the forests (default 0)
  --temperature T       k-means soft assignments softmax(-d^2/T): heldout (default: the variance of the
                        k-means mixture that maximises the likelihood of a held-out fifth of the sampled
                        vectors, T = 2 variance), inertia (mean squared distance to the nearest centre;
                        the rule before, flatter by a factor channels/2) or a number
Other options:
  --waves W             annotations (default: LUDB's cardiologists, the synthetic ground truth; 'synthetic'
                        is a synonym) | delineate (ecgx delineate on the model input)
  --threads N           onnxruntime threads (1-256)
  --batch-size B        ECGs per onnxruntime run (default 32; 1-4096)
  --force               replace an existing --out (a folder only when ecgx wrote it: it holds a .ecgx marker file)
  --max-records N       use only the first N records
`;

const FIT_FLAGS = {
  layers: { type: 'string' }, k: { type: 'string' }, method: { type: 'string' }, concat: { type: 'boolean' }, pca: { type: 'string' },
  'max-samples': { type: 'string' }, upsampling: { type: 'string' }, seed: { type: 'string' }, temperature: { type: 'string' },
} as const;
const RUN_FLAGS = { threads: { type: 'string' }, 'batch-size': { type: 'string' }, 'max-records': { type: 'string' } } as const;
/** Where a TLC's records come from (the model and its records; see model-input.ts). */
const DATA_FLAGS = SOURCE_FLAGS;

type Values = Record<string, string | boolean | string[] | undefined>;
const str = (v: Values, k: string): string | undefined => v[k] as string | undefined;

function fitOptions(v: Values): TlcOptions {
  const o: TlcOptions = {};
  const layers = str(v, 'layers');
  if (layers !== undefined) o.layers = layers.split(',').map((s) => s.trim()).filter((s) => s);
  const k = numberOption('--k', str(v, 'k'), { integer: true, min: 2, max: 1000 });
  if (k !== undefined) o.k = k;
  const method = choiceOption('--method', str(v, 'method'), ['kmeans', 'gmm'] as const);
  if (method) o.method = method;
  if (v['concat']) o.concat = true;
  const pca = numberOption('--pca', str(v, 'pca'), { integer: true, min: 1, max: 4096 });
  if (pca !== undefined) o.pca = pca;
  const ms = numberOption('--max-samples', str(v, 'max-samples'), { integer: true, min: 2, max: 10_000_000 });
  if (ms !== undefined) o.maxSamples = ms;
  const up = choiceOption('--upsampling', str(v, 'upsampling'), ['nearest', 'linear'] as const);
  if (up) o.upsampling = up;
  const seed = numberOption('--seed', str(v, 'seed'), { integer: true, min: 0, max: 0xffffffff });
  if (seed !== undefined) o.seed = seed;
  const t = str(v, 'temperature');
  if (t !== undefined) {
    const n = Number(t);
    if (t !== 'heldout' && t !== 'inertia' && !(t.trim() !== '' && Number.isFinite(n) && n > 0)) throw new OptionError('--temperature', `expected heldout, inertia or a number > 0, got '${t}'`);
    o.temperature = t === 'heldout' || t === 'inertia' ? t : n;
  }
  return o;
}

function runOptions(v: Values): { threads?: number; batchSize?: number; maxRecords?: number } {
  const threads = threadsOption(str(v, 'threads'));
  const batchSize = batchSizeOption(str(v, 'batch-size'));
  const maxRecords = numberOption('--max-records', str(v, 'max-records'), { integer: true, min: 1 });
  return { ...(threads !== undefined ? { threads } : {}), ...(batchSize !== undefined ? { batchSize } : {}), ...(maxRecords !== undefined ? { maxRecords } : {}) };
}

const jsonText = (x: unknown): string => JSON.stringify(x, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v), 2);

/**
 * The model (with its card) and the records of --data (--records,
 * --max-records) or --record, as TLC input through the card; the card's TLC
 * layers are the default layers.
 */
async function cardSource(values: Values): Promise<{ model: CardedModel; source: EcgSource }> {
  if (str(values, 'input') !== undefined) throw new OptionError('--input', 'TLC runs on records (--data or --record) through the model card');
  const src = await openModelSource(values as Parameters<typeof openModelSource>[0]);
  if (src.kind !== 'records') throw new OptionError('--data', 'give --data DIR or --record PATH');
  const where = src.describe['data'] ?? src.describe['record'] ?? 'records';
  return { model: src.model, source: await recordSource(src.model.card, src.records, src.ids.length, where, src.leadMap ? { leadMap: src.leadMap } : {}) };
}

/** --layers, else the card's TLC layers. */
function withCardLayers(opts: TlcOptions, model: CardedModel): TlcOptions {
  return opts.layers || !model.card.layers.tlc ? opts : { ...opts, layers: model.card.layers.tlc };
}

function waveSource(v: string | undefined): WaveSource {
  const w = choiceOption('--waves', v, ['annotations', 'synthetic', 'delineate'] as const) ?? 'annotations';
  return w === 'synthetic' ? 'annotations' : w;
}

function summaryLine(id: string, e: TlcExplanation): string {
  const parts = e.groups.map((g) => {
    const h = g.sequence.entropy.reduce((a, b) => a + b, 0) / g.sequence.entropy.length;
    const top = Array.from(g.proportions, (p, c) => [c, p] as const).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, p]) => `c${c} ${(100 * p).toFixed(0)}%`);
    return `${g.name}: ${g.segments.length} segments, entropy ${h.toFixed(3)}, ${top.join(' ')}`;
  });
  return `${id}\t${parts.join('\t')}`;
}

async function fitCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('tlc fit', argv, { ...FIT_FLAGS, ...RUN_FLAGS, ...DATA_FLAGS, run: { type: 'string' }, fold: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } });
  const out = resolve(required('--out', values.out));
  checkOutput(out, 'file', { force: values.force === true });
  const opts = fitOptions(values);
  const ro = runOptions(values);
  const run = { ...(ro.threads !== undefined ? { threads: ro.threads } : {}), ...(ro.batchSize !== undefined ? { batchSize: ro.batchSize } : {}) };
  // Ctrl-C: a fit keeps nothing until it ends, so the way on is to run it again.
  const release = onInterrupt(() => `tlc fit writes ${shownPath(out)} only when it ends, so nothing was kept; run the same command again (it is seeded: the same fit)`);
  let tlc: FittedTlc;
  try {
    if (values.run !== undefined) {
      if (values.model !== undefined || values.data !== undefined || values.record !== undefined) throw new OptionError('--run', 'give either --run RUNDIR or --model and --data, not both');
      const { dir, plan, folds } = await openRun(values.run, ro.maxRecords);
      const fold = numberOption('--fold', values.fold, { integer: true }) ?? folds[0]!;
      if (!folds.includes(fold)) throw new OptionError('--fold', `fold ${fold} has no checkpoint in ${dir} (folds with one: ${folds.join(', ')})`);
      const ids = plan.task.examples.filter((e) => plan.foldOf.get(e.id) !== fold).map((e) => e.id);
      tlc = await fitTlc(join(dir, `fold-${fold}`, 'model.onnx'), await datasetSource(plan.dataset, plan.card, ids), opts, run);
    } else {
      if (values.fold !== undefined) throw new OptionError('--fold', 'goes with --run');
      required('--data', values.data ?? values.record);
      const { model, source } = await cardSource(values);
      tlc = await fitTlc(model.proto, source, withCardLayers(opts, model), run);
    }
  } finally {
    release();
  }
  tlc.save(out, { force: values.force === true });
  process.stdout.write(`fitted TLC (${tlc.groupNames.join(', ')}; K = ${tlc.k}; ${tlc.fit.ecgs} model inputs, ${tlc.fit.samples.join('/')} vectors) -> ${out}\n`);
  return 0;
}

async function explainCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('tlc explain', argv, { ...RUN_FLAGS, ...DATA_FLAGS, tlc: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, force: { type: 'boolean' }, ...STORE_FLAG });
  const sf = storeFlags(values);
  if (sf.store && values.out === undefined) throw new OptionError('--store', 'needs --out DIR (the store folder)');
  if (values.out !== undefined) checkOutput(values.out, values.store ? 'folder' : 'file', { force: values.force === true });
  if (values.store) {
    const m = await tlcStore(resolve(values.out!), values, runOptions(values), { force: values.force === true }, sf.summariesOnly);
    process.stdout.write(storeLine(m, resolve(values.out!)));
    return 0;
  }
  const tlc = FittedTlc.load(resolve(required('--tlc', values.tlc)));
  if ((values.data === undefined) === (values.record === undefined)) throw new OptionError('--data', 'give exactly one of --data DIR or --record PATH');
  const ro = runOptions(values);
  const { model, source } = await cardSource(values);
  tlc.checkModel(model.proto, model.file);
  const pipe = await TlcPipeline.open(model.proto, tlc, ro.threads !== undefined ? { threads: ro.threads } : {});
  const lines: string[] = [];
  const bar = new Progress({ label: 'tlc explain', total: source.count, unit: 'input' });
  try {
    for await (const r of pipe.explainRecords(source, ro.batchSize ?? 32)) {
      const line = values.json || values.out !== undefined ? JSON.stringify({ ...explanationJson(r.id, r.explanation), windows: r.windows.map((w) => w.item.window?.start ?? 0) }) : summaryLine(r.id, r.explanation);
      if (values.out !== undefined) lines.push(line);
      else process.stdout.write(line + '\n');
      bar.tick(r.windows.length);
    }
  } finally {
    bar.finish();
    await pipe.release();
  }
  if (values.out !== undefined) {
    writeFileAtomic(resolve(values.out), lines.join('\n') + '\n', { force: values.force === true });
    process.stdout.write(`${lines.length} explanation(s) -> ${resolve(values.out)}\n`);
  }
  return 0;
}

async function evaluateCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('tlc evaluate', argv, {
    ...FIT_FLAGS, ...RUN_FLAGS, ...STUDY_FLAGS, run: { type: 'string' }, tlc: { type: 'string' }, fold: { type: 'string' }, waves: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
    'train-fraction': { type: 'string' }, noise: { type: 'string' }, 'max-records': { type: 'string' }, force: { type: 'boolean' },
  });
  const waves = waveSource(values.waves);
  if (values.tlc !== undefined) {
    const fitFlag = Object.keys(FIT_FLAGS).find((k) => values[k as keyof typeof values] !== undefined);
    if (fitFlag) throw new OptionError(`--${fitFlag}`, 'the TLC given with --tlc was fitted already; leave out the fit options');
  }
  const folds = foldsOption(values.fold);
  const out = values.out === undefined ? undefined : resolve(values.out);
  if (out) checkOutput(out, 'folder', { force: values.force === true });
  const trainFraction = numberOption('--train-fraction', values['train-fraction'], { min: 1e-9, max: 1 });
  const noise = noiseOption(values.noise);
  const opts = {
    ...fitOptions(values), ...runOptions(values), waves, ...(folds ? { folds } : {}), ...(values.tlc !== undefined ? { tlc: FittedTlc.load(resolve(values.tlc)) } : {}),
    ...(trainFraction !== undefined ? { trainFraction } : {}), ...(noise ? { noise } : {}),
  };
  const fitted = new Map<number, FittedTlc>();
  const model = await modelStudyOf(values);
  const ev = model
    ? await evaluateTlcStudy(model, folds ?? model.folds, { ...opts, onFitted: (f, t) => fitted.set(f, t) })
    : await evaluateTlcRun(required('--run', values.run), { ...opts, onFitted: (f, t) => fitted.set(f, t) });
  const md = formatTlcEvaluation(ev);
  if (out) {
    await writeDirAtomic(out, (tmp) => {
      if (values.tlc === undefined) for (const [f, t] of fitted) t.save(join(tmp, `tlc-fold-${f}.json`));
      writeFileAtomic(join(tmp, 'evaluation.json'), jsonText(ev) + '\n');
      writeFileAtomic(join(tmp, 'evaluation.md'), md);
      const { tlc: given, ...rest } = opts as typeof opts & { tlc?: FittedTlc };
      writeFileAtomic(join(tmp, 'config.json'), jsonText({ command: 'tlc evaluate', run: ev.run, options: rest, tlc: given ? resolve(values.tlc!) : null, versions: versions() }) + '\n');
    }, { force: values.force === true });
  }
  process.stdout.write(values.json ? jsonText(ev) + '\n' : md);
  return 0;
}

/** A TLC study of one model on a labelled dataset: --model, --data and its label flags, --cv. */
const STUDY_FLAGS = { model: { type: 'string' }, data: { type: 'string' }, cv: { type: 'string' }, ...LABEL_FLAGS } as const;

/**
 * With --model and --data (instead of --run): the model, through its card, on
 * the dataset's labelled records in --cv seeded stratified folds (default 5).
 */
async function modelStudyOf(values: Values): Promise<TlcStudy | undefined> {
  const model = str(values, 'model'), data = str(values, 'data');
  if (model === undefined && data === undefined) {
    if (str(values, 'cv') !== undefined) throw new OptionError('--cv', 'goes with --model and --data');
    return undefined;
  }
  if (str(values, 'run') !== undefined) throw new OptionError('--run', 'give either --run RUNDIR or --model M.onnx with --data DIR, not both');
  const ds = await openDataset(required('--data', data), dataOptions(values as DataFlagValues));
  const cv = numberOption('--cv', str(values, 'cv'), { integer: true, min: 2, max: 100 });
  const seed = numberOption('--seed', str(values, 'seed'), { integer: true, min: 0, max: 0xffffffff });
  const max = numberOption('--max-records', str(values, 'max-records'), { integer: true, min: 1 });
  return modelStudy(loadCardedModel(resolve(required('--model', model))), ds, { ...(cv !== undefined ? { cv } : {}), ...(seed !== undefined ? { seed } : {}), ...(max !== undefined ? { maxRecords: max } : {}) });
}

/** --noise SIGMA[,FROM,TO]: noise sd in model-input units, over the input fraction [FROM, TO). */
function noiseOption(v: string | undefined): { sigma: number; from?: number; to?: number } | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => Number(p.trim()));
  const [sigma, from, to] = parts;
  if (!(parts.length === 1 || parts.length === 3) || parts.some((x) => !Number.isFinite(x)) || !(sigma! > 0) || (from !== undefined && !(from >= 0 && from < to! && to! <= 1))) {
    throw new OptionError('--noise', `expected SIGMA (> 0) or SIGMA,FROM,TO with 0 <= FROM < TO <= 1, got '${v}'`);
  }
  return from === undefined ? { sigma: sigma! } : { sigma: sigma!, from, to: to! };
}

async function alignCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('tlc align', argv, { ...RUN_FLAGS, ...DATA_FLAGS, tlc: { type: 'string' }, waves: { type: 'string' }, json: { type: 'boolean' } });
  const tlc = FittedTlc.load(resolve(required('--tlc', values.tlc)));
  const mode = waveSource(values.waves);
  const ro = runOptions(values);
  required('--data', values.data ?? values.record);
  const { model: carded, source } = await cardSource(values);
  const model = carded.proto, modelFile = carded.file, leads = carded.card.leads;
  tlc.checkModel(model, modelFile);
  const stats = new TlcWaveStats(tlc.groupNames, tlc.k);
  const pipe = await TlcPipeline.open(model, tlc, ro.threads !== undefined ? { threads: ro.threads } : {});
  const per = source.leads * source.samples;
  try {
    for await (const b of source.batches(ro.batchSize ?? 32)) {
      const r = await pipe.explainBatch(b.x, source.fs);
      b.items.forEach((item, i) => {
        const w = wavesOf(item, b.x.data.subarray(i * per, (i + 1) * per), leads, source.fs, mode);
        if (w && Object.keys(w).length > 0) stats.add(r.explanations[i]!, w);
      });
    }
  } finally {
    await pipe.release();
  }
  if (stats.count === 0) throw new OptionError('--waves', `no record of ${values.data} has wave ${mode === 'annotations' ? 'annotations (try --waves delineate)' : 'intervals the delineator could find'}`);
  const rep = stats.report();
  if (values.json) {
    process.stdout.write(jsonText({ ecgs: stats.count, waves: mode, groups: rep }) + '\n');
    return 0;
  }
  process.stdout.write(`${stats.count} ECGs, waves from ${mode}\n`);
  for (const g of rep) {
    process.stdout.write(`${g.name}: NMI ${g.nmi.toFixed(3)} (shifted waves ${g.null.nmi.toFixed(3)}), purity ${g.purity.toFixed(3)}, best QRS purity ${bestPurity(g, 'QRS').toFixed(3)}, entropy boundary ${g.entropyBoundary.toFixed(3)} vs inside ${g.entropyInside.toFixed(3)}\n`);
    g.dominantWave.forEach((d, c) => {
      const frac = g.clusterWaveFraction[c]!.map((v, w) => `${g.classes[w]} ${(100 * v).toFixed(0)}%`).join(' ');
      process.stdout.write(`  c${c}: ${d ?? 'unused'}\t${frac}\n`);
    });
  }
  return 0;
}

async function sweepCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('tlc sweep', argv, { ...FIT_FLAGS, ...RUN_FLAGS, ...STUDY_FLAGS, run: { type: 'string' }, fold: { type: 'string' }, json: { type: 'boolean' } });
  const ks = required('--k', values.k).split(',').map((s) => required('--k', numberOption('--k', s.trim(), { integer: true, min: 2, max: 1000 })));
  const opts = fitOptions({ ...values, k: undefined }); // --k lists the Ks here
  const fold = numberOption('--fold', values.fold, { integer: true });
  const sweepOpts = { ...opts, ...runOptions(values), ...(fold !== undefined ? { fold } : {}) };
  const model = await modelStudyOf(values);
  const rows = model ? await sweepTlcStudy(model, ks, sweepOpts) : await sweepTlcRun(required('--run', values.run), ks, sweepOpts);
  if (values.json) {
    process.stdout.write(jsonText(rows) + '\n');
    return 0;
  }
  const groups = rows[0]?.groups.map((g) => g.name) ?? [];
  process.stdout.write(['k', ...groups.flatMap((g) => [`${g} inertia/BIC`, `${g} silhouette`]), 'fidelity %', 'forest AUROC'].join('\t') + '\n');
  for (const r of rows) {
    process.stdout.write([String(r.k), ...r.groups.flatMap((g) => [(g.inertia ?? g.bic ?? NaN).toPrecision(5), g.silhouette.toFixed(3)]), r.fidelity.toFixed(1), r.forestAuroc === null ? 'n/a' : r.forestAuroc.toFixed(3)].join('\t') + '\n');
  }
  return 0;
}

async function sampleSub(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('tlc sample', argv, { ...FIT_FLAGS, ...RUN_FLAGS, ...DATA_FLAGS, out: { type: 'string' }, force: { type: 'boolean' } });
  const { maxRecords: _m, ...run } = runOptions(values);
  process.stdout.write(await sampleCommand(values, fitOptions(values), run, resolve(required('--out', values.out)), values.force === true));
  return 0;
}

async function fitSamplesSub(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('tlc fit-samples', argv, { out: { type: 'string' }, force: { type: 'boolean' } });
  process.stdout.write(fitSamplesCommand(positionals, resolve(required('--out', values.out)), values.force === true));
  return 0;
}

async function labelQualityCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('tlc label-quality', argv, {
    ...FIT_FLAGS, ...RUN_FLAGS, run: { type: 'string' }, fold: { type: 'string' }, tlc: { type: 'string' }, 'test-fold': { type: 'boolean' },
    flip: { type: 'string' }, parts: { type: 'string' }, top: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
  });
  const runDir = required('--run', values.run);
  if (values.tlc !== undefined) {
    const fitFlag = Object.keys(FIT_FLAGS).filter((key) => key !== 'seed').find((key) => values[key as keyof typeof values] !== undefined);
    if (fitFlag) throw new OptionError(`--${fitFlag}`, 'the TLC given with --tlc was fitted already; leave out the fit options');
  }
  const fold = numberOption('--fold', values.fold, { integer: true });
  const flip = numberOption('--flip', values.flip, { min: 1e-9, max: 1 });
  const parts = numberOption('--parts', values.parts, { integer: true, min: 2 });
  const top = numberOption('--top', values.top, { integer: true, min: 0 }) ?? 20;
  const ro = runOptions(values);
  const res = await labelQualityRun(runDir, {
    ...fitOptions(values), ...(ro.threads !== undefined ? { threads: ro.threads } : {}), ...(ro.batchSize !== undefined ? { batchSize: ro.batchSize } : {}),
    ...(fold !== undefined ? { fold } : {}), ...(flip !== undefined ? { flip } : {}), ...(parts !== undefined ? { parts } : {}),
    ...(values['test-fold'] ? { testFold: true } : {}), ...(values.tlc !== undefined ? { tlc: FittedTlc.load(resolve(values.tlc)) } : {}),
  });
  if (values.out !== undefined) {
    const rows = [['id', 'class', 'label', 'probability', 'score', ...(res.flip ? ['flipped'] : [])], ...res.ranking.map((r) => [r.id, r.cls, String(r.label), r.probability.toFixed(4), r.score.toFixed(4), ...(res.flip ? [r.flipped ? '1' : '0'] : [])])];
    writeFileAtomic(resolve(values.out), rows.map((r) => r.join(',')).join('\n') + '\n');
  }
  if (values.json) {
    process.stdout.write(jsonText({ ...res, ranking: res.ranking.slice(0, top) }) + '\n');
    return 0;
  }
  process.stdout.write(`fold ${res.fold}: ${res.ecgs} ${res.audited} ECGs x ${res.classes.length} classes, most suspect labels first\n`);
  process.stdout.write(['id', 'class', 'label', 'p(class)', 'score', ...(res.flip ? ['flipped'] : [])].join('\t') + '\n');
  for (const r of res.ranking.slice(0, top)) process.stdout.write([r.id, r.cls, String(r.label), r.probability.toFixed(3), r.score.toFixed(3), ...(res.flip ? [r.flipped ? 'yes' : ''] : [])].join('\t') + '\n');
  if (res.flip) {
    const f = res.flip;
    process.stdout.write(`flipped ${f.flipped} labels (one class of ${(100 * f.fraction).toFixed(1)}% of the ECGs): recall in the top ${f.flipped} ${(100 * f.recallAtK).toFixed(1)}%, in the top ${2 * f.flipped} ${(100 * f.recallAt2K).toFixed(1)}% (random ranking: ${(100 * f.randomAtK).toFixed(2)}%)\n`);
    process.stdout.write(`  by direction: ${Object.entries(f.byDirection).map(([key, v]) => `${key} ${(100 * v.recallAtK).toFixed(1)}% of ${v.flipped}`).join(', ')}\n`);
  }
  if (values.out !== undefined) process.stdout.write(`${res.ranking.length} labels ranked -> ${resolve(values.out)}\n`);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  fit: fitCommand, explain: explainCommand, evaluate: evaluateCommand, align: alignCommand, sweep: sweepCommand, 'label-quality': labelQualityCommand,
  sample: sampleSub, 'fit-samples': fitSamplesSub,
};

const command: Command = {
  summary: 'time-localized clusters: fit, explain, evaluate (surrogate, waves), sweep K',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h') {
      process.stdout.write(usage);
      return 0;
    }
    // As 'ecgx model': one line naming the subcommands, exit 2.
    const f = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!f) throw new OptionError('tlc', `${sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`} (expected one of ${Object.keys(SUBCOMMANDS).join(', ')}; see 'ecgx tlc --help')`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(usage);
      return 0;
    }
    return f(rest);
  },
};

export default command;
