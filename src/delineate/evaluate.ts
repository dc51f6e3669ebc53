/**
 * Scores a delineator against reference wave annotations (LUDB's
 * cardiologists'), per lead and fused, in the way LUDB papers do:
 *
 * - Points: onset, peak and offset of P, QRS and T, each matched on its own.
 *   A detected point matches the nearest reference point of the same kind
 *   within the tolerance (150 ms), one to one, closest pairs first.
 *   Sensitivity = TP / (TP + FN), positive predictive value = TP / (TP + FP),
 *   error = detected - reference in ms (mean and SD over matches).
 * - Annotated span: LUDB leaves the first and last beats of each record
 *   unannotated. In each lead, a detected wave is scored only when its
 *   midpoint ((onset + offset) / 2) lies within [first annotated onset, last
 *   annotated offset] of that lead (any wave kind); reference waves are all
 *   scored.
 * - Fused ('*'): the per-lead reference annotations are fused with the same
 *   rule as the detections (`fuseWaves`: QRS in >= 1/4 of the leads, P and T
 *   in >= 1/2; lower-quartile onset, upper-quartile offset, median peak) and
 *   scored like a lead.
 */
import type { WaveAnnotations, WaveInterval, WaveKind } from '../data/ecg.js';
import type { EcgDataset } from '../data/datasets/index.js';
import { DataError } from '../util/errors.js';
import { resampleEcg } from '../data/preprocess/index.js';
import { ecgDelineate, type DelineationTuning } from './delineate.js';
import { FUSION_MIN_FRACTION, fuseWaves } from './fuse.js';

export const WAVE_POINTS = ['P_onset', 'P_peak', 'P_offset', 'QRS_onset', 'QRS_peak', 'QRS_offset', 'T_onset', 'T_peak', 'T_offset'] as const;
export type WavePoint = (typeof WAVE_POINTS)[number];

/** Scores of one point kind in one lead (or fused). Times in ms. */
export interface PointScore {
  tp: number;
  fn: number;
  fp: number;
  /** Sensitivity, 0..1 (NaN with no reference point). */
  se: number;
  /** Positive predictive value, 0..1 (NaN with no detection). */
  ppv: number;
  /** Mean of detected - reference over matches, ms. */
  meanErrorMs: number;
  /** Standard deviation of detected - reference over matches, ms. */
  sdErrorMs: number;
}

export interface DelineationEvaluation {
  /** Matching tolerance, ms. */
  toleranceMs: number;
  /** Records scored. */
  records: number;
  /** Per lead (canonical name) and '*' (fused), per point. */
  byLead: Record<string, Record<WavePoint, PointScore>>;
  /** All leads pooled (not the fused row), per point. */
  allLeads: Record<WavePoint, PointScore>;
}


/** Fuses per-lead waves (all leads in `waves` except '*') into one list by the rule above. */
export function fuseLeads(waves: WaveAnnotations, leads: readonly string[]): WaveInterval[] {
  const perLead = leads.map((l) => waves[l] ?? []);
  return (['P', 'QRS', 'T'] as const)
    .flatMap((k) => fuseWaves(perLead, k, { nLeads: leads.length, minFraction: FUSION_MIN_FRACTION[k] }))
    .sort((a, b) => a.onset - b.onset);
}

interface Acc {
  tp: number;
  fn: number;
  fp: number;
  sum: number;
  sum2: number;
}

/** Accumulates matches record by record; `result()` gives the table. */
export class DelineationScorer {
  private readonly acc = new Map<string, Map<WavePoint, Acc>>();
  private nRecords = 0;
  constructor(readonly toleranceMs = 150) {}

  /**
   * Adds one record: `reference` and `detected` keyed by lead; the fused row
   * compares `detected['*']` with the fused reference (over the leads that
   * `reference` annotates).
   */
  add(reference: WaveAnnotations, detected: WaveAnnotations, fs: number): void {
    this.nRecords++;
    const refLeads = Object.keys(reference).filter((l) => l !== '*' && reference[l]!.length > 0);
    for (const lead of refLeads) this.addLead(lead, reference[lead]!, detected[lead] ?? [], fs);
    if (refLeads.length > 0 && detected['*']) this.addLead('*', fuseLeads(reference, refLeads), detected['*'], fs);
  }

