import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, FormatError, IoError } from '../../util/errors.js';
import { shardOf } from '../../data/shard.js';
import { emptyRows, type Rows } from './rows.js';
import { mergeStores, readManifest, StoreQuery, writeStore, type ManifestInit } from './store.js';
import { SqlError } from './db.js';
import { TABLE_NAMES } from './schema.js';

const root = mkdtempSync(join(tmpdir(), 'ecgx-store-'));
const IDS = Array.from({ length: 10 }, (_, i) => `r${i}`);

/** Rows of a made-up cohort: scores, a 2-lead map and its wave mass per record. */
function rowsOf(ids: readonly string[]): Rows {
  const out = emptyRows();
  for (const id of ids) {
    const k = Number(id.slice(1));
    out.records.push({ id, patient_id: null, age: 50 + k, sex: k % 2 ? 'F' : 'M', fold: (k % 3) + 1, labels: k % 2 ? ['AF'] : [], n_samples: 4, fs: 100, predicted: k % 3 ? 'AF' : 'NORM', target: 1, target_name: 'AF', windows: [0], warnings: [], waves_source: null });
    out.scores.push({ id, class_index: 0, class: 'NORM', score: 1 - k / 10, label: k % 2 === 0 }, { id, class_index: 1, class: 'AF', score: k / 10, label: k % 2 === 1 });
    for (const lead of [0, 1]) out.attributions.push({ id, method: 'saliency', target: 1, lead_index: lead, lead: lead ? 'II' : 'I', values: Float32Array.from([k, -k, 0.1 * k, lead]) });
    out.tlc.push({ id, layer: 'block3', k: 2, mean_entropy: k / 20, segments: 1 + k });
    for (const c of [0, 1]) out.clusters.push({ id, layer: 'block3', cluster: c, proportion: c ? k / 10 : 1 - k / 10 });
  }
  return out;
}

function init(over: Partial<ManifestInit> = {}, shard = { count: 1, indices: [0] }): ManifestInit {
  return { command: 'explain', model: { file: 'm.onnx', sha256: 'aa'.repeat(32) }, config: { methods: ['saliency'], seed: 0 }, cohort: { count: IDS.length, digest: 'cohort' }, shards: shard, source: {}, versions: { ecgx: '0.1.0', onnxruntime: '1.0' }, ...over };
}

async function shards(n: number, dir: string, over: Partial<ManifestInit> = {}): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = join(root, dir, String(i));
    await writeStore(d, rowsOf(IDS.filter((id) => shardOf(id, n) === i)), init(over, { count: n, indices: [i] }));
    out.push(d);
  }
  return out;
}

test('store: rows come back from SQL as written; shards merged equal one whole run byte for byte', async () => {
  const whole = join(root, 'whole');
  const m = await writeStore(whole, rowsOf([...IDS].reverse()), init());
  assert.equal(m.records, 10);
  assert.equal(m.tables['attributions'], 20);
  const q = await StoreQuery.open(whole);
  try {
    const r = await q.query("SELECT id, \"values\" FROM attributions WHERE lead = 'II' ORDER BY id LIMIT 2");
    assert.deepEqual(r.columns, ['id', 'values']);
    assert.deepEqual(r.rows, [['r0', [0, -0, 0, 1]], ['r1', [1, -1, Math.fround(0.1), 1]]]);
    const af = await q.query("SELECT count(*) FROM records r JOIN scores s USING (id) WHERE s.class = 'AF' AND s.label AND r.predicted <> 'AF'");
    assert.equal(Number(af.rows[0]![0]), 2); // r3 and r9: labelled AF (odd), predicted NORM (k % 3 = 0)
    const long = await q.query("SELECT t, value FROM attribution_samples WHERE id = 'r2' AND lead = 'I' ORDER BY t");
    assert.deepEqual(long.rows, [[0n, 2], [1n, -2], [2n, Math.fround(0.2)], [3n, 0]]);
    const nulls = await q.query("SELECT patient_id, labels FROM records WHERE id = 'r0'");
    assert.deepEqual(nulls.rows, [[null, []]]);
    await assert.rejects(q.query('SELEC 1'), (e: unknown) => e instanceof SqlError && /^query: Parser Error: syntax error at or near "SELEC"$/.test(e.message));
    await assert.rejects(q.query('SELECT nope FROM records'), (e: unknown) => e instanceof SqlError && !e.message.includes('\n') && /Binder Error/.test(e.message));
  } finally {
    q.close();
  }
  const parts = await shards(3, 'three');
  const merged = join(root, 'merged');
  const mm = await mergeStores(merged, parts);
  assert.deepEqual(mm.shards, { count: 3, indices: [0, 1, 2] });
  assert.equal(mm.records, 10);
  for (const t of TABLE_NAMES) assert.ok(readFileSync(join(whole, `${t}.parquet`)).equals(readFileSync(join(merged, `${t}.parquet`))), `${t}.parquet differs`);
  // A merged store merges again.
  const again = await mergeStores(join(root, 'again'), [merged]);
  assert.equal(again.records, 10);
});

