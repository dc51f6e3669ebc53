/**
 * `--store`: what the cohort commands (explain, tlc explain, predict) share to
 * write their results as an explanation store (explain/store/): the manifest
 * from the model source (model digest, cohort, shard) and the empty store of a
 * shard that holds no records.
 */
import { resolve } from 'node:path';
import { versions } from '../train/run.js';
import type { OutputPolicy } from '../util/atomic-write.js';
import type { Ecg } from '../data/ecg.js';
import { emptyRows, explainRows, fileDigest, modelDigest, tlcRows, writeStore, StoreWriter, type ManifestInit, type Rows, type StoreManifest } from '../explain/store/index.js';
import { FittedTlc, TlcPipeline, recordSource, type TlcExplainedRecord } from '../explain/tlc/index.js';
import { OptionError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { required } from './command.js';
import { openModelSource, type ModelSource, type SourceValues } from './model-input.js';
import type { MethodPlan } from './method-flags.js';
import { runExplain } from './explain-run.js';

export const STORE_FLAG = { store: { type: 'boolean' }, 'summaries-only': { type: 'boolean' } } as const;

export const STORE_HELP = `  --store             write --out DIR as an explanation store: Parquet tables (records, scores, ...;
                      see 'ecgx query --help') and store.json; shards of one cohort go together
                      with 'ecgx merge'
  --summaries-only    with --store: leave out the per-sample maps (attributions, tlc_sequences),
                      keep the per-ECG summaries (a few kB per ECG instead of ~0.2 MB per method)
`;

/** --summaries-only: the rows without the per-sample maps. */
function summaries(rows: Rows, only: boolean): Rows {
  return only ? { ...rows, attributions: [], tlc_sequences: [] } : rows;
}

/** Checks --summaries-only goes with --store. */
export function storeFlags(values: { store?: boolean; 'summaries-only'?: boolean }): { store: boolean; summariesOnly: boolean } {
  if (values['summaries-only'] && !values.store) throw new OptionError('--summaries-only', 'goes with --store');
  return { store: values.store === true, summariesOnly: values['summaries-only'] === true };
}

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

/** Records explained at a time by `explain --store`: a shard of any size needs the memory of one slice (its rows then go to the store writer). */
export const STORE_SLICE = 256;

/** The source's records in slices of `size`, each a source of its own (tensors come whole: they are in memory already). */
async function* slices(src: ModelSource, size: number): AsyncGenerator<ModelSource> {
  if (src.kind === 'tensor') {
    yield src;
    return;
  }
  let part: Ecg[] = [];
  const cut = (ecgs: Ecg[]): ModelSource => ({ ...src, ids: ecgs.map((e) => e.meta.recordId), records: async function* () { yield* ecgs; } });
  for await (const e of src.records()) {
    part.push(e);
    if (part.length === size) {
      yield cut(part);
      part = [];
    }
  }
  if (part.length > 0) yield cut(part);
}

/** `ecgx explain --store`: the methods over the source's records, slice by slice, as store rows (no model run for an empty shard). */
export async function explainStore(out: string, src: ModelSource, plan: MethodPlan, targetText: string | undefined, policy: OutputPolicy, summariesOnly = false): Promise<StoreManifest> {
  const config = { methods: plan.methods, options: configOptions(plan.options), target: targetText ?? null, seed: plan.seed, waves: 'auto', summariesOnly };
  const writer = await StoreWriter.open();
  try {
    for await (const part of slices(src, STORE_SLICE)) {
      const result = await runExplain(part, plan, targetText);
      await result.model.release();
      await writer.add(summaries(explainRows(result, (id) => (src.kind === 'records' ? src.info?.get(id) : undefined)), summariesOnly));
      for (const r of result.records) for (const w of r.warnings) process.stderr.write(`ecgx: warning: ${w}\n`);
    }
  } catch (e) {
    writer.close();
    throw e;
  }
  return writer.finish(out, storeManifest(src, 'explain', config), policy);
}

/** `ecgx tlc explain --store`: TLC's stitched explanations of the source's records, as store rows. */
export async function tlcStore(out: string, values: SourceValues & { tlc?: string }, run: { threads?: number; batchSize?: number }, policy: OutputPolicy, summariesOnly = false): Promise<StoreManifest> {
  const tlcPath = resolve(required('--tlc', values.tlc));
  const tlc = FittedTlc.load(tlcPath);
  if (values.input !== undefined) throw new OptionError('--input', 'TLC runs on records (--data or --record) through the model card');
  if ((values.data === undefined) === (values.record === undefined)) throw new OptionError('--data', 'give exactly one of --data DIR or --record PATH');
  const src = await openModelSource(values);
  if (src.kind !== 'records') throw new OptionError('--data', 'give --data DIR or --record PATH');
  tlc.checkModel(src.model.proto, src.model.file);
  const writer = await StoreWriter.open();
  if (src.ids.length > 0) {
    const where = src.describe['data'] ?? src.describe['record'] ?? 'records';
    const source = await recordSource(src.model.card, src.records, src.ids.length, where, src.leadMap ? { leadMap: src.leadMap } : {});
    const pipe = await TlcPipeline.open(src.model.proto, tlc, run.threads !== undefined ? { threads: run.threads } : {});
    const bar = new Progress({ label: 'tlc explain', total: source.count, unit: 'input' });
    let part: TlcExplainedRecord[] = [];
    try {
      for await (const r of pipe.explainRecords(source, run.batchSize ?? 32)) {
        part.push(r);
        if (part.length === STORE_SLICE) {
          await writer.add(summaries(tlcRows(part, src.model.card, (id) => src.info?.get(id)), summariesOnly));
          part = [];
        }
        bar.tick(r.windows.length);
      }
      await writer.add(summaries(tlcRows(part, src.model.card, (id) => src.info?.get(id)), summariesOnly));
    } catch (e) {
      writer.close();
      throw e;
    } finally {
      bar.finish();
      await pipe.release();
    }
  }
  return writer.finish(out, storeManifest(src, 'tlc explain', { tlc: { sha256: fileDigest(tlcPath) }, summariesOnly }), policy);
}
