import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idsDigest, parseShard, shardIds, shardOf } from './shard.js';
import { OptionError } from '../util/errors.js';

test('shardOf: the first 4 bytes of SHA-256(id), big-endian, mod N (pinned: a change would re-cut every running cohort)', () => {
  // sha256('abc') = ba7816bf...: 0xba7816bf = 3128432319; % 8 = 7, % 1000 = 319.
  assert.equal(shardOf('abc', 8), 7);
  assert.equal(shardOf('abc', 1000), 319);
  assert.deepEqual(['1', '2', '3', '00001'].map((id) => shardOf(id, 8)), [3, 2, 5, 4]);
  assert.equal(shardOf('anything', 1), 0);
});

test('shardIds: N shards partition any selection exactly, keep its order, and do not depend on the other ids', () => {
  const ids = Array.from({ length: 500 }, (_, i) => `rec-${(i * 7919) % 1000}`);
  for (const n of [1, 2, 3, 8, 64]) {
    const parts = Array.from({ length: n }, (_, i) => shardIds(ids, { index: i, count: n }));
    assert.equal(parts.reduce((s, p) => s + p.length, 0), ids.length);
    assert.deepEqual(new Set(parts.flat()), new Set(ids));
    for (const p of parts) assert.deepEqual(p, ids.filter((id) => p.includes(id)));
  }
  // Independence: a record's shard is the same in a sub-selection.
  const sub = ids.slice(100, 160);
  assert.deepEqual(shardIds(sub, { index: 2, count: 8 }), shardIds(ids, { index: 2, count: 8 }).filter((id) => sub.includes(id)));
  // Balance: 500 ids over 8 shards, each within 40% of 62.5.
  for (let i = 0; i < 8; i++) {
    const k = shardIds(ids, { index: i, count: 8 }).length;
    assert.ok(k > 37 && k < 88, `shard ${i}: ${k}`);
  }
});

test('parseShard: I/N with 0 <= I < N; anything else is an OptionError naming the field', () => {
  assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
  assert.deepEqual(parseShard(' 7 / 8 '), { index: 7, count: 8 });
  const bad: [string, RegExp][] = [
    ['8/8', /shard index 8 is out of range for 8 shards \(expected 0 to 7/],
    ['0/0', /expected N from 1 to/],
    ['1', /expected I\/N/],
    ['-1/4', /expected I\/N/],
    ['1.5/4', /expected I\/N/],
    ['a/b', /expected I\/N/],
    ['0/2000000', /expected N from 1 to 1000000/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseShard(text), (e: unknown) => e instanceof OptionError && e.option === 'shard' && re.test(e.message), text);
  }
});

test('idsDigest: the same set in any order gives one digest; another set another', () => {
  assert.equal(idsDigest(['a', 'b', 'c']), idsDigest(['c', 'a', 'b']));
  assert.notEqual(idsDigest(['a', 'b']), idsDigest(['a', 'b', 'c']));
  assert.notEqual(idsDigest(['ab', 'c']), idsDigest(['a', 'bc']));
});