  private addLead(lead: string, ref: readonly WaveInterval[], det: readonly WaveInterval[], fs: number): void {
    if (ref.length === 0) return;
    const spanLo = Math.min(...ref.map((w) => w.onset));
    const spanHi = Math.max(...ref.map((w) => w.offset));
    const inSpan = det.filter((w) => {
      const mid = (w.onset + w.offset) / 2;
      return mid >= spanLo && mid <= spanHi;
    });
    const tol = (this.toleranceMs * fs) / 1000;
    let byPoint = this.acc.get(lead);
    if (!byPoint) this.acc.set(lead, (byPoint = new Map()));
    for (const point of WAVE_POINTS) {
      const r = pointsOf(ref, point);
      const d = pointsOf(inSpan, point);
      const m = matchPoints(r, d, tol);
      let a = byPoint.get(point);
      if (!a) byPoint.set(point, (a = { tp: 0, fn: 0, fp: 0, sum: 0, sum2: 0 }));
      a.tp += m.pairs.length;
      a.fn += r.length - m.pairs.length;
      a.fp += d.length - m.pairs.length;
      for (const [ri, di] of m.pairs) {
        const e = ((d[di]! - r[ri]!) * 1000) / fs;
        a.sum += e;
        a.sum2 += e * e;
      }
    }
  }

  result(): DelineationEvaluation {
    const byLead: Record<string, Record<WavePoint, PointScore>> = {};
    const pooled = new Map<WavePoint, Acc>();
    for (const [lead, byPoint] of this.acc) {
      const row = {} as Record<WavePoint, PointScore>;
      for (const point of WAVE_POINTS) {
        const a = byPoint.get(point) ?? { tp: 0, fn: 0, fp: 0, sum: 0, sum2: 0 };
        row[point] = score(a);
        if (lead !== '*') {
          const p = pooled.get(point) ?? { tp: 0, fn: 0, fp: 0, sum: 0, sum2: 0 };
          p.tp += a.tp;
          p.fn += a.fn;
          p.fp += a.fp;
          p.sum += a.sum;
          p.sum2 += a.sum2;
          pooled.set(point, p);
        }
      }
      byLead[lead] = row;
    }
    const allLeads = {} as Record<WavePoint, PointScore>;
    for (const point of WAVE_POINTS) allLeads[point] = score(pooled.get(point) ?? { tp: 0, fn: 0, fp: 0, sum: 0, sum2: 0 });
    return { toleranceMs: this.toleranceMs, records: this.nRecords, byLead, allLeads };
  }
}

function score(a: Acc): PointScore {
  const mean = a.tp > 0 ? a.sum / a.tp : NaN;
  const variance = a.tp > 1 ? (a.sum2 - a.tp * mean * mean) / (a.tp - 1) : NaN;
  return {
    tp: a.tp,
    fn: a.fn,
    fp: a.fp,
    se: a.tp + a.fn > 0 ? a.tp / (a.tp + a.fn) : NaN,
    ppv: a.tp + a.fp > 0 ? a.tp / (a.tp + a.fp) : NaN,
    meanErrorMs: mean,
    sdErrorMs: variance > 0 ? Math.sqrt(variance) : a.tp > 1 ? 0 : NaN,
  };
}

/** Sample positions of one point kind (P_onset, QRS_peak, ...), ascending; waves without a peak give none for *_peak. */
export function pointsOf(waves: readonly WaveInterval[], point: WavePoint): number[] {
  const [kind, which] = point.split('_') as [WaveKind, 'onset' | 'peak' | 'offset'];
  const out: number[] = [];
  for (const w of waves) {
    if (w.wave !== kind) continue;
    const v = w[which];
    if (v !== undefined) out.push(v);
  }
  return out.sort((a, b) => a - b);
}

/**
 * One-to-one matching of detected to reference points within `tol` samples,
 * closest pairs first. Returns index pairs [reference, detected].
 */
