/** The explanation store: Parquet tables of explanations and per-ECG summaries, written per shard, merged, queried with SQL (DuckDB). */
export { TABLES, TABLE_NAMES, VIEWS, STORE_FORMAT, STORE_VERSION, MANIFEST, schemaText, type TableName, type TableSpec, type Column, type Row } from './schema.js';
export { Db, SqlError, sqlMessage, sqlString } from './db.js';
export { explainRows, tlcRows, predictionRows, emptyRows, recordWaves, type Rows, type StoreWaves } from './rows.js';
export { writeStore, StoreWriter, mergeStores, readManifest, modelDigest, fileDigest, StoreQuery, type StoreManifest, type ManifestInit } from './store.js';
