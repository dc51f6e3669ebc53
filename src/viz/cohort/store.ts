/**
 * Cohort views read from an explanation store (`ecgx explain|tlc explain|predict
 * --store`, merged shards): the scores and labels of every stored ECG, and,
 * when the store holds TLC, each class's mean cluster proportions and each
 * ECG's mean entropy. The report and the web app draw them with the same
 * Vega-Lite specs as their own cohort views, over the whole stored cohort
 * rather than the records they list.
 */
import { StoreQuery } from '../../explain/store/index.js';
import { DataError } from '../../util/errors.js';
import type { EntropyRow, ProportionRow } from './tlc-views.js';

export interface StoreCohort {
  /** The store folder. */
  dir: string;
  /** Read from the scores: 'regression' when any lies outside [0, 1], 'multiclass' when every row sums to 1, else 'multilabel'. */
  task: 'multilabel' | 'multiclass' | 'regression';
  classes: string[];
  /** ECGs with a score for every class; row-major [n, classes]. */
  ids: string[];
  scores: Float32Array;
  /** 0/1 per class, NaN where the dataset gives no label. */
  targets: Float32Array;
  /** TLC: per (class, layer, cluster), the mean proportion over the ECGs labelled with the class; empty without TLC. */
  proportions: ProportionRow[];
  /** TLC: per layer, each ECG's mean entropy under each of its labels ('no label' when it has none). */
  entropy: Record<string, EntropyRow[]>;
  k: number;
}

export async function readStoreCohort(dir: string): Promise<StoreCohort> {
  const q = await StoreQuery.open(dir);
  try {
    const classRows = (await q.query('SELECT DISTINCT class_index, class FROM scores ORDER BY class_index')).rows;
    const classes = classRows.map((r) => String(r[1]));
    if (classes.length === 0) throw new DataError(`${dir}: the store holds no scores (write it with 'ecgx explain|predict ... --store')`);
    const k = classes.length;
    const rows = (await q.query('SELECT id, class_index, score, label FROM scores ORDER BY id, class_index')).rows;
    const ids: string[] = [];
    const scores: number[] = [], targets: number[] = [];
    for (const [id, j, score, label] of rows as [string, number, number, boolean | null][]) {
      if (Number(j) === 0) ids.push(String(id));
      scores.push(Number(score));
      targets.push(label === null ? NaN : label ? 1 : 0);
    }
    if (scores.length !== ids.length * k) throw new DataError(`${dir}: the scores table is not one row per (ECG, class)`);
    // The store records scores, not the task: values outside [0, 1] are a regression, rows summing to 1 a multiclass softmax.
    const inUnit = scores.every((v) => v >= 0 && v <= 1);
    const sumsToOne = k > 1 && ids.every((_, i) => Math.abs(scores.slice(i * k, (i + 1) * k).reduce((a, b) => a + b, 0) - 1) < 1e-3);
    const task = !inUnit ? 'regression' : sumsToOne ? 'multiclass' : 'multilabel';
    const proportions: ProportionRow[] = [];
    const entropy: Record<string, EntropyRow[]> = {};
    let kTlc = 0;
    const hasTlc = Number((await q.query('SELECT count(*) FROM tlc')).rows[0]?.[0] ?? 0) > 0;
    if (hasTlc) {
      kTlc = Number((await q.query('SELECT max(k) FROM tlc')).rows[0]?.[0] ?? 0);
      const prop = await q.query(`
        SELECT s.class, c.layer, c.cluster, avg(c.proportion) AS p, count(*) AS n
        FROM clusters c JOIN scores s ON s.id = c.id AND s.label
        GROUP BY s.class, c.layer, c.cluster ORDER BY s.class, c.layer, c.cluster`);
      for (const [cls, layer, cluster, p, n] of prop.rows as [string, string, number, number, bigint | number][]) {
        proportions.push({ class: String(cls), group: String(layer), cluster: Number(cluster), proportion: Number(p), n: Number(n) });
      }
      const ent = await q.query(`
        SELECT t.id, t.layer, t.mean_entropy, coalesce(list(s.class) FILTER (WHERE s.label), []) AS labels
        FROM tlc t LEFT JOIN scores s ON s.id = t.id GROUP BY t.id, t.layer, t.mean_entropy ORDER BY t.layer, t.id`);
      for (const [id, layer, h, labels] of ent.rows as [string, string, number, string[]][]) {
        const list = (entropy[String(layer)] ??= []);
        for (const c of labels.length ? labels : ['no label']) list.push({ class: String(c), entropy: Number(h), record: String(id) });
      }
    }
    return { dir, task, classes, ids, scores: Float32Array.from(scores), targets: Float32Array.from(targets), proportions, entropy, k: kTlc };
  } finally {
    q.close();
  }
}
