import { dirname, resolve } from 'node:path';
import { FormatError } from '../../util/errors.js';
import type { Sex } from '../ecg.js';
import { readCsv, type CsvTable } from './csv.js';
import { canonicalCode, dxNames, equivalentCodes, findDxMap, readDxMap, type DxMap } from './dx-map.js';
import type { LabelInfo, LabelJoinReport } from './types.js';

/**
 * A label table: one row per record, an id column, and 0/1 columns that
 * become labels (e.g. the PhysioNet/CinC Challenge's per-code columns). Age,
 * sex/gender and patient id columns become metadata; other columns are not
 * used (and listed as such). A column is read as labels when every cell is
 * 0 or 1 (also written 0.0/1.0, true/false); a column that looks meant as
 * labels (a SNOMED CT code as its name, a code of the dx map, or 0/1 in at
 * least 90% of its cells) but holds another value is an error naming the
 * file, line and column, since dropping it silently would change the task.
 * Codes the Challenge scores as one (CHALLENGE_EQUIVALENT_CODES) are merged
 * into one label, as its scoring does.
 */
export interface LabelTableOptions {
  /** Column of record ids (default: detected by name, else the first column). */
  idColumn?: string;
  /** Dx map file naming SNOMED CT codes; null: none; default: found beside the table or in `dxMapSearch`. */
  dxMap?: string | null;
  /** Further folders to look for a dx map in, after the table's own (the dataset folder). */
  dxMapSearch?: string[];
}

/** One label of the table: its name and the column(s) it is read from. */
export interface LabelColumn extends LabelInfo {
  name: string;
  /** Table columns OR-ed into this label (more than one when equivalent codes were merged). */
  columns: string[];
  /** Rows with the label. */
  positives: number;
}

export interface LabelRow {
  /** The id cell as written ('../Data/HR00001.mat'). */
  id: string;
  line: number;
  labels: string[];
  age?: number;
  sex?: Sex;
  patientId?: string;
}

export interface LabelTable {
  file: string;
  idColumn: string;
  idColumnFrom: 'given' | 'detected';
  labels: LabelColumn[];
  rows: LabelRow[];
  metaColumns: string[];
  ignoredColumns: string[];
  merged: [string, string][];
  dxMap: LabelJoinReport['dxMap'];
}

/** Id column names, most specific first (compared case-insensitively). */
const ID_NAMES = ['ecg_id', 'record_id', 'record', 'recording', 'filename', 'file', 'exam_id', 'id', 'name'];
const AGE_NAMES = ['age'];
const SEX_NAMES = ['sex', 'gender'];
const PATIENT_NAMES = ['patient_id', 'patient'];
const MISSING = new Set(['', 'nan', 'na', 'n/a', 'none', 'null', 'unknown']);
/** SNOMED CT identifiers are 6-18 digits. */
const SNOMED = /^\d{6,18}$/;
const MAX_AGE = 150;

function binary(cell: string): 0 | 1 | undefined {
  const v = cell.trim().toLowerCase();
  if (v === 'true' || /^1(\.0+)?$/.test(v)) return 1;
  if (v === 'false' || /^0(\.0+)?$/.test(v)) return 0;
  return undefined;
}

function findColumn(header: string[], names: readonly string[]): number {
  for (const n of names) {
    const k = header.findIndex((h) => h.trim().toLowerCase() === n);
    if (k >= 0) return k;
  }
  return -1;
}

function resolveDxMap(file: string, opts: LabelTableOptions): { map: DxMap; report: NonNullable<LabelJoinReport['dxMap']> } | undefined {
  if (opts.dxMap === null) return undefined;
  if (opts.dxMap !== undefined) {
    const path = resolve(opts.dxMap);
    return { map: readDxMap([path]), report: { files: [path], from: 'given' } };
  }
  const beside = findDxMap([dirname(file)]);
  if (beside.length > 0) return { map: readDxMap(beside), report: { files: beside, from: 'beside the label table' } };
  const inData = findDxMap(opts.dxMapSearch ?? []);
  if (inData.length > 0) return { map: readDxMap(inData), report: { files: inData, from: 'in the dataset folder' } };
  return undefined;
}

