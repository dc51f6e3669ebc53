import { existsSync, statSync } from 'node:fs';
import { DataError, IoError, OptionError } from '../../util/errors.js';
import { isCode15Dir, openCode15 } from './code15.js';
import { isLudbDir, openLudb } from './ludb.js';
import { isPtbxlDir, openPtbxl } from './ptbxl.js';
import { hasWfdbRecords, openWfdbFolder } from './wfdb-folder.js';
import { readDxMap } from './dx-map.js';
import { readLabelTable } from './label-table.js';
import { applyDxMap, joinLabelTable } from './label-join.js';
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
    description: 'PTB-XL: records100/ and/or records500/, with ptbxl_database.csv and scp_statements.csv when present',
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
    `${dir}: no dataset found (expected ptbxl_database.csv or records100/|records500/ for PTB-XL, exams.csv + exams_part*.hdf5 for CODE-15%, ludb.csv + data/ for LUDB, or WFDB .hea records)`,
  );
}

/**
 * Opens a dataset folder, detecting its layout unless `opts.layout` names one;
 * with `opts.labels`, joins that label table (see label-join.ts), and with
 * `opts.dxMap` alone, names the dataset's SNOMED CT labels by the map.
 */
export async function openDataset(dir: string, opts: OpenDatasetOptions = {}): Promise<EcgDataset> {
  if (opts.layout !== undefined && !(opts.layout in DATASETS)) throw new OptionError('layout', `expected one of ${DATASET_LAYOUTS.join('|')}, got '${String(opts.layout)}'`);
  if (opts.fs !== undefined && opts.fs !== 100 && opts.fs !== 500) throw new OptionError('fs', `expected 100 or 500 (PTB-XL's two folders), got ${String(opts.fs)}`);
  requireFolder(dir);
  if (opts.labels !== undefined && opts.labels.match !== undefined && !['exact', 'number', 'auto'].includes(opts.labels.match)) {
    throw new OptionError('labels.match', `expected exact|number|auto, got '${String(opts.labels.match)}'`);
  }
  const layout = opts.layout ?? detectLayout(dir);
  const ds = await DATASETS[layout].open(dir, opts);
  if (opts.labels !== undefined) {
    const { file, idColumn, match } = opts.labels;
    const table = readLabelTable(file, { ...(idColumn !== undefined ? { idColumn } : {}), ...(opts.dxMap !== undefined ? { dxMap: opts.dxMap } : {}), dxMapSearch: [ds.root] });
    return joinLabelTable(ds, table, match !== undefined ? { match } : {});
  }
  if (opts.dxMap) return applyDxMap(ds, readDxMap([opts.dxMap]));
  return ds;
}
