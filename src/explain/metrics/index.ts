// Metrics of attributions: faithfulness (deletion/insertion, infidelity), robustness (max-sensitivity), the randomisation sanity check, wave mass, rank agreement.
export { deletionCurve, trapezoid, targetProbability, type CurveOptions, type CurveResult } from './deletion.js';
export { cascadingRandomization, randomizableLayers, randomizeInitializers, type RandomizationOptions, type RandomizationStage, type RandomizationResult } from './randomization.js';
export { waveMass, waveLabels as attributionWaveLabels, WAVE_REGIONS, type WaveMass, type WaveMassOptions, type WaveRegion } from './wave-mass.js';
export { spearman, kendallTau, averageRanks, attributionCorrelation } from './rank-correlation.js';
export { evaluateExplanations, metricsMarkdown, WAVE_SOURCES, type EvaluateOptions, type EvaluateWaveSource, type ExplanationMetrics, type MethodMetrics, type WaveSummary, type RandomizationRow } from './evaluate.js';
export { infidelity, maxSensitivity, type InfidelityOptions, type InfidelityResult, type SensitivityOptions } from './robustness.js';
export { randomAttribution, randomBaseline, wholeDeletion, INSENSITIVE_CHANGE, type RandomBaseline, type WholeDeletion } from './baseline.js';
export { noiseStability, stabilityMarkdown, recordSpearman, type StabilityRow, type StabilityOptions } from './stability.js';
