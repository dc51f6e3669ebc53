import { existsSync, statSync } from 'node:fs';
import { DataError, IoError, OptionError } from '../../util/errors.js';
import { isCode15Dir, openCode15 } from './code15.js';
import { isLudbDir, openLudb } from './ludb.js';
import { isPtbxlDir, openPtbxl } from './ptbxl.js';
import { hasWfdbRecords, openWfdbFolder } from './wfdb-folder.js';
import type { DatasetLayout, DatasetLoader, EcgDataset, OpenDatasetOptions } from './types.js';

/**
 * The dataset registry: layout name -> how to recognise and open it. Detection
 * tries the layouts in this order; the plain WFDB folder comes last because
 * LUDB and PTB-XL folders hold WFDB records too. (h5wasm, for CODE-15%, is
 * loaded only when an HDF5 file is first opened.)
 */
export const DATASETS: Readonly<Record<DatasetLayout, DatasetLoader>> = {
  ptbxl: {
    layout: 'ptbxl',
    description: 'PTB-XL: ptbxl_database.csv, scp_statements.csv, records100/ and/or records500/',
    detect: isPtbxlDir,
    open: openPtbxl,
  },
  code15: {
    layout: 'code15',
    description: 'CODE-15%: exams.csv and exams_part*.hdf5 (tracings [N, 4096, 12] at 400 Hz)',
    detect: isCode15Dir,
    open: openCode15,
  },
  ludb: {
    layout: 'ludb',
    description: 'LUDB: ludb.csv and data/<n>.hea/.dat with per-lead wave annotations',
    detect: isLudbDir,
    open: openLudb,
  },
  wfdb: {
    layout: 'wfdb',
    description: 'any folder of WFDB records (.hea/.dat), searched recursively',
    detect: hasWfdbRecords,
    open: openWfdbFolder,
  },
};

export const DATASET_LAYOUTS = Object.keys(DATASETS) as DatasetLayout[];

function requireFolder(dir: string): void {
  if (!existsSync(dir)) throw new IoError(dir, 'folder not found');
  if (!statSync(dir).isDirectory()) throw new IoError(dir, 'not a folder (expected a dataset folder)');
}

/** The layout of a dataset folder; a DataError naming the folder when none fits. */
export function detectLayout(dir: string): DatasetLayout {
  requireFolder(dir);
  for (const loader of Object.values(DATASETS)) if (loader.detect(dir)) return loader.layout;
  throw new DataError(
    `${dir}: no dataset found (expected ptbxl_database.csv for PTB-XL, exams.csv + exams_part*.hdf5 for CODE-15%, ludb.csv + data/ for LUDB, or WFDB .hea records)`,
  );
}

/** Opens a dataset folder, detecting its layout unless `opts.layout` names one. */
export async function openDataset(dir: string, opts: OpenDatasetOptions = {}): Promise<EcgDataset> {
  if (opts.layout !== undefined && !(opts.layout in DATASETS)) throw new OptionError('layout', `expected one of ${DATASET_LAYOUTS.join('|')}, got '${String(opts.layout)}'`);
  if (opts.fs !== undefined && opts.fs !== 100 && opts.fs !== 500) throw new OptionError('fs', `expected 100 or 500 (PTB-XL's two folders), got ${String(opts.fs)}`);
  requireFolder(dir);
  const layout = opts.layout ?? detectLayout(dir);
  return DATASETS[layout].open(dir, opts);
}
