/**
 * Measuring a cohort's explanations (what `ecgx explain evaluate` reports):
 * deletion and insertion AUC (faithfulness), captum's infidelity (and,
 * when asked, max-sensitivity), attribution mass per wave against the time
 * each wave takes, the rank correlation between methods, and optionally the
 * cascading model-parameter randomisation (sanity).
 *
 * Everything is measured on the model's own inputs: for a windowed model,
 * each window with its own attribution (the deletion curves perturb what the
 * model sees). Waves come from the records' annotations, moved into each
 * window, or from the delineator run on each model input.
 */
import { makeEcg, type Ecg, type WaveAnnotations } from '../../data/ecg.js';
import { mapWaves } from '../../data/preprocess/derive.js';
import { ecgDelineate } from '../../delineate/delineate.js';
import { DataError, OptionError } from '../../util/errors.js';
import type { NdArray } from '../../util/npy.js';
import type { Attribution } from '../protocol.js';
import type { ExplainResult } from '../run.js';
import { deletionCurve } from './deletion.js';
import { cascadingRandomization } from './randomization.js';
import { randomBaseline, wholeDeletion, type RandomBaseline, type WholeDeletion } from './baseline.js';
import { Progress } from '../../util/progress.js';
import { attributionCorrelation } from './rank-correlation.js';
import { waveMass, WAVE_REGIONS, type WaveRegion } from './wave-mass.js';
import { infidelity, maxSensitivity, type InfidelityOptions, type SensitivityOptions } from './robustness.js';
import { createExplainer } from '../registry.js';

export const WAVE_SOURCES = ['annotations', 'delineate', 'none'] as const;
export type EvaluateWaveSource = (typeof WAVE_SOURCES)[number];

export interface EvaluateOptions {
  /** Where waves come from; default 'annotations' for records, 'delineate' for tensors with a known rate, else 'none'. */
  waves?: EvaluateWaveSource;
  /** Points of the deletion/insertion curves after the start (default 20). */
  curveSteps?: number;
  /** Run the cascading randomisation for these methods (create() options each). */
  randomization?: { methods: string[]; options: Record<string, Record<string, unknown>>; stages?: number; seed?: number; threads?: number };
  /** captum's infidelity, measured for every method (perturbations N(0, sigma^2)); default 10 samples, sigma 0.01. */
  infidelity?: InfidelityOptions;
  /** captum's max-sensitivity for these methods (each re-run on `samples` perturbed copies; create() options each). */
  sensitivity?: SensitivityOptions & { methods: string[]; options: Record<string, Record<string, unknown>>; threads?: number };
  batchSize?: number;
  /** Progress bar (default: on a TTY; a summary line in pipes). */
  progress?: boolean;
}

export interface WaveSummary {
  ecgs: number;
  massShare: Record<WaveRegion, number>;
  timeShare: Record<WaveRegion, number>;
  enrichment: Record<WaveRegion, number>;
}

export interface MethodMetrics {
  method: string;
  options: Record<string, unknown>;
  timing: { ms: number };
  deletion: { meanAuc: number; auc: number[]; fractions: number[]; meanCurve: number[] };
  insertion: { meanAuc: number; auc: number[]; fractions: number[]; meanCurve: number[] };
  /** captum's infidelity per model input (lower is better), raw and with the attributions rescaled (normalize=True). */
  infidelity: { mean: number; values: number[]; normalizedMean: number; normalized: number[] };
  /** captum's max-sensitivity per model input (lower is better), when asked for. */
  maxSensitivity?: { mean: number; values: number[] };
  waves?: WaveSummary;
}

export interface RandomizationRow {
  method: string;
  stages: { layer: string; mean: number; correlation: number[] }[];
}

export interface ExplanationMetrics {
  /** Model inputs measured [inputs, leads, time], and their rate when known. */
  input: { shape: number[]; fs?: number };
  waves: EvaluateWaveSource;
  curveSteps: number;
  methods: MethodMetrics[];
  correlation: { methods: string[]; matrix: number[][] };
  randomization?: RandomizationRow[];
  /** References: a seeded random map's curves (per lead), and the target's score with the whole signal deleted. */
  baseline: { random: RandomBaseline; wholeDeletion: WholeDeletion };
}

