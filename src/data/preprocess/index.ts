// ECG preprocessing: resampling, zero-phase filtering, gaps, z-score, fixed windows, lead selection.
export { type Sos, type SosSection, sosfilt, sosfiltfilt, sosfiltZi, frequencyResponse } from './sos.js';
export { type FilterType, butterworth, notchFilter } from './design.js';
export { type ResampleOptions, resample, resampleRatio, resampledLength } from './resample.js';
export { resampleEcg } from './resample-ecg.js';
export { type BridgedLead, bridgeGaps } from './gaps.js';
export { DEFAULT_FILTER_ORDER, DEFAULT_NOTCH_Q, filterEcg, highpassEcg, bandpassEcg, notchEcg } from './filter-ecg.js';
export { type StandardizeOptions, standardize } from './standardize.js';
export { type CropMode, cropOrPad, selectLeads } from './shape.js';
export { type PreprocessSpec, preprocess, fillMissing } from './pipeline.js';
