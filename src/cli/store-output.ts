/**
 * `--store`: what the cohort commands (explain, tlc explain, predict) share to
 * write their results as an explanation store (explain/store/): the manifest
 * from the model source (model digest, cohort, shard) and the empty store of a
 * shard that holds no records.
 */
import { resolve } from 'node:path';
import { versions } from '../train/run.js';
import type { OutputPolicy } from '../util/atomic-write.js';
import { emptyRows, explainRows, fileDigest, modelDigest, writeStore, type ManifestInit, type Rows, type StoreManifest } from '../explain/store/index.js';
import type { ModelSource } from './model-input.js';
import type { MethodPlan } from './method-flags.js';
import { runExplain } from './explain-run.js';

export const STORE_FLAG = { store: { type: 'boolean' } } as const;

export const STORE_HELP = `  --store             write --out DIR as an explanation store: Parquet tables (records, scores, ...;
                      see 'ecgx query --help') and store.json; shards of one cohort go together
                      with 'ecgx merge'
`;

/** The manifest of a store of `src`'s records made by `command` with `config`. */
export function storeManifest(src: ModelSource, command: string, config: Record<string, unknown>): ManifestInit {
  const cohort = src.kind === 'records' ? src.cohort : { count: src.ids.length, digest: '' };
  const shard = src.kind === 'records' ? src.cohort.shard : undefined;
  return {
    command,
    model: { file: src.modelPath, sha256: modelDigest(src.modelPath) },
    config,
    cohort: { count: cohort.count, digest: cohort.digest },
    shards: shard ? { count: shard.count, indices: [shard.index] } : { count: 1, indices: [0] },
    source: src.describe,
    versions: versions(),
  };
}

/** Option values that name files (a fitted TLC) enter the config by content, so shards read from other paths still merge. */
export function configOptions(options: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(options).map(([m, o]) => [m, Object.fromEntries(Object.entries(o).map(([k, v]) => [k, m === 'tlc' && k === 'tlc' && typeof v === 'string' ? { sha256: fileDigest(resolve(v)) } : v]))]));
}

/** Writes the store; a shard with no records (more shards than records) is an empty store that still merges. */
export async function writeSourceStore(out: string, src: ModelSource, command: string, config: Record<string, unknown>, rows: Rows | undefined, policy: OutputPolicy): Promise<StoreManifest> {
  return writeStore(out, rows ?? emptyRows(), storeManifest(src, command, config), policy);
}

/** One line for the terminal after a store is written. */
export function storeLine(m: StoreManifest, out: string): string {
  const shard = m.shards.count > 1 ? ` (shard ${m.shards.indices.join(',')}/${m.shards.count})` : '';
  return `${m.records} ECG(s)${shard} -> store ${out}\n`;
}

/** `ecgx explain --store`: the methods over the source's records, as store rows (no model run for an empty shard). */
export async function explainStore(out: string, src: ModelSource, plan: MethodPlan, targetText: string | undefined, policy: OutputPolicy): Promise<StoreManifest> {
  const config = { methods: plan.methods, options: configOptions(plan.options), target: targetText ?? null, seed: plan.seed, waves: 'auto' };
  let rows: Rows | undefined;
  if (src.ids.length > 0) {
    const result = await runExplain(src, plan, targetText);
    await result.model.release();
    rows = explainRows(result, (id) => (src.kind === 'records' ? src.info?.get(id) : undefined));
    for (const r of result.records) for (const w of r.warnings) process.stderr.write(`ecgx: warning: ${w}\n`);
  }
  return writeSourceStore(out, src, 'explain', config, rows, policy);
}
