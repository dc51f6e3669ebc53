/**
 * Random forests (Breiman 2001) of CART trees, for classification (Gini) and
 * regression (variance reduction). In TLC the forest predicts the network's
 * output from an ECG's cluster proportions, to measure how much of the
 * network's decision the clusters capture.
 *
 * Why not ml-random-forest (mljs, 2.1.0): its CART (ml-cart) evaluates every
 * candidate threshold by re-partitioning all node samples, O(n^2) per feature
 * and node; measured on this machine with 30 features and 10 trees: 1000
 * samples 2.7 s, 2000 9.2 s, 4000 51 s, so ~20k samples is out of reach. It
 * also draws the feature subset once per tree rather than per split, and its
 * default out-of-bag pass throws on samples that are in every bootstrap.
 *
 * This implementation:
 * - bootstrap as integer weights (how often each sample was drawn); samples
 *   with weight 0 are the tree's out-of-bag set;
 * - per tree, each feature's in-bag samples are kept sorted (from one global
 *   sort per feature) and stably partitioned at every split, so finding a
 *   split is a linear sweep and a tree costs O(d n depth);
 * - at each node, features are tried in a random order: maxFeatures of them,
 *   and more only while no valid split has been found (as scikit-learn);
 * - thresholds are midpoints between consecutive distinct values; x <= t goes left;
 * - leaves store class frequencies (weighted by bootstrap counts) or the mean;
 *   the forest averages them (predict_proba as in scikit-learn);
 * - feature importances: mean decrease in impurity, normalised per tree, averaged.
 */
import { FormatError, OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { checkInt, checkPoints, JsonReader, toNumbers, type Points } from './points.js';

export interface ForestOptions {
  /** Trees (default 100). */
  nTrees?: number;
  /** Features tried per split: 'sqrt' (classification default), 'third' (regression default), 'all', a count >= 1, or a fraction in (0, 1). */
  maxFeatures?: 'sqrt' | 'third' | 'all' | number;
  /** Maximum depth (default unlimited; the root has depth 0). */
  maxDepth?: number;
  /** Fewest (bootstrap-weighted) samples a node needs to be split (default 2). */
  minSamplesSplit?: number;
  /** Fewest (bootstrap-weighted) samples in each child (default 1). */
  minSamplesLeaf?: number;
  /** Draw a bootstrap sample per tree (default true); false grows every tree on all samples. */
  bootstrap?: boolean;
  /** Compute the out-of-bag score (accuracy or R^2) at fit time (default false). */
  oobScore?: boolean;
  seed?: number;
}

/** One tree, flat: node i is a leaf when feature[i] < 0. */
export interface TreeState {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** [nodes, nOutputs]: class frequencies (classification) or the mean (regression). */
  value: number[];
}

export interface ForestState {
  kind: 'tlc-forest';
  task: 'classification' | 'regression';
  d: number;
  /** Classes 0..nClasses-1 (classification), 1 for regression. */
  nOutputs: number;
  trees: TreeState[];
  featureImportances: number[];
  /** Out-of-bag accuracy or R^2, when computed. */
  oobScore: number | null;
}

interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

type Task = 'classification' | 'regression';

interface ResolvedOptions {
  nTrees: number;
  maxFeatures: 'sqrt' | 'third' | 'all' | number;
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  bootstrap: boolean;
  oobScore: boolean;
  seed: number;
}

function resolve(o: ForestOptions, task: Task): ResolvedOptions {
  const mf = o.maxFeatures ?? (task === 'classification' ? 'sqrt' : 'third');
  if (typeof mf === 'number' ? !(mf > 0 && (mf < 1 || Number.isInteger(mf))) : !['sqrt', 'third', 'all'].includes(mf)) {
    throw new OptionError('maxFeatures', `expected 'sqrt', 'third', 'all', an integer >= 1 or a fraction in (0, 1), got ${String(mf)}`);
  }
  return {
    nTrees: checkInt('nTrees', o.nTrees ?? 100, 1),
    maxFeatures: mf,
    maxDepth: o.maxDepth === undefined || o.maxDepth === Infinity ? Infinity : checkInt('maxDepth', o.maxDepth, 0),
    minSamplesSplit: checkInt('minSamplesSplit', o.minSamplesSplit ?? 2, 2),
    minSamplesLeaf: checkInt('minSamplesLeaf', o.minSamplesLeaf ?? 1, 1),
    bootstrap: o.bootstrap ?? true,
    oobScore: o.oobScore ?? false,
    seed: checkInt('seed', o.seed ?? 0, -(2 ** 31), 2 ** 32 - 1),
  };
}

function featuresPerSplit(mf: ResolvedOptions['maxFeatures'], d: number): number {
  if (mf === 'all') return d;
  if (mf === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(d)));
  if (mf === 'third') return Math.max(1, Math.floor(d / 3));
  return Math.min(d, mf < 1 ? Math.max(1, Math.floor(mf * d)) : mf);
}

