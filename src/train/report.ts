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

export interface RunEvaluation {
  dir: string;
  task: ModelTask;
  classes: string[];
  metric: string;
  complete: boolean;
  folds: { fold: number; n: number; metrics: MetricValues }[];
  summary: Record<string, { mean: number; std: number; n: number }>;
}

/** Reads RUNDIR (or RUNDIR.partial when the run did not finish) and recomputes every fold's test metrics. */
export function evaluateRun(dirIn: string): RunEvaluation {
  let dir = resolve(dirIn);
  if (!existsSync(join(dir, 'run.json')) && existsSync(join(`${dir}.partial`, 'run.json'))) dir = `${dir}.partial`;
  const runPath = join(dir, 'run.json');
  if (!existsSync(runPath)) throw new IoError(runPath, 'not found (expected a folder written by ecgx train)');
  let run: RunRecord;
  try {
    run = JSON.parse(readFileSync(runPath, 'utf8')) as RunRecord;
  } catch {
    throw new FormatError(runPath, 'not valid JSON');
  }
  const task = run.task.task as ModelTask;
  const classes = run.task.classes;
  const kind = task === 'regression' ? 'pred' : 'prob';
  const folds: RunEvaluation['folds'] = [];
  const foldDirs = readdirSync(dir).filter((d) => /^fold-\d+$/.test(d)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  for (const d of foldDirs) {
    const path = join(dir, d, 'predictions.csv');
    if (!existsSync(path)) continue; // fold not finished
    const table = readCsv(path);
    const col = (name: string): number => {
      const k = table.header.indexOf(name);
      if (k < 0) throw new FormatError(path, `missing column '${name}'`, { line: 1 });
      return k;
    };
    const tCols = classes.map((c) => col(`target:${c}`)), sCols = classes.map((c) => col(`${kind}:${c}`));
    const n = table.rows.length;
    const targets = new Float32Array(n * classes.length), scores = new Float32Array(n * classes.length);
    table.rows.forEach((r, i) => {
      classes.forEach((_, j) => {
        targets[i * classes.length + j] = Number(r[tCols[j]!]);
        scores[i * classes.length + j] = Number(r[sCols[j]!]);
      });
    });
    const metrics = computeMetrics(task, classes, scores, targets);
    if (task === 'regression') {
      const m = JSON.parse(readFileSync(join(dir, d, 'metrics.json'), 'utf8')) as { targetScale?: { mean: number } };
      const mean = m.targetScale?.mean;
      if (mean !== undefined) metrics['mae_baseline'] = targets.reduce((a, t) => a + Math.abs(t - mean), 0) / n;
    }
    folds.push({ fold: Number(d.slice(5)), n, metrics });
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
