// Datasets: one file per layout, one EcgDataset interface, a registry with layout detection.
export type { DatasetLayout, RecordInfo, EcgDataset, OpenDatasetOptions, DatasetLoader } from './types.js';
