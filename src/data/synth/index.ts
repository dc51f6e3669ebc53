// Synthetic 12-lead ECGs with ground-truth waves, classes, age/sex, cohorts and patients.
export { synthesizeEcg, rhythmCode, type SynthesizeOptions } from './synthesize.js';
export { synthesizePatient, drawSuperclasses, type SynthPatient, type SynthPatientOptions } from './patient.js';
export { SYNTH_COHORTS, PTBXL_PREVALENCE, resolveCohort, type CohortSpec } from './cohorts.js';
export { SUPERCLASSES, TERRITORY_LEADS, STTC_LEADS, DIAGNOSTIC_CRITERIA, evaluateCriteria, labelsAgree, pathologicalQ, type Superclass, type Territory, type CriteriaResult } from './criteria.js';
export { measureEcg, type EcgFeatures, type LeadFeatures } from './measure.js';
export { WAVE_EDGE_FRACTION } from './beat.js';
export { synthesizeDatabase, synthesizeDatabaseRecord, code15Labels, SYNTH_BLOCK_SIZE, CODE15_SYNTH_FS, type SynthDatabaseOptions, type SynthLayout } from './database.js';
export { plantedEvidence, EVIDENCE_LEAD_FRACTION, EVIDENCE_SAMPLE_FRACTION, EVIDENCE_FLOOR_MV, type BeatPlacement, type EvidenceInput } from './evidence.js';
export { addShortcut, parseShortcut, resolveShortcut, SHORTCUT_KINDS, type ShortcutSpec, type ShortcutKind } from './shortcut.js';
export { addEcgNoise, parseNoiseList, noiseLabel, signalPower, NOISE_TYPES, type NoiseSpec, type NoiseType } from './noise-snr.js';
