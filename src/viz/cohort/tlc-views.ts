/**
 * Cohort views of TLC: cluster proportions by class, entropy by class,
 * cluster prototypes (mean waveform ± 1 SD), surrogate fidelity per fold.
 * Inputs are plain rows so that the report and the app build them from
 * whatever they hold (a run's evaluation, explained records).
 */
import type { TopLevelSpec } from 'vega-lite';
import { categoricalColor, OKABE_ITO } from '../palettes.js';

/** Cluster colour scale shared with the ECG chart's bands: cluster i has categoricalColor(i). */
function clusterScale(k: number, names?: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: Array.from({ length: k }, (_, i) => clusterLabel(i, names)), range: Array.from({ length: k }, (_, i) => categoricalColor(i)) };
}

/** 'c3' or 'c3 (QRS)' when the cluster's dominant wave is known. */
export function clusterLabel(i: number, names?: readonly string[]): string {
  const n = names?.[i];
  return n ? `c${i} (${n})` : `c${i}`;
}

export interface ProportionRow {
  /** The class the ECGs carry ('NORM', ...; 'all' for every ECG). */
  class: string;
  /** Clustered group (layer) name. */
  group: string;
  cluster: number;
  /** Mean fraction of time in the cluster over the class's ECGs. */
  proportion: number;
  /** ECGs averaged. */
  n: number;
}

/** Classes in the given order (the run's), then any others in order of appearance: every panel lists classes the same way. */
function classOrder(rows: readonly { class: string }[], order?: readonly string[]): string[] {
  const seen = [...new Set(rows.map((r) => r.class))];
  return [...(order ?? []).filter((c) => seen.includes(c)), ...seen.filter((c) => !(order ?? []).includes(c))];
}

/** Stacked bars: per class, the mean fraction of time in each cluster; one row of panels per group. */
export function clusterProportionsSpec(rows: readonly ProportionRow[], k: number, names?: Record<string, string[]>, order?: readonly string[]): TopLevelSpec {
  const groups = [...new Set(rows.map((r) => r.group))];
  const classes = classOrder(rows, order);
  const nOf = new Map(rows.map((r) => [r.class, r.n]));
  return {
    title: 'Cluster proportions by class (test ECGs)',
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    vconcat: groups.map((g) => {
      const sc = clusterScale(k, names?.[g]);
      return {
        data: { values: rows.filter((r) => r.group === g).map((r) => ({ ...r, label: clusterLabel(r.cluster, names?.[g]), classN: `${r.class} (n=${r.n})` })) },
        title: { text: g, fontSize: 11 },
        width: 320, height: { step: 22 },
        mark: 'bar',
        encoding: {
          y: { field: 'classN', type: 'nominal', title: 'class', sort: classes.map((c) => `${c} (n=${nOf.get(c)})`) },
          x: { field: 'proportion', type: 'quantitative', title: 'mean fraction of time', stack: 'zero', scale: { domain: [0, 1] } },
          color: { field: 'label', type: 'nominal', title: 'cluster', scale: sc },
          order: { field: 'cluster', type: 'quantitative' },
          tooltip: [{ field: 'class' }, { field: 'label', title: 'cluster' }, { field: 'proportion', format: '.3f' }],
        },
      };
    }),
  } as TopLevelSpec;
}

export interface EntropyRow {
  class: string;
  /** Mean normalised entropy of one ECG (0..1). */
  entropy: number;
  record: string;
}

/** Box plot per class of the ECGs' mean TLC entropy, with the ECGs as points; classes in `order` (the run's). */
export function entropyByClassSpec(rows: readonly EntropyRow[], group: string, order?: readonly string[]): TopLevelSpec {
  const classes = classOrder(rows, order);
  return {
    title: `Mean TLC entropy per ECG by class (${group})`,
    data: { values: rows.map((r) => ({ ...r })) },
    width: 320, height: { step: 28 },
    layer: [
      { mark: { type: 'boxplot', extent: 1.5, color: OKABE_ITO.skyBlue, size: 16 }, encoding: { y: { field: 'class', type: 'nominal', sort: classes, title: 'class' }, x: { field: 'entropy', type: 'quantitative', title: 'mean normalised entropy', scale: { domain: [0, 1] } } } },
      { mark: { type: 'point', color: OKABE_ITO.black, size: 14, opacity: 0.6 }, encoding: { y: { field: 'class', type: 'nominal', sort: classes }, x: { field: 'entropy', type: 'quantitative' }, tooltip: [{ field: 'record' }, { field: 'entropy', format: '.3f' }] } },
    ],
  } as TopLevelSpec;
}

export interface PrototypeRow {
  cluster: number;
  /** Seconds from the segment centre. */
  t: number;
  /** Mean and standard deviation of the lead's input, mV. */
  mean: number;
  sd: number;
  /** Segments averaged. */
  n: number;
}

