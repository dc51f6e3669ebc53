import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../test/data-paths.js';
import { tinyPtbxl, TINY_MODEL } from '../train/testing.js';
import { readNpy } from '../util/npy.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

const data = tinyPtbxl(30, 4);
const root = mkdtempSync(join(tmpdir(), 'ecgx-cli-pretrain-'));

test('ecgx pretrain (idb) -> embed -> probe', async () => {
  const out = join(root, 'run');
  const r = ecgx('pretrain', '--data', await data, '--method', 'contrastive', '--batches', 'idb', '--epochs', '1', '--batch-size', '8', '--model', TINY_MODEL, '--length', '256', '--threads', '1', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /pretrain epoch 1\/1 loss \d/);
  assert.ok(existsSync(join(out, 'encoder.onnx')));
  assert.equal(JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8')).config.batches, 'idb');
  const e = ecgx('embed', '--model', join(out, 'encoder.onnx'), '--data', await data, '--out', join(root, 'emb'));
  assert.equal(e.code, 0, e.stderr);
  const emb = readNpy(join(root, 'emb', 'embeddings.npy'));
  assert.equal(emb.shape[0], 30);
  assert.equal(readFileSync(join(root, 'emb', 'ids.csv'), 'utf8').trim().split('\n').length, 31);
  const p = ecgx('probe', '--encoder', join(out, 'encoder.onnx'), '--data', await data, '--task', 'NORM', '--folds', '3', '--fraction', '0.5,1', '--out', join(root, 'probe.json'));
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /in-distribution\s+1\.00\s+\d+\s+\d+\s+\d\.\d{3}/);
  assert.equal(JSON.parse(readFileSync(join(root, 'probe.json'), 'utf8')).rows.length, 2);
});

test('ecgx pretrain / embed / probe: bad input gives one line, non-zero exit, nothing written', async () => {
  const cases: [string[], RegExp][] = [
    [['pretrain', '--data', await data, '--method', 'bogus', '--epochs', '1', '--out', join(root, 'x')], /^ecgx: --method: expected one of contrastive\|masked/],
    [['pretrain', '--data', await data, '--method', 'masked', '--batches', 'cohort', '--epochs', '1', '--out', join(root, 'x')], /^ecgx: --batches/],
    [['pretrain', '--data', join(root, 'nope'), '--method', 'masked', '--epochs', '1', '--out', join(root, 'x')], /^ecgx: .*nope/],
    [['embed', '--model', join(root, 'missing.onnx'), '--data', await data, '--out', join(root, 'x')], /^ecgx: --model: .*does not exist/],
    [['probe', '--encoder', join(root, 'missing.onnx'), '--data', await data, '--task', 'NORM'], /^ecgx: --encoder/],
  ];
  for (const [args, re] of cases) {
    const r = ecgx(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(join(root, 'x')));
  }
});
