/** Vega-Lite views of the explainer benchmark (pure spec builders). */
import type { BenchmarkResult, LeaderRow } from '../../explain/benchmark/run.js';
import { REFERENCES, TLC_CLUSTER_ROW } from '../../explain/benchmark/run.js';
import { noiseLabel } from '../../data/synth/noise-snr.js';
import { CATEGORICAL } from '../palettes.js';
import type { TopLevelSpec } from '../cohort/vega.js';

const REF = new Set<string>(Object.values(REFERENCES));

/** Method order of the views: the ranking, then TLC's cluster row, then the references. */
export function methodOrder(r: BenchmarkResult): string[] {
  const all = [...new Set(r.leaderboard.map((x) => x.method))];
  const ranked = r.ranking.map((x) => x.method).filter((m) => all.includes(m));
  return [...ranked, ...all.filter((m) => !ranked.includes(m) && !REF.has(m)), ...all.filter((m) => REF.has(m))];
}

function modelColors(r: BenchmarkResult): { domain: string[]; range: string[] } {
  const domain = r.models.map((m) => m.name);
  // The untrained control in grey: it is the reference, not a contender.
  let k = 0;
  return { domain, range: r.models.map((m) => (m.kind === 'untrained' ? '#8c8c8c' : CATEGORICAL[k++ % CATEGORICAL.length]!)) };
}

/** One score per method (rows) and model (colour): mean and 95% CI over (ECG, class) pairs; references dashed. */
export function scoreSpec(r: BenchmarkResult, score: 'massAccuracy' | 'auroc' | 'rankAccuracy' | 'pointing', title: string): TopLevelSpec {
  const order = methodOrder(r);
  const values = r.leaderboard.map((x: LeaderRow) => ({ method: x.method, model: x.model, mean: x.summary[score].mean, lo: x.summary[score].lo, hi: x.summary[score].hi, kind: REF.has(x.method) ? 'reference' : 'method' }));
  const colors = modelColors(r);
  return {
    title, width: 420, height: { step: 13 } as unknown as number,
    data: { values },
    encoding: {
      y: { field: 'method', type: 'nominal', sort: order, title: null, axis: { labelLimit: 240 } },
      yOffset: { field: 'model', type: 'nominal', sort: colors.domain },
      color: { field: 'model', type: 'nominal', scale: colors, title: 'model' },
    },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x: { field: 'lo', type: 'quantitative', title: score === 'auroc' ? 'AUROC of |attribution| as a mask detector' : score === 'massAccuracy' ? 'relevance mass accuracy (share of |attribution| in the mask)' : score }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 36 }, encoding: { x: { field: 'mean', type: 'quantitative' }, shape: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['method', 'reference'], range: ['circle', 'diamond'] } } } },
    ],
  } as TopLevelSpec;
}

/** Mean AUROC per method and class, one panel per model. */
export function classHeatSpec(r: BenchmarkResult): TopLevelSpec {
  const order = methodOrder(r);
  const values = r.leaderboard.flatMap((x) => Object.entries(x.perClass).map(([cls, s]) => ({ method: x.method, model: x.model, cls, auroc: s.auroc })));
  return {
    title: 'AUROC of |attribution| as a detector of the mask, per class (mean over ECGs)',
    data: { values },
    facet: { column: { field: 'model', type: 'nominal', title: null, sort: r.models.map((m) => m.name) } },
    spec: {
      width: 150, height: { step: 13 } as unknown as number,
      encoding: { y: { field: 'method', type: 'nominal', sort: order, title: null, axis: { labelLimit: 240 } }, x: { field: 'cls', type: 'nominal', title: null, sort: r.config.classes, axis: { labelAngle: 0 } } },
      layer: [
        { mark: 'rect', encoding: { color: { field: 'auroc', type: 'quantitative', title: 'AUROC', scale: { scheme: 'viridis', domain: [0.3, 1] } } } },
        { mark: { type: 'text', fontSize: 9 }, encoding: { text: { field: 'auroc', type: 'quantitative', format: '.2f' }, color: { condition: { test: 'datum.auroc > 0.75', value: '#000000' }, value: '#ffffff' } } },
      ],
    },
  } as TopLevelSpec;
}

