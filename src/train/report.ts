/**
 * Evaluation of a finished (or interrupted) run from what it left on disk:
 * metrics recomputed from each fold's predictions.csv, then mean ± std over
 * folds, so the numbers do not depend on the training process's memory.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCsv } from '../data/datasets/csv.js';
import type { ModelTask } from '../models/meta.js';
import { FormatError, IoError } from '../util/errors.js';
import { computeMetrics, type MetricValues } from './evaluate.js';
import { meanStd } from './metrics.js';
import type { RunRecord } from './run.js';
import { damagedRunFile, readRunFile } from './run-file.js';

export interface RunEvaluation {
  dir: string;
  task: ModelTask;
  classes: string[];
  metric: string;
  complete: boolean;
  folds: { fold: number; n: number; metrics: MetricValues }[];
  summary: Record<string, { mean: number; std: number; n: number }>;
}

/**
 * Reads RUNDIR (or RUNDIR.partial when the run did not finish) and recomputes
 * every finished fold's test metrics. A fold that run.json records as finished
 * must have its folder and predictions, and every score must be a number:
 * anything else is an error, never a silently partial evaluation. A fold
 * folder of an unfinished run without predictions.csv is still training.
 */
export function evaluateRun(dirIn: string): RunEvaluation {
  let dir = resolve(dirIn);
  if (!existsSync(join(dir, 'run.json')) && existsSync(join(`${dir}.partial`, 'run.json'))) dir = `${dir}.partial`;
  const runPath = join(dir, 'run.json');
  if (!existsSync(runPath)) throw new IoError(runPath, 'not found (expected a folder written by ecgx train)');
  const run = readRunFile<RunRecord>(runPath, 'ecgx train');
  if (!run.task || typeof run.task !== 'object' || !Array.isArray(run.task.classes) || typeof run.task.task !== 'string') throw damagedRunFile(runPath, 'ecgx train', "no 'task' with its classes", 'task');
  if (!Array.isArray(run.folds)) throw damagedRunFile(runPath, 'ecgx train', "no 'folds' list", 'folds');
  const task = run.task.task as ModelTask;
  const classes = run.task.classes;
  const kind = task === 'regression' ? 'pred' : 'prob';
  const finished = run.folds.map((f, i) => {
    if (!f || !Number.isInteger(f.fold)) throw damagedRunFile(runPath, 'ecgx train', `folds[${i}] has no fold number`, `folds[${i}].fold`);
    return f.fold;
  });
  for (const f of finished) {
    if (!existsSync(join(dir, `fold-${f}`))) throw new IoError(join(dir, `fold-${f}`), `missing: ${runPath} lists fold ${f} as finished`);
    if (!existsSync(join(dir, `fold-${f}`, 'predictions.csv'))) throw new IoError(join(dir, `fold-${f}`, 'predictions.csv'), `missing: ${runPath} lists fold ${f} as finished`);
  }
  // Finished folds are those run.json lists, plus any whose predictions were written just before an interruption.
  const onDisk = readdirSync(dir).filter((d) => /^fold-\d+$/.test(d) && existsSync(join(dir, d, 'predictions.csv'))).map((d) => Number(d.slice(5)));
  const foldIds = [...new Set([...finished, ...onDisk])].sort((a, b) => a - b);
  const folds: RunEvaluation['folds'] = [];
  for (const fold of foldIds) {
    const d = `fold-${fold}`;
    const path = join(dir, d, 'predictions.csv');
    const table = readCsv(path);
    const col = (name: string): number => {
      const k = table.header.indexOf(name);
      if (k < 0) throw new FormatError(path, `missing column '${name}'`, { line: 1 });
      return k;
    };
    const tCols = classes.map((c) => col(`target:${c}`)), sCols = classes.map((c) => col(`${kind}:${c}`));
    const n = table.rows.length;
    if (n === 0) throw new FormatError(path, 'no predictions (expected one row per test record)');
    const targets = new Float32Array(n * classes.length), scores = new Float32Array(n * classes.length);
    const num = (r: string[], k: number, line: number): number => {
      const raw = r[k] ?? '';
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new FormatError(path, `expected a number, got '${raw}'`, { line, field: table.header[k]! });
      return v;
    };
    table.rows.forEach((r, i) => {
      classes.forEach((_, j) => {
        targets[i * classes.length + j] = num(r, tCols[j]!, table.lines[i]!);
        scores[i * classes.length + j] = num(r, sCols[j]!, table.lines[i]!);
      });
    });
    const metrics = computeMetrics(task, classes, scores, targets);
    if (task === 'regression') {
      const m = JSON.parse(readFileSync(join(dir, d, 'metrics.json'), 'utf8')) as { targetScale?: { mean: number } };
      const mean = m.targetScale?.mean;
      if (mean !== undefined) metrics['mae_baseline'] = targets.reduce((a, t) => a + Math.abs(t - mean), 0) / n;
    }
    folds.push({ fold, n, metrics });
  }
  const keys = [...new Set(folds.flatMap((f) => Object.keys(f.metrics)))];
  const summary = Object.fromEntries(keys.map((k) => [k, meanStd(folds.map((f) => f.metrics[k] ?? NaN))]));
  return { dir, task, classes, metric: run.metric, complete: run.complete, folds, summary };
}

/** A plain-text table: one row per metric, one column per fold, then mean ± std. */
export function formatRunEvaluation(ev: RunEvaluation): string {
  const keys = Object.keys(ev.summary);
  const head = ['metric', ...ev.folds.map((f) => `fold ${f.fold}`), 'mean ± std'];
  const fmt = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));
  const rows = keys.map((k) => {
    const s = ev.summary[k]!;
    return [k, ...ev.folds.map((f) => fmt(f.metrics[k])), s.n > 1 ? `${fmt(s.mean)} ± ${fmt(s.std)}` : fmt(s.mean)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const title = `${ev.dir}: ${ev.task}, ${ev.folds.length} fold(s)${ev.complete ? '' : ' (run not finished)'}; n test = ${ev.folds.map((f) => f.n).join(', ')}`;
  return [title, line(head), ...rows.map(line)].join('\n');
}
