/** Attribution methods behind one Explainer protocol, and metrics to judge them. */
export * from './protocol.js';
export * from './registry.js';
export { ExplainModel, GradientSession, type ExplainModelOptions, type GradientRun } from './model.js';
export { resolveLayer } from './layers.js';
export { upsampleTime, camFromGradients, type Upsample } from './gradcam.js';
export { igGrid, igBaseline, IG_RULES, type IgRule } from './integrated-gradients.js';
export { windowStarts as occlusionWindowStarts } from './occlusion.js';
export * from './metrics/index.js';
export { explainRecords, explainTensors, defaultTarget, type ExplainPlan, type ExplainResult, type ExplainedRecord } from './run.js';
export { type OptionDecl, type OptionKind } from './options.js';
