/**
 * Fitting TLC on a cohort cut into shards, in two passes over the data:
 *   1. sample: each shard streams its ECGs through the model once and keeps,
 *      per model input and clustered group, `perInput` timestamp vectors at
 *      times drawn from Rng(hash(seed, record id, window, group)), so what a
 *      record contributes depends only on the record, never on its shard;
 *   2. fit: the shards' samples, ordered by (record id, window), are
 *      clustered on one machine as fitTlc does (standardise, optional PCA,
 *      k-means, mini-batch above 50,000 vectors, or GMM);
 * then `tlc explain --shard I/N` assigns every ECG (the second pass). The fit
 * costs O(samples), whatever the cohort's size; the passes over the ECGs
 * spread over the shards.
 */
import { createHash } from 'node:crypto';
import { readModelMeta } from '../../models/meta.js';
import type { ModelProto } from '../../engine/onnx/proto.js';
import { versions } from '../../train/run.js';
import { DataError, ModelError, OptionError } from '../../util/errors.js';
import { Progress } from '../../util/progress.js';
import { Rng } from '../../util/rng.js';
import { upsamplingWeights } from './activations.js';
import { ActivationReader, modelHash } from './extract.js';
import { FittedTlc, groupClusterer, resolveTlcOptions, type ResolvedTlcOptions, type TlcLayerInfo, type TlcModelInfo, type TlcOptions } from './fit.js';
import type { Points } from './points.js';
import type { EcgSource } from './source.js';

/** One shard's sample: per group, `perInput` rows of `dims[g]` values for each of `inputs`, in input order. */
export interface TlcShardSample {
  options: ResolvedTlcOptions;
  model: TlcModelInfo;
  layers: TlcLayerInfo[];
  groups: string[];
  dims: number[];
  perInput: number;
  /** Model inputs sampled: record id and window index. */
  inputs: { id: string; window: number }[];
  /** Per group: [inputs.length * perInput, dims[g]] row-major. */
  rows: Float32Array[];
}

/** The seed of one (record, window, group): a hash, so a record's draws do not depend on what else its shard holds. */
function inputSeed(seed: number, id: string, window: number, g: number): number {
  return createHash('sha256').update(`${seed}\u0000${id}\u0000${window}\u0000${g}`).digest().readUInt32BE(0);
}

/** Vectors per model input so that a cohort of `inputs` model inputs yields about `maxSamples` vectors per group. */
export function perInputSamples(maxSamples: number, inputs: number): number {
  return Math.max(1, Math.ceil(maxSamples / Math.max(1, inputs)));
}

/**
 * Pass 1 on one shard: streams `source` through `model`'s TLC layers and keeps
 * `perInput` vectors per model input and group (times drawn with replacement).
 */
