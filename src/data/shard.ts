/**
 * Shards of a cohort: shard I of N holds the records whose id hashes to I
 * (SHA-256 of the id's UTF-8 bytes, first 4 bytes big-endian, mod N). A
 * record's shard depends only on its id and N, never on the other records or
 * on which shards have run, so every shard can start, fail and rerun alone,
 * and the N shards of any selection partition it exactly.
 */
import { createHash } from 'node:crypto';
import { OptionError } from '../util/errors.js';

/** Shard `index` (0-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** The most shards a cohort may be cut into (a typo guard; far above any job array). */
export const MAX_SHARDS = 1_000_000;

/** `"I/N"` -> {index: I, count: N}, with 0 <= I < N <= MAX_SHARDS. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new OptionError('shard', `expected I/N (shard I of N, 0 <= I < N, e.g. 3/8), got '${text}'`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new OptionError('shard', `expected N from 1 to ${MAX_SHARDS}, got ${count} in '${text}'`);
  if (index >= count) throw new OptionError('shard', `shard index ${index} is out of range for ${count} shards (expected 0 to ${count - 1}; job arrays count from 0)`);
  return { index, count };
}

/** The shard (0..count-1) a record id belongs to. */
export function shardOf(id: string, count: number): number {
  if (count === 1) return 0;
  return createHash('sha256').update(id, 'utf8').digest().readUInt32BE(0) % count;
}

/** The ids of `shard`, in their given order; all of them without a shard. */
export function shardIds(ids: readonly string[], shard: Shard | undefined): string[] {
  if (!shard || shard.count === 1) return [...ids];
  return ids.filter((id) => shardOf(id, shard.count) === shard.index);
}

/** `I/N` as text, for file names and messages. */
export function shardText(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** A digest of a set of ids (order does not matter): shards of one selection carry the same one, so merge can tell cohorts apart. */
export function idsDigest(ids: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of [...ids].sort()) h.update(id, 'utf8').update('\n');
  return h.digest('hex');
}
