import { resolve, join } from 'node:path';
import type { Command } from './command.js';
import { numberOption, parseCommandArgs, required } from './command.js';
import { OptionError, DataError, EcgxError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { readNpy, writeNpy, type NdArray } from '../util/npy.js';
import { writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { openDataset } from '../data/datasets/registry.js';
import { readRecord } from '../data/wfdb/index.js';
import { preprocess, type PreprocessSpec } from '../data/preprocess/index.js';
import type { Ecg } from '../data/ecg.js';
import { loadModel } from '../engine/onnx/proto.js';
import { openPredictor } from '../train/predict.js';
import { versions } from '../train/run.js';
import { EXPLAINERS, explainerFactory, ExplainModel, type Attribution, type Explainer, type Target } from '../explain/index.js';

const usage = `Usage: ecgx explain --model M.onnx (--data DIR [--records ID,...] | --record PATH | --input X.npy)
                    --method METHOD[,METHOD...] [--target predicted|NAME|INDEX|regression]
                    [--layer NAME] [--steps N] [--set METHOD.KEY=VALUE ...] [--out DIR] [--json]

Explains a model's output for ECGs with attribution methods and writes
DIR/<method>.npy ([batch, leads or 1, time], float32) and DIR/explain.json
(methods, targets per ECG, options, timing, versions, record ids).
Records (--data, --record) are preprocessed as the checkpoint's metadata says;
--input is used as is ([batch, leads, time] or [leads, time]).

Options:
  --model FILE        the model (.onnx): an ecgx checkpoint, or any [batch, leads, time] -> [batch, outputs] model for --input
  --data DIR          records of a dataset folder (all, or those of --records)
  --records IDS       comma-separated record ids of --data
  --record PATH       one WFDB record
  --input FILE        a preprocessed .npy tensor
  --method LIST       comma-separated; one of ${[...EXPLAINERS.keys()].join(', ')}
  --target T          predicted (default; regression models: regression), a class name or index
  --layer NAME        Grad-CAM layer (default: the last residual block; 'ecgx model info' lists the tensors)
  --steps N           Integrated Gradients steps (default 64)
  --set M.K=V         any method option, e.g. gradcam.variant=gradcam++, occlusion.window=50 (repeatable)
  --seed N            seed of random methods (default 0)
  --batch-size N      ECGs per explain call (default 32)
  --threads N         onnxruntime threads
  --out DIR           output folder (default: explain)
  --json              print explain.json to stdout
`;

const command: Command = {
  summary: 'attribute a model\'s outputs to ECG samples (Grad-CAM, IG, saliency, ...)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('explain', argv, {
      model: { type: 'string' }, data: { type: 'string' }, records: { type: 'string' }, record: { type: 'string' }, input: { type: 'string' },
      method: { type: 'string' }, target: { type: 'string' }, layer: { type: 'string' }, steps: { type: 'string' }, set: { type: 'string', multiple: true },
      seed: { type: 'string' }, 'batch-size': { type: 'string' }, threads: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
    });
    const modelPath = resolve(required('--model', values.model));
    const sources = [values.data, values.record, values.input].filter((v) => v !== undefined).length;
    if (sources !== 1) throw new OptionError('--data', 'give exactly one of --data DIR, --record PATH or --input X.npy');
    if (values.records !== undefined && values.data === undefined) throw new OptionError('--records', 'needs --data');
    const methods = required('--method', values.method).split(',').map((m) => m.trim()).filter((m) => m !== '');
    if (methods.length === 0) throw new OptionError('--method', 'expected at least one method');
    for (const m of methods) explainerFactory(m, '--method');
    const opts: Record<string, Record<string, unknown>> = Object.fromEntries(methods.map((m) => [m, {}]));
    const setFor = (flag: string, method: string, key: string, value: unknown): void => {
      if (!opts[method]) throw new OptionError(flag, `${method} is not among --method ${methods.join(',')}`);
      opts[method][key] = value;
    };
    if (values.layer !== undefined) setFor('--layer', 'gradcam', 'layer', values.layer);
    const steps = numberOption('--steps', values.steps, { integer: true, min: 1 });
    if (steps !== undefined) setFor('--steps', 'integrated-gradients', 'steps', steps);
    for (const s of values.set ?? []) {
      const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(s);
      if (!m) throw new OptionError('--set', `'${s}' is not METHOD.KEY=VALUE`);
      const raw = m[3]!;
      setFor('--set', m[1]!, m[2]!, raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw);
    }
    const seed = numberOption('--seed', values.seed, { integer: true }) ?? 0;
    const batchSize = numberOption('--batch-size', values['batch-size'], { integer: true, min: 1 }) ?? 32;
    const threads = numberOption('--threads', values.threads, { integer: true, min: 1 });
    const out = resolve(values.out ?? 'explain');

    const proto = loadModel(modelPath);
    const probe = new ExplainModel(proto);
    const target = parseTarget(values.target, probe);

    // The ECGs, as the model takes them, in chunks.
    let ids: string[] = [];
    let chunks: AsyncIterable<NdArray>;
    let total: number;
    if (values.input !== undefined) {
      const x = readNpy(resolve(values.input));
      const t = x.shape.length === 2 ? { data: x.data, shape: [1, ...x.shape] } : x;
      if (t.shape.length !== 3) throw new DataError(`${values.input}: shape [${x.shape.join(', ')}], expected [batch, leads, time] or [leads, time]`);
      probe.checkBatch(t);
      total = t.shape[0]!;
      ids = Array.from({ length: total }, (_, i) => String(i));
      chunks = sliceBatches(t, batchSize);
    } else {
      const spec = await preprocessSpec(modelPath);
      if (values.record !== undefined) {
        const ecg = readRecord(values.record).ecg;
        ids = [ecg.meta.recordId];
        total = 1;
        chunks = tensorBatches((async function* () { yield ecg; })(), spec, batchSize);
      } else {
        const ds = await openDataset(values.data!);
        const known = ds.records().map((r) => r.id);
        if (values.records !== undefined) {
          ids = values.records.split(',').map((s) => s.trim()).filter((s) => s !== '');
          const set = new Set(known);
          const bad = ids.find((id) => !set.has(id));
          if (bad !== undefined) throw new OptionError('--records', `no record '${bad}' in ${values.data} (e.g. ${known.slice(0, 3).join(', ')})`);
        } else {
          ids = known;
        }
        if (ids.length === 0) throw new DataError(`${values.data}: no records to explain`);
        total = ids.length;
        chunks = tensorBatches(ds.iterate(ids), spec, batchSize);
      }
    }

    const explainers: Explainer[] = [];
    try {
      for (const m of methods) {
        try {
          explainers.push(await explainerFactory(m, '--method').create(proto, { ...opts[m], ...(threads !== undefined ? { threads } : {}) }));
        } catch (e) {
          // Options given by a dedicated flag are reported under that flag.
          if (e instanceof OptionError && FLAG_OF[e.option]) throw new OptionError(FLAG_OF[e.option]!, e.message.slice(e.option.length + 2));
          throw e;
        }
      }
      const parts: Attribution[][] = methods.map(() => []);
      const bar = new Progress({ label: 'explain', total, unit: 'ECG' });
      for await (const x of chunks) {
        for (const [i, e] of explainers.entries()) parts[i]!.push(await e.explain({ x }, { target, seed }));
        bar.tick(x.shape[0]!);
      }
      bar.finish();
      const merged = parts.map(mergeAttributions);
      const record = {
        model: modelPath,
        source: values.input !== undefined ? { input: resolve(values.input) } : values.record !== undefined ? { record: resolve(values.record) } : { data: resolve(values.data!) },
        records: ids,
        target: { requested: target, index: merged[0]!.target.index, ...(merged[0]!.target.name ? { name: merged[0]!.target.name } : {}) },
        seed,
        methods: merged.map((a) => ({ method: a.method, file: `${a.method}.npy`, shape: a.values.shape, options: a.options, timing: a.timing, ...(a.meta ? { meta: a.meta } : {}) })),
        versions: versions(),
      };
      await writeDirAtomic(out, (dir) => {
        for (const a of merged) writeNpy(join(dir, `${a.method}.npy`), a.values);
        writeJson(join(dir, 'explain.json'), record);
      });
      if (values.json) process.stdout.write(JSON.stringify(record) + '\n');
      else process.stdout.write(`explained ${ids.length} ECG(s) with ${methods.join(', ')} -> ${out}\n`);
      return 0;
    } finally {
      for (const e of explainers) await e.release?.();
    }
  },
};

