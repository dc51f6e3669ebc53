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
  /** What label names stand for, where the dataset knows (e.g. 'NSR' -> SNOMED CT 426783006, sinus rhythm). */
  labelInfo?(): Record<string, LabelInfo>;
  /** How a label table was joined to the records, when one was (see label-join.ts). */
  readonly labelJoin?: LabelJoinReport;
  /** Releases what the dataset holds open (CODE-15%: an HDF5 part and its read buffer); later reads reopen it. */
  close?(): void;
}

/** What a label name stands for. */
export interface LabelInfo {
  /** Code the name abbreviates (a SNOMED CT code), or the table column it came from. */
  code: string;
  /** Long name, when a code table gives one. */
  description?: string;
  /** Codes scored as this one and merged into it (the Challenge's equivalent classes). */
  merged?: string[];
}

/** How a label table met a dataset: what matched, what did not, and what was inferred. */
export interface LabelJoinReport {
  /** The label table (absolute path). */
  file: string;
  /** Column holding the record ids, and whether it was given or detected. */
  idColumn: string;
  idColumnFrom: 'given' | 'detected';
  /** How ids met records: the same name ('exact') or the same number ('number': HR00001 <-> 00001_lr <-> 1). */
  match: 'exact' | 'number';
  matchFrom: 'given' | 'detected';
  /** Records of the dataset before the join. */
  records: number;
  /** Records with a label row (the joined dataset lists only these). */
  joined: number;
  /** Records without a label row: left out. */
  recordsWithoutRow: number;
  /** Label rows naming no record of the dataset. */
  rowsWithoutRecord: number;
  /** A few of each, for the report. */
  examples: { recordsWithoutRow: string[]; rowsWithoutRecord: string[] };
  /** Table columns read as labels / as metadata / not used. */
  labelColumns: string[];
  metaColumns: string[];
  ignoredColumns: string[];
  /** Equivalent-code columns merged into their canonical code ([from, into]). */
  merged: [string, string][];
  /** The Challenge dx map that named the codes, and where it was found; null when none. */
  dxMap: { files: string[]; from: 'given' | 'beside the label table' | 'in the dataset folder' } | null;
}

export interface OpenDatasetOptions {
  /** Open as this layout instead of detecting it (e.g. LUDB as a plain 'wfdb' folder). */
  layout?: DatasetLayout;
  /** PTB-XL: read `records100` (100 Hz) or `records500` (500 Hz); default 100 when present, else 500. */
  fs?: 100 | 500;
  /** What to do when a WFDB signal checksum does not match the header: throw (default) or warn. */
  checksum?: 'error' | 'warn';
  /** Join this label table to the records (see label-join.ts): its 0/1 columns replace the dataset's labels. */
  labels?: LabelTableSpec;
  /**
   * Challenge dx map naming SNOMED CT label codes by their abbreviations
   * (dx_mapping_scored.csv). Default: with a label table, one found beside it
   * or in the dataset folder; without one, none. null: none.
   */
  dxMap?: string | null;
}

/** A label table to join, and how its ids meet the records. */
export interface LabelTableSpec {
  /** CSV file, one row per record. */
  file: string;
  /** Column of record ids (default: detected from its name: filename, ecg_id, record, id, ...). */
  idColumn?: string;
  /** 'exact' (same name), 'number' (same number: HR00001 <-> 00001_lr <-> 1) or 'auto' (default: whichever matches more). */
  match?: 'exact' | 'number' | 'auto';
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
