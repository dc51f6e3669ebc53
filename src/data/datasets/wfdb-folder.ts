import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { DataError, IoError } from '../../util/errors.js';
import type { Ecg } from '../ecg.js';
import { commentsToMeta, readHeader, readRecord } from '../wfdb/index.js';
import { readWaveFiles } from './waves.js';
import type { EcgDataset, OpenDatasetOptions, RecordInfo } from './types.js';

/**
 * Any folder of WFDB records: every `.hea` under it, recursively (hidden
 * folders and node_modules skipped), in natural path order. The record id is
 * the path relative to the folder without `.hea` ('data/1'). Metadata and
 * labels come from header comments (PhysioNet Challenge `Age:`/`Sex:`/`Dx:` or
 * LUDB `<age>:`/`<diagnoses>:` style); per-lead wave annotation files beside a
 * record are read as in LUDB. Multi-segment records are skipped.
 */
function* headerFiles(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const name of names) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) yield* headerFiles(p);
    else if (name.toLowerCase().endsWith('.hea')) yield p;
  }
}

export function hasWfdbRecords(dir: string): boolean {
  return !headerFiles(dir).next().done;
}

export async function openWfdbFolder(dir: string, opts: OpenDatasetOptions = {}): Promise<EcgDataset> {
  const root = resolve(dir);
  try {
    if (!statSync(root).isDirectory()) throw new IoError(dir, 'not a folder');
  } catch (e) {
    if (e instanceof IoError) throw e;
    throw new IoError(dir, 'folder not found');
  }
  const records: (RecordInfo & { base: string })[] = [];
  const rates = new Map<number, number>();
  for (const file of headerFiles(root)) {
    const header = readHeader(file);
    if (header.nSegments !== undefined) continue;
    const base = file.slice(0, -'.hea'.length);
    const id = relative(root, base).split(sep).join('/');
    records.push({ id, meta: commentsToMeta(header.comments, id, file), base });
    rates.set(header.fs, (rates.get(header.fs) ?? 0) + 1);
  }
  if (records.length === 0) throw new DataError(`${dir}: no WFDB records (expected .hea files in the folder or below it)`);
  const fs = [...rates].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  return new WfdbFolderDataset(root, fs, records, opts.checksum ?? 'error');
}

class WfdbFolderDataset implements EcgDataset {
  readonly layout = 'wfdb' as const;
  private readonly byId: Map<string, RecordInfo & { base: string }>;

  constructor(
    readonly root: string,
    readonly fs: number,
    private readonly infos: (RecordInfo & { base: string })[],
    private readonly checksum: 'error' | 'warn',
  ) {
    this.byId = new Map(infos.map((r) => [r.id, r]));
  }

  records(): RecordInfo[] {
    return this.infos.map(({ id, meta }) => ({ id, meta }));
  }

  /** `labels`: every label found in the header comments, sorted. */
  labelSets(): Record<string, string[]> {
    return { labels: [...new Set(this.infos.flatMap((r) => r.meta.labels ?? []))].sort() };
  }

  folds(): undefined {
    return undefined;
  }

  async load(id: string): Promise<Ecg> {
    const info = this.byId.get(id);
    if (!info) throw new DataError(`no record ${id} under ${this.root}`);
    const { ecg } = readRecord(info.base, { checksum: this.checksum });
    ecg.meta = structuredClone(info.meta);
    const waves = readWaveFiles(info.base, ecg.leads);
    if (waves) ecg.waves = waves;
    return ecg;
  }

  async *iterate(ids?: string[]): AsyncIterable<Ecg> {
    const want = ids ? new Set(ids) : undefined;
    if (want) for (const id of want) if (!this.byId.has(id)) throw new DataError(`no record ${id} under ${this.root}`);
    for (const r of this.infos) if (!want || want.has(r.id)) yield await this.load(r.id);
  }
}
