// Self-supervised ECG encoders: augmentations, cohort samplers (mixed / IDB), contrastive and masked pretraining, embeddings, linear probes.
export { randomCrop, resizeLinear, amplitudeScale, gaussianNoise, baselineWander, leadDropout, timeMask, augmentView, checkAugment, DEFAULT_AUGMENT, type AugmentOptions, type Signal as AugmentSignal } from './augment.js';
export { epochBatches, PatientIndex, patientKey, positiveWeights, type BatchMode, type SampleInfo, type EpochBatchOptions } from './sampler.js';
export { contrastiveModel, maskedModel, exportEncoder, EMBEDDING_OUTPUT, PROJECTION_OUTPUT, RECONSTRUCTION_OUTPUT, type PretrainMethod, type EncoderContext, type HeadOptions } from './encoder.js';
export { ntXentLoss, maskedReconstructionLoss, ntXentReference } from './losses.js';
export { openPretrainData, type PretrainData, type PretrainRecord, type PretrainDataOptions } from './data.js';
export { pretrainRun, pretrainModel, checkPretrainConfig, PRETRAIN_META_KEY, type PretrainConfig, type PretrainEpoch, type PretrainRecordFile, type PretrainRunOptions } from './run.js';
export { embedDataset, encoderCard, type Embeddings, type EmbedOptions } from './embed.js';
export { probeEncoder, formatProbe, fitRidge, predictRidge, choleskySolve, type RidgeProbe, type ProbeOptions, type ProbeRow, type ProbeResult } from './probe.js';
export { fineTuneEncoder, initFromEncoder, type FineTuneOptions } from './finetune.js';
