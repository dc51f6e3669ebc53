/**
 * Agreement between two labelings of the same items (clusters vs clusters, or
 * clusters vs wave labels): contingency table, adjusted Rand index, normalised
 * mutual information and purity. All work on the contingency table, which is
 * additive over ECGs, so cohort-level scores sum the per-ECG tables first.
 */
import { OptionError } from '../../util/errors.js';

/** Counts of items with row label `rowLabels[r]` and column label `colLabels[c]`: `counts[r * nCols + c]`. */
export interface ContingencyTable {
  rowLabels: number[];
  colLabels: number[];
  counts: Float64Array;
}

/** Contingency table of two equal-length integer labelings; labels are listed in increasing order. */
export function contingency(a: ArrayLike<number>, b: ArrayLike<number>): ContingencyTable {
  if (a.length !== b.length) throw new OptionError('labels', `expected two labelings of equal length, got ${a.length} and ${b.length}`);
  const rowLabels = uniqueSorted(a), colLabels = uniqueSorted(b);
  const ri = new Map(rowLabels.map((v, i) => [v, i])), ci = new Map(colLabels.map((v, i) => [v, i]));
  const nc = colLabels.length;
  const counts = new Float64Array(rowLabels.length * nc);
  for (let i = 0; i < a.length; i++) counts[ri.get(a[i]!)! * nc + ci.get(b[i]!)!]! += 1;
  return { rowLabels, colLabels, counts };
}

/** Table with fixed label sets 0..nRows-1 and 0..nCols-1 (rows/columns may be empty); labels outside are an error. */
export function contingencyFixed(a: ArrayLike<number>, b: ArrayLike<number>, nRows: number, nCols: number): ContingencyTable {
  if (a.length !== b.length) throw new OptionError('labels', `expected two labelings of equal length, got ${a.length} and ${b.length}`);
  const counts = new Float64Array(nRows * nCols);
  for (let i = 0; i < a.length; i++) {
    const r = a[i]!, c = b[i]!;
    if (!(r >= 0 && r < nRows && c >= 0 && c < nCols && Number.isInteger(r) && Number.isInteger(c))) {
      throw new OptionError('labels', `item ${i}: labels (${r}, ${c}) outside 0..${nRows - 1} x 0..${nCols - 1}`);
    }
    counts[r * nCols + c]! += 1;
  }
  return { rowLabels: range(nRows), colLabels: range(nCols), counts };
}

/** Element-wise sum of tables with identical label sets (e.g. per-ECG tables from contingencyFixed). */
export function addTables(into: ContingencyTable, t: ContingencyTable): ContingencyTable {
  if (into.counts.length !== t.counts.length || into.rowLabels.length !== t.rowLabels.length) {
    throw new OptionError('table', 'expected tables with the same shape');
  }
  for (let i = 0; i < t.counts.length; i++) into.counts[i]! += t.counts[i]!;
  return into;
}

function margins(t: ContingencyTable): { rows: Float64Array; cols: Float64Array; n: number } {
  const nr = t.rowLabels.length, nc = t.colLabels.length;
  const rows = new Float64Array(nr), cols = new Float64Array(nc);
  let n = 0;
  for (let r = 0; r < nr; r++) {
    for (let c = 0; c < nc; c++) {
      const v = t.counts[r * nc + c]!;
      rows[r]! += v;
      cols[c]! += v;
      n += v;
    }
  }
  return { rows, cols, n };
}

const pairs = (x: number): number => (x * (x - 1)) / 2;

/**
 * Adjusted Rand index (Hubert & Arabie 1985): 1 for identical partitions (up to
 * renaming), about 0 for independent ones. When the index is undefined (both
 * labelings a single cluster, or both all singletons) it is 1, as in scikit-learn.
 */
export function adjustedRandIndex(t: ContingencyTable): number {
  const { rows, cols, n } = margins(t);
  let sumIj = 0;
  for (const v of t.counts) sumIj += pairs(v);
  let sumA = 0, sumB = 0;
  for (const v of rows) sumA += pairs(v);
  for (const v of cols) sumB += pairs(v);
  const expected = n > 1 ? (sumA * sumB) / pairs(n) : 0;
  const max = (sumA + sumB) / 2;
  if (max === expected) return 1;
  return (sumIj - expected) / (max - expected);
}

/** Mutual information in nats. */
export function mutualInformation(t: ContingencyTable): number {
  const { rows, cols, n } = margins(t);
  const nc = cols.length;
  let mi = 0;
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < nc; c++) {
      const v = t.counts[r * nc + c]!;
      if (v > 0) mi += (v / n) * Math.log((v * n) / (rows[r]! * cols[c]!));
    }
  }
  return Math.max(0, mi);
}

function entropyOf(m: Float64Array, n: number): number {
  let h = 0;
  for (const v of m) if (v > 0) h -= (v / n) * Math.log(v / n);
  return h;
}

/**
 * Normalised mutual information, MI / mean(H(rows), H(cols)) (the arithmetic
 * mean, scikit-learn's default). 1 when both labelings are a single cluster.
 */
export function normalizedMutualInfo(t: ContingencyTable): number {
  const { rows, cols, n } = margins(t);
  const ha = entropyOf(rows, n), hb = entropyOf(cols, n);
  if (ha === 0 && hb === 0) return 1;
  const denom = (ha + hb) / 2;
  return Math.min(1, mutualInformation(t) / denom);
}

/** Purity of the rows (clusters) with respect to the columns (classes): sum over rows of the largest count, over n. */
export function purity(t: ContingencyTable): number {
  const nr = t.rowLabels.length, nc = t.colLabels.length;
  let s = 0, n = 0;
  for (let r = 0; r < nr; r++) {
    let m = 0;
    for (let c = 0; c < nc; c++) {
      const v = t.counts[r * nc + c]!;
      n += v;
      if (v > m) m = v;
    }
    s += m;
  }
  return n > 0 ? s / n : 0;
}

function uniqueSorted(a: ArrayLike<number>): number[] {
  const s = new Set<number>();
  for (let i = 0; i < a.length; i++) s.add(a[i]!);
  return [...s].sort((x, y) => x - y);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Cohen's kappa between two labelings of the same items (any integer labels):
 * (p_o - p_e) / (1 - p_e), with p_o the observed agreement and p_e the
 * agreement expected from the two marginals alone. NaN when p_e = 1 (both
 * labelings constant and equal: agreement carries no information), as
 * scikit-learn's cohen_kappa_score.
 */
export function cohenKappa(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new OptionError('labels', `expected two labelings of equal length, got ${a.length} and ${b.length}`);
  const n = a.length;
  if (n === 0) return NaN;
  const t = contingency(a, b);
  const nc = t.colLabels.length;
  let po = 0, pe = 0;
  t.rowLabels.forEach((v, i) => {
    const j = t.colLabels.indexOf(v);
    if (j < 0) return;
    let row = 0, col = 0;
    for (let c = 0; c < nc; c++) row += t.counts[i * nc + c]!;
    for (let r = 0; r < t.rowLabels.length; r++) col += t.counts[r * nc + j]!;
    po += t.counts[i * nc + j]! / n;
    pe += (row / n) * (col / n);
  });
  return pe >= 1 - 1e-15 ? NaN : (po - pe) / (1 - pe);
}