/** One small panel per cluster: mean waveform of a lead around the cluster's segment centres, with a ± 1 SD band when the rows carry one. */
export function clusterPrototypesSpec(rows: readonly PrototypeRow[], k: number, o: { group: string; lead: string; names?: readonly string[] }): TopLevelSpec {
  const sc = clusterScale(k, o.names);
  const values = rows.map((r) => ({ ...r, label: `${clusterLabel(r.cluster, o.names)} n=${r.n}`, key: clusterLabel(r.cluster, o.names), lo: r.mean - r.sd, hi: r.mean + r.sd }));
  // Pooled prototypes (a TLC evaluation's) keep sums, not spreads: no band then, and the title says so.
  const band = rows.some((r) => r.sd > 0);
  const line = { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x: { field: 't', type: 'quantitative', title: 's' }, y: { field: 'mean', type: 'quantitative', title: 'mV' }, color: { field: 'key', type: 'nominal', scale: sc, legend: null } } };
  return {
    title: `Cluster prototypes: mean lead ${o.lead}${band ? ' ± 1 SD' : ''} around segment centres (${o.group})`,
    data: { values },
    facet: { field: 'label', type: 'nominal', title: null, sort: { field: 'cluster' } }, columns: 4,
    spec: {
      width: 150, height: 90,
      layer: [
        ...(band ? [{ mark: { type: 'area', opacity: 0.3 }, encoding: { x: { field: 't', type: 'quantitative', title: 's' }, y: { field: 'lo', type: 'quantitative', title: 'mV' }, y2: { field: 'hi' }, color: { field: 'key', type: 'nominal', scale: sc, legend: null } } }] : []),
        line,
      ],
    },
  } as TopLevelSpec;
}

export interface FidelityRow {
  fold: number;
  /** 'fidelity %', 'exact match %', 'forest AUROC', 'CNN AUROC', ... */
  measure: string;
  value: number;
}

/**
 * An axis domain around `values` at least `minSpan` wide, clipped to
 * [lo, hi], in whole steps: a degenerate domain (every fold at 100%) would
 * otherwise get ticks such as '100.000000'.
 */
export function paddedDomain(values: readonly number[], minSpan: number, lo = -Infinity, hi = Infinity): [number, number] {
  const f = values.filter(Number.isFinite);
  if (f.length === 0) return [Math.max(lo, 0), Math.min(hi, 1)];
  let a = Math.min(...f), b = Math.max(...f);
  const pad = Math.max(minSpan - (b - a), 0) / 2 + (b - a) * 0.1;
  a -= pad;
  b += pad;
  if (b > hi) [a, b] = [Math.max(lo, a - (b - hi)), hi];
  if (a < lo) [a, b] = [lo, Math.min(hi, b + (lo - a))];
  const step = 10 ** Math.floor(Math.log10(Math.max(b - a, 1e-9))) / 2;
  return [Math.max(lo, Math.floor(a / step) * step), Math.min(hi, Math.ceil(b / step) * step)];
}

/** Points per fold and measure, with the mean over folds as a tick. */
export function surrogateFidelitySpec(rows: readonly FidelityRow[]): TopLevelSpec {
  const finite = rows.filter((r) => Number.isFinite(r.value));
  const percent = finite.every((r) => r.measure.includes('%'));
  const domain = paddedDomain(finite.map((r) => r.value), percent ? 4 : 0.04, percent ? 0 : -Infinity, percent ? 100 : Infinity);
  return {
    title: 'Surrogate random forest on cluster proportions, per fold',
    data: { values: finite.map((r) => ({ ...r, foldName: `fold ${r.fold}` })) },
    width: 320, height: { step: 26 },
    layer: [
      { mark: { type: 'tick', color: '#999999', thickness: 2 }, encoding: { y: { field: 'measure', type: 'nominal', sort: null, title: null }, x: { aggregate: 'mean', field: 'value', type: 'quantitative', scale: { domain, nice: false } } } },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          y: { field: 'measure', type: 'nominal', sort: null },
          x: { field: 'value', type: 'quantitative', title: percent ? 'agreement with the CNN (%)' : 'value (% or metric)', scale: { domain, nice: false }, axis: { format: '~r', tickCount: 5 } },
          color: { field: 'foldName', type: 'nominal', title: 'fold', scale: { range: [OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.bluishGreen, OKABE_ITO.vermillion, OKABE_ITO.reddishPurple, OKABE_ITO.skyBlue, OKABE_ITO.yellow, OKABE_ITO.black] } },
          tooltip: [{ field: 'foldName', title: 'fold' }, { field: 'measure' }, { field: 'value', format: '.3f' }],
        },
      },
    ],
  } as TopLevelSpec;
}