export class RandomForestClassifier {
  readonly options: ResolvedOptions;
  constructor(options: ForestOptions = {}) {
    this.options = resolve(options, 'classification');
  }

  /** y: class index 0..nClasses-1 per point; nClasses defaults to max(y) + 1. */
  fit(x: Points, y: ArrayLike<number>, nClasses?: number): FittedForest {
    const c = nClasses ?? maxLabel(y) + 1;
    for (let i = 0; i < y.length; i++) {
      if (!(Number.isInteger(y[i]) && y[i]! >= 0 && y[i]! < c)) throw new OptionError('y', `label ${y[i]} at ${i}: expected an integer class in 0..${c - 1}`);
    }
    return fitForest(x, y, 'classification', c, this.options);
  }
}

export class RandomForestRegressor {
  readonly options: ResolvedOptions;
  constructor(options: ForestOptions = {}) {
    this.options = resolve(options, 'regression');
  }

  fit(x: Points, y: ArrayLike<number>): FittedForest {
    for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i]!)) throw new OptionError('y', `target ${y[i]} at ${i}: expected a finite number`);
    return fitForest(x, y, 'regression', 1, this.options);
  }
}

function maxLabel(y: ArrayLike<number>): number {
  let m = -1;
  for (let i = 0; i < y.length; i++) if (y[i]! > m) m = y[i]!;
  return m;
}

function fitForest(x: Points, y: ArrayLike<number>, task: Task, nOut: number, o: ResolvedOptions): FittedForest {
  const { n, d } = x;
  if (n < 1) throw new OptionError('points', 'expected at least one sample');
  if (y.length !== n) throw new OptionError('y', `expected ${n} targets (one per point), got ${y.length}`);
  checkPoints(x, 'points');
  // Column-major copy: the split sweeps read one feature at a time.
  const cols: Float64Array[] = [];
  const sorted: Int32Array[] = [];
  for (let f = 0; f < d; f++) {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = x.data[i * d + f]!;
    cols.push(col);
    sorted.push(Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => col[a]! - col[b]!));
  }
  const yv = Float64Array.from(y as ArrayLike<number>);
  const mtry = featuresPerSplit(o.maxFeatures, d);
  const rng = new Rng(o.seed);
  const trees: Tree[] = [];
  const importances = new Float64Array(d);
  const oobSum = o.oobScore ? new Float64Array(n * nOut) : undefined;
  const oobCount = o.oobScore ? new Float64Array(n) : undefined;
  const weight = new Float64Array(n);
  for (let t = 0; t < o.nTrees; t++) {
    const tr = rng.fork();
    if (o.bootstrap) {
      weight.fill(0);
      for (let r = 0; r < n; r++) weight[tr.int(n)]! += 1;
    } else weight.fill(1);
    const treeImp = new Float64Array(d);
    const tree = growTree(cols, sorted, yv, weight, task, nOut, mtry, o, tr, treeImp);
    trees.push(tree);
    let s = 0;
    for (const v of treeImp) s += v;
    if (s > 0) for (let f = 0; f < d; f++) importances[f]! += treeImp[f]! / s;
    if (oobSum && oobCount) {
      for (let i = 0; i < n; i++) {
        if (weight[i]! > 0) continue;
        const leaf = leafOf(tree, x.data, i * d);
        for (let c = 0; c < nOut; c++) oobSum[i * nOut + c]! += tree.value[leaf * nOut + c]!;
        oobCount[i]! += 1;
      }
    }
  }
  let total = 0;
  for (const v of importances) total += v;
  if (total > 0) for (let f = 0; f < d; f++) importances[f]! /= total;
  let oob: number | null = null;
  if (oobSum && oobCount) oob = oobScoreOf(oobSum, oobCount, yv, task, nOut);
  return new FittedForest(task, d, nOut, trees, importances, oob);
}

