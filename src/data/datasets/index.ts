// Datasets: one file per layout, one EcgDataset interface, a registry with layout detection.
export type { DatasetLayout, RecordInfo, EcgDataset, OpenDatasetOptions, DatasetLoader, LabelInfo, LabelJoinReport, LabelTableSpec } from './types.js';
export { DATASETS, DATASET_LAYOUTS, detectLayout, openDataset } from './registry.js';
export { writePtbxl, ptbxlRecordPath, type WritePtbxlOptions } from './ptbxl.js';
export { writeCode15, CODE15_FS, CODE15_SAMPLES, CODE15_ABNORMALITIES, CODE15_NORMAL, type WriteCode15Options } from './code15.js';
export { LUDB_LABEL_COLUMNS } from './ludb.js';
export { PTBXL_SUPERCLASSES, diagnosticSuperclasses, parseScpCodes, parseScpStatements, type ScpStatement } from './ptbxl-labels.js';
export { stratifiedFolds, type StratifiedFoldOptions } from './folds.js';
export { parseCsv, readCsv, formatCsv, requireColumns, type CsvTable } from './csv.js';
export { ALL_LEADS_WAVE_EXTENSION } from './waves.js';
export { readEvidenceFile, writeEvidenceFile, EVIDENCE_SUFFIX, EVIDENCE_SCHEMA } from './evidence.js';
export { summarizeDataset, NO_PATIENTS_NOTE, type DatasetSummary } from './summary.js';
export { readLabelTable, type LabelTable, type LabelTableOptions, type LabelColumn, type LabelRow } from './label-table.js';
export { joinLabelTable, applyDxMap, idStem, idNumber, type LabelMatch } from './label-join.js';
export { readDxMap, findDxMap, canonicalCode, dxNames, CHALLENGE_EQUIVALENT_CODES, DX_MAP_NAMES, type DxMap, type DxEntry } from './dx-map.js';
