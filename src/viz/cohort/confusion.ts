/**
 * Confusion matrices. Multi-class: true class (argmax of the one-hot target)
 * against predicted class (argmax of the scores). Multi-label: one 2x2 table
 * per class at a score threshold.
 */
import type { TopLevelSpec } from 'vega-lite';
import { OKABE_ITO } from '../palettes.js';

export interface ConfusionCell {
  /** Facet (the class of a multi-label 2x2 table; '' for multi-class). */
  panel: string;
  actual: string;
  predicted: string;
  count: number;
}

function argmax(a: ArrayLike<number>, off: number, k: number): number {
  let b = 0;
  for (let j = 1; j < k; j++) if (a[off + j]! > a[off + b]!) b = j;
  return b;
}

/** Cells of the confusion matrix of row-major scores and targets [n, classes]. */
export function confusionMatrix(task: 'multiclass' | 'multilabel', classes: readonly string[], scores: ArrayLike<number>, targets: ArrayLike<number>, threshold = 0.5): ConfusionCell[] {
  const k = classes.length, n = scores.length / k;
  const cells: ConfusionCell[] = [];
  if (task === 'multiclass') {
    const m = classes.map(() => new Array<number>(k).fill(0));
    for (let i = 0; i < n; i++) m[argmax(targets, i * k, k)]![argmax(scores, i * k, k)]!++;
    classes.forEach((a, i) => classes.forEach((p, j) => cells.push({ panel: '', actual: a, predicted: p, count: m[i]![j]! })));
    return cells;
  }
  classes.forEach((c, j) => {
    const m = [[0, 0], [0, 0]];
    for (let i = 0; i < n; i++) m[targets[i * k + j]! > 0.5 ? 1 : 0]![scores[i * k + j]! >= threshold ? 1 : 0]!++;
    const name = ['no', 'yes'];
    for (const a of [1, 0]) for (const p of [1, 0]) cells.push({ panel: c, actual: name[a]!, predicted: name[p]!, count: m[a]![p]! });
  });
  return cells;
}

export function confusionSpec(cells: readonly ConfusionCell[], title = 'Confusion matrix (test folds pooled)'): TopLevelSpec {
  const multi = cells.some((c) => c.panel !== '');
  const size = multi ? 90 : Math.max(120, 36 * Math.sqrt(cells.length));
  const inner = {
    width: size, height: size,
    encoding: {
      x: { field: 'predicted', type: 'nominal', title: 'predicted', sort: null, axis: { labelAngle: 0 } },
      y: { field: 'actual', type: 'nominal', title: 'true', sort: null },
    },
    layer: [
      // Counts are written in the cells: no colour legend beside every panel.
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, title: 'ECGs', ...(multi ? { legend: null } : {}) } } },
      { mark: { type: 'text', fontSize: 12 }, encoding: { text: { field: 'count', type: 'quantitative' }, color: { value: OKABE_ITO.black } } },
    ],
  };
  if (!multi) return { title, data: { values: cells.map((c) => ({ ...c })) }, ...inner } as TopLevelSpec;
  // Panels in the classes' order; each with its own axes, so that a last row
  // with fewer panels leaves no axes under empty cells.
  const panels = [...new Set(cells.map((c) => c.panel))];
  return {
    title: `${title}, threshold 0.5 per class`, data: { values: cells.map((c) => ({ ...c })) },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels }, columns: Math.min(4, panels.length),
    spec: inner, resolve: { scale: { color: 'independent' }, axis: { x: 'independent', y: 'independent' } },
  } as TopLevelSpec;
}