function oobScoreOf(sum: Float64Array, count: Float64Array, y: Float64Array, task: Task, nOut: number): number | null {
  let m = 0, hits = 0;
  const pred: number[] = [], truth: number[] = [];
  for (let i = 0; i < count.length; i++) {
    if (count[i] === 0) continue;
    m++;
    if (task === 'classification') {
      let b = 0;
      for (let c = 1; c < nOut; c++) if (sum[i * nOut + c]! > sum[i * nOut + b]!) b = c;
      if (b === y[i]) hits++;
    } else {
      pred.push(sum[i]! / count[i]!);
      truth.push(y[i]!);
    }
  }
  if (m === 0) return null;
  if (task === 'classification') return hits / m;
  return r2Score(truth, pred);
}

/** Grows one tree on the samples with weight > 0. */
function growTree(
  cols: Float64Array[], sorted: Int32Array[], y: Float64Array, w: Float64Array, task: Task, nOut: number,
  mtry: number, o: ResolvedOptions, rng: Rng, importance: Float64Array,
): Tree {
  const d = cols.length;
  let m = 0;
  for (let i = 0; i < w.length; i++) if (w[i]! > 0) m++;
  // order[f]: in-bag samples sorted by feature f; every node is a common range [start, end) of all of them.
  const order = sorted.map((s) => {
    const o2 = new Int32Array(m);
    let k = 0;
    for (let p = 0; p < s.length; p++) if (w[s[p]!]! > 0) o2[k++] = s[p]!;
    return o2;
  });
  const tmp = new Int32Array(m);
  const goesLeft = new Uint8Array(w.length);
  const feature: number[] = [], threshold: number[] = [], left: number[] = [], right: number[] = [];
  const value: number[] = [];
  const features = Int32Array.from({ length: d }, (_, i) => i);
  const cls = task === 'classification';
  const countsL = new Float64Array(nOut), countsN = new Float64Array(nOut);

  const stack: { start: number; end: number; depth: number; node: number }[] = [];
  const newNode = (): number => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    for (let c = 0; c < nOut; c++) value.push(0);
    return feature.length - 1;
  };
  stack.push({ start: 0, end: m, depth: 0, node: newNode() });
  const o0 = order[0]!;
  while (stack.length > 0) {
    const { start, end, depth, node } = stack.pop()!;
    // Node statistics.
    let W = 0, S = 0, S2 = 0, yMin = Infinity, yMax = -Infinity;
    countsN.fill(0);
    for (let p = start; p < end; p++) {
      const i = o0[p]!, wi = w[i]!, yi = y[i]!;
      W += wi;
      if (cls) countsN[yi]! += wi;
      else {
        S += wi * yi;
        S2 += wi * yi * yi;
      }
      if (yi < yMin) yMin = yi;
      if (yi > yMax) yMax = yi;
    }
    if (cls) for (let c = 0; c < nOut; c++) value[node * nOut + c] = countsN[c]! / W;
    else value[node] = S / W;
    if (yMin === yMax || depth >= o.maxDepth || W < o.minSamplesSplit || W < 2 * o.minSamplesLeaf) continue;
    let sqN = 0;
    if (cls) for (let c = 0; c < nOut; c++) sqN += countsN[c]! * countsN[c]!;
    // Parent term of the impurity decrease: Gini W - sum c^2 / W; SSE S2 - S^2 / W. Children: same with the proxy.
    const parentProxy = cls ? sqN / W : (S * S) / W;

    let bestProxy = -Infinity, bestF = -1, bestPos = -1, bestThr = 0;
    // Partial Fisher-Yates over the features: the first mtry, then more only while nothing splits.
    for (let k = 0; k < d; k++) {
      if (k >= mtry && bestF >= 0) break;
      const j = k + rng.int(d - k);
      const f = features[j]!;
      features[j] = features[k]!;
      features[k] = f;
      const col = cols[f]!, of = order[f]!;
      if (col[of[start]!] === col[of[end - 1]!]) continue; // constant in this node
      let WL = 0, SL = 0, sqL = 0;
      let sqR = sqN;
      if (cls) countsL.fill(0);
      for (let p = start; p < end - 1; p++) {
        const i = of[p]!, wi = w[i]!;
        WL += wi;
        if (cls) {
          const c = y[i]!;
          const l = countsL[c]!, r = countsN[c]! - l;
          sqL += 2 * wi * l + wi * wi;
          sqR += -2 * wi * r + wi * wi;
          countsL[c] = l + wi;
        } else SL += wi * y[i]!;
        const v = col[i]!, vNext = col[of[p + 1]!]!;
        if (v === vNext) continue;
        const WR = W - WL;
        if (WL < o.minSamplesLeaf || WR < o.minSamplesLeaf) continue;
        const proxy = cls ? sqL / WL + sqR / WR : (SL * SL) / WL + ((S - SL) * (S - SL)) / WR;
        if (proxy > bestProxy) {
          bestProxy = proxy;
          bestF = f;
          bestPos = p;
          let thr = v + (vNext - v) / 2;
          if (!(thr < vNext)) thr = v;
          bestThr = thr;
        }
      }
    }
    if (bestF < 0) continue;
    importance[bestF]! += Math.max(0, bestProxy - parentProxy);
    // Partition every feature's order stably into left (x <= thr) and right.
    const ob = order[bestF]!;
    for (let p = start; p < end; p++) goesLeft[ob[p]!] = p <= bestPos ? 1 : 0;
    const mid = bestPos + 1;
    for (let f = 0; f < d; f++) {
      const of = order[f]!;
      let l = start, r = 0;
      for (let p = start; p < end; p++) {
        const i = of[p]!;
        if (goesLeft[i]) of[l++] = i;
        else tmp[r++] = i;
      }
      of.set(tmp.subarray(0, r), l);
    }
    const ln = newNode(), rn = newNode();
    feature[node] = bestF;
    threshold[node] = bestThr;
    left[node] = ln;
    right[node] = rn;
    stack.push({ start: mid, end, depth: depth + 1, node: rn });
    stack.push({ start, end: mid, depth: depth + 1, node: ln });
  }
  return {
    feature: Int32Array.from(feature), threshold: Float64Array.from(threshold),
    left: Int32Array.from(left), right: Int32Array.from(right), value: Float64Array.from(value),
  };
}

