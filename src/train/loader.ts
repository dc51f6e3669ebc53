/**
 * Streaming batches of preprocessed ECGs for training and evaluation.
 *
 * Memory is bounded: when every selected record, preprocessed, fits in
 * `cacheBytes` (default 1 GiB; records x leads x samples x 4 bytes, e.g.
 * 17,000 PTB-XL records of 12 x 1000 take 816 MB), they are preprocessed once
 * and kept, and later epochs and folds read the cache. Otherwise each batch is
 * read and preprocessed when needed, with at most `prefetch` batches read
 * ahead (default 2) while the current one trains; nothing else is kept.
 * Shuffling uses a seeded Rng, so a run's batches are reproducible.
 */
import type { EcgDataset } from '../data/datasets/types.js';
import type { ModelCard } from '../models/card.js';
import { copyWindow, prepareRecord } from '../models/inputs.js';
import { DataError, EcgxError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import type { Rng } from '../util/rng.js';

export const DEFAULT_CACHE_BYTES = 1024 ** 3;

export interface Batch {
  ids: string[];
  /** [B, leads, samples] */
  x: NdArray;
  /** [B, k] */
  y: NdArray;
}

export interface LoaderItem {
  id: string;
  target: Float32Array;
}

/** Turns records into model input through the card (which must fix the input length and give one input per record). */
export class EcgTensorSource {
  readonly leads: number;
  readonly samples: number;
  private cache: Map<string, Float32Array> | undefined;

  constructor(readonly dataset: EcgDataset, readonly card: ModelCard) {
    if (card.length === null) throw new RangeError('EcgTensorSource: the card must fix the input length');
    if (card.fit.longer === 'windows') throw new RangeError('EcgTensorSource: one input per record (a card that crops, not windows)');
    this.leads = card.leads.length;
    this.samples = card.length;
  }

  /** Bytes one record takes as a tensor. */
  get recordBytes(): number {
    return this.leads * this.samples * 4;
  }

  /** Preprocesses and keeps `ids` when they fit in `budgetBytes`; returns whether they were cached. */
  async fill(ids: readonly string[], budgetBytes = DEFAULT_CACHE_BYTES, onRecord?: () => void): Promise<boolean> {
    if (ids.length * this.recordBytes > budgetBytes) return false;
    const cache = new Map<string, Float32Array>();
    for (const id of ids) {
      cache.set(id, await this.read(id));
      onRecord?.();
    }
    this.cache = cache;
    return true;
  }

  get cached(): boolean {
    return this.cache !== undefined;
  }

  async get(id: string): Promise<Float32Array> {
    return this.cache?.get(id) ?? this.read(id);
  }

  private async read(id: string): Promise<Float32Array> {
    const signal = new Float32Array(this.leads * this.samples);
    try {
      const p = prepareRecord(this.card, await this.dataset.load(id));
      copyWindow(p.ecg, p.starts[0]!, this.samples, signal);
    } catch (e) {
      if (e instanceof EcgxError && !e.message.startsWith('record ')) throw new DataError(`record ${id} of ${this.dataset.root}: ${e.message}`);
      throw e;
    }
    return signal;
  }
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle with this Rng (training); omit for file order (evaluation). */
  rng?: Rng;
  /** Leave out a last batch smaller than batchSize (training: BatchNorm statistics of a tiny batch are noisy). */
  dropLast?: boolean;
  /** Batches read ahead while the current one is in use (default 2). */
  prefetch?: number;
}

/** Batches of `items` in shuffled or given order. */
export async function* batches(source: EcgTensorSource, items: readonly LoaderItem[], o: BatchOptions): AsyncGenerator<Batch> {
  const order = items.map((_, i) => i);
  if (o.rng) o.rng.shuffle(order);
  const groups: number[][] = [];
  for (let s = 0; s < order.length; s += o.batchSize) {
    const g = order.slice(s, s + o.batchSize);
    if (o.dropLast && g.length < o.batchSize && groups.length > 0) break;
    groups.push(g);
  }
  const k = items[0]?.target.length ?? 0;
  const per = source.leads * source.samples;
  const make = async (g: number[]): Promise<Batch> => {
    const x = new Float32Array(g.length * per);
    const y = new Float32Array(g.length * k);
    const signals = await Promise.all(g.map((i) => source.get(items[i]!.id)));
    signals.forEach((s, j) => {
      x.set(s, j * per);
      y.set(items[g[j]!]!.target, j * k);
    });
    return { ids: g.map((i) => items[i]!.id), x: { data: x, shape: [g.length, source.leads, source.samples] }, y: { data: y, shape: [g.length, k] } };
  };
  const ahead = Math.max(0, o.prefetch ?? 2);
  const pending: Promise<Batch>[] = [];
  let next = 0;
  while (next < groups.length || pending.length > 0) {
    while (next < groups.length && pending.length <= ahead) {
      const p = make(groups[next++]!);
      p.catch(() => undefined); // awaited below in order; avoid an unhandled rejection meanwhile
      pending.push(p);
    }
    yield await pending.shift()!;
  }
}
