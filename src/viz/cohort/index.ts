// Cohort views: Vega-Lite spec builders (pure) and their SVG rendering in Node.
export { renderVegaSvg, withCohortConfig, COHORT_CONFIG, type TopLevelSpec } from './vega.js';
export { rocCurve, rocCurves, rocSpec, type RocCurve, type RocPoint } from './roc.js';
export { confusionMatrix, confusionSpec, type ConfusionCell } from './confusion.js';
export {
  clusterLabel, clusterProportionsSpec, entropyByClassSpec, clusterPrototypesSpec, surrogateFidelitySpec,
  type ProportionRow, type EntropyRow, type PrototypeRow, type FidelityRow,
} from './tlc-views.js';
export { doseResponseSpec } from './probes.js';
