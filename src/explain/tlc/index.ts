// Time-localized clusters (TLC): the algorithmic core. Block activations ->
// timestamp vectors -> scaler / PCA -> k-means or GMM -> per-ECG cluster
// sequences with entropy -> surrogate random forest and wave alignment.
export { makePoints, pointsFromRows, type Points } from './points.js';
export {
  makeFeatureMap, featureMapsOfBatch, blockIndexOf, upsamplingWeights, upsampleMap, upsampleRows, timestampRows, concatenatedRows,
  sampleIndices, sampleColumns, sampleConcatenated,
  type FeatureMap, type Upsampling, type UpsamplingWeights, type TimestampSample, type SampleOptions,
} from './activations.js';
export { StandardScaler, FittedScaler, type ScalerOptions, type ScalerState } from './scaler.js';
export { Pca, FittedPca, type PcaOptions, type PcaState } from './pca.js';
export { KMeans, FittedKMeans, type KMeansOptions, type KMeansState } from './kmeans.js';
export { GaussianMixture, FittedGmm, type GmmOptions, type GmmState } from './gmm.js';
export { normalizedEntropy, argmaxRows, type SoftClusterer } from './soft.js';
export {
  assignSequence, assignMap, assignLogits, clusterSegments, clusterProportions, blockAgreement, proportionFeatures, proportionFeatureNames,
  type ClusterSequence, type AssignOptions, type ClusterSegment, type BlockAgreement,
} from './assign.js';
export {
  contingency, contingencyFixed, addTables, adjustedRandIndex, mutualInformation, normalizedMutualInfo, purity,
  type ContingencyTable,
} from './agreement.js';
export { RandomForestClassifier, RandomForestRegressor, FittedForest, type ForestOptions, type ForestState, type TreeState } from './forest.js';
export { silhouetteSamples, silhouetteScore, sweepK, type SilhouetteOptions, type SweepOptions, type SweepRow } from './sweep.js';
export { WAVE_CLASSES, waveLabels, WaveAlignment, alignClusters, type WaveClass, type WaveLabelOptions, type AlignmentReport } from './alignment.js';
export { BlockClusterer, FittedBlockClusterer, type BlockClustererOptions, type BlockClustererState } from './block-clusterer.js';
// The end-to-end pipeline: activations with the prediction, fitting, explaining, surrogate, waves.
export { ActivationReader, defaultTlcLayers, modelHash, type ActivationBatch, type ActivationReaderOptions } from './extract.js';
export { tensorSource, recordSource, datasetSource, type EcgSource, type SourceBatch, type SourceItem } from './source.js';
export {
  FittedTlc, fitTlc, fitTlcWith, fitGroup, collectSamples, groupClusterer, resolveTlcOptions, tlcModelInfo, type TemperatureRule, type TemperatureFit,
  type TlcOptions, type ResolvedTlcOptions, type TlcModelInfo, type TlcLayerInfo, type FittedTlcState, type TlcGroupResult, type TlcExplanation, type FitRunOptions, type TlcSamples,
} from './fit.js';
export { surrogateFold, summarizeSurrogate, type SurrogateSplit, type SurrogateFoldResult, type SurrogateSummary } from './surrogate.js';
export { TlcWaveStats, type WaveStatsOptions, type GroupWaveReport } from './waves.js';
export {
  TlcPipeline, explanationJson, wavesOf, evaluateTlcRun, evaluateTlcStudy, runStudy, modelStudy, openRun, sweepTlcRun, sweepTlcStudy, bestPurity,
  type ExplainedEcg, type TlcExplainedRecord, type TlcStudy, type WaveSource, type TlcEvaluateOptions, type TlcFoldEvaluation, type TlcEvaluation, type TlcSweepRow,
} from './pipeline.js';
export { formatTlcEvaluation } from './evaluation-md.js';
export { TlcPrototypes, type ClusterPrototype, type GroupPrototypes } from './prototypes.js';
export { stitchExplanations } from './stitch.js';
export { heldOutTemperature, mixtureLogLik, type HeldOutTemperature } from './temperature.js';
export { TlcEntropyStats, ENTROPY_BINS, type GroupEntropyReport } from './entropy.js';
export { rankLabelSuspects, flipLabels, recallAtK, type LabelQualityOptions, type LabelSuspect, type LabelQualityResult, type FlippedLabels } from './label-quality.js';
export { labelQualityRun, type LabelQualityRunOptions, type LabelQualityRun, type LabelQualityEntry } from './label-quality-run.js';