export async function sampleTlcShard(model: ModelProto, source: EcgSource, opts: TlcOptions & { perInput: number }, run: { threads?: number; batchSize?: number; progress?: boolean } = {}): Promise<TlcShardSample> {
  const o = resolveTlcOptions(opts);
  if (!Number.isInteger(opts.perInput) || opts.perInput < 1) throw new OptionError('perInput', `expected an integer >= 1, got ${opts.perInput}`);
  const m = opts.perInput;
  const reader = await ActivationReader.open(model, { ...(opts.layers ? { layers: opts.layers } : {}), ...(run.threads !== undefined ? { threads: run.threads } : {}) });
  const T = source.samples;
  const inputs: { id: string; window: number }[] = [];
  let layers: TlcLayerInfo[] | undefined, dims: number[] = [], per: number[] = [];
  let weights: ReturnType<typeof upsamplingWeights>[] = [];
  const chunks: Float32Array[][] = [];
  const bar = new Progress({ label: 'tlc sample', total: source.count, unit: 'input', ...(run.progress !== undefined ? { enabled: run.progress } : {}) });
  try {
    for await (const b of source.batches(run.batchSize ?? 32)) {
      const got = await reader.run(b.x);
      if (!layers) {
        layers = reader.layers.map((name, l) => ({ name, channels: got.maps[l]![0]!.channels, length: got.maps[l]![0]!.length }));
        dims = o.concat ? [layers.reduce((s, l) => s + l.channels, 0)] : layers.map((l) => l.channels);
        per = o.concat ? [T] : layers.map((l) => l.length);
        weights = o.concat ? layers.map((l) => upsamplingWeights(T, l.length, o.upsampling)) : [];
        per.forEach(() => chunks.push([]));
      }
      b.items.forEach((item, e) => {
        const window = item.window?.index ?? 0;
        inputs.push({ id: item.id, window });
        for (let g = 0; g < per.length; g++) {
          const rng = new Rng(inputSeed(o.seed, item.id, window, g));
          const d = dims[g]!, p = per[g]!, out = new Float32Array(m * d);
          for (let r = 0; r < m; r++) {
            const t = rng.int(p);
            if (o.concat) {
              let off = 0;
              got.maps.forEach((maps, l) => {
                const map = maps[e]!;
                const { lo, hi, w } = weights[l]!;
                for (let c = 0; c < map.channels; c++) {
                  const x = map.data[c * map.length + lo[t]!]!, y = map.data[c * map.length + hi[t]!]!;
                  out[r * d + off + c] = x + w[t]! * (y - x);
                }
                off += map.channels;
              });
            } else {
              const map = got.maps[g]![e]!;
              if (map.length !== p) throw new ModelError(`layer '${layers![g]!.name}' changed length between ECGs (${p} vs ${map.length})`);
              for (let c = 0; c < d; c++) out[r * d + c] = map.data[c * p + t]!;
            }
          }
          chunks[g]!.push(out);
        }
      });
      bar.tick(b.items.length);
    }
  } finally {
    bar.finish();
    await reader.release();
  }
  if (!layers) throw new DataError('tlc sample: no ECGs to sample');
  const meta = readModelMeta(model);
  const rows = chunks.map((cs) => {
    const out = new Float32Array(cs.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of cs) (out.set(c, at), (at += c.length));
    return out;
  });
  return {
    options: o, layers, dims, perInput: m, inputs, rows,
    groups: o.concat ? [layers.map((l) => l.name).join('+')] : layers.map((l) => l.name),
    model: { sha256: modelHash(model), input: reader.inputName, leads: source.leads, samples: source.samples, fs: meta.fs ?? source.fs, leadNames: meta.leads ?? null },
  };
}

/** Pass 2's fit: the shards' samples ordered by (record id, window), clustered per group. Refuses samples of other models or options, and an input sampled twice. */
export function fitTlcFromSamples(samples: readonly TlcShardSample[]): FittedTlc {
  if (samples.length === 0) throw new DataError('tlc fit: no samples given');
  const first = samples[0]!;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  samples.forEach((s, i) => {
    if (s.model.sha256 !== first.model.sha256) throw new DataError(`tlc fit: sample ${i + 1} is of another model (sha256 ${s.model.sha256.slice(0, 12)}, the first's ${first.model.sha256.slice(0, 12)})`);
    if (!same(s.options, first.options) || !same(s.layers, first.layers) || s.perInput !== first.perInput) throw new DataError(`tlc fit: sample ${i + 1} was drawn with other options (${JSON.stringify(s.options)}; the first: ${JSON.stringify(first.options)})`);
  });
  const all = samples.flatMap((s, k) => s.inputs.map((inp, j) => ({ ...inp, k, j })));
  all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.window - b.window));
  for (let i = 1; i < all.length; i++) {
    if (all[i]!.id === all[i - 1]!.id && all[i]!.window === all[i - 1]!.window) throw new DataError(`tlc fit: record ${all[i]!.id} (window ${all[i]!.window}) is in two samples; give each shard's sample once`);
  }
  const o = first.options, m = first.perInput;
  const points: Points[] = first.dims.map((d, g) => {
    const data = new Float32Array(all.length * m * d);
    all.forEach((a, i) => data.set(samples[a.k]!.rows[g]!.subarray(a.j * m * d, (a.j + 1) * m * d), i * m * d));
    return { data, n: all.length * m, d };
  });
  points.forEach((p, g) => {
    if (p.n < o.k) throw new OptionError('k', `group '${first.groups[g]}' has ${p.n} sampled vectors, fewer than k = ${o.k}`);
    if (o.pca !== null && o.pca > p.d) throw new OptionError('pca', `${o.pca} components asked, but '${first.groups[g]}' has ${p.d} channels`);
  });
  const clusterers = points.map((p) => groupClusterer(o, p.n).fit(p));
  return new FittedTlc(o, first.model, first.layers, clusterers, { ecgs: all.length, samples: points.map((p) => p.n) }, versions());
}