/** Measures the explanations of a run made with keepInputs. */
export async function evaluateExplanations(result: ExplainResult, o: EvaluateOptions = {}): Promise<ExplanationMetrics> {
  const inputs = result.inputs;
  if (!inputs) throw new Error('evaluateExplanations: explain with keepInputs: true');
  const { x, owner, target } = inputs;
  const [n, leads, time] = x.shape as [number, number, number];
  const fromRecords = result.records.some((r) => r.ecg);
  const wavesFrom: EvaluateWaveSource = o.waves ?? (fromRecords ? 'annotations' : result.fs !== undefined ? 'delineate' : 'none');
  if (wavesFrom === 'annotations' && !fromRecords) throw new OptionError('waves', "model-ready tensors carry no annotations; use 'delineate' (needs the input's sampling rate) or 'none'");
  if (wavesFrom === 'delineate' && result.fs === undefined) throw new OptionError('waves', "'delineate' needs the model input's sampling rate, which the model does not record; use 'none'");
  const curveSteps = o.curveSteps ?? 20;
  const batchSize = o.batchSize ?? 32;

  // Waves on each model input's time axis.
  let waves: WaveAnnotations[] | undefined;
  if (wavesFrom === 'annotations') {
    waves = Array.from({ length: n }, (_, w) => {
      const rec = result.records[owner[w]!]!;
      if (!rec.ecg?.waves || Object.keys(rec.ecg.waves).length === 0) throw new DataError(`record ${rec.id}: no wave annotations (use waves 'delineate' or 'none')`);
      const start = windowStart(result, owner, w);
      return mapWaves(rec.ecg.waves, (s) => s - start, time);
    });
  } else if (wavesFrom === 'delineate') {
    waves = Array.from({ length: n }, (_, w) => ecgDelineate(inputEcg(x, w, result.fs!, result.records[owner[w]!]!.ecg, result.records[owner[w]!]!.id)).waves);
  }
  const leadNames = result.records[0]?.ecg?.leads;

  const methods: MethodMetrics[] = [];
  // Per method (and the random reference) and input: a deletion and an insertion curve each.
  const bar = new Progress({ label: 'explain evaluate: curves', total: 2 * n * (inputs.attributions.length + 1), unit: 'curve', ...(o.progress !== undefined ? { enabled: o.progress } : {}) });
  const onEcg = (): void => bar.tick(1);
  for (const a of inputs.attributions) {
    bar.note(a.method);
    const del = await deletionCurve(result.model, x, a.values, target, 'deletion', { steps: curveSteps, batchSize, onEcg });
    const ins = await deletionCurve(result.model, x, a.values, target, 'insertion', { steps: curveSteps, batchSize, onEcg });
    const inf = await infidelity(result.model, x, a.values, target, { batchSize, ...o.infidelity });
    let sens: number[] | undefined;
    const so = o.sensitivity;
    if (so?.methods.includes(a.method)) {
      const e = await createExplainer(a.method, result.model.proto, { ...so.options[a.method], output: result.model.output, ...(so.threads !== undefined ? { threads: so.threads } : {}) });
      try {
        const seed = typeof a.options['seed'] === 'number' ? a.options['seed'] : 0;
        sens = await maxSensitivity(async (xp) => (await e.explain({ x: xp, ...(result.fs !== undefined ? { fs: result.fs } : {}) }, { target: [...target], seed })).values, x, a.values, so);
      } finally {
        await e.release?.();
      }
    }
    methods.push({
      method: a.method, options: a.options, timing: a.timing,
      deletion: { meanAuc: del.meanAuc, auc: del.auc, fractions: del.fractions, meanCurve: meanRows(del.curves) },
      insertion: { meanAuc: ins.meanAuc, auc: ins.auc, fractions: ins.fractions, meanCurve: meanRows(ins.curves) },
      infidelity: { mean: mean(inf.infidelity), values: inf.infidelity, normalizedMean: mean(inf.normalized), normalized: inf.normalized },
      ...(sens ? { maxSensitivity: { mean: mean(sens), values: sens } } : {}),
      ...(waves ? { waves: waveSummary(a, waves, leadNames && leadNames.length === leads ? leadNames : undefined) } : {}),
    });
  }
  bar.note('random (reference)');
  const random = await randomBaseline(result.model, x, target, leads, { steps: curveSteps, batchSize, onEcg, seed: 0 });
  bar.finish();
  const whole = await wholeDeletion(result.model, x, target, { batchSize });
  const names = inputs.attributions.map((a) => a.method);
  const matrix = inputs.attributions.map((a) => inputs.attributions.map((b) => mean(attributionCorrelation(a.values, b.values, { absolute: true }))));

  let randomization: RandomizationRow[] | undefined;
  if (o.randomization) {
    randomization = [];
    const r = o.randomization;
    for (const m of r.methods) {
      const res = await cascadingRandomization(result.model.proto, x, {
        method: m, methodOptions: { ...r.options[m], output: result.model.output, ...(r.threads !== undefined ? { threads: r.threads } : {}) }, target, seed: r.seed ?? 0,
        ...(r.stages !== undefined ? { maxStages: r.stages } : {}),
      });
      randomization.push({ method: m, stages: res.stages.map((s) => ({ layer: s.layer, mean: s.mean, correlation: s.correlation })) });
    }
  }
  return {
    input: { shape: [n, leads, time], ...(result.fs !== undefined ? { fs: result.fs } : {}) },
    waves: wavesFrom, curveSteps, methods,
    correlation: { methods: names, matrix },
    ...(randomization ? { randomization } : {}),
    baseline: { random, wholeDeletion: whole },
  };
}

