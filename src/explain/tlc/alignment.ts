/**
 * Clusters vs the cardiac waves: how the time of each cluster splits over
 * P, QRS, T and the rest (PR/ST segments, TP baseline: 'other'), which
 * clusters cover each wave, and NMI / purity / ARI between cluster ids and wave
 * labels. Tables are counts of input samples and add up over ECGs
 * (WaveAlignment.add), so a cohort's alignment is the sum of its ECGs'.
 */
import type { WaveAnnotations, WaveKind } from '../../data/ecg.js';
import { canonicalLead } from '../../data/leads.js';
import { OptionError } from '../../util/errors.js';
import { adjustedRandIndex, contingencyFixed, addTables, normalizedMutualInfo, purity, type ContingencyTable } from './agreement.js';

/** Wave classes by index: 0 other, 1 P, 2 QRS, 3 T. */
export const WAVE_CLASSES = ['other', 'P', 'QRS', 'T'] as const;
export type WaveClass = (typeof WAVE_CLASSES)[number];

const WAVE_INDEX: Record<WaveKind, number> = { P: 1, QRS: 2, T: 3 };
// Where intervals of one lead overlap, the stronger wave wins (QRS over T over P).
const PRIORITY = [0, 1, 3, 2];

export interface WaveLabelOptions {
  /**
   * Which annotations: a lead name, or '*' (default). '*' uses the all-leads
   * key when the record has one; otherwise each sample takes the class most
   * of the annotated leads give it (ties go to the higher-priority wave).
   */
  lead?: string;
}

function paintLead(list: readonly { wave: WaveKind; onset: number; offset: number }[], nSamples: number, out: Uint8Array): void {
  for (const w of list) {
    const cls = WAVE_INDEX[w.wave];
    if (cls === undefined) continue;
    const a = Math.max(0, Math.round(w.onset)), b = Math.min(nSamples - 1, Math.round(w.offset));
    for (let t = a; t <= b; t++) if (PRIORITY[cls]! > PRIORITY[out[t]!]!) out[t] = cls;
  }
}

/** Wave class per input sample (onset and offset both inside the wave). */
export function waveLabels(waves: WaveAnnotations, nSamples: number, opts: WaveLabelOptions = {}): Uint8Array {
  const lead = opts.lead === undefined || opts.lead === '*' ? '*' : canonicalLead(opts.lead);
  const out = new Uint8Array(nSamples);
  if (waves[lead]) {
    paintLead(waves[lead]!, nSamples, out);
    return out;
  }
  if (lead !== '*') throw new OptionError('lead', `no wave annotations for lead ${lead}; the record has [${Object.keys(waves).join(', ')}]`);
  const keys = Object.keys(waves);
  if (keys.length === 0) throw new OptionError('waves', 'the record has no wave annotations');
  const votes = new Uint16Array(nSamples * 4);
  const one = new Uint8Array(nSamples);
  for (const k of keys) {
    one.fill(0);
    paintLead(waves[k]!, nSamples, one);
    for (let t = 0; t < nSamples; t++) votes[t * 4 + one[t]!]! += 1;
  }
  for (let t = 0; t < nSamples; t++) {
    let best = 0;
    for (let c = 1; c < 4; c++) {
      const v = votes[t * 4 + c]!, vb = votes[t * 4 + best]!;
      if (v > vb || (v === vb && PRIORITY[c]! > PRIORITY[best]!)) best = c;
    }
    out[t] = best;
  }
  return out;
}

/** Alignment of k clusters with the four wave classes. */
export interface AlignmentReport {
  k: number;
  classes: readonly WaveClass[];
  /** Samples per (cluster, wave class): [k][4]. */
  table: number[][];
  /** Per cluster: fraction of its samples in each wave class (rows sum to 1; zeros for an unused cluster). */
  clusterWaveFraction: number[][];
  /** Per cluster: the wave class holding most of its samples (null for an unused cluster). */
  dominantWave: (WaveClass | null)[];
  /** Per wave class: fraction of its samples covered by each cluster: [4][k]. */
  waveClusterFraction: number[][];
  /** Normalised mutual information between cluster ids and wave classes. */
  nmi: number;
  /** Purity of the clusters with respect to the wave classes. */
  purity: number;
  /** Adjusted Rand index between cluster ids and wave classes. */
  ari: number;
  /** Samples counted. */
  nSamples: number;
}

/** Accumulates (cluster sequence, wave labels) pairs over ECGs. */
export class WaveAlignment {
  private readonly table: ContingencyTable;
  constructor(readonly k: number) {
    this.table = contingencyFixed([], [], k, 4);
  }

  /** clusters: cluster per input sample; waves: wave class per input sample (waveLabels). */
  add(clusters: ArrayLike<number>, waves: ArrayLike<number>): this {
    if (clusters.length !== waves.length) throw new OptionError('waves', `expected ${clusters.length} wave labels (one per sample), got ${waves.length}`);
    addTables(this.table, contingencyFixed(clusters, waves, this.k, 4));
    return this;
  }

  report(): AlignmentReport {
    const k = this.k, t = this.table.counts;
    const table = Array.from({ length: k }, (_, c) => Array.from(t.subarray(c * 4, c * 4 + 4)));
    const clusterWaveFraction = table.map((row) => {
      const s = row.reduce((a, b) => a + b, 0);
      return row.map((v) => (s > 0 ? v / s : 0));
    });
    const dominantWave = table.map((row) => {
      const s = row.reduce((a, b) => a + b, 0);
      return s > 0 ? WAVE_CLASSES[row.indexOf(Math.max(...row))]! : null;
    });
    const waveClusterFraction = WAVE_CLASSES.map((_, w) => {
      let s = 0;
      for (let c = 0; c < k; c++) s += table[c]![w]!;
      return table.map((row) => (s > 0 ? row[w]! / s : 0));
    });
    let n = 0;
    for (const v of t) n += v;
    return {
      k, classes: WAVE_CLASSES, table, clusterWaveFraction, dominantWave, waveClusterFraction,
      nmi: normalizedMutualInfo(this.table), purity: purity(this.table), ari: adjustedRandIndex(this.table), nSamples: n,
    };
  }
}

/** Alignment of one ECG's cluster sequence with its wave annotations. */
export function alignClusters(clusters: ArrayLike<number>, k: number, waves: WaveAnnotations, opts: WaveLabelOptions = {}): AlignmentReport {
  return new WaveAlignment(k).add(clusters, waveLabels(waves, clusters.length, opts)).report();
}
