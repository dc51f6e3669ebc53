/**
 * What a run predicts, resolved against a dataset before any training:
 * - a label set the dataset defines (`superclass` for PTB-XL, `rhythm` for
 *   LUDB, ...): one output per label; records with none of the set's labels
 *   are left out, as the PTB-XL benchmark does;
 * - explicit labels (`--task 'Sinus rhythm'`, `--task MI,HYP`): one output per
 *   label, every record kept (a record without the label is a negative).
 *   Labels are separated by ';' when the text has one, else by ',', since
 *   LUDB names contain commas ('Atrial flutter, typical'); `labels` (the
 *   repeatable --label flag) takes names verbatim;
 * - `age`: regression on meta.age (records without an age are left out).
 * With `minPositives`, label tasks keep only the classes with at least that
 * many positive records (counted over the records given, before any is left
 * out), e.g. "the CinC classes with at least 50 positives"; the others are
 * listed in `excludedClasses` with their counts.
 * Mistakes are DataErrors naming the problem (unknown label, no ages, ...).
 */
import { DataError, OptionError } from '../util/errors.js';
import type { EcgDataset, RecordInfo } from '../data/datasets/types.js';
import type { ModelTask } from '../models/meta.js';
import type { LossKind } from './graph.js';

export interface TaskRequest {
  /** `--task`: a label set name, `age`, or label names. */
  task?: string;
  /** `--label` values, verbatim (may contain commas). */
  labels?: string[];
  /** Loss (default bce for labels, mse for age); `ce` makes a multi-class task (exactly one label per record). */
  loss?: LossKind;
  /** Keep only the classes with at least this many positive records. */
  minPositives?: number;
}

export interface ResolvedTask {
  /** What the user asked, for the run record. */
  name: string;
  task: ModelTask;
  loss: LossKind;
  /** Output names: labels, or ['age']. */
  classes: string[];
  /** Kept records with their targets (0/1 per class, or the age). */
  examples: Example[];
  /** Records left out, and why (counts). */
  dropped: Record<string, number>;
  /** Classes left out by `minPositives`, with their positive counts. */
  excludedClasses?: Record<string, number>;
}

export interface Example {
  id: string;
  target: Float32Array;
  /** The record's fold in the dataset (PTB-XL strat_fold), if any. */
  fold?: number;
  info: RecordInfo;
}

/** Splits a `--task` text into label names (';' when present, else ','). */
export function splitLabels(text: string): string[] {
  const sep = text.includes(';') ? ';' : ',';
  return text.split(sep).map((s) => s.trim()).filter((s) => s.length > 0);
}

