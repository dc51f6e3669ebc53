import { DataError, FormatError } from '../../util/errors.js';
import type { Ecg, EcgMeta } from '../ecg.js';
import { canonicalCode, dxNames, equivalentCodes, type DxMap } from './dx-map.js';
import type { LabelTable } from './label-table.js';
import type { DatasetLayout, EcgDataset, LabelInfo, LabelJoinReport, RecordInfo } from './types.js';

/**
 * Joins a label table to any dataset. Ids meet records by name or by number:
 * - 'exact': the id's file stem equals the record id's last path part
 *   ('../Data/A0001.mat' <-> 'training/A0001');
 * - 'number': both hold exactly one run of digits and the numbers are equal
 *   ('HR00001' <-> '00001_lr' <-> PTB-XL ecg_id '1'), the Challenge's naming
 *   of PTB-XL.
 * 'auto' tries both and keeps the one that joins more records (exact on a tie);
 * a mapping that would give two records (or two rows) the same key is not
 * used, since it cannot say which one a row means.
 *
 * The joined dataset lists only the records that have a row. The table's
 * labels replace the dataset's own (names from two sources must not mix: PTB-XL
 * SCP codes and the Challenge's abbreviations share names such as PAC, with
 * different sources); age, sex and patient id from the table take precedence
 * over the dataset's where the table gives them.
 */
export type LabelMatch = 'exact' | 'number';

/** The file stem of an id or path: '../Data/HR00001.mat' -> 'HR00001', 'records100/00000/00001_lr' -> '00001_lr'. */
export function idStem(id: string): string {
  const base = id.trim().replace(/\\/g, '/').split('/').pop()!;
  return base.replace(/\.(mat|hea|dat|edf|xml|npy|json|csv|h5|hdf5|txt)$/i, '');
}

/** The one number in an id's stem, without leading zeros; undefined when it holds none or several. */
export function idNumber(id: string): string | undefined {
  const runs = idStem(id).match(/\d+/g);
  if (!runs || runs.length !== 1) return undefined;
  return runs[0]!.replace(/^0+(?=\d)/, '');
}

function keyOf(match: LabelMatch, id: string): string | undefined {
  return match === 'exact' ? idStem(id) : idNumber(id);
}

interface Pairing {
  match: LabelMatch;
  /** Row index for each record index (-1: none). */
  rowOf: Int32Array;
  joined: number;
  /** Set when a key is shared: the two ids, for the error. */
  clash?: string;
}

function pair(match: LabelMatch, records: readonly RecordInfo[], table: LabelTable): Pairing {
  const rowByKey = new Map<string, number>();
  const rowOf = new Int32Array(records.length).fill(-1);
  for (let i = 0; i < table.rows.length; i++) {
    const key = keyOf(match, table.rows[i]!.id);
    if (key === undefined) continue;
    const other = rowByKey.get(key);
    if (other !== undefined) return { match, rowOf, joined: 0, clash: `rows '${table.rows[other]!.id}' (line ${table.rows[other]!.line}) and '${table.rows[i]!.id}' (line ${table.rows[i]!.line}) both give key '${key}'` };
    rowByKey.set(key, i);
  }
  const recByKey = new Map<string, number>();
  let joined = 0;
  for (let j = 0; j < records.length; j++) {
    const key = keyOf(match, records[j]!.id);
    if (key === undefined) continue;
    const other = recByKey.get(key);
    if (other !== undefined) return { match, rowOf, joined: 0, clash: `records '${records[other]!.id}' and '${records[j]!.id}' both give key '${key}'` };
    recByKey.set(key, j);
    const row = rowByKey.get(key);
    if (row !== undefined) {
      rowOf[j] = row;
      joined++;
    }
  }
  return { match, rowOf, joined };
}

