/**
 * The flags that say how to read a dataset beyond its folder: a label table
 * to join and a Challenge dx map. Every command that takes --data can spread
 * DATA_FLAGS into its option table, append DATA_FLAGS_USAGE to its help, and
 * pass dataOptions(values) to openDataset.
 */
import { OptionError } from '../util/errors.js';
import type { OpenDatasetOptions } from '../data/datasets/types.js';
import { choiceOption } from './command.js';

export const DATA_FLAGS = {
  labels: { type: 'string' },
  'label-id': { type: 'string' },
  'label-match': { type: 'string' },
  'dx-map': { type: 'string' },
} as const;

export const DATA_FLAGS_USAGE = `Labels from a table (any dataset):
  --labels FILE.csv   join a label table: one row per record; its 0/1 columns become the labels
                      (replacing the dataset's own), age/sex/gender/patient_id columns metadata.
                      Records without a row are left out; both counts are reported
  --label-id COLUMN   the table's record-id column (default: detected: ecg_id, record, filename, id, ...)
  --label-match M     how ids meet records: exact (same file stem), number (same number:
                      HR00001 = 00001_lr = ecg_id 1), auto (default: whichever joins more)
  --dx-map FILE|none  Challenge dx_mapping_scored.csv: SNOMED CT codes shown by abbreviation, equivalent
                      codes merged (default with --labels: one beside the table or in the dataset folder)`;

export interface DataFlagValues {
  labels?: string;
  'label-id'?: string;
  'label-match'?: string;
  'dx-map'?: string;
}

/** The openDataset options the data flags ask for ({} when none is given). */
export function dataOptions(values: DataFlagValues): Pick<OpenDatasetOptions, 'labels' | 'dxMap'> {
  const out: Pick<OpenDatasetOptions, 'labels' | 'dxMap'> = {};
  const match = choiceOption('--label-match', values['label-match'], ['exact', 'number', 'auto'] as const);
  if (values.labels === undefined) {
    if (values['label-id'] !== undefined) throw new OptionError('--label-id', 'needs --labels FILE.csv');
    if (match !== undefined) throw new OptionError('--label-match', 'needs --labels FILE.csv');
  } else {
    if (values.labels.trim() === '') throw new OptionError('--labels', 'expected a CSV file, got an empty path');
    out.labels = { file: values.labels };
    if (values['label-id'] !== undefined) out.labels.idColumn = values['label-id'];
    if (match !== undefined) out.labels.match = match;
  }
  const dx = values['dx-map'];
  if (dx !== undefined) {
    if (dx.trim() === '') throw new OptionError('--dx-map', 'expected a CSV file or none, got an empty path');
    out.dxMap = dx === 'none' ? null : dx;
  }
  return out;
}

/** Splits a comma-separated --data list of folders; an empty item ('A,' or 'A,,B') is an error, not skipped. */
export function parseDataList(text: string, flag = '--data'): string[] {
  const items = text.split(',').map((s) => s.trim());
  const empty = items.findIndex((s) => s === '');
  if (empty >= 0) throw new OptionError(flag, `item ${empty + 1} of '${text}' is empty (expected DIR[,DIR...])`);
  return items;
}
