/**
 * What `explain` and `explain evaluate` share: running the methods on a
 * model source (records through the card, or tensors), the target flag, and
 * explain.json.
 */
import { writeFileAtomic } from '../util/atomic-write.js';
import { OptionError } from '../util/errors.js';
import { versions } from '../train/run.js';
import { ExplainModel, explainRecords, explainTensors, defaultTarget, type ExplainResult, type Target } from '../explain/index.js';
import { flagged, type MethodPlan } from './method-flags.js';
import type { ModelSource } from './model-input.js';
import type { ModelCard } from '../models/card.js';

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
