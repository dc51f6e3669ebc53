import { resolve, join } from 'node:path';
import type { Command } from './command.js';
import { batchSizeOption, numberOption, parseCommandArgs, required, threadsOption, type ParsedValues } from './command.js';
import { OptionError, DataError, EcgxError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { readNpy, writeNpy, type NdArray } from '../util/npy.js';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { openDataset } from '../data/datasets/registry.js';
import { readRecord } from '../data/wfdb/index.js';
import { preprocess, type PreprocessSpec } from '../data/preprocess/index.js';
import type { Ecg } from '../data/ecg.js';
import { loadModel, type ModelProto } from '../engine/onnx/proto.js';
import { openPredictor } from '../train/predict.js';
import { versions } from '../train/run.js';
import { EXPLAINERS, explainerFactory, ExplainModel, type Attribution, type Explainer, type Target } from '../explain/index.js';

/** Short names accepted by --method (and in --set METHOD.KEY=V), mapped to registered methods. */
export const METHOD_ALIASES: Record<string, string> = { ig: 'integrated-gradients' };

/** Where the ECGs come from (shared by explain and explain evaluate). */
export const SOURCE_FLAGS = {
  model: { type: 'string' }, data: { type: 'string' }, records: { type: 'string' }, record: { type: 'string' }, input: { type: 'string' },
} as const;

export const SOURCE_HELP = `  --model FILE        the model (.onnx): an ecgx checkpoint, or any [batch, leads, time] -> [batch, outputs] model for --input
  --data DIR          records of a dataset folder (all, or those of --records)
  --records IDS       comma-separated record ids of --data
  --record PATH       one WFDB record
  --input FILE        a preprocessed .npy tensor
`;

/** Methods, target and their options (shared by explain and explain evaluate). */
export const METHOD_FLAGS = {
  method: { type: 'string' }, target: { type: 'string' }, layer: { type: 'string' }, steps: { type: 'string' }, baseline: { type: 'string' },
  samples: { type: 'string' }, sigma: { type: 'string' }, window: { type: 'string' }, stride: { type: 'string' }, tlc: { type: 'string' },
  set: { type: 'string', multiple: true }, seed: { type: 'string' }, 'batch-size': { type: 'string' }, threads: { type: 'string' },
} as const;

export const METHOD_FLAGS_HELP = `  --target T          predicted (default; regression models: regression), a class name or index
  --layer NAME        Grad-CAM layer (default: the last residual block; 'ecgx model info' lists the tensors)
  --steps N           Integrated Gradients steps, 1-4096 (default 64)
  --baseline B        Integrated Gradients baseline: zero (default), mean (each lead's mean) or FILE.npy ([leads, time], float32)
  --samples N         SmoothGrad noisy copies, 1-4096 (default 25)
  --sigma S           SmoothGrad noise SD, fraction of each ECG's range (default 0.15)
  --window W          occlusion window, samples (default 32; at most the signal length)
  --stride S          occlusion stride, samples (default window/2)
  --tlc FILE          fitted TLC (from 'ecgx tlc fit'); required with --method tlc
  --set M.K=V         any other method option, e.g. gradcam.variant=gradcam++, occlusion.leads=all (repeatable);
                      the flags above fill the same options
  --seed N            seed of random methods (default 0)
`;

/** Method options that have their own flag (errors about them name the flag). */
const FLAG_OF: Record<string, string> = {
  'gradcam.layer': '--layer',
  'integrated-gradients.steps': '--steps',
  'integrated-gradients.baseline': '--baseline',
  'smoothgrad.samples': '--samples',
  'smoothgrad.sigma': '--sigma',
  'occlusion.window': '--window',
  'occlusion.stride': '--stride',
  'tlc.tlc': '--tlc',
};

type MethodValues = ParsedValues<typeof METHOD_FLAGS>;
type SourceValues = ParsedValues<typeof SOURCE_FLAGS>;

export interface MethodPlan {
  /** Registered method names, aliases resolved, in the order given. */
  methods: string[];
  /** create() options per method. */
  options: Record<string, Record<string, unknown>>;
  seed: number;
  batchSize: number;
  threads: number | undefined;
}

export function canonicalMethod(name: string, flag: string): string {
  const m = METHOD_ALIASES[name] ?? name;
  explainerFactory(m, flag);
  return m;
}

/** Checks the method flags and maps each onto its method's option; no file is read but --baseline FILE. */
export function methodPlan(values: MethodValues): MethodPlan {
  const methods = [...new Set(required('--method', values.method).split(',').map((m) => m.trim()).filter((m) => m !== '').map((m) => canonicalMethod(m, '--method')))];
  if (methods.length === 0) throw new OptionError('--method', 'expected at least one method');
  const options: Record<string, Record<string, unknown>> = Object.fromEntries(methods.map((m) => [m, {}]));
  const setFor = (flag: string, method: string, key: string, value: unknown): void => {
    if (value === undefined) return;
    if (!options[method]) throw new OptionError(flag, `${method} is not among --method ${methods.join(',')}`);
    options[method][key] = value;
  };
  setFor('--layer', 'gradcam', 'layer', values.layer);
  setFor('--steps', 'integrated-gradients', 'steps', numberOption('--steps', values.steps, { integer: true, min: 1, max: 4096 }));
  if (values.baseline !== undefined) {
    const b = values.baseline;
    setFor('--baseline', 'integrated-gradients', 'baseline', b === 'zero' || b === 'mean' ? b : b.endsWith('.npy') ? baselineFile(b) : badBaseline(b));
  }
  setFor('--samples', 'smoothgrad', 'samples', numberOption('--samples', values.samples, { integer: true, min: 1, max: 4096 }));
  setFor('--sigma', 'smoothgrad', 'sigma', numberOption('--sigma', values.sigma, { min: 0 }));
  setFor('--window', 'occlusion', 'window', numberOption('--window', values.window, { integer: true, min: 1 }));
  setFor('--stride', 'occlusion', 'stride', numberOption('--stride', values.stride, { integer: true, min: 1 }));
  if (values.tlc !== undefined) setFor('--tlc', 'tlc', 'tlc', resolve(values.tlc));
  else if (options['tlc']) throw new OptionError('--tlc', "required with --method tlc (a fitted TLC from 'ecgx tlc fit')");
  for (const s of values.set ?? []) {
    const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(s);
    if (!m) throw new OptionError('--set', `'${s}' is not METHOD.KEY=VALUE`);
    const raw = m[3]!;
    setFor('--set', METHOD_ALIASES[m[1]!] ?? m[1]!, m[2]!, raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw);
  }
  return {
    methods,
    options,
    seed: numberOption('--seed', values.seed, { integer: true }) ?? 0,
    batchSize: batchSizeOption(values['batch-size']) ?? 32,
    threads: threadsOption(values.threads),
  };
}

/** One baseline for every ECG: [leads, time] (or [1, leads, time]), so it does not depend on how the ECGs are batched. */
function baselineFile(path: string): NdArray {
  const a = readNpy(resolve(path));
  if (a.shape.length === 2 || (a.shape.length === 3 && a.shape[0] === 1)) return { data: a.data, shape: a.shape.slice(-2) };
  throw new OptionError('--baseline', `${path} has shape [${a.shape.join(', ')}], expected [leads, time] (one baseline for every ECG)`);
}

function badBaseline(b: string): never {
  throw new OptionError('--baseline', `expected zero, mean or a FILE.npy, got '${b}'`);
}

/** A chunk of model inputs, with the preprocessed records behind it (--data, --record). */
export interface SourceChunk {
  x: NdArray;
  ecgs?: Ecg[];
}

export interface ExplainSource {
  modelPath: string;
  proto: ModelProto;
  source: Record<string, string>;
  ids: string[];
  /** Sampling rate of the model input when known (preprocess spec or model metadata), Hz. */
  fs: number | undefined;
  chunks: AsyncIterable<SourceChunk>;
}

/** Opens the model and the ECGs of --data, --record or --input, checking ids and shapes before any work. */
export async function openSource(values: SourceValues, batchSize: number): Promise<ExplainSource> {
  const modelPath = resolve(required('--model', values.model));
  const given = [values.data, values.record, values.input].filter((v) => v !== undefined).length;
  if (given !== 1) throw new OptionError('--data', 'give exactly one of --data DIR, --record PATH or --input X.npy');
  if (values.records !== undefined && values.data === undefined) throw new OptionError('--records', 'needs --data');
  const proto = loadModel(modelPath);
  const probe = new ExplainModel(proto);
  if (values.input !== undefined) {
    const x = readNpy(resolve(values.input));
    const t = x.shape.length === 2 ? { data: x.data, shape: [1, ...x.shape] } : x;
    if (t.shape.length !== 3) throw new DataError(`${values.input}: shape [${x.shape.join(', ')}], expected [batch, leads, time] or [leads, time]`);
    probe.checkBatch(t);
    const total = t.shape[0]!;
    if (total === 0) throw new DataError(`${values.input}: an empty batch (shape [${x.shape.join(', ')}]), expected at least one ECG`);
    return { modelPath, proto, source: { input: resolve(values.input) }, ids: Array.from({ length: total }, (_, i) => String(i)), fs: probe.meta.fs, chunks: sliceBatches(t, batchSize) };
  }
  const spec = await preprocessSpec(modelPath);
  const fs = spec.fs ?? probe.meta.fs;
  if (values.record !== undefined) {
    const ecg = readRecord(values.record).ecg;
    return { modelPath, proto, source: { record: resolve(values.record) }, ids: [ecg.meta.recordId], fs: fs ?? ecg.fs, chunks: tensorBatches((async function* () { yield ecg; })(), spec, batchSize) };
  }
  const ds = await openDataset(values.data!);
  const known = ds.records().map((r) => r.id);
  let ids = known;
  if (values.records !== undefined) {
    ids = values.records.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const set = new Set(known);
    const bad = ids.find((id) => !set.has(id));
    if (bad !== undefined) throw new OptionError('--records', `no record '${bad}' in ${values.data} (e.g. ${known.slice(0, 3).join(', ')})`);
  }
  if (ids.length === 0) throw new DataError(`${values.data}: no records to explain`);
  return { modelPath, proto, source: { data: resolve(values.data!) }, ids, fs, chunks: tensorBatches(ds.iterate(ids), spec, batchSize) };
}

export interface MethodsRun {
  attributions: Attribution[];
  /** The model inputs, concatenated (kept only when asked). */
  x?: NdArray;
  ecgs: Ecg[];
}

/** Runs every method over every chunk; option errors of flag-backed options name the flag. */
export async function runMethods(src: ExplainSource, plan: MethodPlan, target: Target, keep = false): Promise<MethodsRun> {
  const explainers: Explainer[] = [];
  try {
    for (const m of plan.methods) explainers.push(await flagged(() => explainerFactory(m, '--method').create(src.proto, { ...plan.options[m], ...(plan.threads !== undefined ? { threads: plan.threads } : {}) })));
    const parts: Attribution[][] = plan.methods.map(() => []);
    const xs: NdArray[] = [];
    const ecgs: Ecg[] = [];
    const bar = new Progress({ label: 'explain', total: src.ids.length, unit: 'ECG' });
    for await (const c of src.chunks) {
      for (const [i, e] of explainers.entries()) parts[i]!.push(await flagged(() => e.explain({ x: c.x, ...(src.fs !== undefined ? { fs: src.fs } : {}) }, { target, seed: plan.seed })));
      if (keep) xs.push(c.x);
      if (c.ecgs) ecgs.push(...c.ecgs);
      bar.tick(c.x.shape[0]!);
    }
    bar.finish();
    return { attributions: parts.map(mergeAttributions), ...(keep ? { x: concatBatches(xs) } : {}), ecgs };
  } finally {
    for (const e of explainers) await e.release?.();
  }
}

async function flagged<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof OptionError && FLAG_OF[e.option]) throw new OptionError(FLAG_OF[e.option]!, e.message.slice(e.option.length + 2));
    throw e;
  }
}

