/**
 * Label quality from TLC: which labels do an ECG's clusters contradict?
 *
 * Each (ECG, class) label is scored by a random forest on the ECGs' cluster
 * proportions that never saw that ECG: the ECGs are split into seeded parts,
 * and each part's probabilities come from forests trained on the other parts
 * (cross-fitting, so a forest cannot memorise the label it is asked about).
 * The score is 1 - p(given label) = |label - p|: the forest's probability that
 * the label is wrong. The list is ranked by score, highest first. The forests
 * keep at least 5 ECGs per leaf by default: with 1, a rare class's positives
 * mostly get p = 0 exactly and tie at the top (on PTB-XL fold 1 with 5% of the
 * ECGs flipped: 240 ties and recall 36.5% in the top k, against 77 and 40.3%).
 *
 * flipLabels makes the seeded label noise of the check (a known share of ECGs
 * with one class flipped), and recallAtK measures how many flipped labels a
 * ranking puts in its top k.
 */
import { OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { RandomForestClassifier, type ForestOptions } from './forest.js';
import { selectRows, type Points } from './points.js';

export interface LabelQualityOptions {
  /** Parts of the cross-fitting (default 5). */
  parts?: number;
  seed?: number;
  /** Forest options (default: 100 trees, at least 5 ECGs per leaf). */
  forest?: ForestOptions;
  /** The part of each ECG (0..parts-1) instead of the seeded split, e.g. training ECGs vs audited ones. */
  partOf?: ArrayLike<number>;
  /** Parts that only train: their ECGs are not scored and not ranked. */
  trainOnly?: readonly number[];
}

export interface LabelSuspect {
  /** Row of the ECG in the features. */
  row: number;
  /** Class index. */
  cls: number;
  /** The label as given (0 or 1). */
  label: number;
  /** Cross-fitted forest probability that the class is present. */
  probability: number;
  /** 1 - p(given label): the forest's probability that the label is wrong. */
  score: number;
}

export interface LabelQualityResult {
  /** Every (ECG, class) pair, highest score first (ties: by row, then class). */
  ranking: LabelSuspect[];
  /** Cross-fitted probabilities [n, k]. */
  probabilities: Float64Array;
}

/** Ranks every (ECG, class) label of `labels` [n, k] (0/1) by how strongly the cross-fitted forests on `x` contradict it (probabilities of train-only parts stay NaN). */
export function rankLabelSuspects(x: Points, labels: ArrayLike<number>, k: number, opts: LabelQualityOptions = {}): LabelQualityResult {
  const n = x.n;
  if (labels.length !== n * k) throw new OptionError('labels', `expected ${n} x ${k} labels, got ${labels.length}`);
  const parts = opts.parts ?? 5;
  if (!Number.isInteger(parts) || parts < 2 || parts > n) throw new OptionError('parts', `expected an integer in 2..${n}, got ${parts}`);
  const seed = opts.seed ?? 0;
  const partOf = new Int32Array(n);
  if (opts.partOf) {
    if (opts.partOf.length !== n) throw new OptionError('partOf', `expected ${n} parts (one per ECG), got ${opts.partOf.length}`);
    for (let i = 0; i < n; i++) {
      const p = opts.partOf[i]!;
      if (!(Number.isInteger(p) && p >= 0 && p < parts)) throw new OptionError('partOf', `ECG ${i}: expected a part in 0..${parts - 1}, got ${p}`);
      partOf[i] = p;
    }
  } else new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i)).forEach((row, i) => (partOf[row] = i % parts));
  const skip = new Set(opts.trainOnly ?? []);
  const prob = new Float64Array(n * k).fill(NaN);
  for (let p = 0; p < parts; p++) {
    if (skip.has(p)) continue;
    const trainRows: number[] = [], testRows: number[] = [];
    for (let i = 0; i < n; i++) (partOf[i] === p ? testRows : trainRows).push(i);
    const xTr = selectRows(x, trainRows), xTe = selectRows(x, testRows);
    for (let c = 0; c < k; c++) {
      const y = Float64Array.from(trainRows, (i) => (labels[i * k + c]! > 0.5 ? 1 : 0));
      const pos = y.reduce((a, b) => a + b, 0);
      if (pos === 0 || pos === y.length) {
        // One value in the training parts: the forest would be constant.
        testRows.forEach((i) => (prob[i * k + c] = pos === 0 ? 0 : 1));
        continue;
      }
      const forest = new RandomForestClassifier({ minSamplesLeaf: 5, ...opts.forest, seed: (seed ^ Math.imul(p * k + c + 1, 0x9e3779b9)) >>> 0 }).fit(xTr, y, 2);
      const pr = forest.predictProba(xTe);
      testRows.forEach((i, j) => (prob[i * k + c] = pr.data[j * 2 + 1]!));
    }
  }
  const ranking: LabelSuspect[] = [];
  for (let i = 0; i < n; i++) {
    if (skip.has(partOf[i]!)) continue;
    for (let c = 0; c < k; c++) {
      const label = labels[i * k + c]! > 0.5 ? 1 : 0, p = prob[i * k + c]!;
      ranking.push({ row: i, cls: c, label, probability: p, score: label === 1 ? 1 - p : p });
    }
  }
  ranking.sort((a, b) => b.score - a.score || a.row - b.row || a.cls - b.cls);
  return { ranking, probabilities: prob };
}

export interface FlippedLabels {
  /** The labels with the flips applied [n, k]. */
  labels: Float32Array;
  /** Flipped (row, class) pairs. */
  flipped: { row: number; cls: number; from: number }[];
}

/**
 * Flips one class, drawn uniformly, of a seeded `fraction` of the ECGs
 * (round(fraction * n), at least 1): 0 becomes 1 and 1 becomes 0.
 */
export function flipLabels(labels: ArrayLike<number>, n: number, k: number, fraction: number, seed = 0): FlippedLabels {
  if (!(fraction > 0 && fraction <= 1)) throw new OptionError('fraction', `expected a fraction in (0, 1], got ${fraction}`);
  if (labels.length !== n * k) throw new OptionError('labels', `expected ${n} x ${k} labels, got ${labels.length}`);
  const rng = new Rng(seed);
  const rows = rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, Math.max(1, Math.round(fraction * n))).sort((a, b) => a - b);
  const out = Float32Array.from(labels, (v) => (v > 0.5 ? 1 : 0));
  const flipped = rows.map((row) => {
    const cls = rng.int(k);
    const from = out[row * k + cls]!;
    out[row * k + cls] = 1 - from;
    return { row, cls, from };
  });
  return { labels: out, flipped };
}

/** Share of the `flipped` pairs among the first k of a ranking. */
export function recallAtK(ranking: readonly Pick<LabelSuspect, 'row' | 'cls'>[], flipped: readonly { row: number; cls: number }[], k: number): number {
  if (flipped.length === 0) return NaN;
  const want = new Set(flipped.map((f) => `${f.row}:${f.cls}`));
  let hit = 0;
  for (const r of ranking.slice(0, k)) if (want.has(`${r.row}:${r.cls}`)) hit++;
  return hit / flipped.length;
}