function leafOf(t: Tree, data: ArrayLike<number>, offset: number): number {
  let node = 0;
  while (t.feature[node]! >= 0) node = data[offset + t.feature[node]!]! <= t.threshold[node]! ? t.left[node]! : t.right[node]!;
  return node;
}

export class FittedForest {
  constructor(
    readonly task: Task,
    readonly d: number,
    /** Number of classes (classification) or 1 (regression). */
    readonly nOutputs: number,
    private readonly trees: Tree[],
    /** Mean decrease in impurity per feature, summing to 1 (all 0 if no tree split). */
    readonly featureImportances: Float64Array,
    /** Out-of-bag accuracy (classification) or R^2 (regression), when computed and defined. */
    readonly oobScore: number | null,
  ) {}

  get nTrees(): number {
    return this.trees.length;
  }

  /** Total number of nodes over all trees. */
  get nNodes(): number {
    return this.trees.reduce((s, t) => s + t.feature.length, 0);
  }

  private average(x: Points): Float64Array {
    if (x.d !== this.d) throw new OptionError('points', `expected ${this.d} features (as fitted), got ${x.d}`);
    const k = this.nOutputs;
    const out = new Float64Array(x.n * k);
    for (const t of this.trees) {
      for (let i = 0; i < x.n; i++) {
        const leaf = leafOf(t, x.data, i * x.d);
        for (let c = 0; c < k; c++) out[i * k + c]! += t.value[leaf * k + c]!;
      }
    }
    for (let i = 0; i < out.length; i++) out[i]! /= this.trees.length;
    return out;
  }

