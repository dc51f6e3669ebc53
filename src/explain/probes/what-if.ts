/**
 * Physiological what-if probes: ECGs edited the way a disease would change
 * them (data/edit: widen the QRS, invert T, remove P, prolong PR, elevate
 * ST, scale R), at several magnitudes, through the model's card; the change
 * of every class score against the magnitude is a dose-response curve.
 *
 * Then, for each edit at its largest magnitude: does an attribution method's
 * mass on the edited region (share of |attribution| of the unedited ECG, for
 * the class the edit raises most) predict how much the score changes? Spearman
 * rank correlation across ECGs between that share and the change. A method
 * that says where the model looks should put more mass where an edit then
 * matters more.
 *
 * Edits need beats: the records' wave annotations ('*'), or the delineator.
 * No weights are touched; only the input changes.
 */
import type { Ecg, WaveInterval } from '../../data/ecg.js';
import { editEcg, EDIT_INFO, type EcgEdit } from '../../data/edit/edits.js';
import { evidenceDense, mapEvidence } from '../../data/evidence.js';
import { ecgDelineate } from '../../delineate/delineate.js';
import type { ModelProto } from '../../engine/onnx/proto.js';
import { loadCardedModel, openPredictor, type CardedModel } from '../../models/predict.js';
import { DataError } from '../../util/errors.js';
import { spearman } from '../metrics/rank-correlation.js';
import type { Explainer } from '../protocol.js';
import { explainRecords } from '../run.js';

export interface WhatIfEdit {
  edit: EcgEdit;
  amounts: number[];
  leads?: string | string[];
  /** Class whose attribution is tested against the score change (default: the class whose mean score the largest amount raises most). */
  target?: string;
}

export interface WhatIfOptions {
  edits: readonly WhatIfEdit[];
  /** 'annotations' (each record's '*' waves; default when every record has them) or 'delineate'. */
  waves?: 'annotations' | 'delineate';
  /** Attribution methods whose mass on the edited region is tested (none: dose-response only). */
  methods?: string[];
  options?: Record<string, Record<string, unknown>>;
  explainers?: Record<string, Explainer>;
  seed?: number;
  threads?: number;
}

export interface DosePoint {
  amount: number;
  /** Mean over ECGs of (edited - original) score, per class. */
  meanDelta: number[];
  /** Per ECG and class. */
  delta: number[][];
  /** Beats that got less than the amount (no room), summed over ECGs. */
  limited: number;
}

export interface DoseResponse {
  edit: EcgEdit;
  unit: string;
  leads: string;
  points: DosePoint[];
  /** Class the mass test explains (given, or the one the largest amount moves most). */
  target: string;
}

export interface MassPrediction {
  edit: EcgEdit;
  amount: number;
  target: string;
  method: string;
  /** Spearman across ECGs between the share of |attribution| in the edited region and the target's score change. */
  spearman: number;
  /** Per ECG: that share, and the change. */
  mass: number[];
  delta: number[];
}

export interface WhatIfResult {
  classes: string[];
  ids: string[];
  /** Scores of the unedited ECGs [ECG][class]. */
  scores: number[][];
  waves: 'annotations' | 'delineate';
  doses: DoseResponse[];
  mass: MassPrediction[];
}

function fusedWaves(e: Ecg, mode: 'annotations' | 'delineate'): WaveInterval[] {
  if (mode === 'annotations') {
    const w = e.waves?.['*'];
    if (!w?.some((x) => x.wave === 'QRS')) throw new DataError(`record ${e.meta.recordId}: no wave annotations for all leads ('*'); use waves 'delineate'`);
    return w;
  }
  return ecgDelineate(e).waves['*'] ?? [];
}

