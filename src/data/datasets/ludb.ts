import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError, FormatError, IoError } from '../../util/errors.js';
import type { Ecg, EcgMeta } from '../ecg.js';
import { readHeader, readRecord } from '../wfdb/index.js';
import { readCsv, requireColumns } from './csv.js';
import { readWaveFiles } from './waves.js';
import type { EcgDataset, OpenDatasetOptions, RecordInfo } from './types.js';

/**
 * LUDB (Kalyakulina et al. 2020, PhysioNet): `ludb.csv` and `data/<n>.hea/.dat`
 * with cardiologists' P/QRS/T boundaries per lead in `data/<n>.i ... .v6`.
 * Labels are the diagnoses of ludb.csv, one per line of its diagnosis
 * columns, spelled exactly as there (e.g. 'Sinus rhythm', 'Electric axis of
 * the heart: normal', 'Left ventricular hypertrophy'); note that some contain
 * commas ('Atrial flutter, typical').
 */
const CSV = 'ludb.csv';

/** ludb.csv diagnosis columns -> label set names. */
export const LUDB_LABEL_COLUMNS: Readonly<Record<string, string>> = {
  Rhythms: 'rhythm',
  'Electric axis of the heart': 'axis',
  'Conduction abnormalities': 'conduction',
  Extrasystolies: 'extrasystole',
  Hypertrophies: 'hypertrophy',
  'Cardiac pacing': 'pacing',
  Ischemia: 'ischemia',
  'Non-specific repolarization abnormalities': 'repolarization',
  'Other states': 'other',
};

export function isLudbDir(dir: string): boolean {
  return existsSync(join(dir, CSV)) && existsSync(join(dir, 'data')) && statSync(join(dir, 'data')).isDirectory();
}

/** Opens LUDB: metadata from ludb.csv, checked against the headers in data/. */
export async function openLudb(dir: string, opts: OpenDatasetOptions = {}): Promise<EcgDataset> {
  const root = resolve(dir);
  const csvPath = join(root, CSV);
  const table = readCsv(csvPath);
  const labelColumns = Object.keys(LUDB_LABEL_COLUMNS);
  const col = requireColumns(table, ['ID', 'Sex', 'Age', ...labelColumns]);
  const sets = new Map<string, Set<string>>(Object.values(LUDB_LABEL_COLUMNS).map((s) => [s, new Set()]));
  let fs = 0;
  const records: RecordInfo[] = table.rows.map((r, k) => {
    const line = table.lines[k]!;
    const id = r[col.ID]!.trim();
    if (!/^\d+$/.test(id)) throw new FormatError(csvPath, `expected a record number, got '${r[col.ID]}'`, { line, field: 'ID' });
    const base = join(root, 'data', id);
    if (!existsSync(base + '.hea')) throw new IoError(base + '.hea', `record ${id} is listed in ${csvPath}:${line} but missing on disk`);
    const header = readHeader(base);
    if (fs === 0) fs = header.fs;
    else if (header.fs !== fs) throw new FormatError(base + '.hea', `sampling rate ${header.fs} Hz differs from the other records' ${fs} Hz`, { field: 'sampling frequency' });
    const meta: EcgMeta = { recordId: id, cohort: 'ludb', sourcePath: base + '.hea', labels: [] };
    const sex = r[col.Sex]!.trim();
    if (sex === 'M' || sex === 'F') meta.sex = sex;
    else if (sex !== '') throw new FormatError(csvPath, `expected M or F, got '${sex}'`, { line, field: 'Sex' });
    const ageText = r[col.Age]!.trim();
    if (ageText !== '') {
      // LUDB writes ages of 90 and above as '>89' (de-identification); they become 90.
      const age = ageText === '>89' ? 90 : Number(ageText);
      if (!Number.isFinite(age)) throw new FormatError(csvPath, `expected an age in years or '>89', got '${ageText}'`, { line, field: 'Age' });
      meta.age = age;
      if (ageText === '>89') meta.extra = { age_note: '>89' };
    }
    for (const c of labelColumns) {
      for (const label of r[col[c]]!.split('\n').map((s) => s.trim()).filter((s) => s !== '')) {
        if (!meta.labels!.includes(label)) meta.labels!.push(label);
        sets.get(LUDB_LABEL_COLUMNS[c]!)!.add(label);
      }
    }
    return { id, meta };
  });
  if (records.length === 0) throw new DataError(`${csvPath}: no records listed`);
  const labelSets = Object.fromEntries([...sets].map(([name, s]) => [name, [...s].sort()]));
  return new LudbDataset(root, fs, records, labelSets, opts.checksum ?? 'error');
}

class LudbDataset implements EcgDataset {
  readonly layout = 'ludb' as const;
  private readonly byId: Map<string, RecordInfo>;

  constructor(
    readonly root: string,
    readonly fs: number,
    private readonly infos: RecordInfo[],
    private readonly sets: Record<string, string[]>,
    private readonly checksum: 'error' | 'warn',
  ) {
    this.byId = new Map(infos.map((r) => [r.id, r]));
  }

  records(): RecordInfo[] {
    return this.infos;
  }

  labelSets(): Record<string, string[]> {
    return this.sets;
  }

  folds(): undefined {
    return undefined;
  }

  async load(id: string): Promise<Ecg> {
    const info = this.byId.get(id);
    if (!info) throw new DataError(`no record ${id} in ${this.root} (${CSV})`);
    const base = join(this.root, 'data', id);
    const { ecg } = readRecord(base, { checksum: this.checksum });
    ecg.meta = structuredClone(info.meta);
    const waves = readWaveFiles(base, ecg.leads);
    if (waves) ecg.waves = waves;
    return ecg;
  }

  async *iterate(ids?: string[]): AsyncIterable<Ecg> {
    const want = ids ? new Set(ids) : undefined;
    if (want) for (const id of want) if (!this.byId.has(id)) throw new DataError(`no record ${id} in ${this.root} (${CSV})`);
    for (const r of this.infos) if (!want || want.has(r.id)) yield await this.load(r.id);
  }
}
