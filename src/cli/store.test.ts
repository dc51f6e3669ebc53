import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../test/data-paths.js';
import { tinyPtbxl } from '../train/testing.js';
import { resnet1d } from '../models/resnet1d.js';
import { saveModel } from '../engine/onnx/proto.js';
import { trainingCard, withCard } from '../models/card.js';
import { inspectModel } from '../engine/onnx/inspect.js';
import { STANDARD_LEADS } from '../data/leads.js';
import { shardOf } from '../data/shard.js';
import { openDataset } from '../data/datasets/registry.js';

const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);
const root = mkdtempSync(join(tmpdir(), 'ecgx-cli-store-'));
const CLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
const modelPath = join(root, 'model.onnx');
{
  const m = resnet1d({ leads: 12, samples: 300, filters: [4, 6, 8], downsample: [4, 2], kernel: 5, dropout: 0.1, head: 'gap', task: 'multilabel', outputs: 5, classNames: CLASSES, fs: 100, leadNames: [...STANDARD_LEADS], seed: 3 });
  saveModel(modelPath, withCard(m, trainingCard({ leads: [...STANDARD_LEADS], fs: 100, length: 300, standardize: true }, { task: 'multilabel', classes: CLASSES }, inspectModel(m))));
}

/** Runs the CLI as its own process (several at once, as a job array's tasks would). */
function spawnCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => done({ code, stderr }));
  });
}

/** The data of a store: its Parquet files' bytes (store.json holds paths and times, so it is left out). */
function parquetBytes(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort().map((f) => [f, readFileSync(join(dir, f))]));
}

test('N shards as N concurrent processes, merged, equal one process over the whole cohort byte for byte (explain, tlc explain, predict); a missing shard is named and rerun alone', async () => {
  const data = await tinyPtbxl(12, 21);
  const ids = (await openDataset(data)).records().map((r) => r.id);
  assert.ok([0, 1, 2].every((i) => ids.some((id) => shardOf(id, 3) === i)), 'every shard holds records');
  const tlc = join(root, 'tlc.json');
  assert.equal(cli('tlc', 'fit', '--model', modelPath, '--data', data, '--k', '3', '--max-samples', '2000', '--out', tlc).code, 0);

  const explain = ['explain', '--model', modelPath, '--data', data, '--method', 'saliency,integrated-gradients,tlc', '--steps', '4', '--tlc', tlc, '--store'];
  const whole = join(root, 'whole');
  const w = cli(...explain, '--out', whole);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /^12 ECG\(s\) -> store /);
  const runs = await Promise.all([0, 2].map((i) => spawnCli([...explain, '--shard', `${i}/3`, '--out', join(root, `shard-${i}`)])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const merged = join(root, 'merged');
  const shards = [0, 1, 2].map((i) => join(root, `shard-${i}`));
  const missing = cli('merge', merged, shards[0]!, shards[2]!);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^ecgx: merge: missing shard 1 of 3; run it \(--shard I\/3\) and merge again\n$/);
  assert.equal(cli(...explain, '--shard', '1/3', '--out', shards[1]!).code, 0); // the failed shard, rerun alone
  const m = cli('merge', merged, ...shards, '--json');
  assert.equal(m.code, 0, m.stderr);
  assert.deepEqual(JSON.parse(m.stdout).shards, { count: 3, indices: [0, 1, 2] });
  assert.deepEqual(parquetBytes(merged), parquetBytes(whole));
  assert.equal(Object.keys(parquetBytes(whole)).length, 7);

  // What a store answers: one row per ECG; IG mass on the QRS per lead; TLC's entropy.
  const q = cli('query', merged, "SELECT count(*) AS n, count(DISTINCT fold) > 1 AS folds FROM records", '--format', 'json');
  assert.equal(q.code, 0, q.stderr);
  assert.deepEqual(JSON.parse(q.stdout), { n: 12, folds: true });
  const qrs = cli('query', merged, "SELECT lead, avg(share) AS qrs FROM wave_mass WHERE method = 'integrated-gradients' AND wave = 'QRS' GROUP BY lead ORDER BY lead", '--format', 'csv');
  const lines = qrs.stdout.trim().split('\n');
  assert.equal(lines[0], 'lead,qrs');
  assert.equal(lines.length, 13);
  for (const l of lines.slice(1)) assert.ok(Number(l.split(',')[1]) > 0 && Number(l.split(',')[1]) < 1, l);
  const h = cli('query', merged, 'SELECT id, mean_entropy FROM tlc ORDER BY mean_entropy DESC LIMIT 3');
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^id\s+mean_entropy\n/);

  // tlc explain and predict shard and merge the same way (two shards each, run at once).
  for (const [name, args] of [
    ['tlc', ['tlc', 'explain', '--tlc', tlc, '--model', modelPath, '--data', data, '--store']],
    ['predict', ['predict', '--model', modelPath, '--data', data, '--store']],
  ] as const) {
    const one = join(root, `${name}-whole`);
    assert.equal(cli(...args, '--out', one).code, 0);
    const parts = [0, 1].map((i) => join(root, `${name}-${i}`));
    const rs = await Promise.all(parts.map((p, i) => spawnCli([...args, '--shard', `${i}/2`, '--out', p])));
    for (const r of rs) assert.equal(r.code, 0, r.stderr);
    assert.equal(cli('merge', join(root, `${name}-merged`), ...parts).code, 0);
    assert.deepEqual(parquetBytes(join(root, `${name}-merged`)), parquetBytes(one), name);
  }
  // Stores of two commands do not merge.
  const mixed = cli('merge', join(root, 'mixed'), join(root, 'predict-0'), join(root, 'tlc-1'));
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /^ecgx: merge: .*tlc-1 is written by 'tlc explain', the first by 'predict'\n$/);
});

