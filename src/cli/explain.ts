/**
 * `ecgx explain`: attributions of a model's outputs for ECGs, every method
 * through explain/run.ts. Writes DIR/<method>.npy (record time) and
 * DIR/explain.json; `explain evaluate` is its sibling (explain-evaluate.ts).
 */
import { join, resolve } from 'node:path';
import type { Command } from './command.js';
import { parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { writeNpy } from '../util/npy.js';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { versions } from '../train/run.js';
import type { ModelCard } from '../models/card.js';
import { EXPLAINERS, METHOD_ALIASES, ExplainModel, explainRecords, explainTensors, defaultTarget, type ExplainResult, type Target } from '../explain/index.js';
import { METHOD_FLAGS, flagged, methodFlagsHelp, methodPlan, type MethodPlan } from './method-flags.js';
import { SOURCE_FLAGS, SOURCE_HELP, openModelSource, type ModelSource } from './model-input.js';

const usage = `Usage: ecgx explain --model M.onnx (--data DIR [--records ID,...] | --record PATH | --input X.npy)
                    --method METHOD[,METHOD...] [--target predicted|NAME|INDEX|regression]
                    [method options, below] [--out DIR [--force]] [--json]
       ecgx explain evaluate ...   (faithfulness, wave mass, agreement, sanity metrics; see 'ecgx explain evaluate --help')

Explains a model's output for ECGs with attribution methods and writes
DIR/<method>.npy ([records, leads or 1, time], float32, in record time at the
card's sampling rate; NaN past the end of a shorter record) and DIR/explain.json
(the model card; per record its id, the preprocessing applied, the model's
scores, the resolved target, windows and warnings; the attributions' sampling
rate, time axis and units; the methods' options and timing; versions), enough
for 'ecgx plot RECORD --explain DIR' or a later analysis without the model. Records (--data, --record) go
through the model card: resampled, filtered, cropped, padded or cut into
windows as it says; a windowed model's window attributions are placed back in
record time (mean: averaged over windows; max: the top window's). --input
tensors are used as they are.

Options:
${SOURCE_HELP}  --method LIST       comma-separated; one of ${[...EXPLAINERS.keys()].join(', ')}
                      aliases: ${Object.entries(METHOD_ALIASES).map(([a, m]) => `${a} = ${m}`).join(', ')}
${methodFlagsHelp()}  --out DIR           output folder (default: explain)
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
    const src = await openModelSource(values);
    const result = await runExplain(src, plan, (values as Record<string, string | undefined>)['target']);
    await result.model.release();
    const record = explainRecord(src, plan, result);
    await writeDirAtomic(out, (dir) => {
      for (const a of result.attributions) writeNpy(join(dir, `${a.method}.npy`), a.values);
      writeJson(join(dir, 'explain.json'), record);
    }, { force: values.force === true });
    if (values.json) process.stdout.write(JSON.stringify(record) + '\n');
    else process.stdout.write(`explained ${result.records.length} ECG(s) with ${plan.methods.join(', ')} -> ${out}\n`);
    for (const r of result.records) for (const w of r.warnings) process.stderr.write(`ecgx: warning: ${w}\n`);
    return 0;
  },
};

export default command;

/** Runs the plan on the source (records through the card, or tensors), errors naming the flags that gave the options. */
export async function runExplain(src: ModelSource, plan: MethodPlan, targetText: string | undefined, keepInputs = false): Promise<ExplainResult> {
  const probe = new ExplainModel(src.kind === 'records' ? src.model : src.modelPath);
  const target = parseTarget(targetText, probe);
  const common = { methods: plan.methods, options: plan.options, target, seed: plan.seed, batchSize: plan.batchSize, keepInputs, ...(plan.threads !== undefined ? { threads: plan.threads } : {}) };
  return flagged(plan, () => (src.kind === 'records'
    ? explainRecords(src.model, src.records(), { ...common, count: src.ids.length, ...(src.leadMap ? { leadMap: src.leadMap } : {}) })
    : explainTensors(src.modelPath, src.x, { ...common, ids: src.ids })));
}

/** explain.json: what ran, on what, and per record what the model said and what was explained. */
export function explainRecord(src: ModelSource, plan: MethodPlan, r: ExplainResult): Record<string, unknown> {
  const classes = r.model.classNames;
  const first = r.attributions[0]!;
  const card = r.card;
  return {
    model: src.modelPath,
    source: { ...src.describe, ...(src.kind === 'records' && src.leadMap ? { leadMap: src.leadMap } : {}) },
    ...(card ? { card } : {}),
    fs: r.fs ?? null,
    attribution: {
      fs: r.fs ?? null,
      timeAxis: src.kind === 'records' ? 'record time at the card\'s sampling rate (NaN past a record\'s end)' : 'the input tensor\'s time axis',
      units: `output '${r.model.output}' per input unit (the model's input after preprocessing)`,
    },
    records: r.records.map((rec) => ({
      id: rec.id,
      nSamples: rec.nSamples,
      ...(card ? { preprocessing: recordPreprocessing(card, rec) } : {}),
      scores: classes ? Object.fromEntries(classes.map((c, k) => [c, rec.scores[k]])) : rec.scores,
      target: { index: rec.target, ...(rec.targetName !== undefined ? { name: rec.targetName } : {}) },
      windows: { starts: rec.windows, length: rec.inputLength },
      warnings: rec.warnings,
    })),
    target: { index: first.target.index, ...(first.target.name ? { name: first.target.name } : {}) },
    seed: plan.seed,
    methods: r.attributions.map((a) => ({ method: a.method, file: `${a.method}.npy`, shape: a.values.shape, options: a.options, timing: a.timing, ...(a.meta ? { meta: a.meta } : {}) })),
    versions: versions(),
  };
}

/** What the card did to one record: its steps in order, and how the record became model inputs. */
function recordPreprocessing(card: ModelCard, rec: ExplainResult['records'][number]): { steps: string[]; fs: number; fit: 'whole' | 'crop' | 'pad' | 'windows' } {
  const steps = card.preprocess.map((p) => p.op === 'bandpass' ? `bandpass ${p.hz[0]}-${p.hz[1]} Hz` : p.op === 'highpass' ? `highpass ${p.hz} Hz` : p.op === 'notch' ? `notch ${p.hz} Hz` : p.op === 'resample' ? `resample to ${card.fs} Hz` : p.op === 'units' ? `units ${p.to}` : p.mean ? 'zscore (card statistics)' : 'zscore (per record)');
  const fit = rec.windows.length > 1 ? 'windows' : rec.windows[0]! < 0 || rec.nSamples < rec.inputLength ? 'pad' : rec.nSamples > rec.inputLength ? 'crop' : 'whole';
  return { steps, fs: card.fs, fit };
}

export function parseTarget(raw: string | undefined, model: ExplainModel): Target {
  if (raw === undefined) return defaultTarget(model);
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

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}
