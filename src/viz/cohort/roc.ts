/** ROC curves per class from scores and 0/1 targets, and their Vega-Lite view. */
import type { TopLevelSpec } from 'vega-lite';
import { CATEGORICAL } from '../palettes.js';

export interface RocPoint {
  fpr: number;
  tpr: number;
}

export interface RocCurve {
  class: string;
  /** From (0, 0) to (1, 1), one point per distinct threshold. */
  points: RocPoint[];
  /** Trapezoidal area under the curve (NaN when the class has no positive or no negative). */
  auc: number;
  positives: number;
  negatives: number;
}

/** The ROC curve of one class: scores sorted descending, ties taken together. */
export function rocCurve(cls: string, scores: ArrayLike<number>, targets: ArrayLike<number>): RocCurve {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const positives = Array.from(targets).filter((t) => t > 0.5).length;
  const negatives = n - positives;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  if (positives === 0 || negatives === 0) return { class: cls, points: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }], auc: NaN, positives, negatives };
  let tp = 0, fp = 0, auc = 0;
  for (let i = 0; i < n; ) {
    const s = scores[order[i]!]!;
    let dtp = 0, dfp = 0;
    for (; i < n && scores[order[i]!] === s; i++) (targets[order[i]!]! > 0.5 ? dtp++ : dfp++);
    const prev = points[points.length - 1]!;
    tp += dtp;
    fp += dfp;
    const p = { fpr: fp / negatives, tpr: tp / positives };
    auc += ((p.fpr - prev.fpr) * (p.tpr + prev.tpr)) / 2;
    points.push(p);
  }
  return { class: cls, points, auc, positives, negatives };
}

/** One ROC curve per class from row-major scores and targets [n, classes]. */
export function rocCurves(classes: readonly string[], scores: ArrayLike<number>, targets: ArrayLike<number>): RocCurve[] {
  const k = classes.length, n = scores.length / k;
  return classes.map((c, j) => {
    const s = new Float64Array(n), t = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = scores[i * k + j]!;
      t[i] = targets[i * k + j]!;
    }
    return rocCurve(c, s, t);
  });
}

export function rocSpec(curves: readonly RocCurve[], title = 'ROC curves (test folds pooled)'): TopLevelSpec {
  const label = (c: RocCurve): string => `${c.class} (AUC ${Number.isFinite(c.auc) ? c.auc.toFixed(3) : 'n/a'})`;
  const values = curves.flatMap((c) => c.points.map((p, i) => ({ curve: label(c), fpr: p.fpr, tpr: p.tpr, i })));
  return {
    title, width: 260, height: 260,
    layer: [
      { data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#999999' }, encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } } },
      {
        data: { values }, mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          color: { field: 'curve', type: 'nominal', title: 'class', scale: { domain: curves.map(label), range: curves.map((_, i) => CATEGORICAL[i % CATEGORICAL.length]!) } },
          order: { field: 'i', type: 'quantitative' },
        },
      },
    ],
  } as TopLevelSpec;
}
