/**
 * How an attribution map is shown: its colour scale, map and style. One
 * function decides for `ecgx plot`, the HTML report and the web app (the
 * chart calls it for any overlay that leaves a choice open), so the three
 * never disagree about what a colour means.
 *
 * - Scale: a high percentile of |value| (default the 98th: the top 2% of
 *   samples saturate), as captum's `outlier_perc` (default 2) bounds its
 *   colour range. captum's threshold is where the *cumulative sum* of sorted
 *   |values| reaches 98%; ours counts samples, which is what matters for
 *   spiky per-sample maps: on the Integrated Gradients fixture
 *   (test/fixtures/torch/classifier_ig.npy) the largest |value| leaves 9.8% of
 *   samples above 20% of the colour range, captum's rule 18.8%, ours 34%.
 *   The legend states the rule.
 * - Map: signed maps (any negative value) use the purple-white-orange
 *   diverging map, which stays visible on the red grid of ECG paper;
 *   non-negative maps use viridis.
 * - Style: per-sample methods (gradients at the input: saliency, input x
 *   gradient, SmoothGrad, Integrated Gradients, ...) colour the trace itself,
 *   where the signal is; coarse maps (Grad-CAM, occlusion) shade the
 *   background of each lead. A method the lists do not know is judged by its
 *   values: a map that changes from sample to sample is drawn on the trace.
 */
import type { AttributionOverlay } from './overlays.js';
import type { ColorMapName } from './palettes.js';

/** Default percentile of |value| drawn at full colour. */
export const DEFAULT_PERCENTILE = 98;

/** Methods whose values vary from one sample to the next (gradients at the input). */
const PER_SAMPLE = new Set(['saliency', 'input-x-gradient', 'smoothgrad', 'integrated-gradients', 'ig', 'gradient-shap', 'deeplift', 'deeplift-shap', 'guided-backprop', 'lrp', 'kernel-shap', 'random']);
/** Methods whose maps are smooth at the input's resolution (upsampled layers, windows). */
const COARSE = new Set(['gradcam', 'gradcam++', 'occlusion', 'tlc', 'lime']);

export type AttributionStyle = 'background' | 'trace';

/** How one attribution map is drawn, with the numbers a legend needs. */
export interface AttributionDisplay {
  signed: boolean;
  style: AttributionStyle;
  colormap: ColorMapName;
  /** |value| drawn at full colour (> 0). */
  scale: number;
  /** How `scale` was chosen: a percentile of |value|, given by the caller, or the largest |value| (percentile 100). */
  rule: { kind: 'percentile'; percentile: number } | { kind: 'given' };
  /** Share of the map's finite samples at or beyond the scale (drawn saturated). */
  saturated: number;
}

export interface DisplayOptions {
  /** Percentile of |value| at full colour, in (0, 100]; default 98. 100 is the largest |value|. */
  percentile?: number;
  /** A fixed |value| at full colour (to compare several charts on one scale); overrides percentile. */
  scale?: number;
  style?: AttributionStyle;
  signed?: boolean;
  colormap?: ColorMapName;
}

/**
 * The p-th percentile (0 < p <= 100) of |v| over finite values, by the
 * nearest-rank rule on the sorted values (no interpolation, so the scale is a
 * value the map really takes). 0 when every finite value is 0 or none is finite.
 */
export function percentileAbs(values: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentileAbs: expected a percentile in (0, 100], got ${p}`);
  const a: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) a.push(Math.abs(v));
  }
  if (a.length === 0) return 0;
  const f = Float64Array.from(a).sort();
  return f[Math.max(0, Math.ceil((p / 100) * f.length) - 1)]!;
}

/**
 * Whether a map varies from sample to sample: the mean |difference| between
 * neighbouring samples, relative to the mean |value|, above 0.25 (Grad-CAM
 * and occlusion maps stay well below; input gradients well above).
 */
export function isPerSampleMap(values: ArrayLike<number>, rows: number): boolean {
  const n = Math.floor(values.length / Math.max(1, rows));
  let diff = 0, mag = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 1; t < n; t++) {
      const a = values[r * n + t - 1]!, b = values[r * n + t]!;
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      diff += Math.abs(b - a);
      mag += Math.abs(b);
    }
  }
  return mag > 0 && diff / mag > 0.25;
}

/** The style a method's map gets by default. */
export function defaultStyle(method: string, values: ArrayLike<number>, rows: number): AttributionStyle {
  const m = method.toLowerCase();
  if (PER_SAMPLE.has(m)) return 'trace';
  if (COARSE.has(m)) return 'background';
  return isPerSampleMap(values, rows) ? 'trace' : 'background';
}

/** Decides how a map is drawn: the one rule for plot, the report and the app. */
export function attributionDisplay(method: string, values: ArrayLike<number>, rows: number, o: DisplayOptions = {}): AttributionDisplay {
  let signed = o.signed;
  let finite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    finite++;
    if (v < 0 && signed === undefined) signed = true;
  }
  signed ??= false;
  if (o.scale !== undefined && !(o.scale > 0 && Number.isFinite(o.scale))) throw new RangeError(`attribution ${method}: scale must be a number > 0, got ${o.scale}`);
  const percentile = o.percentile ?? DEFAULT_PERCENTILE;
  const robust = o.scale ?? percentileAbs(values, percentile);
  const scale = robust > 0 ? robust : 1;
  let over = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && Math.abs(v) >= scale) over++;
  }
  return {
    signed,
    style: o.style ?? defaultStyle(method, values, rows),
    colormap: o.colormap ?? (signed ? 'puor' : 'viridis'),
    scale,
    rule: o.scale !== undefined ? { kind: 'given' } : { kind: 'percentile', percentile },
    saturated: finite ? over / finite : 0,
  };
}

/** The display of an overlay: what it fixes, and the default rule for the rest. */
export function overlayDisplay(a: AttributionOverlay): AttributionDisplay {
  return attributionDisplay(a.method, a.values, a.leads, {
    ...(a.percentile !== undefined ? { percentile: a.percentile } : {}),
    ...(a.scale !== undefined ? { scale: a.scale } : {}),
    ...(a.style !== undefined ? { style: a.style } : {}),
    ...(a.signed !== undefined ? { signed: a.signed } : {}),
    ...(a.colormap !== undefined ? { colormap: a.colormap } : {}),
  });
}

/** The legend's words for the scale, e.g. '98th percentile of |value| (2.0% saturate)'. */
export function scaleRuleText(d: AttributionDisplay): string {
  if (d.rule.kind === 'given') return 'fixed scale';
  const p = d.rule.percentile;
  const sat = `${(100 * d.saturated).toFixed(d.saturated < 0.1 ? 1 : 0)}% saturate`;
  return p === 100 ? 'largest |value|' : `${ordinal(p)} percentile of |value|, ${sat}`;
}

function ordinal(p: number): string {
  const s = String(Number(p.toPrecision(4)));
  if (!/^\d+$/.test(s)) return `${s}th`;
  const n = Number(s) % 100;
  const suffix = n >= 11 && n <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return s + (n % 10 > 3 ? 'th' : suffix);
}
