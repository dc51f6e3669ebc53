/** Reverse-mode autodiff over ONNX graphs (public API). */
export { gradientGraph, gradientGraphInfo, parameterValues, sanitizeName, METADATA_KEY, type GradientOptions, type GradientGraphInfo, type GradMode, type TrainingIo, type GradientModification, type LrpRule } from './gradient.js';
export { RULES as GRADIENT_RULES, NON_DIFFERENTIABLE } from './rules/index.js';
export { gradCheck, pruneToOutputs, toFloat64, type GradCheckOptions, type GradCheckResult } from './gradcheck.js';