/** Start in its record of model input w (inputs are in record order, windows in order). */
function windowStart(result: ExplainResult, owner: readonly number[], w: number): number {
  let first = w;
  while (first > 0 && owner[first - 1] === owner[w]) first--;
  return result.records[owner[w]!]!.windows[w - first]!;
}

/** Model input w as a record at the model's rate, for the delineator. */
function inputEcg(x: NdArray, w: number, fs: number, pre: Ecg | undefined, id: string): Ecg {
  const [, leads, time] = x.shape as [number, number, number];
  const names = pre?.leads ?? (leads === 12 ? ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] : Array.from({ length: leads }, (_, i) => `lead${i + 1}`));
  return makeEcg({ signal: x.data.slice(w * leads * time, (w + 1) * leads * time), fs, leads: names, meta: pre?.meta ?? { recordId: id } });
}

function waveSummary(a: Attribution, waves: WaveAnnotations[], leads: string[] | undefined): WaveSummary {
  const [n, rows, time] = a.values.shape as [number, number, number];
  const mass = zeroRegions(), share = zeroRegions();
  for (let b = 0; b < n; b++) {
    // Waves fused over leads ('*') for a time-only map; per lead where the annotations have them.
    const w = waveMass(a.values.data.subarray(b * rows * time, (b + 1) * rows * time), [rows, time], waves[b]!, rows > 1 && leads ? { leads } : {});
    for (const k of WAVE_REGIONS) {
      mass[k] += w.massShare[k] / n;
      share[k] += w.timeShare[k] / n;
    }
  }
  const enrichment = zeroRegions();
  for (const k of WAVE_REGIONS) enrichment[k] = share[k] === 0 ? NaN : mass[k] / share[k];
  return { ecgs: n, massShare: mass, timeShare: share, enrichment };
}

function zeroRegions(): Record<WaveRegion, number> {
  return { P: 0, QRS: 0, T: 0, other: 0 };
}

function mean(v: readonly number[]): number {
  const f = v.filter(Number.isFinite);
  return f.length ? f.reduce((s, x) => s + x, 0) / f.length : NaN;
}

function meanRows(rows: number[][]): number[] {
  return rows[0]!.map((_, k) => rows.reduce((s, r) => s + r[k]!, 0) / rows.length);
}

/** The metrics as Markdown tables (metrics.md). */
export function metricsMarkdown(m: ExplanationMetrics): string {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '-');
  const e = (v: number): string => (Number.isFinite(v) ? v.toExponential(2) : '-');
  const sens = m.methods.some((r) => r.maxSensitivity);
  const lines = [
    `| method | deletion AUC (lower better) | insertion AUC (higher better) | infidelity, normalized (lower better) |${sens ? ' max-sensitivity (lower better) |' : ''}`,
    `|---|---|---|---|${sens ? '---|' : ''}`,
  ];
  for (const r of m.methods) lines.push(`| ${r.method} | ${f(r.deletion.meanAuc)} | ${f(r.insertion.meanAuc)} | ${e(r.infidelity.normalizedMean)} |${sens ? ` ${r.maxSensitivity ? f(r.maxSensitivity.mean) : '-'} |` : ''}`);
  lines.push(`| random (reference) | ${f(m.baseline.random.deletion.meanAuc)} | ${f(m.baseline.random.insertion.meanAuc)} | - |${sens ? ' - |' : ''}`);
  if (m.baseline.wholeDeletion.warning) lines.push('', `**Warning:** ${m.baseline.wholeDeletion.warning}.`);
  if (m.methods.some((r) => r.waves)) {
    lines.push('', '| method | ' + WAVE_REGIONS.map((k) => `${k} mass / time`).join(' | ') + ' |', '|---|' + WAVE_REGIONS.map(() => '---|').join(''));
    for (const r of m.methods) if (r.waves) lines.push(`| ${r.method} | ` + WAVE_REGIONS.map((k) => `${f(r.waves!.massShare[k])} / ${f(r.waves!.timeShare[k])}`).join(' | ') + ' |');
  }
  const names = m.correlation.methods;
  lines.push('', '| Spearman (abs) | ' + names.join(' | ') + ' |', '|---|' + names.map(() => '---|').join(''));
  names.forEach((a, i) => lines.push(`| ${a} | ` + m.correlation.matrix[i]!.map(f).join(' | ') + ' |'));
  const rnd = m.randomization;
  if (rnd) {
    lines.push('', '| randomised down to | ' + rnd.map((r) => r.method).join(' | ') + ' |', '|---|' + rnd.map(() => '---|').join(''));
    const depth = Math.max(...rnd.map((r) => r.stages.length));
    for (let s = 0; s < depth; s++) lines.push(`| ${rnd[0]!.stages[s]?.layer ?? s + 1} | ` + rnd.map((r) => f(r.stages[s]?.mean ?? NaN)).join(' | ') + ' |');
  }
  return lines.join('\n') + '\n';
}