/** Time per ECG of each method (log scale), per model. */
export function timeSpec(r: BenchmarkResult): TopLevelSpec {
  const order = methodOrder(r).filter((m) => !REF.has(m));
  const values = r.leaderboard.filter((x) => !REF.has(x.method) && x.msPerEcg > 0).map((x) => ({ method: x.method, model: x.model, ms: x.msPerEcg }));
  const colors = modelColors(r);
  return {
    title: 'Time per ECG (12 x 1000 samples), this machine', width: 420, height: { step: 13 } as unknown as number,
    data: { values },
    mark: { type: 'point', filled: true, size: 36 },
    encoding: {
      y: { field: 'method', type: 'nominal', sort: order, title: null },
      yOffset: { field: 'model', type: 'nominal', sort: colors.domain },
      x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms per ECG (log scale)' },
      color: { field: 'model', type: 'nominal', scale: colors, title: 'model' },
    },
  } as TopLevelSpec;
}

/** Share of |attribution| on the shortcut artefact, as a multiple of its time share: trap model vs clean model. */
export function trapSpec(r: BenchmarkResult): TopLevelSpec {
  const t = r.trap!;
  const values = t.methods.flatMap((m) => [
    { method: m.method, model: 'trained with the trap', enrichment: m.trap.enrichment },
    { method: m.method, model: 'trained without it', enrichment: m.clean.enrichment },
  ]);
  return {
    title: `Shortcut trap: |attribution| on the artefact, times its time share (${t.ecgs.length} trapped ${t.label} ECGs)`,
    width: 420, height: { step: 13 } as unknown as number,
    data: { values },
    layer: [
      { mark: { type: 'bar' }, encoding: {
        y: { field: 'method', type: 'nominal', title: null, sort: t.methods.map((m) => m.method) },
        yOffset: { field: 'model', type: 'nominal' },
        x: { field: 'enrichment', type: 'quantitative', title: 'enrichment on the artefact (1: no more than its time share)', scale: { type: 'symlog' } },
        color: { field: 'model', type: 'nominal', scale: { range: [CATEGORICAL[5]!, CATEGORICAL[1]!] }, title: null, legend: { labelLimit: 260 } },
      } },
      { data: { values: [{ x: 1 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#666666' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** Spearman (clean vs noisy) per method and noise condition. */
export function stabilitySpec(r: BenchmarkResult): TopLevelSpec {
  const s = r.stability!;
  const values = s.rows.map((x) => ({ method: x.measure === 'ari' ? `${x.method} (clusters, ARI)` : x.method, noise: noiseLabel(x.noise), value: x.mean }));
  const order = [...methodOrder(r).filter((m) => !REF.has(m) && m !== TLC_CLUSTER_ROW), 'tlc (clusters, ARI)'];
  return {
    title: `Stability under recording noise (${s.model}): Spearman of |attribution| clean vs noisy; TLC clusters: ARI`,
    data: { values },
    width: { step: 90 } as unknown as number, height: { step: 14 } as unknown as number,
    encoding: { y: { field: 'method', type: 'nominal', sort: order, title: null }, x: { field: 'noise', type: 'nominal', title: null, sort: [...new Set(values.map((v) => v.noise))], axis: { labelAngle: 0 } } },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'value', type: 'quantitative', title: 'agreement', scale: { scheme: 'viridis', domain: [0, 1] } } } },
      { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'value', type: 'quantitative', format: '.2f' }, color: { condition: { test: 'datum.value > 0.6', value: '#000000' }, value: '#ffffff' } } },
    ],
  } as TopLevelSpec;
}
