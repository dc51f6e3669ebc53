/**
 * Stability of explanations under realistic recording noise: each record is
 * explained clean and with noise of one kind at a stated SNR (added to the
 * record in mV, before the model card's preprocessing, as a recording would
 * carry it; data/synth/noise-snr.ts), for the same target, and the two
 * explanations are compared:
 *
 * - every method: Spearman rank correlation of |attribution| over the
 *   record's [leads, time] samples (1: the same ranking);
 * - TLC, besides: the adjusted Rand index between the clean and noisy
 *   cluster sequences of each model input (1: the same segmentation, 0: chance).
 *
 * The noise of record i under condition c is seeded by (seed, c, i), so it
 * does not depend on batching or on which other records are explained.
 */
import type { Ecg } from '../../data/ecg.js';
import { addEcgNoise, noiseLabel, type NoiseSpec } from '../../data/synth/noise-snr.js';
import { mixSeed } from '../../data/synth/seed.js';
import type { ModelProto } from '../../engine/onnx/proto.js';
import type { CardedModel } from '../../models/predict.js';
import { Rng } from '../../util/rng.js';
import type { NdArray } from '../../util/npy.js';
import type { Explainer } from '../protocol.js';
import { explainRecords, type ExplainPlan, type ExplainResult } from '../run.js';
import { adjustedRandIndex, contingency } from '../tlc/agreement.js';
import { spearman } from './rank-correlation.js';

export interface StabilityRow {
  method: string;
  noise: NoiseSpec;
  /** 'spearman' of |attribution|, or 'ari' of TLC's clusters. */
  measure: 'spearman' | 'ari';
  /** One value per record (spearman) or model input (ari). */
  values: number[];
  mean: number;
}

export interface StabilityOptions {
  noises: readonly NoiseSpec[];
  seed?: number;
  /** Explainers already made (by method), reused for the noisy runs; the caller releases them. */
  explainers?: Record<string, Explainer>;
  threads?: number;
  batchSize?: number;
  progress?: boolean;
}

/** Per-record Spearman of |a| and |b| ([records, rows, T]), samples NaN in either left out. */
export function recordSpearman(a: NdArray, b: NdArray): number[] {
  const [n, rows, T] = a.shape as [number, number, number];
  return Array.from({ length: n }, (_, r) => {
    const x: number[] = [], y: number[] = [];
    for (let k = r * rows * T; k < (r + 1) * rows * T; k++) {
      const u = a.data[k]!, v = b.data[k]!;
      if (Number.isFinite(u) && Number.isFinite(v)) (x.push(Math.abs(u)), y.push(Math.abs(v)));
    }
    return x.length > 1 ? spearman(x, y) : NaN;
  });
}

function meanOf(v: readonly number[]): number {
  const f = v.filter(Number.isFinite);
  return f.length ? f.reduce((s, x) => s + x, 0) / f.length : NaN;
}

/**
 * Explains `records` again under each noise condition with the methods (and
 * per-record targets) of `clean`, and compares. `records` must be the records
 * `clean` explained, in the same order (before the card's preprocessing).
 */
export async function noiseStability(model: string | ModelProto | CardedModel, records: readonly Ecg[], clean: ExplainResult, plan: Pick<ExplainPlan, 'options' | 'seed'>, o: StabilityOptions): Promise<StabilityRow[]> {
  const methods = clean.attributions.map((a) => a.method);
  const targets = clean.records.map((r) => r.target);
  const rows: StabilityRow[] = [];
  for (const [c, noise] of o.noises.entries()) {
    const noisy = records.map((e, i) => addEcgNoise(e, noise, new Rng(mixSeed(o.seed ?? 0, c, i, 0x5ab1e))));
    // Targets as resolved on the clean records, explained group by group (a target is one class per call).
    const values = new Map<string, { a: Float32Array; rows: number; T: number }>();
    const clusters = new Map<number, number[]>();
    for (const k of [...new Set(targets)]) {
      const idx = targets.flatMap((t, i) => (t === k ? [i] : []));
      const r = await explainRecords(model, idx.map((i) => noisy[i]!), {
        methods, ...(plan.options ? { options: plan.options } : {}), seed: plan.seed ?? 0, target: k, progress: o.progress ?? false,
        ...(o.explainers ? { explainers: o.explainers } : {}), ...(o.threads !== undefined ? { threads: o.threads } : {}), ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      });
      await r.model.release();
      for (const a of r.attributions) {
        const [, R, T] = a.values.shape as [number, number, number];
        const cur = values.get(a.method) ?? { a: new Float32Array(records.length * R * T).fill(NaN), rows: R, T };
        idx.forEach((i, j) => cur.a.set(a.values.data.subarray(j * R * T, (j + 1) * R * T), i * R * T));
        values.set(a.method, cur);
        if (a.method === 'tlc') idx.forEach((i, j) => clusters.set(i, ((a.meta?.['clusters'] as number[][] | undefined) ?? [])[j] ?? []));
      }
    }
    for (const a of clean.attributions) {
      const v = values.get(a.method)!;
      const sp = recordSpearman(a.values, { data: v.a, shape: [records.length, v.rows, v.T] });
      rows.push({ method: a.method, noise, measure: 'spearman', values: sp, mean: meanOf(sp) });
      if (a.method === 'tlc') {
        const cleanClusters = (a.meta?.['clusters'] as number[][] | undefined) ?? [];
        const ari = cleanClusters.map((cc, i) => (clusters.get(i)?.length === cc.length ? adjustedRandIndex(contingency(cc, clusters.get(i)!)) : NaN));
        rows.push({ method: a.method, noise, measure: 'ari', values: ari, mean: meanOf(ari) });
      }
    }
  }
  return rows;
}

/** The rows as a Markdown table: methods down, noise conditions across. */
export function stabilityMarkdown(rows: readonly StabilityRow[]): string {
  const conds = [...new Map(rows.map((r) => [noiseLabel(r.noise), r.noise])).keys()];
  const keys = [...new Set(rows.map((r) => `${r.method}${r.measure === 'ari' ? ' (clusters, ARI)' : ''}`))];
  const lines = [`| method | ${conds.join(' | ')} |`, `|---|${conds.map(() => '---|').join('')}`];
  for (const k of keys) {
    lines.push(`| ${k} | ${conds.map((c) => {
      const r = rows.find((x) => `${x.method}${x.measure === 'ari' ? ' (clusters, ARI)' : ''}` === k && noiseLabel(x.noise) === c);
      return r && Number.isFinite(r.mean) ? r.mean.toFixed(3) : '-';
    }).join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