test('bad input to the cohort commands is a one-line error: I/N out of range, --shard without a cohort, SQL errors', () => {
  const cases: [string[], RegExp][] = [
    [['explain', '--model', modelPath, '--record', 'x', '--method', 'saliency', '--shard', '0/2'], /^ecgx: --shard: needs --data/],
    [['explain', '--model', modelPath, '--data', root, '--method', 'saliency', '--shard', '2/2'], /^ecgx: --shard: shard index 2 is out of range for 2 shards/],
    [['predict', '--model', modelPath, '--data', root, '--shard', '1/0'], /^ecgx: --shard: expected N from 1 to/],
    [['embed', '--model', modelPath, '--data', root, '--out', join(root, 'e'), '--shard', 'x'], /^ecgx: --shard: expected I\/N/],
    [['explain', 'evaluate', '--model', modelPath, '--data', root, '--method', 'saliency', '--shard', '5/4'], /^ecgx: --shard: shard index 5 is out of range/],
    [['tlc', 'explain', '--tlc', join(root, 'tlc.json'), '--model', modelPath, '--data', root, '--store'], /^ecgx: --store: needs --out DIR/],
    [['query', join(root, 'whole'), 'SELECT * FROM nowhere'], /^ecgx: query: Catalog Error: Table with name nowhere does not exist!/],
    [['query', join(root, 'whole'), 'SELECT'], /^ecgx: query: Parser Error/],
    [['query', root, 'SELECT 1'], /not an explanation store \(no store\.json/],
    [['merge', join(root, 'm2')], /^ecgx: merge: expected OUT and at least one shard store/],
    [['explain', '--model', modelPath, '--data', root, '--method', 'saliency', '--summaries-only'], /^ecgx: --summaries-only: goes with --store/],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('TLC fitted in shards (tlc sample --shard I/N, then tlc fit-samples) is the TLC of one sample over the cohort, byte for byte', async () => {
  const data = await tinyPtbxl(9, 7);
  const fit = ['--model', modelPath, '--data', data, '--k', '3', '--max-samples', '900'];
  const one = join(root, 'sample-one');
  assert.equal(cli('tlc', 'sample', ...fit, '--out', one).code, 0);
  const parts = [0, 1, 2].map((i) => join(root, `sample-${i}`));
  const rs = await Promise.all(parts.map((p, i) => spawnCli(['tlc', 'sample', ...fit, '--shard', `${i}/3`, '--out', p])));
  for (const r of rs) assert.equal(r.code, 0, r.stderr);
  const a = cli('tlc', 'fit-samples', '--out', join(root, 'tlc-one.json'), one);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /K = 3; 9 model inputs, 900\/900 vectors/);
  assert.equal(cli('tlc', 'fit-samples', '--out', join(root, 'tlc-three.json'), parts[2]!, parts[0]!, parts[1]!).code, 0);
  assert.ok(readFileSync(join(root, 'tlc-one.json')).equals(readFileSync(join(root, 'tlc-three.json'))));
  const missing = cli('tlc', 'fit-samples', '--out', join(root, 'tlc-bad.json'), parts[0]!, parts[2]!);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^ecgx: tlc fit-samples: missing the sample of shard 1 of 3/);
  const twice = cli('tlc', 'fit-samples', '--out', join(root, 'tlc-bad.json'), ...parts, parts[1]!);
  assert.match(twice.stderr, /^ecgx: tlc fit-samples: shard 1\/3 is given twice/);
  // The fitted TLC assigns the cohort in shards (pass 2).
  assert.equal(cli('tlc', 'explain', '--tlc', join(root, 'tlc-three.json'), '--model', modelPath, '--data', data, '--shard', '1/3', '--store', '--out', join(root, 'tlc-pass2')).code, 0);
});