export function matchPoints(ref: readonly number[], det: readonly number[], tol: number): { pairs: [number, number][] } {
  const cands: [number, number, number][] = [];
  let j0 = 0;
  for (let i = 0; i < ref.length; i++) {
    while (j0 < det.length && det[j0]! < ref[i]! - tol) j0++;
    for (let j = j0; j < det.length && det[j]! <= ref[i]! + tol; j++) cands.push([Math.abs(det[j]! - ref[i]!), i, j]);
  }
  cands.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const usedR = new Uint8Array(ref.length);
  const usedD = new Uint8Array(det.length);
  const pairs: [number, number][] = [];
  for (const [, i, j] of cands) {
    if (usedR[i] || usedD[j]) continue;
    usedR[i] = 1;
    usedD[j] = 1;
    pairs.push([i, j]);
  }
  return { pairs };
}

export interface EvaluateDelineationOptions {
  /** Records to score (ids of `dataset.records()`); default all. */
  ids?: string[];
  /** Matching tolerance, ms; default 150. */
  toleranceMs?: number;
  /** Thresholds passed to `ecgDelineate`. */
  tuning?: Partial<DelineationTuning>;
  /** Resample each record and its annotations to this rate (Hz) before delineating: scores at other rates. */
  resampleTo?: number;
  /** Called after each record (for a progress bar). */
  onRecord?: (id: string) => void;
}

/**
 * Delineates every record of a dataset that carries wave annotations (LUDB,
 * a WFDB folder with wave files, a synthetic database) and scores the result
 * against them. Records without annotations are counted in `skipped`.
 */
export async function evaluateDelineation(dataset: EcgDataset, opts: EvaluateDelineationOptions = {}): Promise<DelineationEvaluation & { skipped: number }> {
  const scorer = new DelineationScorer(opts.toleranceMs ?? 150);
  let skipped = 0;
  const ids = opts.ids ?? dataset.records().map((r) => r.id);
  for await (const original of dataset.iterate(ids)) {
    const ecg = opts.resampleTo !== undefined && opts.resampleTo !== original.fs ? resampleEcg(original, opts.resampleTo) : original;
    const reference = ecg.waves ? Object.fromEntries(Object.entries(ecg.waves).filter(([k]) => k !== '*')) : {};
    if (Object.values(reference).every((w) => w.length === 0)) {
      skipped++;
    } else {
      const d = ecgDelineate(ecg, opts.tuning ? { tuning: opts.tuning } : {});
      scorer.add(reference, d.waves, ecg.fs);
    }
    opts.onRecord?.(ecg.meta.recordId);
  }
  if (scorer.result().records === 0) throw new DataError(`${dataset.root}: no record has wave annotations to score against (expected e.g. LUDB's per-lead .i ... .v6 files)`);
  return { ...scorer.result(), skipped };
}

/** The table as text: one row per point, Se / PPV / mean ± SD for the fused row and all leads pooled. */
export function formatEvaluation(ev: DelineationEvaluation, opts: { byLead?: boolean } = {}): string {
  const pct = (x: number): string => (Number.isNaN(x) ? '   -' : (100 * x).toFixed(1).padStart(5));
  const err = (s: PointScore): string => (Number.isNaN(s.meanErrorMs) ? '-' : `${s.meanErrorMs.toFixed(1).padStart(6)} ± ${s.sdErrorMs.toFixed(1).padStart(4)}`);
  const lines = [`${ev.records} records, tolerance ${ev.toleranceMs} ms; Se = sensitivity %, PPV = positive predictive value %, error = detected - reference (ms)`];
  const block = (title: string, row: Record<WavePoint, PointScore>): void => {
    lines.push('', title, `${'point'.padEnd(11)} ${'Se'.padStart(5)} ${'PPV'.padStart(5)}  ${'error ms'.padStart(13)}  ${'n'.padStart(6)}`);
    for (const p of WAVE_POINTS) {
      const s = row[p];
      lines.push(`${p.padEnd(11)} ${pct(s.se)} ${pct(s.ppv)}  ${err(s).padStart(13)}  ${String(s.tp + s.fn).padStart(6)}`);
    }
  };
  if (ev.byLead['*']) block("fused over leads ('*')", ev.byLead['*']);
  block('all leads pooled', ev.allLeads);
  if (opts.byLead) for (const [lead, row] of Object.entries(ev.byLead)) if (lead !== '*') block(`lead ${lead}`, row);
  return lines.join('\n');
}
