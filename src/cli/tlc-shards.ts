/**
 * `ecgx tlc sample` and `ecgx tlc fit-samples`: TLC fitted on a cohort cut
 * into shards (explain/tlc/shard-sample.ts). A shard's sample is a folder:
 * sample.json (model, options, layers, cohort, shard, the sampled inputs) and
 * group-G.npy per clustered group ([inputs x perInput, channels] float32).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { DataError, FormatError, OptionError, asIoError } from '../util/errors.js';
import { readNpy, writeNpy } from '../util/npy.js';
import { recordSource } from '../explain/tlc/index.js';
import { fitTlcFromSamples, perInputSamples, sampleTlcShard, type TlcShardSample } from '../explain/tlc/shard-sample.js';
import type { TlcOptions } from '../explain/tlc/fit.js';
import { openModelSource, type SourceValues } from './model-input.js';

const SAMPLE_KIND = 'ecgx-tlc-sample';

interface SampleFile {
  kind: typeof SAMPLE_KIND;
  version: 1;
  cohort: { count: number; digest: string };
  shards: { count: number; indices: number[] };
  sample: Omit<TlcShardSample, 'rows'>;
}

/** `tlc sample`: pass 1 on one shard, written to `out`. */
export async function sampleCommand(values: SourceValues, opts: TlcOptions, run: { threads?: number; batchSize?: number }, out: string, force: boolean): Promise<string> {
  if (values.input !== undefined) throw new OptionError('--input', 'TLC runs on records (--data or --record) through the model card');
  if (values.data === undefined) throw new OptionError('--data', 'tlc sample needs --data DIR (a cohort)');
  checkOutput(out, 'folder', { force });
  const src = await openModelSource(values);
  if (src.kind !== 'records') throw new OptionError('--data', 'give --data DIR');
  const shard = src.cohort.shard ?? { index: 0, count: 1 };
  if (src.ids.length === 0) throw new DataError(`shard ${shard.index}/${shard.count} holds no records of ${values.data} (fewer records than shards; use fewer shards)`);
  const layered = opts.layers || !src.model.card.layers.tlc ? opts : { ...opts, layers: src.model.card.layers.tlc };
  const source = await recordSource(src.model.card, src.records, src.ids.length, src.describe['data'] ?? 'dataset', src.leadMap ? { leadMap: src.leadMap } : {});
  const windows = source.count / src.ids.length;
  const perInput = perInputSamples(opts.maxSamples ?? 100_000, src.cohort.count * windows);
  const s = await sampleTlcShard(src.model.proto, source, { ...layered, perInput }, run);
  const { rows, ...sample } = s;
  const file: SampleFile = { kind: SAMPLE_KIND, version: 1, cohort: { count: src.cohort.count, digest: src.cohort.digest }, shards: { count: shard.count, indices: [shard.index] }, sample };
  await writeDirAtomic(out, (tmp) => {
    rows.forEach((r, g) => writeNpy(join(tmp, `group-${g}.npy`), { data: r, shape: [r.length / s.dims[g]!, s.dims[g]!] }));
    writeFileAtomic(join(tmp, 'sample.json'), JSON.stringify(file) + '\n');
  }, { force });
  return `sampled ${s.inputs.length} model input(s) x ${perInput} vector(s) per group (${s.groups.join(', ')}) of shard ${shard.index}/${shard.count} -> ${out}\n`;
}

function readSample(dir: string): { file: SampleFile; sample: TlcShardSample } {
  const path = join(resolve(dir), 'sample.json');
  let file: SampleFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as SampleFile;
  } catch (e) {
    if (e instanceof SyntaxError) throw new FormatError(path, `not valid JSON (${e.message})`);
    throw asIoError(e, path, "read (a folder written by 'ecgx tlc sample')");
  }
  if (file.kind !== SAMPLE_KIND || file.version !== 1) throw new FormatError(path, `expected kind '${SAMPLE_KIND}' version 1 (written by 'ecgx tlc sample')`, { field: 'kind' });
  const rows = file.sample.dims.map((d, g) => {
    const a = readNpy(join(resolve(dir), `group-${g}.npy`));
    if (a.shape[1] !== d || a.shape[0] !== file.sample.inputs.length * file.sample.perInput) throw new FormatError(join(resolve(dir), `group-${g}.npy`), `shape [${a.shape.join(', ')}], expected [${file.sample.inputs.length * file.sample.perInput}, ${d}]`);
    return a.data as Float32Array;
  });
  return { file, sample: { ...file.sample, rows } };
}

/** `tlc fit-samples`: the fit of pass 2 from every shard's sample; refuses a missing or repeated shard or another cohort. */
export function fitSamplesCommand(dirs: readonly string[], out: string, force: boolean): string {
  if (dirs.length === 0) throw new OptionError('tlc fit-samples', "expected the sample folders of every shard (from 'ecgx tlc sample --shard I/N')");
  checkOutput(out, 'file', { force });
  const read = dirs.map(readSample);
  const first = read[0]!.file;
  const seen = new Map<number, string>();
  read.forEach(({ file }, i) => {
    if (file.cohort.digest !== first.cohort.digest || file.cohort.count !== first.cohort.count) throw new DataError(`tlc fit-samples: ${resolve(dirs[i]!)} samples another selection of records (${file.cohort.count}; the first: ${first.cohort.count})`);
    if (file.shards.count !== first.shards.count) throw new DataError(`tlc fit-samples: ${resolve(dirs[i]!)} is a shard of ${file.shards.count}, the first of ${first.shards.count}`);
    for (const s of file.shards.indices) {
      if (seen.has(s)) throw new DataError(`tlc fit-samples: shard ${s}/${first.shards.count} is given twice (${seen.get(s)} and ${resolve(dirs[i]!)})`);
      seen.set(s, resolve(dirs[i]!));
    }
  });
  const missing = Array.from({ length: first.shards.count }, (_, s) => s).filter((s) => !seen.has(s));
  if (missing.length > 0) throw new DataError(`tlc fit-samples: missing the sample of shard${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')} of ${first.shards.count}; run 'ecgx tlc sample --shard I/${first.shards.count}'`);
  const tlc = fitTlcFromSamples(read.map((r) => r.sample));
  tlc.save(out, { force });
  return `fitted TLC (${tlc.groupNames.join(', ')}; K = ${tlc.k}; ${tlc.fit.ecgs} model inputs, ${tlc.fit.samples.join('/')} vectors from ${dirs.length} shard sample(s)) -> ${out}\n`;
}
