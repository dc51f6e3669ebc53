/**
 * What TLC's per-timestamp entropy separates, over a cohort of explained ECGs:
 *
 * - its distribution per group (histogram of the block-resolution entropy);
 * - ECGs the model gets wrong vs right: each ECG's mean entropy as a score
 *   for "wrong", as an AUROC (0.5: entropy says nothing; the classification
 *   criterion is any class wrong at 0.5, for regression the quarter of ECGs
 *   with the largest absolute error);
 * - per class: the mean entropy of ECGs with and without the label, and the
 *   AUROC of the mean entropy for the label (a class whose ECGs sit in less
 *   stable representations scores above 0.5);
 * - injected noise: mean entropy inside a stretch before and after Gaussian
 *   noise is added there (addNoisy), and the share of timestamps whose
 *   cluster changed.
 *
 * Wave boundaries vs inside waves are in waves.ts (TlcWaveStats).
 */
import { auroc } from '../../train/metrics.js';
import { OptionError } from '../../util/errors.js';
import type { TlcExplanation } from './fit.js';

export const ENTROPY_BINS = 20;

export interface GroupEntropyReport {
  name: string;
  /** Timestamps (block resolution) per bin of width 1 / ENTROPY_BINS over [0, 1], as fractions. */
  histogram: number[];
  mean: number;
  median: number;
  /** Share of timestamps with entropy above 0.5. */
  above05: number;
  /** Mean per-ECG entropy of the ECGs the model got wrong and right, and the AUROC of the mean entropy for "wrong". */
  wrong: { nWrong: number; nRight: number; meanWrong: number; meanRight: number; auroc: number };
  /** Per class: mean per-ECG entropy with and without the label, and the AUROC of the mean entropy for the label. */
  classes: Record<string, { nPositive: number; meanPositive: number; meanNegative: number; auroc: number }>;
  /** With injected noise: mean entropy inside the noisy stretch, clean and noisy; outside it, noisy; share of timestamps inside whose cluster changed. */
  noise?: { ecgs: number; insideClean: number; insideNoisy: number; outsideClean: number; outsideNoisy: number; changed: number; auroc: number };
}

export class TlcEntropyStats {
  private readonly hist: Float64Array[];
  private readonly perEcg: number[][];
  private readonly positives: number[][] = [];
  private readonly noise: { n: number; ic: number; inz: number; oc: number; onz: number; ch: number; cleanMeans: number[]; noisyMeans: number[] }[];

  constructor(readonly names: readonly string[], readonly classes: readonly string[] = []) {
    this.hist = names.map(() => new Float64Array(ENTROPY_BINS));
    this.perEcg = names.map(() => []);
    this.noise = names.map(() => ({ n: 0, ic: 0, inz: 0, oc: 0, onz: 0, ch: 0, cleanMeans: [], noisyMeans: [] }));
  }

  get count(): number {
    return this.positives.length;
  }

  /** One ECG's explanation, with its 0/1 labels per class (empty for regression). */
  add(e: TlcExplanation, positives: ArrayLike<number>): void {
    e.groups.forEach((g, i) => {
      const h = g.sequence.blockEntropy, hist = this.hist[i]!;
      for (let t = 0; t < h.length; t++) hist[Math.min(ENTROPY_BINS - 1, Math.floor(h[t]! * ENTROPY_BINS))]! += 1;
      const x = g.sequence.entropy;
      let s = 0;
      for (let t = 0; t < x.length; t++) s += x[t]!;
      this.perEcg[i]!.push(s / x.length);
    });
    this.positives.push(Array.from(positives));
  }

  /** One ECG explained clean and with noise added over input samples [from, to). */
  addNoisy(clean: TlcExplanation, noisy: TlcExplanation, from: number, to: number): void {
    clean.groups.forEach((g, i) => {
      const a = g.sequence, b = noisy.groups[i]!.sequence, acc = this.noise[i]!;
      let ic = 0, inz = 0, oc = 0, onz = 0, ch = 0;
      const n = a.entropy.length;
      for (let t = 0; t < n; t++) {
        if (t >= from && t < to) {
          ic += a.entropy[t]!;
          inz += b.entropy[t]!;
          if (a.labels[t] !== b.labels[t]) ch++;
        } else {
          oc += a.entropy[t]!;
          onz += b.entropy[t]!;
        }
      }
      const inside = Math.max(1, to - from), outside = Math.max(1, n - (to - from));
      acc.n++;
      acc.ic += ic / inside;
      acc.inz += inz / inside;
      acc.oc += oc / outside;
      acc.onz += onz / outside;
      acc.ch += ch / inside;
      acc.cleanMeans.push(ic / inside);
      acc.noisyMeans.push(inz / inside);
    });
  }

  /** The figures, given for each added ECG (in order) whether the model got it wrong. */
  report(wrongFlags: readonly boolean[]): GroupEntropyReport[] {
    if (wrongFlags.length !== this.count) throw new OptionError('wrong', `expected ${this.count} flags (one per ECG), got ${wrongFlags.length}`);
    return this.names.map((name, i) => {
      const hist = this.hist[i]!, total = hist.reduce((a, b) => a + b, 0) || 1;
      const frac = Array.from(hist, (v) => v / total);
      let cum = 0, median = NaN;
      for (let b = 0; b < ENTROPY_BINS; b++) {
        cum += frac[b]!;
        if (cum >= 0.5) {
          // Linear within the bin.
          median = (b + 1 - (cum - 0.5) / Math.max(frac[b]!, 1e-300)) / ENTROPY_BINS;
          break;
        }
      }
      const mean = frac.reduce((a, f, b) => a + f * ((b + 0.5) / ENTROPY_BINS), 0);
      const above05 = frac.slice(ENTROPY_BINS / 2).reduce((a, b) => a + b, 0);
      const per = this.perEcg[i]!;
      const avg = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
      const w = per.filter((_, j) => wrongFlags[j]), r = per.filter((_, j) => !wrongFlags[j]);
      const wrong = { nWrong: w.length, nRight: r.length, meanWrong: avg(w), meanRight: avg(r), auroc: auroc(per, wrongFlags.map((v) => (v ? 1 : 0))) };
      const classes = Object.fromEntries(this.classes.map((c, j) => {
        const y = this.positives.map((p) => (p[j]! > 0.5 ? 1 : 0));
        const pos = per.filter((_, u) => y[u] === 1), neg = per.filter((_, u) => y[u] === 0);
        return [c, { nPositive: pos.length, meanPositive: avg(pos), meanNegative: avg(neg), auroc: auroc(per, y) }];
      }));
      const nz = this.noise[i]!;
      const out: GroupEntropyReport = { name, histogram: frac, mean, median, above05, wrong, classes };
      if (nz.n > 0) {
        // AUROC of the stretch's mean entropy for "noisy" over the ECGs' clean and noisy versions.
        const scores = [...nz.cleanMeans, ...nz.noisyMeans], y = [...nz.cleanMeans.map(() => 0), ...nz.noisyMeans.map(() => 1)];
        out.noise = { ecgs: nz.n, insideClean: nz.ic / nz.n, insideNoisy: nz.inz / nz.n, outsideClean: nz.oc / nz.n, outsideNoisy: nz.onz / nz.n, changed: nz.ch / nz.n, auroc: auroc(scores, y) };
      }
      return out;
    });
  }
}
