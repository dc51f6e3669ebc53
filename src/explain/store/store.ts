/**
 * An explanation store on disk: a folder of one Parquet file per table
 * (schema.ts) and store.json, written atomically like every ecgx output.
 * Shards of one cohort are stores too; mergeStores checks that they belong
 * together (same store version, ecgx and onnxruntime, model bytes, config and
 * cohort) and that every shard, hence every record, is there exactly once.
 * The Parquet files hold only data (rows sorted by each table's key); what
 * differs between runs (paths, times) lives in store.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sidecarPath } from '../../models/card.js';
import { writeDirAtomic, writeFileAtomic, type OutputPolicy } from '../../util/atomic-write.js';
import { DataError, FormatError, IoError, asIoError } from '../../util/errors.js';
import { Db, sqlString } from './db.js';
import type { Rows } from './rows.js';
import { MANIFEST, STORE_FORMAT, STORE_VERSION, TABLES, TABLE_NAMES, VIEWS, type TableName, type TableSpec } from './schema.js';

/** What store.json says. */
export interface StoreManifest {
  format: typeof STORE_FORMAT;
  version: number;
  /** The command (or API call) that wrote the rows: 'explain', 'tlc explain', 'predict'. */
  command: string;
  model: { file: string; sha256: string };
  /** What decides the rows besides the model and the records (methods, options, target, seed, the TLC's digest). */
  config: Record<string, unknown>;
  configDigest: string;
  /** The selected records before sharding: count and digest of their ids. */
  cohort: { count: number; digest: string };
  /** Shards of `count` this store holds (all of 0..count-1 once merged; [0] of 1 for a whole run). */
  shards: { count: number; indices: number[] };
  /** Records in this store. */
  records: number;
  tables: Record<string, number>;
  source: Record<string, string>;
  versions: Record<string, string>;
  written: string;
}

/** What a writer supplies; the rest is counted. */
export type ManifestInit = Omit<StoreManifest, 'format' | 'version' | 'records' | 'tables' | 'configDigest' | 'written'>;

/** Canonical JSON (sorted keys) for digests. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Digest of a file's bytes (an IoError naming it when unreadable). */
export function fileDigest(path: string): string {
  try {
    return sha256Hex(readFileSync(path));
  } catch (e) {
    throw asIoError(e, path, 'read');
  }
}

/** Digest of a model: its .onnx bytes, and its sidecar card when it has one. */
export function modelDigest(path: string): string {
  const side = sidecarPath(path);
  return existsSync(side) && side !== path ? sha256Hex(fileDigest(path) + fileDigest(side)) : fileDigest(path);
}

const parquetPath = (dir: string, t: TableName): string => join(dir, `${t}.parquet`);

function copySql(from: string, spec: TableSpec, to: string): string {
  return `COPY (SELECT * FROM ${from} ORDER BY ${spec.order.map((c) => `"${c}"`).join(', ')}) TO ${sqlString(to)} (FORMAT parquet, COMPRESSION zstd${spec.rowGroup ? `, ROW_GROUP_SIZE ${spec.rowGroup}` : ''})`;
}

/** Threads for the writes: one keeps the Parquet bytes independent of the machine (row groups and their order). */
const WRITE_THREADS = 1;

/**
 * A store being written: rows are appended as they come (DuckDB holds them,
 * spilling to disk past its memory limit), so a shard of any size is written
 * with the memory of one slice of records; `finish` sorts each table by its
 * key and writes the folder atomically.
 */
export class StoreWriter {
  private readonly ids = new Set<string>();
  private readonly counts: Record<string, number> = Object.fromEntries(TABLE_NAMES.map((t) => [t, 0]));

  private constructor(private readonly db: Db, private readonly spill: string) {}

  static async open(): Promise<StoreWriter> {
    const spill = mkdtempSync(join(tmpdir(), 'ecgx-store-'));
    const db = await Db.open({ threads: WRITE_THREADS, tempDir: spill });
    for (const t of TABLE_NAMES) await db.createTable(t, TABLES[t]);
    return new StoreWriter(db, spill);
  }

  async add(rows: Rows): Promise<void> {
    for (const r of rows.records) {
      const id = r['id'] as string;
      if (this.ids.has(id)) throw new DataError(`store: record ${id} appears twice (ids must be unique to key the tables)`);
      this.ids.add(id);
    }
    for (const t of TABLE_NAMES) {
      await this.db.append(t, TABLES[t], rows[t]);
      this.counts[t]! += rows[t].length;
    }
  }

