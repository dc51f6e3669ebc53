/**
 * Block activations -> per-timestamp feature vectors.
 *
 * A residual block's output for one ECG is a FeatureMap [channels, length]
 * (channel-major, like one item of an ONNX [batch, C, T_b] tensor). The block
 * has downsampled time by T / T_b, where T is the ECG's length in input samples.
 *
 * Alignment (T need not be a multiple of T_b): block sample j covers input
 * samples [j*T/T_b, (j+1)*T/T_b), so input sample t belongs to block sample
 * floor(t*T_b/T). 'nearest' repeats each block sample over the input samples it
 * covers. 'linear' treats block sample j as located at the centre of its span,
 * input position (j + 0.5)*T/T_b - 0.5, and interpolates linearly between the
 * two nearest centres, holding the end values constant beyond the first and
 * last centres (PyTorch's interpolate(mode='linear', align_corners=False)).
 */
import { OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { checkInt, type Points } from './points.js';

/** One block's activations for one ECG, channel-major: channel c at block time j is `data[c * length + j]`. */
export interface FeatureMap {
  data: Float32Array;
  channels: number;
  length: number;
}

/** How block-resolution values are mapped to input time. */
export type Upsampling = 'nearest' | 'linear';

export function makeFeatureMap(data: Float32Array, channels: number, length: number): FeatureMap {
  checkInt('channels', channels, 1);
  checkInt('length', length, 1);
  if (data.length !== channels * length) {
    throw new OptionError('activations', `expected ${channels} x ${length} = ${channels * length} values, got ${data.length}`);
  }
  return { data, channels, length };
}

/**
 * The items of a [batch, channels, length] tensor (e.g. an ONNX block output)
 * as FeatureMaps: views into `data`, no copy.
 */
export function featureMapsOfBatch(data: Float32Array, dims: readonly number[]): FeatureMap[] {
  if (dims.length !== 3) throw new OptionError('activations', `expected a [batch, channels, length] tensor, got dims [${dims.join(', ')}]`);
  const [b, c, t] = dims as [number, number, number];
  if (data.length !== b * c * t) throw new OptionError('activations', `expected ${b} x ${c} x ${t} = ${b * c * t} values, got ${data.length}`);
  return Array.from({ length: b }, (_, i) => makeFeatureMap(data.subarray(i * c * t, (i + 1) * c * t), c, t));
}

/** The block sample that covers input sample t (0 <= t < nSamples). */
export function blockIndexOf(t: number, nSamples: number, blockLength: number): number {
  return Math.floor((t * blockLength) / nSamples);
}

/**
 * For each input sample t: value(t) = (1 - w[t]) * v[lo[t]] + w[t] * v[hi[t]],
 * v being the block-resolution values. 'nearest' has lo = hi and w = 0.
 */
export interface UpsamplingWeights {
  lo: Int32Array;
  hi: Int32Array;
  w: Float64Array;
}

export function upsamplingWeights(nSamples: number, blockLength: number, mode: Upsampling = 'nearest'): UpsamplingWeights {
  checkInt('nSamples', nSamples, 1);
  checkInt('blockLength', blockLength, 1);
  if (mode !== 'nearest' && mode !== 'linear') throw new OptionError('upsampling', `expected 'nearest' or 'linear', got ${String(mode)}`);
  const lo = new Int32Array(nSamples), hi = new Int32Array(nSamples), w = new Float64Array(nSamples);
  const ratio = blockLength / nSamples;
  for (let t = 0; t < nSamples; t++) {
    if (mode === 'nearest') {
      lo[t] = hi[t] = blockIndexOf(t, nSamples, blockLength);
    } else {
      const u = Math.min(blockLength - 1, Math.max(0, (t + 0.5) * ratio - 0.5));
      const j = Math.floor(u);
      lo[t] = j;
      hi[t] = Math.min(j + 1, blockLength - 1);
      w[t] = u - j;
    }
  }
  return { lo, hi, w };
}

/** A block's feature map mapped to input time: [channels, nSamples]. */
export function upsampleMap(map: FeatureMap, nSamples: number, mode: Upsampling = 'nearest'): FeatureMap {
  const { lo, hi, w } = upsamplingWeights(nSamples, map.length, mode);
  const out = new Float32Array(map.channels * nSamples);
  for (let c = 0; c < map.channels; c++) {
    const src = c * map.length, dst = c * nSamples;
    for (let t = 0; t < nSamples; t++) {
      const a = map.data[src + lo[t]!]!, b = map.data[src + hi[t]!]!;
      out[dst + t] = a + w[t]! * (b - a);
    }
  }
  return { data: out, channels: map.channels, length: nSamples };
}

/** Row-major per-timestamp values [length, d] mapped to input time: [nSamples, d] (for soft assignments). */
export function upsampleRows(rows: Points, nSamples: number, mode: Upsampling = 'nearest'): Points {
  const { lo, hi, w } = upsamplingWeights(nSamples, rows.n, mode);
  const d = rows.d;
  const out = new Float64Array(nSamples * d);
  for (let t = 0; t < nSamples; t++) {
    const a = lo[t]! * d, b = hi[t]! * d, wt = w[t]!;
    for (let j = 0; j < d; j++) out[t * d + j] = (1 - wt) * rows.data[a + j]! + wt * rows.data[b + j]!;
  }
  return { data: out, n: nSamples, d };
}

/** One feature vector per block timestamp: the transpose of the map, [length, channels] row-major. */
export function timestampRows(map: FeatureMap): Points {
  const { channels: C, length: T } = map;
  const out = new Float32Array(T * C);
  for (let c = 0; c < C; c++) for (let j = 0; j < T; j++) out[j * C + c] = map.data[c * T + j]!;
  return { data: out, n: T, d: C };
}

/**
 * One feature vector per input sample, concatenating the blocks' channels in
 * the order given (block 0's channels first): [nSamples, sum of channels].
 */
export function concatenatedRows(blocks: readonly FeatureMap[], nSamples: number, mode: Upsampling = 'nearest'): Points {
  if (blocks.length === 0) throw new OptionError('blocks', 'expected at least one block');
  const d = blocks.reduce((s, b) => s + b.channels, 0);
  const out = new Float32Array(nSamples * d);
  let offset = 0;
  for (const b of blocks) {
    const { lo, hi, w } = upsamplingWeights(nSamples, b.length, mode);
    for (let c = 0; c < b.channels; c++) {
      const src = c * b.length;
      for (let t = 0; t < nSamples; t++) {
        const x = b.data[src + lo[t]!]!, y = b.data[src + hi[t]!]!;
        out[t * d + offset + c] = x + w[t]! * (y - x);
      }
    }
    offset += b.channels;
  }
  return { data: out, n: nSamples, d };
}

/** A sample of timestamp vectors for fitting, with where each came from. */
export interface TimestampSample {
  points: Points;
  /** Index of the ECG (in the input list) of each sampled row. */
  ecg: Int32Array;
  /** Timestamp of each row: block sample for sampleColumns, input sample for sampleConcatenated. */
  t: Int32Array;
}

export interface SampleOptions {
  /** Most rows to return; all rows when there are fewer. */
  maxSamples: number;
  seed: number;
}

/**
 * Uniform sample without replacement of up to maxSamples of the `total`
 * indices, sorted increasingly (Floyd's algorithm: O(m) memory and draws).
 */
export function sampleIndices(total: number, maxSamples: number, rng: Rng): Float64Array {
  const m = Math.min(total, maxSamples);
  if (m === total) return Float64Array.from({ length: total }, (_, i) => i);
  const chosen = new Set<number>();
  for (let j = total - m; j < total; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Float64Array.from(chosen).sort();
}

/** Seeded uniform sample of block timestamps (columns) over a set of ECGs' maps of one block. */
export function sampleColumns(maps: readonly FeatureMap[], opts: SampleOptions): TimestampSample {
  checkInt('maxSamples', opts.maxSamples, 1);
  if (maps.length === 0) throw new OptionError('activations', 'expected at least one ECG');
  const C = maps[0]!.channels;
  const starts = new Float64Array(maps.length + 1);
  maps.forEach((m, i) => {
    if (m.channels !== C) throw new OptionError('activations', `ECG ${i} has ${m.channels} channels, ECG 0 has ${C}`);
    starts[i + 1] = starts[i]! + m.length;
  });
  const idx = sampleIndices(starts[maps.length]!, opts.maxSamples, new Rng(opts.seed));
  const out = new Float32Array(idx.length * C);
  const ecg = new Int32Array(idx.length), ts = new Int32Array(idx.length);
  let e = 0;
  for (let r = 0; r < idx.length; r++) {
    while (idx[r]! >= starts[e + 1]!) e++;
    const m = maps[e]!, j = idx[r]! - starts[e]!;
    for (let c = 0; c < C; c++) out[r * C + c] = m.data[c * m.length + j]!;
    ecg[r] = e;
    ts[r] = j;
  }
  return { points: { data: out, n: idx.length, d: C }, ecg, t: ts };
}

/**
 * Seeded uniform sample of input timestamps over a set of ECGs, each given as
 * its list of block maps; rows are the blocks' features at that input sample,
 * concatenated as in concatenatedRows. nSamples: input length, one for all ECGs or per ECG.
 */
export function sampleConcatenated(
  ecgs: readonly (readonly FeatureMap[])[],
  nSamples: number | readonly number[],
  opts: SampleOptions & { upsampling?: Upsampling },
): TimestampSample {
  checkInt('maxSamples', opts.maxSamples, 1);
  if (ecgs.length === 0) throw new OptionError('activations', 'expected at least one ECG');
  const lens = ecgs.map((_, i) => (typeof nSamples === 'number' ? nSamples : nSamples[i]!));
  const channels = ecgs[0]!.map((b) => b.channels);
  const d = channels.reduce((s, c) => s + c, 0);
  const starts = new Float64Array(ecgs.length + 1);
  ecgs.forEach((blocks, i) => {
    if (blocks.length !== channels.length || blocks.some((b, k) => b.channels !== channels[k])) {
      throw new OptionError('activations', `ECG ${i} has blocks with channels [${blocks.map((b) => b.channels).join(', ')}], ECG 0 has [${channels.join(', ')}]`);
    }
    starts[i + 1] = starts[i]! + checkInt('nSamples', lens[i]!, 1);
  });
  const idx = sampleIndices(starts[ecgs.length]!, opts.maxSamples, new Rng(opts.seed));
  const mode = opts.upsampling ?? 'nearest';
  const out = new Float32Array(idx.length * d);
  const ecg = new Int32Array(idx.length), ts = new Int32Array(idx.length);
  let e = 0;
  let weights: UpsamplingWeights[] = [];
  for (let r = 0; r < idx.length; r++) {
    const before = e;
    while (idx[r]! >= starts[e + 1]!) e++;
    if (r === 0 || e !== before) weights = ecgs[e]!.map((b) => upsamplingWeights(lens[e]!, b.length, mode));
    const t = idx[r]! - starts[e]!;
    let off = 0;
    ecgs[e]!.forEach((b, k) => {
      const { lo, hi, w } = weights[k]!;
      for (let c = 0; c < b.channels; c++) {
        const x = b.data[c * b.length + lo[t]!]!, y = b.data[c * b.length + hi[t]!]!;
        out[r * d + off + c] = x + w[t]! * (y - x);
      }
      off += b.channels;
    });
    ecg[r] = e;
    ts[r] = t;
  }
  return { points: { data: out, n: idx.length, d }, ecg, t: ts };
}
