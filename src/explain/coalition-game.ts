/**
 * The coalition game of one ECG for the feature methods (shap-waves, lime):
 * its ECG-native features (ecg-features.ts) and v(S) = the target output with
 * the features outside S masked, evaluated in model calls of batchSize
 * masked copies. Options shared by those methods are declared here once.
 */
import { OptionError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import type { WaveAnnotations } from '../data/ecg.js';
import type { ExplainModel } from './model.js';
import type { MethodOptions, OptionDecl } from './options.js';
import { FEATURE_KINDS, FeatureMasker, MASK_BASELINES, delineateRow, ecgFeatures, leadNames, rPeaksOf, type EcgFeature, type FeatureKind, type FeatureSpec, type MaskBaseline } from './ecg-features.js';
import type { Game } from './shapley.js';

export const FEATURE_OPTIONS: readonly OptionDecl[] = [
  { name: 'features', kind: 'choice', default: 'waves', choices: FEATURE_KINDS, help: 'what one feature is: waves (P, QRS, T, baseline per lead), wave-beats (each wave of each beat), beats, or windows' },
  { name: 'leads', kind: 'choice', default: 'each', choices: ['each', 'all'], help: 'features per lead, or the same segments in all leads at once' },
  { name: 'windowSeconds', kind: 'number', default: 0.5, min: 1e-3, max: 3600, help: 'window length in seconds (features=windows)' },
  { name: 'mask', kind: 'choice', default: 'median', choices: MASK_BASELINES, help: "what a masked feature becomes: each lead's median, a line across the segment (interpolate), or zero" },
  { name: 'fs', kind: 'number', min: 1, max: 100_000, defaultText: "the batch's rate, else the model card's", help: 'sampling rate, Hz, of model-ready inputs whose model card gives none (waves, beats and windows in seconds)' },
  { name: 'annotations', kind: 'text', defaultText: 'the delineator', help: 'wave annotations to use instead of the delineator: one WaveAnnotations for every ECG, or one per ECG', cli: false },
];

export interface EcgGame {
  features: EcgFeature[];
  masker: FeatureMasker;
  game: Game;
}

export interface GameSetup {
  spec: FeatureSpec;
  mask: MaskBaseline;
  fs: number | undefined;
  names: string[];
  annotations: WaveAnnotations | WaveAnnotations[] | undefined;
}

/** Reads the shared options (and records them) for a batch. */
export function gameSetup(method: string, opts: MethodOptions, model: ExplainModel, x: NdArray, batch: { fs?: number; leads?: string[] }): GameSetup {
  const kind = opts.choice<FeatureKind>('features');
  const leads = opts.choice<'each' | 'all'>('leads');
  const window = opts.num('windowSeconds');
  const mask = opts.choice<MaskBaseline>('mask');
  const asked = opts.raw('fs');
  const fs = batch.fs ?? (asked !== undefined ? opts.num('fs') : undefined) ?? model.fs;
  if (fs !== undefined) opts.record('fs', fs);
  const ann = opts.raw('annotations') as WaveAnnotations | WaveAnnotations[] | undefined;
  const n = x.shape[0]!;
  if (Array.isArray(ann) && ann.length !== n) throw new OptionError(`${method}.annotations`, `expected one WaveAnnotations per ECG (${n}), got ${ann.length}`);
  if (fs === undefined && (kind === 'windows' || !ann)) throw new OptionError(`${method}.fs`, `features '${kind}' need the sampling rate: the batch and the model card give none`);
  if (ann) opts.record('annotations', 'given');
  return { spec: { kind, leads, window }, mask, fs, names: leadNames(x.shape[1]!, batch.leads), annotations: ann };
}

/** The game of ECG b: features, masker and v(S) for target column `index`. */
export function ecgGame(model: ExplainModel, x: NdArray, b: number, index: number, setup: GameSetup, batchSize: number): EcgGame {
  const [, leads, time] = x.shape as [number, number, number];
  const per = leads * time;
  const row = x.data.subarray(b * per, (b + 1) * per);
  let marks: { waves: WaveAnnotations; rPeaks: number[] } | undefined;
  if (setup.spec.kind !== 'windows') {
    const given = Array.isArray(setup.annotations) ? setup.annotations[b] : setup.annotations;
    marks = given ? { waves: given, rPeaks: rPeaksOf(given) } : delineateRow(row, setup.names, setup.fs!);
  }
  const features = ecgFeatures(setup.spec, setup.names, time, setup.fs, marks);
  const masker = new FeatureMasker(row, setup.names, time, features, setup.mask);
  const K = model.width;
  const game: Game = async (zs) => {
    const out: number[] = [];
    for (let start = 0; start < zs.length; start += batchSize) {
      const count = Math.min(batchSize, zs.length - start);
      const data = new Float32Array(count * per);
      for (let r = 0; r < count; r++) masker.fill(zs[start + r]!, data.subarray(r * per, (r + 1) * per));
      const f = await model.scores({ data, shape: [count, leads, time] }, batchSize);
      for (let r = 0; r < count; r++) out.push(f.data[r * K + index]!);
    }
    return out;
  };
  return { features, masker, game };
}

/** Per-sample values [rows, time] of one ECG from per-feature values: all leads, or one row for leads 'all'. */
export function spreadValues(g: EcgGame, values: readonly number[], leadsMode: 'each' | 'all', time: number): Float32Array {
  const full = g.masker.spread(values);
  return leadsMode === 'all' ? full.subarray(0, time) : full;
}