/** Reads a label table; format problems are FormatErrors naming the file, line and column. */
export function readLabelTable(path: string, opts: LabelTableOptions = {}): LabelTable {
  const file = resolve(path);
  const table: CsvTable = readCsv(file);
  const { header } = table;
  if (table.rows.length === 0) throw new FormatError(file, 'no rows (expected one row per record under the header)');

  let idCol: number;
  if (opts.idColumn !== undefined) {
    idCol = header.indexOf(opts.idColumn);
    if (idCol < 0) throw new FormatError(file, `no id column '${opts.idColumn}' (header has: ${header.join(', ')})`, { field: opts.idColumn });
  } else {
    idCol = findColumn(header, ID_NAMES);
    if (idCol < 0) idCol = 0;
  }
  const idName = header[idCol]!;
  const ageCol = findColumn(header, AGE_NAMES);
  const sexCol = findColumn(header, SEX_NAMES);
  const patientCol = findColumn(header, PATIENT_NAMES);
  const dx = resolveDxMap(file, opts);

  // Classify the other columns.
  const labelCols: number[] = [];
  const ignored: string[] = [];
  header.forEach((name, k) => {
    if (k === idCol || k === ageCol || k === sexCol || k === patientCol) return;
    const code = name.trim();
    let ones = 0;
    let filled = 0;
    let bad = -1;
    table.rows.forEach((r, i) => {
      const cell = r[k]!.trim();
      if (cell === '') return;
      filled++;
      if (binary(cell) !== undefined) ones++;
      else if (bad < 0) bad = i;
    });
    if (filled === table.rows.length && bad < 0) {
      labelCols.push(k);
      return;
    }
    const meantAsLabel = SNOMED.test(code) || dx?.map.byCode.has(code) === true || (filled > 0 && ones >= 0.9 * filled);
    if (!meantAsLabel) {
      ignored.push(name);
      return;
    }
    const at = bad >= 0 ? bad : table.rows.findIndex((r) => r[k]!.trim() === '');
    const cell = table.rows[at]![k]!;
    throw new FormatError(file, `expected 0 or 1 in label column '${name}', got ${cell.trim() === '' ? 'an empty cell' : `'${cell}'`}`, { line: table.lines[at]!, field: name });
  });
  if (labelCols.length === 0) {
    throw new FormatError(file, `no label columns (expected columns of 0/1 beside the id column '${idName}'; header has: ${header.join(', ')})`);
  }

  // Merge the Challenge's equivalent codes: each label is one canonical code (or a plain column name).
  const byKey = new Map<string, number[]>();
  for (const k of labelCols) {
    const name = header[k]!.trim();
    const key = canonicalCode(name);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push(k);
  }
  const merged: [string, string][] = [];
  for (const [key, cols] of byKey) for (const k of cols) if (header[k]!.trim() !== key) merged.push([header[k]!.trim(), key]);
  const keys = [...byKey.keys()];
  const names = dx ? dxNames(keys, dx.map) : new Map(keys.map((k) => [k, k]));
  const labels: LabelColumn[] = keys.map((key) => {
    const entry = dx?.map.byCode.get(key);
    const info: LabelColumn = { name: names.get(key)!, code: key, columns: byKey.get(key)!.map((k) => header[k]!), positives: 0 };
    if (entry?.description) info.description = entry.description;
    const eq = equivalentCodes(key);
    if (eq.length > 0 && SNOMED.test(key)) info.merged = eq;
    return info;
  });
  const nameOf = new Map(keys.map((key, j) => [key, j]));

  const rows: LabelRow[] = [];
  const seen = new Map<string, number>();
  table.rows.forEach((r, i) => {
    const line = table.lines[i]!;
    const id = r[idCol]!.trim();
    if (id === '') throw new FormatError(file, `empty id (expected a record id in column '${idName}')`, { line, field: idName });
    const before = seen.get(id);
    if (before !== undefined) throw new FormatError(file, `id '${id}' appears twice (lines ${before} and ${line})`, { line, field: idName });
    seen.set(id, line);
    const row: LabelRow = { id, line, labels: [] };
    const on = new Set<number>();
    for (const k of labelCols) if (binary(r[k]!) === 1) on.add(nameOf.get(canonicalCode(header[k]!.trim()))!);
    for (const j of [...on].sort((a, b) => a - b)) {
      row.labels.push(labels[j]!.name);
      labels[j]!.positives++;
    }
    if (ageCol >= 0) {
      const cell = r[ageCol]!.trim();
      const age = Number(cell);
      // The Challenge writes an unknown age as -1 (or NaN).
      if (!MISSING.has(cell.toLowerCase()) && age !== -1) {
        if (!Number.isFinite(age) || age < 0 || age > MAX_AGE) throw new FormatError(file, `expected an age in years (0-${MAX_AGE}; -1, NaN or empty for unknown), got '${cell}'`, { line, field: header[ageCol]! });
        row.age = age;
      }
    }
    if (sexCol >= 0) {
      const cell = r[sexCol]!.trim();
      const v = cell.toLowerCase();
      if (v === 'm' || v === 'male') row.sex = 'M';
      else if (v === 'f' || v === 'female') row.sex = 'F';
      else if (!MISSING.has(v)) throw new FormatError(file, `expected Male/Female (or M/F; empty or Unknown for unknown), got '${cell}'`, { line, field: header[sexCol]! });
    }
    if (patientCol >= 0) {
      const cell = r[patientCol]!.trim().replace(/\.0+$/, '');
      if (!MISSING.has(cell.toLowerCase())) row.patientId = cell;
    }
    rows.push(row);
  });

  return {
    file,
    idColumn: idName,
    idColumnFrom: opts.idColumn !== undefined ? 'given' : 'detected',
    labels,
    rows,
    metaColumns: [ageCol, sexCol, patientCol].filter((k) => k >= 0).map((k) => header[k]!),
    ignoredColumns: ignored,
    merged,
    dxMap: dx?.report ?? null,
  };
}