test('merge: missing, repeated or overlapping shards and stores that do not belong together are refused, naming the store', async () => {
  const parts = await shards(4, 'four');
  const out = join(root, 'bad-merge');
  const refuses = async (dirs: string[], re: RegExp, kind: new (...a: never[]) => Error = DataError): Promise<void> => {
    await assert.rejects(mergeStores(out, dirs), (e: unknown) => e instanceof kind && re.test((e as Error).message), String(re));
  };
  await refuses([parts[0]!, parts[1]!, parts[3]!], /missing shard 2 of 4; run it \(--shard I\/4\)/);
  await refuses([parts[0]!], /missing shards 1, 2, 3 of 4/);
  await refuses([...parts, parts[2]!], /shard 2\/4 is given twice/);
  const otherModel = await shards(4, 'model', { model: { file: 'other.onnx', sha256: 'bb'.repeat(32) } });
  await refuses([parts[0]!, otherModel[1]!, parts[2]!, parts[3]!], /made with another model \(other\.onnx/);
  await refuses([parts[0]!, (await shards(4, 'cfg', { config: { methods: ['saliency'], seed: 1 } }))[1]!], /another config/);
  await refuses([parts[0]!, (await shards(4, 'ver', { versions: { ecgx: '0.2.0', onnxruntime: '1.0' } }))[1]!], /written by ecgx 0\.2\.0, the first by ecgx 0\.1\.0/);
  await refuses([parts[0]!, (await shards(4, 'coh', { cohort: { count: 9, digest: 'other' } }))[1]!], /another selection of records/);
  await refuses([parts[0]!, (await shards(2, 'two'))[1]!], /cut into 2 shards, the first into 4/);
  // Shards that claim different indices but share records (e.g. cut from different datasets).
  const lap = join(root, 'lap');
  await writeStore(join(lap, 'a'), rowsOf(['r0', 'r1']), init({}, { count: 2, indices: [0] }));
  await writeStore(join(lap, 'b'), rowsOf(['r1', 'r2']), init({}, { count: 2, indices: [1] }));
  await refuses([join(lap, 'a'), join(lap, 'b')], /record r1 appears in more than one shard/);
  await writeStore(join(lap, 'c'), rowsOf(['r2']), init({}, { count: 2, indices: [1] }));
  await refuses([join(lap, 'a'), join(lap, 'c')], /the shards hold 3 records, the cohort 10/);
  // Another store version, a folder that is no store.
  const old = join(root, 'old');
  await writeStore(old, rowsOf(['r0']), init());
  const manifest = JSON.parse(readFileSync(join(old, 'store.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(old, 'store.json'), JSON.stringify({ ...manifest, version: 99 }));
  assert.throws(() => readManifest(old), (e: unknown) => e instanceof FormatError && /store version 99, this ecgx reads version 1/.test(e.message));
  await refuses([old], /store version 99/, FormatError);
  await refuses([root], /not an explanation store \(no store\.json/, IoError);
  assert.throws(() => readManifest(join(root, 'nowhere')), (e: unknown) => e instanceof IoError && /no such store folder/.test(e.message));
});
