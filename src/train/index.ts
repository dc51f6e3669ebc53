// Training and evaluation: losses, AdamW, the training loop, k-fold runs, metrics, prediction.
export * from './metrics.js';
export { type LossKind, type LossSpec, type LossGraph, type TrainableParameter, type TrainingGraph, TARGET_INPUT, LOSS_OUTPUT, trainableParameters, withLoss, trainingGraph, withInitializers } from './graph.js';
export { AdamW, clipGradNorm, learningRate, type AdamWOptions, type AdamWState, type OptimizerSlot, type ScheduleKind, type ScheduleOptions } from './optimizer.js';
export { Trainer, dropoutMask, withOutputAffine, initializerValues, type TrainerOptions, type TrainerState, type StepResult } from './trainer.js';
export { resolveTask, splitLabels, type TaskRequest, type ResolvedTask, type Example } from './task.js';
export { EcgTensorSource, batches, DEFAULT_CACHE_BYTES, type Batch, type BatchOptions, type LoaderItem } from './loader.js';
export { computeMetrics, defaultMetric, checkMetric, isBetter, CLASSIFICATION_METRICS, REGRESSION_METRICS, type MetricValues } from './evaluate.js';
export { saveFoldState, loadFoldState, type FoldProgress, type EpochRecord } from './state.js';
export { trainRun, planRun, evaluateModel, writePredictions, summarize, versions, type TrainConfig, type TrainRunOptions, type RunRecord, type FoldResult } from './run.js';
export { evaluateRun, formatRunEvaluation, type RunEvaluation } from './report.js';
export { defaultBatchSize, defaultLearningRate } from './defaults.js';