export async function whatIfProbes(model: string | ModelProto | CardedModel, ecgs: readonly Ecg[], o: WhatIfOptions): Promise<WhatIfResult> {
  const m = loadCardedModel(model);
  if (ecgs.length === 0) throw new DataError('what-if: no ECGs to edit');
  const classes = m.card.output.classes;
  const mode = o.waves ?? (ecgs.every((e) => e.waves?.['*']?.some((w) => w.wave === 'QRS')) ? 'annotations' : 'delineate');
  const waves = ecgs.map((e) => fusedWaves(e, mode));
  const predictor = await openPredictor(m, o.threads !== undefined ? { threads: o.threads } : {});
  const score = async (list: readonly Ecg[]): Promise<number[][]> => (await predictor.predict(list)).map((p) => classes.map((c) => p.values[c]!));
  const doses: DoseResponse[] = [];
  const mass: MassPrediction[] = [];
  try {
    const base = await score(ecgs);
    // The unedited ECGs' attributions, once per target class.
    const explained = new Map<number, Awaited<ReturnType<typeof explainRecords>>['attributions']>();
    for (const spec of o.edits) {
      const info = EDIT_INFO[spec.edit];
      const points: DosePoint[] = [];
      const regions: ReturnType<typeof editEcg>['region'][] = [];
      for (const amount of spec.amounts) {
        let limited = 0;
        const edited = ecgs.map((e, i) => {
          const r = editEcg(e, waves[i]!, { edit: spec.edit, amount, ...(spec.leads !== undefined ? { leads: spec.leads } : {}) });
          limited += r.limited;
          if (amount === spec.amounts[spec.amounts.length - 1]) regions[i] = r.region;
          return r.ecg;
        });
        const s = await score(edited);
        const delta = s.map((row, i) => row.map((v, k) => v - base[i]![k]!));
        points.push({ amount, delta, limited, meanDelta: classes.map((_, k) => delta.reduce((acc, r) => acc + r[k]!, 0) / delta.length) });
      }
      const last = points[points.length - 1]!;
      // The class the edit pushes the model towards (largest rise; if nothing rises, largest change).
      const up = last.meanDelta.reduce((b, v, k) => (v > last.meanDelta[b]! ? k : b), 0);
      const moved = last.meanDelta[up]! > 0 ? up : last.meanDelta.reduce((b, v, k) => (Math.abs(v) > Math.abs(last.meanDelta[b]!) ? k : b), 0);
      const target = spec.target ?? classes[moved]!;
      const leads = spec.leads === undefined ? info.leads : typeof spec.leads === 'string' ? spec.leads : spec.leads.join('+');
      doses.push({ edit: spec.edit, unit: info.unit, leads, points, target });
      if (o.methods?.length) {
        const k = classes.indexOf(target);
        if (k < 0) throw new DataError(`what-if: class '${target}' is not one of the model's (${classes.join(', ')})`);
        if (!explained.has(k)) {
          const r = await explainRecords(m, ecgs, {
            methods: o.methods, target: k, progress: false, seed: o.seed ?? 0,
            ...(o.options ? { options: o.options } : {}), ...(o.explainers ? { explainers: o.explainers } : {}), ...(o.threads !== undefined ? { threads: o.threads } : {}),
          });
          await r.model.release();
          explained.set(k, r.attributions);
        }
        for (const a of explained.get(k)!) {
          const [, rows, T] = a.values.shape as [number, number, number];
          const share = ecgs.map((e, i) => {
            const region = mapEvidence({ r: regions[i]! }, (s) => (s * m.card.fs) / e.fs, T)['r']!;
            const dense = evidenceDense(region, m.card.leads, T);
            let inside = 0, total = 0;
            for (let l = 0; l < m.card.leads.length; l++) {
              for (let t = 0; t < T; t++) {
                const v = Math.abs(a.values.data[(i * rows + (rows === 1 ? 0 : l)) * T + t]!);
                if (!Number.isFinite(v)) continue;
                total += v;
                if (dense[l * T + t]) inside += v;
              }
            }
            return total > 0 ? inside / total : NaN;
          });
          const d = last.delta.map((row) => row[k]!);
          mass.push({ edit: spec.edit, amount: last.amount, target, method: a.method, spearman: spearman(share, d), mass: share, delta: d });
        }
      }
    }
    return { classes, ids: ecgs.map((e) => e.meta.recordId), scores: base, waves: mode, doses, mass };
  } finally {
    await predictor.release();
  }
}

/** The result as Markdown: one dose-response table per edit, then the mass test. */
export function whatIfMarkdown(r: WhatIfResult): string {
  const f = (v: number): string => (Number.isFinite(v) ? (v >= 0 ? '+' : '') + v.toFixed(3) : '-');
  const lines: string[] = [];
  for (const d of r.doses) {
    lines.push(`**${d.edit}** (${d.unit}, leads ${d.leads}; ${r.ids.length} ECGs): mean change of each class score`, '', `| amount | ${r.classes.join(' | ')} | beats limited |`, `|---|${r.classes.map(() => '---|').join('')}---|`);
    for (const p of d.points) lines.push(`| ${p.amount} | ${p.meanDelta.map(f).join(' | ')} | ${p.limited} |`);
    lines.push('');
  }
  if (r.mass.length) {
    lines.push('Does the attribution mass on the edited region (unedited ECG) predict the score change? Spearman across ECGs:', '', `| method | ${r.doses.map((d) => `${d.edit} → ${d.target}`).join(' | ')} |`, `|---|${r.doses.map(() => '---|').join('')}`);
    for (const method of [...new Set(r.mass.map((x) => x.method))]) {
      lines.push(`| ${method} | ${r.doses.map((d) => {
        const x = r.mass.find((y) => y.method === method && y.edit === d.edit);
        return x && Number.isFinite(x.spearman) ? x.spearman.toFixed(3) : '-';
      }).join(' | ')} |`);
    }
  }
  return lines.join('\n') + '\n';
}
