/**
 * What the chart can draw on top of an ECG. These are small input types of
 * the chart's own, so that it depends on no explainer's internals: the TLC
 * and attribution modules (or a JSON file) produce plain arrays that fit them.
 * All time series are at the ECG's sampling rate, one value per sample.
 */
import type { WaveAnnotations } from '../data/ecg.js';
import type { ColorMapName } from './palettes.js';

/** One TLC block's cluster sequence at input resolution. */
export interface ClusterBands {
  /** Block name shown beside its band (e.g. 'block3'). */
  block: string;
  /** Cluster id per sample (length = nSamples); negative ids are left blank. */
  labels: Int32Array;
  /** Number of clusters of the block (ids 0..k-1). */
  k: number;
  /** Optional name per cluster id for the legend, e.g. its dominant wave ('QRS', 'T', 'other'). */
  names?: string[];
  /** Where the names come from, for the legend (e.g. 'dominant wave, LUDB annotations of the fitting fold'). */
  namedBy?: string;
}

/** A TLC entropy trace (normalised cluster-assignment entropy in [0, 1], one value per sample). */
export interface EntropyTrace {
  block: string;
  values: Float32Array;
}

/**
 * An attribution map drawn over the leads. What it leaves open is decided by
 * attributionDisplay (attribution.ts), the one rule of plot, report and app.
 */
export interface AttributionOverlay {
  /** Method name for the legend ('gradcam', 'integrated-gradients', ...); also picks the default style. */
  method: string;
  /** Explained output, for the legend (e.g. 'MI'). */
  target?: string;
  /** Leads-major values, length = leads * nSamples; NaN where the model did not look (drawn blank). */
  values: Float32Array;
  /** 1 (one map for every lead) or the ECG's lead count (same lead order as the ECG). */
  leads: number;
  /** Signed values use a diverging map centred at 0; default: signed when any value is negative. */
  signed?: boolean;
  /** 'trace': the trace is coloured (default for per-sample methods such as IG); 'background': a band behind each lead (default for Grad-CAM, occlusion). */
  style?: 'background' | 'trace';
  /** Default 'puor' when signed, 'viridis' otherwise. */
  colormap?: ColorMapName;
  /** |value| at full colour; default the `percentile`-th percentile of |value| (set it to compare several charts). */
  scale?: number;
  /** Percentile of |value| at full colour when `scale` is not given; default 98 (100: the largest |value|). */
  percentile?: number;
}

/** Wave boundaries to shade: from annotations (LUDB), the synthetic ground truth or the delineator. */
export interface WaveOverlay {
  /** Where the waves come from, for the legend ('annotations', 'synthetic', 'delineator', ...). */
  source: string;
  /** Per canonical lead name and/or '*' for all leads, in samples at the ECG's rate. */
  waves: WaveAnnotations;
}

/** Overlays; each is drawn only when present. */
export interface EcgOverlays {
  /** TLC cluster sequences, one band per block. */
  clusters?: ClusterBands[];
  /** 'strip' (default): one band per block under the ECG; 'behind': the first block tints every row's background. */
  clusterPlacement?: 'strip' | 'behind';
  /** TLC entropy traces, drawn in a panel under the ECG on a 0..1 scale. */
  entropy?: EntropyTrace[];
  attribution?: AttributionOverlay;
  waves?: WaveOverlay;
}
