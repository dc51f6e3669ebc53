// ECG delineation: R peaks and P/QRS/T boundaries per lead and fused, and their evaluation against annotations.
export { ecgDelineate, DELINEATION_FS, DEFAULT_TUNING, type Delineation, type DelineateOptions, type DelineationTuning } from './delineate.js';
export { fuseWaves, fuseBeat, FUSION_MIN_FRACTION, type FuseOptions } from './fuse.js';
export { delineationBeats, delineationPoints, NEUROKIT_POINTS, type DelineatedBeat, type NeurokitPoint } from './points.js';
export { waveletTransform } from './wavelet.js';
export { removeSpikes } from './spikes.js';
export {
  DelineationScorer,
  evaluateDelineation,
  formatEvaluation,
  fuseLeads,
  matchPoints,
  pointsOf,
  WAVE_POINTS,
  type WavePoint,
  type PointScore,
  type DelineationEvaluation,
  type EvaluateDelineationOptions,
} from './evaluate.js';
