import type { Ecg, EcgMeta } from '../ecg.js';

/** The on-disk layouts ecgx can open. */
export type DatasetLayout = 'ludb' | 'ptbxl' | 'code15' | 'wfdb';

/** One record's metadata (no signal): what `records()` lists and folds are made from. */
export interface RecordInfo {
  /** Identifier accepted by `load()` (LUDB record number, PTB-XL ecg_id, CODE-15% exam_id, WFDB path). */
  id: string;
  meta: EcgMeta;
  /** Fold the dataset assigns (PTB-XL strat_fold 1-10); absent where the dataset defines none. */
  fold?: number;
}

/**
 * A collection of ECGs on disk. Metadata is read once when the dataset opens;
 * signals are read on demand, so a dataset far larger than memory can be
 * listed, loaded record by record, or streamed.
 */
export interface EcgDataset {
  readonly layout: DatasetLayout;
  /** Folder the dataset was opened from (absolute). */
  readonly root: string;
  /** Sampling rate of the records `load`/`iterate` return, Hz (for a mixed WFDB folder: the most common rate). */
  readonly fs: number;
  /** Every record's metadata, in file order. */
  records(): RecordInfo[];
  /** Reads one record's signal (mV, leads-major) with its metadata and wave annotations. */
  load(id: string): Promise<Ecg>;
  /**
   * Streams records with bounded memory, in file order. With `ids`, streams
   * only those records, still in file order (use `load` for another order).
   */
  iterate(ids?: string[]): AsyncIterable<Ecg>;
  /**
   * The label names the dataset defines, by set, e.g. `{ superclass: ['NORM', 'MI', 'STTC', 'CD', 'HYP'], ... }`.
   * These are the names `meta.labels` uses; a name may have no record in a given folder.
   */
  labelSets(): Record<string, string[]>;
  /** Distinct fold ids, ascending, if the dataset defines folds. */
  folds(): number[] | undefined;
}

export interface OpenDatasetOptions {
  /** Open as this layout instead of detecting it (e.g. LUDB as a plain 'wfdb' folder). */
  layout?: DatasetLayout;
  /** PTB-XL: read `records100` (100 Hz) or `records500` (500 Hz); default 100 when present, else 500. */
  fs?: 100 | 500;
  /** What to do when a WFDB signal checksum does not match the header: throw (default) or warn. */
  checksum?: 'error' | 'warn';
}

/** A layout in the registry: how to recognise its folder and how to open it. */
export interface DatasetLoader {
  layout: DatasetLayout;
  /** One line for help texts. */
  description: string;
  /** True when `dir` looks like this layout (cheap: file names only). */
  detect(dir: string): boolean;
  open(dir: string, opts: OpenDatasetOptions): Promise<EcgDataset>;
}
