/**
 * The explanation store's tables: one Parquet file per table in a store
 * folder, beside store.json (what wrote it, on which model, cohort and shard).
 * Every table is keyed by the record id, so tables join on `id`; every table
 * is written in the order of its key, so a store's bytes depend only on its
 * rows, not on which process or shard computed them.
 *
 * Attribution maps are compact: one row per (ECG, method, lead) holding the
 * lead's whole map as a FLOAT[] list in record time (bench/scale.ts measured
 * this against one row per sample: see README, "Explanation store"). The view
 * `attribution_samples` gives the long form (one row per sample) when a query
 * wants it.
 */

/** A column: name, DuckDB type, what it holds. */
export type Column = readonly [name: string, type: ColumnType, help: string];

export type ColumnType = 'VARCHAR' | 'INTEGER' | 'SMALLINT' | 'FLOAT' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR[]' | 'INTEGER[]' | 'SMALLINT[]' | 'FLOAT[]';

export interface TableSpec {
  help: string;
  columns: readonly Column[];
  /** The key the rows are sorted by (unique per row). */
  order: readonly string[];
  /** Rows per Parquet row group: small for tables whose rows hold whole maps, so a reader never holds one huge group. */
  rowGroup?: number;
}

export const STORE_FORMAT = 'ecgx-store';
/** Bump when a table or column changes meaning; merge and query refuse stores of another version. */
export const STORE_VERSION = 1;
export const MANIFEST = 'store.json';

export const TABLES = {
  records: {
    help: 'one row per ECG: what the dataset says of it and what the model made of it',
    columns: [
      ['id', 'VARCHAR', 'record id in its dataset'],
      ['patient_id', 'VARCHAR', 'patient id, where the dataset gives one'],
      ['age', 'FLOAT', 'age in years, where given'],
      ['sex', 'VARCHAR', 'M or F, where given'],
      ['fold', 'INTEGER', "the dataset's fold (PTB-XL strat_fold), where it defines folds"],
      ['labels', 'VARCHAR[]', "the dataset's labels of the record (NULL when the dataset has none)"],
      ['n_samples', 'INTEGER', "samples per lead at the card's rate (the attribution maps' length)"],
      ['fs', 'DOUBLE', "sampling rate of the maps, Hz (the card's)"],
      ['predicted', 'VARCHAR', 'the class with the highest score (NULL for regression)'],
      ['target', 'INTEGER', 'output index the attributions explain (NULL for TLC alone)'],
      ['target_name', 'VARCHAR', 'its class name'],
      ['windows', 'INTEGER[]', "start of each model input in the record, samples"],
      ['warnings', 'VARCHAR[]', 'what the input seam filled in or noticed'],
      ['waves_source', 'VARCHAR', "where wave_mass's waves came from: annotations, delineate, or NULL"],
    ],
    order: ['id'],
  },
  scores: {
    help: "one row per (ECG, class): the model's score, and whether the dataset labels the ECG with that class",
    columns: [
      ['id', 'VARCHAR', 'record id'],
      ['class_index', 'SMALLINT', 'output column'],
      ['class', 'VARCHAR', 'class name (the index as text when the card names none)'],
      ['score', 'FLOAT', 'probability (classification) or value (regression), windows aggregated as the card says'],
      ['label', 'BOOLEAN', 'the dataset labels the ECG with this class (NULL when the dataset has no labels for it)'],
    ],
    order: ['id', 'class_index'],
  },
  attributions: {
    help: 'one row per (ECG, method, lead): the attribution map of that lead in record time',
    columns: [
      ['id', 'VARCHAR', 'record id'],
      ['method', 'VARCHAR', 'explainer (gradcam, integrated-gradients, tlc, ...)'],
      ['target', 'SMALLINT', 'output index explained'],
      ['lead_index', 'SMALLINT', "row of the map: the card's lead order (0 for one-row maps)"],
      ['lead', 'VARCHAR', "lead name, or 'all' for maps of one row (gradcam, tlc)"],
      ['values', 'FLOAT[]', "the map, one value per sample at records.fs (n_samples values)"],
    ],
    order: ['id', 'method', 'lead_index'],
    rowGroup: 1024,
  },
  wave_mass: {
    help: 'one row per (ECG, method, lead, wave): attribution mass on P, QRS, T and the rest',
    columns: [
      ['id', 'VARCHAR', 'record id'],
      ['method', 'VARCHAR', 'explainer'],
      ['lead_index', 'SMALLINT', 'row of the map'],
      ['lead', 'VARCHAR', "lead name or 'all'"],
      ['wave', 'VARCHAR', 'P, QRS, T or other'],
      ['mass', 'DOUBLE', 'sum of |attribution| over the wave\'s samples'],
      ['share', 'DOUBLE', "mass / the lead's total mass"],
      ['time_share', 'DOUBLE', 'share of the lead\'s samples the wave covers (enrichment = share / time_share)'],
    ],
    order: ['id', 'method', 'lead_index', 'wave'],
  },
  tlc: {
    help: 'one row per (ECG, TLC layer): entropy and segments',
    columns: [
      ['id', 'VARCHAR', 'record id'],
      ['layer', 'VARCHAR', 'clustered layer (group)'],
      ['k', 'SMALLINT', 'clusters of the layer'],
      ['mean_entropy', 'FLOAT', 'mean normalised assignment entropy over the record, in [0, 1]'],
      ['segments', 'INTEGER', 'runs of one cluster'],
    ],
    order: ['id', 'layer'],
  },
  clusters: {
    help: 'one row per (ECG, TLC layer, cluster): the fraction of the record\'s time in the cluster',
    columns: [
      ['id', 'VARCHAR', 'record id'],
      ['layer', 'VARCHAR', 'clustered layer'],
      ['cluster', 'SMALLINT', 'cluster 0..k-1'],
      ['proportion', 'FLOAT', 'fraction of the record\'s samples in the cluster'],
    ],
    order: ['id', 'layer', 'cluster'],
  },
  tlc_sequences: {
    help: 'one row per (ECG, TLC layer): the cluster and entropy of every sample in record time',
    columns: [
      ['id', 'VARCHAR', 'record id'],
      ['layer', 'VARCHAR', 'clustered layer'],
      ['clusters', 'SMALLINT[]', 'cluster per sample'],
      ['entropy', 'FLOAT[]', 'normalised entropy per sample'],
    ],
    order: ['id', 'layer'],
    rowGroup: 1024,
  },
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** A row of a table, by column name (null for SQL NULL). */
export type Row = Record<string, string | number | boolean | null | readonly string[] | readonly number[] | Float32Array | Int16Array | Int32Array>;

/** Views `ecgx query` adds over the tables. */
export const VIEWS: Record<string, { help: string; sql: string }> = {
  attribution_samples: {
    help: 'attributions in long form: one row per (ECG, method, lead, sample t) with its value',
    sql: 'SELECT id, method, target, lead_index, lead, unnest(range(len("values"))) AS t, unnest("values") AS value FROM attributions',
  },
};

/** The tables and views as Markdown-ish text (README, `ecgx query --help`). */
export function schemaText(): string {
  const lines: string[] = [];
  for (const name of TABLE_NAMES) {
    const t: TableSpec = TABLES[name];
    lines.push(`${name}: ${t.help}`);
    for (const [c, type, help] of t.columns) lines.push(`  ${c.padEnd(13)} ${type.padEnd(10)} ${help}`);
  }
  for (const [name, v] of Object.entries(VIEWS)) lines.push(`${name} (view): ${v.help}`);
  return lines.join('\n');
}