/** The dataset with the table's labels, age, sex and patient ids; only records with a row. */
export function joinLabelTable(ds: EcgDataset, table: LabelTable, opts: { match?: LabelMatch | 'auto' } = {}): EcgDataset {
  const records = ds.records();
  const want = opts.match ?? 'auto';
  const tries = want === 'auto' ? (['exact', 'number'] as const).map((m) => pair(m, records, table)) : [pair(want, records, table)];
  const usable = tries.filter((p) => p.clash === undefined);
  const best = usable.sort((a, b) => b.joined - a.joined)[0];
  const field = table.idColumn;
  if (want !== 'auto' && tries[0]!.clash !== undefined) throw new DataError(`${table.file} (${field}): matching ids to records by ${want} is ambiguous: ${tries[0]!.clash}`);
  if (!best || best.joined === 0) {
    const sample = (xs: string[]): string => xs.slice(0, 2).map((x) => `'${x}'`).join(', ');
    const clashes = tries.filter((p) => p.clash).map((p) => `; by ${p.match}: ${p.clash}`).join('');
    throw new FormatError(table.file, `no id matches a record of ${ds.root} (ids such as ${sample(table.rows.map((r) => r.id))}; records such as ${sample(records.map((r) => r.id))}; tried ${tries.map((p) => p.match).join(' and ')} matching${clashes})`, { field });
  }

  const used = new Uint8Array(table.rows.length);
  const joined: RecordInfo[] = [];
  const missing: string[] = [];
  records.forEach((r, j) => {
    const k = best.rowOf[j]!;
    if (k < 0) {
      missing.push(r.id);
      return;
    }
    used[k] = 1;
    const row = table.rows[k]!;
    const meta: EcgMeta = { ...r.meta, labels: [...row.labels] };
    if (row.age !== undefined) meta.age = row.age;
    if (row.sex !== undefined) meta.sex = row.sex;
    if (row.patientId !== undefined) meta.patientId = row.patientId;
    joined.push(r.fold !== undefined ? { id: r.id, meta, fold: r.fold } : { id: r.id, meta });
  });
  const unused = table.rows.filter((_, k) => !used[k]).map((r) => r.id);
  const report: LabelJoinReport = {
    file: table.file,
    idColumn: table.idColumn,
    idColumnFrom: table.idColumnFrom,
    match: best.match,
    matchFrom: want === 'auto' ? 'detected' : 'given',
    records: records.length,
    joined: joined.length,
    recordsWithoutRow: missing.length,
    rowsWithoutRecord: unused.length,
    examples: { recordsWithoutRow: missing.slice(0, 5), rowsWithoutRecord: unused.slice(0, 5) },
    labelColumns: table.labels.flatMap((l) => l.columns),
    metaColumns: table.metaColumns,
    ignoredColumns: table.ignoredColumns,
    merged: table.merged,
    dxMap: table.dxMap,
  };
  const info: Record<string, LabelInfo> = {};
  for (const l of table.labels) {
    info[l.name] = { code: l.code };
    if (l.description !== undefined) info[l.name]!.description = l.description;
    if (l.merged !== undefined) info[l.name]!.merged = l.merged;
  }
  return new RelabelledDataset(ds, joined, { labels: table.labels.map((l) => l.name) }, info, report, `no label row for it in ${table.file}`);
}

/**
 * The dataset with its SNOMED CT labels (e.g. Challenge headers' `Dx:` codes)
 * named by a dx map's abbreviations, equivalent codes merged. Labels that are
 * not codes keep their names.
 */
export function applyDxMap(ds: EcgDataset, map: DxMap): EcgDataset {
  const sets = ds.labelSets();
  const all = [...new Set([...Object.values(sets).flat(), ...ds.records().flatMap((r) => r.meta.labels ?? [])])];
  const codes = [...new Set(all.map(canonicalCode))];
  const names = dxNames(codes, map);
  const rename = (l: string): string => names.get(canonicalCode(l)) ?? l;
  const records = ds.records().map((r) => (r.meta.labels ? { ...r, meta: { ...r.meta, labels: [...new Set(r.meta.labels.map(rename))] } } : r));
  const info: Record<string, LabelInfo> = {};
  for (const c of codes) {
    const e = map.byCode.get(c);
    if (!e) continue;
    const i: LabelInfo = { code: c };
    if (e.description) i.description = e.description;
    const eq = equivalentCodes(c);
    if (eq.length > 0) i.merged = eq;
    info[names.get(c)!] = i;
  }
  const renamedSets = Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, [...new Set(v.map(rename))]]));
  return new RelabelledDataset(ds, records, renamedSets, info, undefined, 'not listed');
}

/** A dataset whose record list and metadata come from a join; signals from the dataset underneath. */
class RelabelledDataset implements EcgDataset {
  readonly layout: DatasetLayout;
  readonly root: string;
  readonly fs: number;
  private readonly byId: Map<string, RecordInfo>;

  constructor(
    private readonly base: EcgDataset,
    private readonly infos: RecordInfo[],
    private readonly sets: Record<string, string[]>,
    private readonly info: Record<string, LabelInfo>,
    readonly labelJoin: LabelJoinReport | undefined,
    private readonly whyMissing: string,
  ) {
    this.layout = base.layout;
    this.root = base.root;
    this.fs = base.fs;
    this.byId = new Map(infos.map((r) => [r.id, r]));
  }

  records(): RecordInfo[] {
    return this.infos.map((r) => ({ ...r }));
  }

  close(): void {
    this.base.close?.();
  }

  labelSets(): Record<string, string[]> {
    return structuredClone(this.sets);
  }

  labelInfo(): Record<string, LabelInfo> {
    return structuredClone(this.info);
  }

  folds(): number[] | undefined {
    const own = this.base.folds();
    if (!own) return undefined;
    const present = new Set(this.infos.map((r) => r.fold));
    return own.filter((f) => present.has(f));
  }

  private joined(id: string): RecordInfo {
    const r = this.byId.get(id);
    if (!r) throw new DataError(`record ${id} of ${this.root}: ${this.base.records().some((b) => b.id === id) ? this.whyMissing : 'no such record'}`);
    return r;
  }

  async load(id: string): Promise<Ecg> {
    const r = this.joined(id);
    const ecg = await this.base.load(id);
    ecg.meta = structuredClone(r.meta);
    return ecg;
  }

  /** Streams through the dataset underneath (which may read in blocks), in its file order, which is this list's order. */
  async *iterate(ids?: string[]): AsyncIterable<Ecg> {
    const want = ids ? new Set(ids) : undefined;
    if (want) for (const id of want) this.joined(id);
    const order = want ? this.infos.filter((r) => want.has(r.id)) : this.infos;
    let k = 0;
    for await (const ecg of this.base.iterate(order.map((r) => r.id))) {
      ecg.meta = structuredClone(order[k++]!.meta);
      yield ecg;
    }
  }
}
