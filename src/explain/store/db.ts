/**
 * DuckDB, as the store uses it: an in-memory database that never fetches
 * anything (extension auto-install and auto-load are off; Parquet is built
 * into the package), rows appended column-wise in chunks, and DuckDB's errors
 * turned into one-line typed errors.
 */
import {
  BOOLEAN, DOUBLE, DuckDBDataChunk, DuckDBInstance, FLOAT, INTEGER, LIST, SMALLINT, VARCHAR, listValue,
  type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { DataError, EcgxError } from '../../util/errors.js';
import type { ColumnType, Row, TableSpec } from './schema.js';

const TYPES: Record<ColumnType, DuckDBType> = {
  VARCHAR, INTEGER, SMALLINT, FLOAT, DOUBLE, BOOLEAN,
  'VARCHAR[]': LIST(VARCHAR), 'INTEGER[]': LIST(INTEGER), 'SMALLINT[]': LIST(SMALLINT), 'FLOAT[]': LIST(FLOAT),
};

/** A failed SQL statement: DuckDB's own message, on one line. */
export class SqlError extends EcgxError {
  constructor(message: string) {
    super('sql', message);
  }
}

/** DuckDB's message without its multi-line caret display ("LINE 1: ... ^"), on one line. */
export function sqlMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').map((l) => l.trim());
  const cut = lines.findIndex((l) => /^LINE \d+:/.test(l));
  return (cut < 0 ? lines : lines.slice(0, cut)).filter((l) => l !== '').join(' ');
}

/** An open in-memory DuckDB with one connection. */
export class Db {
  private constructor(private readonly instance: DuckDBInstance, readonly conn: DuckDBConnection) {}

  static async open(opts: { threads?: number; tempDir?: string } = {}): Promise<Db> {
    const config: Record<string, string> = { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' };
    if (opts.threads !== undefined) config['threads'] = String(opts.threads);
    if (opts.tempDir !== undefined) config['temp_directory'] = opts.tempDir;
    const instance = await DuckDBInstance.create(':memory:', config);
    return new Db(instance, await instance.connect());
  }

  /** Runs SQL; DuckDB's errors become SqlError (prefixed with `what`). */
  async run(sql: string, what = 'sql'): Promise<void> {
    try {
      await this.conn.run(sql);
    } catch (e) {
      throw new SqlError(`${what}: ${sqlMessage(e)}`);
    }
  }

  /** Runs a query and reads every row (values as plain JS: numbers, strings, arrays; BIGINT as bigint). */
  async all(sql: string, what = 'sql'): Promise<{ columns: string[]; rows: unknown[][] }> {
    try {
      const r = await this.conn.runAndReadAll(sql);
      return { columns: r.columnNames(), rows: r.getRowsJS() as unknown[][] };
    } catch (e) {
      throw new SqlError(`${what}: ${sqlMessage(e)}`);
    }
  }

  async createTable(name: string, spec: TableSpec): Promise<void> {
    await this.run(`CREATE TABLE ${name} (${spec.columns.map(([c, t]) => `"${c}" ${t}`).join(', ')})`);
  }

  /** Appends rows to a table made by createTable, in chunks (one value conversion per list element, no SQL text). */
  async append(name: string, spec: TableSpec, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const types = spec.columns.map(([, t]) => TYPES[t]);
    const appender = await this.conn.createAppender(name);
    try {
      // Rows holding whole maps are large: small chunks keep the JS copies small.
      const per = spec.rowGroup !== undefined ? 64 : 2048;
      for (let s = 0; s < rows.length; s += per) {
        const part = rows.slice(s, s + per);
        const chunk = DuckDBDataChunk.create(types, part.length);
        spec.columns.forEach(([c, t], j) => {
          chunk.setColumnValues(j, part.map((r) => toValue(r[c], t, name, c)));
        });
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

function toValue(v: Row[string] | undefined, type: ColumnType, table: string, column: string): DuckDBValue {
  if (v === undefined || v === null) return null;
  if (type.endsWith('[]')) {
    if (typeof v !== 'object') throw new DataError(`store: ${table}.${column} expected a list, got ${typeof v}`);
    const items = Array.from(v as ArrayLike<number | string>, (x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));
    return listValue(items);
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v as DuckDBValue;
}

/** SQL text of a string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