  /** Writes the folder `dir` (atomic: it appears complete or not at all) and closes the writer. */
  async finish(dir: string, init: ManifestInit, policy: OutputPolicy = {}): Promise<StoreManifest> {
    try {
      return await writeDirAtomic(dir, async (tmp) => {
        for (const t of TABLE_NAMES) await this.db.run(copySql(t, TABLES[t], parquetPath(tmp, t)), `store ${t}`);
        const manifest = finishManifest(init, this.ids.size, { ...this.counts });
        writeFileAtomic(join(tmp, MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
        return manifest;
      }, policy);
    } finally {
      this.close();
    }
  }

  close(): void {
    this.db.close();
    rmSync(this.spill, { recursive: true, force: true });
  }
}

/** Writes rows as a store folder `dir` in one go. */
export async function writeStore(dir: string, rows: Rows, init: ManifestInit, policy: OutputPolicy = {}): Promise<StoreManifest> {
  const w = await StoreWriter.open();
  try {
    await w.add(rows);
  } catch (e) {
    w.close();
    throw e;
  }
  return w.finish(dir, init, policy);
}

function finishManifest(init: ManifestInit, records: number, tables: Record<string, number>): StoreManifest {
  return { format: STORE_FORMAT, version: STORE_VERSION, ...init, configDigest: sha256Hex(canonical(init.config)), records, tables, written: new Date().toISOString() };
}

/** Reads and checks store.json of a store folder. */
export function readManifest(dir: string): StoreManifest {
  const path = join(resolve(dir), MANIFEST);
  if (!existsSync(resolve(dir))) throw new IoError(resolve(dir), 'no such store folder');
  if (!existsSync(path)) throw new IoError(resolve(dir), `not an explanation store (no ${MANIFEST}; stores are written by 'ecgx explain --store', 'ecgx tlc explain --store', 'ecgx predict --store' or 'ecgx merge')`);
  let m: Partial<StoreManifest>;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Partial<StoreManifest>;
  } catch (e) {
    if (e instanceof SyntaxError) throw new FormatError(path, `not valid JSON (${e.message})`);
    throw asIoError(e, path, 'read');
  }
  if (m.format !== STORE_FORMAT) throw new FormatError(path, `expected format '${STORE_FORMAT}', got ${JSON.stringify(m.format)}`, { field: 'format' });
  if (m.version !== STORE_VERSION) throw new FormatError(path, `store version ${String(m.version)}, this ecgx reads version ${STORE_VERSION} (rewrite it with this ecgx)`, { field: 'version' });
  for (const k of ['command', 'model', 'config', 'configDigest', 'cohort', 'shards', 'versions'] as const) {
    if (m[k] === undefined) throw new FormatError(path, `missing '${k}'`, { field: k });
  }
  for (const t of TABLE_NAMES) if (!existsSync(parquetPath(dir, t))) throw new IoError(parquetPath(resolve(dir), t), `missing: a store holds ${TABLE_NAMES.map((x) => `${x}.parquet`).join(', ')}`);
  return m as StoreManifest;
}

/** Version keys that must agree for stores to merge (node may differ between machines). */
const MERGE_VERSIONS = ['ecgx', 'onnxruntime', 'git'] as const;

/** Why two stores cannot be merged, or undefined when they can. */
function mismatch(a: StoreManifest, b: StoreManifest): string | undefined {
  if (a.command !== b.command) return `written by '${b.command}', the first by '${a.command}'`;
  if (a.model.sha256 !== b.model.sha256) return `made with another model (${b.model.file}, sha256 ${b.model.sha256.slice(0, 12)}; the first: ${a.model.file}, ${a.model.sha256.slice(0, 12)})`;
  for (const k of MERGE_VERSIONS) {
    const va = a.versions[k], vb = b.versions[k];
    if ((va !== undefined || vb !== undefined) && va !== vb) return `written by ${k} ${vb ?? 'unknown'}, the first by ${k} ${va ?? 'unknown'}`;
  }
  if (a.configDigest !== b.configDigest) return `made with another config (${canonical(b.config)}; the first: ${canonical(a.config)})`;
  if (a.cohort.digest !== b.cohort.digest || a.cohort.count !== b.cohort.count) return `a shard of another selection of records (${b.cohort.count} records; the first's: ${a.cohort.count}); give every shard the same --data, --records and --max-records`;
  if (a.shards.count !== b.shards.count) return `cut into ${b.shards.count} shards, the first into ${a.shards.count}`;
  return undefined;
}

/**
 * Merges shard stores into one store `out`: refuses stores that do not belong
 * together, a shard given twice, a missing shard, and a record in two shards.
 */
export async function mergeStores(out: string, dirs: readonly string[], policy: OutputPolicy = {}): Promise<StoreManifest> {
  if (dirs.length === 0) throw new DataError('merge: no shard stores given');
  const ms = dirs.map((d) => readManifest(d));
  const first = ms[0]!;
  ms.forEach((m, i) => {
    const why = mismatch(first, m);
    if (why) throw new DataError(`merge: ${resolve(dirs[i]!)} is ${why}`);
  });
  const seen = new Map<number, string>();
  ms.forEach((m, i) => {
    for (const s of m.shards.indices) {
      const prev = seen.get(s);
      if (prev !== undefined) throw new DataError(`merge: shard ${s}/${first.shards.count} is given twice (${prev} and ${resolve(dirs[i]!)}); each shard once`);
      seen.set(s, resolve(dirs[i]!));
    }
  });
  const missing = Array.from({ length: first.shards.count }, (_, s) => s).filter((s) => !seen.has(s));
  if (missing.length > 0) {
    const list = missing.length > 10 ? `${missing.slice(0, 10).join(', ')}, ... (${missing.length} in all)` : missing.join(', ');
    throw new DataError(`merge: missing shard${missing.length > 1 ? 's' : ''} ${list} of ${first.shards.count}; run ${missing.length > 1 ? 'them' : 'it'} (--shard I/${first.shards.count}) and merge again`);
  }
  const files = (t: TableName): string => `read_parquet([${dirs.map((d) => sqlString(parquetPath(resolve(d), t))).join(', ')}])`;
  return writeDirAtomic(out, async (tmp) => {
    const spill = mkdtempSync(join(tmpdir(), 'ecgx-merge-'));
    const db = await Db.open({ threads: WRITE_THREADS, tempDir: spill });
    try {
      const twice = await db.all(`SELECT id, count(*) AS n FROM ${files('records')} GROUP BY id HAVING count(*) > 1 ORDER BY id LIMIT 3`, 'merge');
      if (twice.rows.length > 0) throw new DataError(`merge: record ${String(twice.rows[0]![0])} appears in more than one shard; the shards overlap (were they cut from different datasets?)`);
      const total = Number((await db.all(`SELECT count(*) FROM ${files('records')}`, 'merge')).rows[0]![0]);
      if (total !== first.cohort.count) throw new DataError(`merge: the shards hold ${total} records, the cohort ${first.cohort.count}; a shard is incomplete (rerun it alone)`);
      const tables: Record<string, number> = {};
      for (const t of TABLE_NAMES) {
        await db.run(copySql(files(t), TABLES[t], parquetPath(tmp, t)), `merge ${t}`);
        tables[t] = ms.reduce((s, m) => s + (m.tables[t] ?? 0), 0);
      }
      const { format: _f, version: _v, records: _r, tables: _t, configDigest: _c, written: _w, ...init } = first;
      const manifest = finishManifest({ ...init, shards: { count: first.shards.count, indices: [...seen.keys()].sort((a, b) => a - b) }, source: { ...first.source, merged: dirs.map((d) => resolve(d)).join(',') } }, total, tables);
      writeFileAtomic(join(tmp, MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
      return manifest;
    } finally {
      db.close();
      rmSync(spill, { recursive: true, force: true });
    }
  }, policy);
}

/** A store opened for SQL: every table and view by name. */
export class StoreQuery {
  private constructor(private readonly db: Db, readonly manifest: StoreManifest) {}

  static async open(dir: string, opts: { threads?: number } = {}): Promise<StoreQuery> {
    const manifest = readManifest(dir);
    const db = await Db.open(opts);
    try {
      for (const t of TABLE_NAMES) await db.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet(${sqlString(parquetPath(resolve(dir), t))})`, `store ${t}`);
      for (const [name, v] of Object.entries(VIEWS)) await db.run(`CREATE VIEW ${name} AS ${v.sql}`, `store ${name}`);
    } catch (e) {
      db.close();
      throw e;
    }
    return new StoreQuery(db, manifest);
  }

  /** Runs SQL; DuckDB's errors become one-line SqlErrors ("query: <DuckDB's message>"). */
  query(sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
    return this.db.all(sql, 'query');
  }

  close(): void {
    this.db.close();
  }
}