  /** Class probabilities [n, nClasses] (classification only). */
  predictProba(x: Points): Points {
    if (this.task !== 'classification') throw new OptionError('task', 'predictProba needs a classification forest');
    return { data: this.average(x), n: x.n, d: this.nOutputs };
  }

  /** Most probable class (classification) or the mean prediction (regression). */
  predict(x: Points): Float64Array {
    const a = this.average(x);
    if (this.task === 'regression') return a;
    const k = this.nOutputs;
    const out = new Float64Array(x.n);
    for (let i = 0; i < x.n; i++) {
      let b = 0;
      for (let c = 1; c < k; c++) if (a[i * k + c]! > a[i * k + b]!) b = c;
      out[i] = b;
    }
    return out;
  }

  /** Accuracy (classification) or R^2 (regression) on (x, y). */
  score(x: Points, y: ArrayLike<number>): number {
    const p = this.predict(x);
    return this.task === 'classification' ? accuracy(y, p) : r2Score(y, p);
  }

  toJSON(): ForestState {
    return {
      kind: 'tlc-forest', task: this.task, d: this.d, nOutputs: this.nOutputs,
      trees: this.trees.map((t) => ({
        feature: toNumbers(t.feature), threshold: toNumbers(t.threshold), left: toNumbers(t.left), right: toNumbers(t.right), value: toNumbers(t.value),
      })),
      featureImportances: toNumbers(this.featureImportances), oobScore: this.oobScore,
    };
  }

  static fromJSON(json: unknown, source = 'forest state'): FittedForest {
    const r = JsonReader.of(json, source, 'tlc-forest');
    const task = r.string('task');
    if (task !== 'classification' && task !== 'regression') throw new FormatError(source, `expected task 'classification' or 'regression', got ${task}`, { field: 'task' });
    const d = r.int('d', 1), k = r.int('nOutputs', 1);
    const trees = r.objects('trees').map((tr, ti) => {
      const feature = tr.numbers('feature');
      const nn = feature.length;
      const t: Tree = {
        feature: Int32Array.from(feature), threshold: tr.numbers('threshold', nn), left: Int32Array.from(tr.numbers('left', nn)),
        right: Int32Array.from(tr.numbers('right', nn)), value: tr.numbers('value', nn * k),
      };
      // Children must point forward (so prediction always terminates) and features must exist.
      for (let i = 0; i < nn; i++) {
        if (t.feature[i]! < 0) continue;
        if (t.feature[i]! >= d || !(t.left[i]! > i && t.left[i]! < nn && t.right[i]! > i && t.right[i]! < nn)) {
          throw new FormatError(source, `node ${i} has feature ${t.feature[i]} and children ${t.left[i]}, ${t.right[i]}; expected a feature < ${d} and children after it`, { field: `trees[${ti}]` });
        }
      }
      return t;
    });
    if (trees.length === 0) throw new FormatError(source, 'expected at least one tree', { field: 'trees' });
    const oob = r.raw('oobScore');
    return new FittedForest(task, d, k, trees, r.numbers('featureImportances', d), typeof oob === 'number' ? oob : null);
  }
}

/** Fraction of equal predictions. */
export function accuracy(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === pred[i]) h++;
  return y.length > 0 ? h / y.length : NaN;
}

/** Coefficient of determination 1 - SSE / SST (NaN when the targets are constant). */
export function r2Score(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i]!;
  mean /= y.length;
  let sse = 0, sst = 0;
  for (let i = 0; i < y.length; i++) {
    sse += (y[i]! - pred[i]!) ** 2;
    sst += (y[i]! - mean) ** 2;
  }
  return sst > 0 ? 1 - sse / sst : NaN;
}