function concatBatches(xs: NdArray[]): NdArray {
  const n = xs.reduce((s, x) => s + x.shape[0]!, 0);
  const data = new Float32Array(xs.reduce((s, x) => s + x.data.length, 0));
  let o = 0;
  for (const x of xs) {
    data.set(x.data, o);
    o += x.data.length;
  }
  return { data, shape: [n, ...xs[0]!.shape.slice(1)] };
}

const usage = `Usage: ecgx explain --model M.onnx (--data DIR [--records ID,...] | --record PATH | --input X.npy)
                    --method METHOD[,METHOD...] [--target predicted|NAME|INDEX|regression]
                    [--layer NAME] [--steps N] [--baseline zero|mean|FILE.npy] [--samples N] [--sigma S]
                    [--window W] [--stride S] [--tlc TLC.json] [--set METHOD.KEY=VALUE ...] [--out DIR [--force]] [--json]
       ecgx explain evaluate ...   (faithfulness, wave mass, agreement, sanity metrics; see 'ecgx explain evaluate --help')

Explains a model's output for ECGs with attribution methods and writes
DIR/<method>.npy ([batch, leads or 1, time], float32) and DIR/explain.json
(methods, targets per ECG, options, timing, versions, record ids).
Records (--data, --record) are preprocessed as the checkpoint's metadata says;
--input is used as is ([batch, leads, time] or [leads, time]).

Options:
${SOURCE_HELP}  --method LIST       comma-separated; one of ${[...EXPLAINERS.keys()].join(', ')}
                      aliases: ${Object.entries(METHOD_ALIASES).map(([a, m]) => `${a} = ${m}`).join(', ')}
${METHOD_FLAGS_HELP}  --batch-size N      ECGs per explain call (default 32; 1-4096)
  --threads N         onnxruntime threads (1-256)
  --out DIR           output folder (default: explain)
  --force             replace an existing DIR that ecgx wrote (it holds a .ecgx marker file)
  --json              print explain.json to stdout
`;