export default command;

function parseTarget(raw: string | undefined, model: ExplainModel): Target {
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

async function* sliceBatches(x: NdArray, batchSize: number): AsyncIterable<NdArray> {
  const [n, leads, time] = x.shape as [number, number, number];
  const per = leads * time;
  for (let s = 0; s < n; s += batchSize) {
    const c = Math.min(batchSize, n - s);
    yield { data: x.data.subarray(s * per, (s + c) * per), shape: [c, leads, time] };
  }
}

async function* tensorBatches(ecgs: AsyncIterable<Ecg>, spec: PreprocessSpec, batchSize: number): AsyncIterable<NdArray> {
  let rows: Float32Array[] = [];
  const leads = (): number => spec.leads?.length ?? 0;
  let nLeads = 0;
  const flush = (): NdArray => {
    const per = rows[0]!.length;
    const data = new Float32Array(per * rows.length);
    rows.forEach((r, i) => data.set(r, i * per));
    const out = { data, shape: [rows.length, nLeads, per / nLeads] };
    rows = [];
    return out;
  };
  for await (const e of ecgs) {
    try {
      rows.push(preprocess(e, spec).signal);
    } catch (err) {
      if (err instanceof EcgxError) throw new DataError(`record ${e.meta.recordId}: ${err.message}`);
      throw err;
    }
    nLeads = leads() || e.leads.length;
    if (rows.length === batchSize) yield flush();
  }
  if (rows.length) yield flush();
}

/** Method options that have their own flag. */
const FLAG_OF: Record<string, string> = { 'gradcam.layer': '--layer', 'integrated-gradients.steps': '--steps' };

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

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}
