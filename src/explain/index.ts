/** Attribution methods behind one Explainer protocol, and metrics to judge them. */
export * from './protocol.js';
export * from './registry.js';
export { ExplainModel, GradientSession, type ExplainModelOptions, type GradientRun } from './model.js';
export { resolveLayer } from './layers.js';
export { upsampleTime, camFromGradients, type Upsample } from './gradcam.js';
export { igGrid, igBaseline, IG_RULES, type IgRule } from './integrated-gradients.js';
export { windowStarts as occlusionWindowStarts } from './occlusion.js';
export { ecgFeatures, FeatureMasker, FEATURE_KINDS, MASK_BASELINES, type EcgFeature, type FeatureKind, type FeatureSpec, type MaskBaseline } from './ecg-features.js';
export { exactShapley, permutationShapley, kernelCoalitions, kernelShapFit, type Game } from './shapley.js';
export { fitTcav, tcavTest, type TcavFit } from './tcav.js';
export { conceptSets, CONCEPT_EDITS, type ConceptEdit, type ConceptSets } from './tcav-concepts.js';
export * from './metrics/index.js';
export { explainRecords, explainTensors, defaultTarget, type ExplainPlan, type ExplainResult, type ExplainedRecord } from './run.js';
export { type OptionDecl, type OptionKind } from './options.js';
export { whatIfProbes, whatIfMarkdown, type WhatIfEdit, type WhatIfOptions, type WhatIfResult, type DoseResponse, type DosePoint, type MassPrediction } from './probes/what-if.js';
export * from './beats/index.js';
export * as benchmark from './benchmark/index.js';