const command: Command = {
  summary: 'attribute a model\'s outputs to ECG samples (Grad-CAM, IG, saliency, ...); explain evaluate: metrics',
  usage,
  handlesHelp: true,
  async run(argv) {
    if (argv[0] === 'evaluate') return (await import('./explain-evaluate.js')).default.run(argv.slice(1));
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(usage.trimEnd() + '\n');
      return 0;
    }
    const { values } = parseCommandArgs('explain', argv, { ...SOURCE_FLAGS, ...METHOD_FLAGS, out: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' } });
    const plan = methodPlan(values);
    const out = resolve(values.out ?? 'explain');
    checkOutput(out, 'folder', { force: values.force === true });
    const src = await openSource(values, plan.batchSize);
    const target = parseTarget(values.target, new ExplainModel(src.proto));
    const run = await runMethods(src, plan, target);
    const merged = run.attributions;
    const record = {
      model: src.modelPath,
      source: src.source,
      records: src.ids,
      target: { requested: target, index: merged[0]!.target.index, ...(merged[0]!.target.name ? { name: merged[0]!.target.name } : {}) },
      seed: plan.seed,
      methods: merged.map((a) => ({ method: a.method, file: `${a.method}.npy`, shape: a.values.shape, options: a.options, timing: a.timing, ...(a.meta ? { meta: a.meta } : {}) })),
      versions: versions(),
    };
    await writeDirAtomic(out, (dir) => {
      for (const a of merged) writeNpy(join(dir, `${a.method}.npy`), a.values);
      writeJson(join(dir, 'explain.json'), record);
    }, { force: values.force === true });
    if (values.json) process.stdout.write(JSON.stringify(record) + '\n');
    else process.stdout.write(`explained ${src.ids.length} ECG(s) with ${plan.methods.join(', ')} -> ${out}\n`);
    return 0;
  },
};

export default command;

export function parseTarget(raw: string | undefined, model: ExplainModel): Target {
  if (raw === undefined) return model.meta.task === 'regression' || model.width === 1 ? 'regression' : 'predicted';
  if (/^\d+$/.test(raw)) return Number(raw);
  // Check names and indices now, before any data is read.
  try {
    model.resolveTarget(raw, 1, { data: new Float32Array(model.width), shape: [1, model.width] });
  } catch (e) {
    if (e instanceof OptionError) throw new OptionError('--target', e.message.replace(/^target: /, ''));
    throw e;
  }
  return raw;
}

async function preprocessSpec(modelPath: string): Promise<PreprocessSpec> {
  const p = await openPredictor(modelPath, { threads: 1 });
  await p.release();
  return p.spec;
}

async function* sliceBatches(x: NdArray, batchSize: number): AsyncIterable<SourceChunk> {
  const [n, leads, time] = x.shape as [number, number, number];
  const per = leads * time;
  for (let s = 0; s < n; s += batchSize) {
    const c = Math.min(batchSize, n - s);
    yield { x: { data: x.data.subarray(s * per, (s + c) * per), shape: [c, leads, time] } };
  }
}

async function* tensorBatches(ecgs: AsyncIterable<Ecg>, spec: PreprocessSpec, batchSize: number): AsyncIterable<SourceChunk> {
  let rows: Float32Array[] = [];
  let pre: Ecg[] = [];
  const leads = (): number => spec.leads?.length ?? 0;
  let nLeads = 0;
  const flush = (): SourceChunk => {
    const per = rows[0]!.length;
    const data = new Float32Array(per * rows.length);
    rows.forEach((r, i) => data.set(r, i * per));
    const out = { x: { data, shape: [rows.length, nLeads, per / nLeads] }, ecgs: pre };
    rows = [];
    pre = [];
    return out;
  };
  for await (const e of ecgs) {
    try {
      const p = preprocess(e, spec);
      rows.push(p.signal);
      pre.push(p);
    } catch (err) {
      if (err instanceof EcgxError) throw new DataError(`record ${e.meta.recordId}: ${err.message}`);
      throw err;
    }
    nLeads = leads() || e.leads.length;
    if (rows.length === batchSize) yield flush();
  }
  if (rows.length) yield flush();
}

/** Meta entries holding one value per ECG (concatenated over chunks). */
const PER_ECG_META = new Set(['completenessDelta', 'outputChange']);

/** One attribution from a method's per-chunk results: values concatenated over the batch axis, per-ECG arrays in meta too. */
function mergeAttributions(parts: Attribution[]): Attribution {
  const first = parts[0]!;
  const shape = [parts.reduce((s, p) => s + p.values.shape[0]!, 0), ...first.values.shape.slice(1)];
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let o = 0;
  for (const p of parts) {
    data.set(p.values.data, o);
    o += p.values.data.length;
  }
  const meta: Record<string, unknown> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.meta ?? {})) {
      const prev = meta[k];
      meta[k] = PER_ECG_META.has(k) && Array.isArray(v) && Array.isArray(prev) ? [...prev, ...v] : v;
    }
  }
  const index = parts.flatMap((p) => p.target.index);
  const names = parts.every((p) => p.target.name) ? parts.flatMap((p) => p.target.name!) : undefined;
  return {
    method: first.method,
    values: { data, shape },
    target: names ? { index, name: names } : { index },
    options: first.options,
    timing: { ms: parts.reduce((s, p) => s + p.timing.ms, 0) },
    ...(Object.keys(meta).length ? { meta } : {}),
  };
}

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}