export function resolveTask(dataset: EcgDataset, req: TaskRequest, records: RecordInfo[] = dataset.records()): ResolvedTask {
  if (records.length === 0) throw new DataError(`${dataset.root}: the dataset has no records`);
  const explicit = req.labels ?? [];
  if (req.task !== undefined && explicit.length > 0) throw new OptionError('--label', 'give either --task or --label, not both');
  if (req.task === undefined && explicit.length === 0) throw new OptionError('--task', 'is required (a label set such as superclass, age, or label names)');
  const dropped: Record<string, number> = {};
  const drop = (why: string): void => {
    dropped[why] = (dropped[why] ?? 0) + 1;
  };
  const fold = (r: RecordInfo): { fold?: number } => (r.fold !== undefined ? { fold: r.fold } : {});

  const minPositives = req.minPositives;
  if (minPositives !== undefined && !(Number.isInteger(minPositives) && minPositives >= 1)) throw new OptionError('minPositives', `expected an integer >= 1, got ${minPositives}`);
  if (req.task === 'age') {
    if (minPositives !== undefined) throw new OptionError('minPositives', "applies to label tasks, not to 'age'");
    const loss = req.loss ?? 'mse';
    if (loss !== 'mse' && loss !== 'l1') throw new OptionError('--loss', `the age task is a regression: expected mse or l1, got ${loss}`);
    const examples: Example[] = [];
    for (const r of records) {
      if (r.meta.age === undefined || !Number.isFinite(r.meta.age)) drop('no age');
      else examples.push({ id: r.id, target: Float32Array.of(r.meta.age), info: r, ...fold(r) });
    }
    if (examples.length === 0) throw new DataError(`${dataset.root}: task 'age' needs ages, but none of the ${records.length} records has one`);
    return { name: 'age', task: 'regression', loss, classes: ['age'], examples, dropped };
  }

  const sets = dataset.labelSets();
  const setName = req.task !== undefined && sets[req.task] ? req.task : undefined;
  let classes = setName ? sets[setName]! : explicit.length > 0 ? explicit : splitLabels(req.task!);
  if (classes.length === 0) throw new OptionError('--task', `no label names in '${req.task ?? ''}'`);
  if (new Set(classes).size !== classes.length) throw new OptionError('--task', `a label is named twice in ${JSON.stringify(classes)}`);
  const known = new Set([...Object.values(sets).flat(), ...records.flatMap((r) => r.meta.labels ?? [])]);
  for (const c of classes) {
    if (!known.has(c)) {
      const hint = Object.keys(sets).length ? `label sets: ${Object.keys(sets).join(', ')}, age; labels such as ${[...known].slice(0, 8).map((s) => `'${s}'`).join(', ')}` : 'the records carry no labels';
      throw new DataError(`unknown label '${c}' in ${dataset.root} (${hint})`);
    }
  }
  let excludedClasses: Record<string, number> | undefined;
  if (minPositives !== undefined) {
    const positives = new Map(classes.map((c) => [c, 0]));
    for (const r of records) for (const l of new Set(r.meta.labels ?? [])) if (positives.has(l)) positives.set(l, positives.get(l)! + 1);
    const kept = classes.filter((c) => positives.get(c)! >= minPositives);
    excludedClasses = Object.fromEntries(classes.filter((c) => !kept.includes(c)).map((c) => [c, positives.get(c)!]));
    if (kept.length === 0) {
      const best = [...positives].sort((a, b) => b[1] - a[1])[0]!;
      throw new DataError(`no class has ${minPositives} positive records in ${dataset.root} (the most: '${best[0]}' with ${best[1]})`);
    }
    classes = kept;
  }
  const loss = req.loss ?? 'bce';
  if (loss !== 'bce' && loss !== 'ce') throw new OptionError('--loss', `a classification task takes bce or ce, got ${loss}`);
  if (loss === 'ce' && classes.length < 2) throw new OptionError('--loss', 'ce (multi-class) needs at least 2 classes');
  const examples: Example[] = [];
  for (const r of records) {
    const have = new Set(r.meta.labels ?? []);
    const target = Float32Array.from(classes, (c) => (have.has(c) ? 1 : 0));
    const count = target.reduce((a, b) => a + b, 0);
    if (setName && count === 0) {
      drop(`none of the ${setName} labels`);
      continue;
    }
    if (loss === 'ce' && count !== 1) {
      if (count === 0) {
        drop('no class');
        continue;
      }
      throw new DataError(`record ${r.id} has ${count} of the classes ${JSON.stringify(classes)}; multi-class (--loss ce) needs exactly one (use --loss bce)`);
    }
    examples.push({ id: r.id, target, info: r, ...fold(r) });
  }
  if (examples.length === 0) throw new DataError(`${dataset.root}: no record has any of the labels ${JSON.stringify(classes)}`);
  const name = setName ?? (explicit.length > 0 || minPositives === undefined ? classes.join(';') : req.task!);
  const out: ResolvedTask = { name: minPositives !== undefined ? `${name} (>= ${minPositives} positives)` : name, task: loss === 'ce' ? 'multiclass' : 'multilabel', loss, classes, examples, dropped };
  if (excludedClasses !== undefined) out.excludedClasses = excludedClasses;
  return out;
}
