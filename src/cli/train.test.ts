import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../test/data-paths.js';
import { tinyPtbxl, TINY_MODEL } from '../train/testing.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

const data = tinyPtbxl(36, 9);
const root = mkdtempSync(join(tmpdir(), 'ecgx-cli-train-'));

test('ecgx train, then evaluate and predict on the run', async () => {
  const out = join(root, 'run');
  const r = ecgx('train', '--data', await data, '--task', 'NORM;MI', '--model', TINY_MODEL, '--epochs', '1', '--batch-size', '8', '--length', '256', '--cv', '3', '--fold', '2', '--threads', '1', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /test auroc \d\.\d{4} over 1 fold/);
  assert.match(r.stderr, /fold 2 epoch 1\/1 loss \d/); // one plain line per epoch when not on a TTY
  const ev = ecgx('evaluate', '--run', out, '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const j = JSON.parse(ev.stdout);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  // evaluate recomputes from predictions.csv what the run recorded.
  assert.ok(Math.abs(j.summary.auroc.mean - run.summary.auroc.mean) < 1e-6);
  assert.match(ecgx('evaluate', '--run', out).stdout, /auroc:NORM/);
  const p = ecgx('predict', '--model', join(out, 'fold-2', 'model.onnx'), '--data', await data, '--max-records', '3', '--json');
  assert.equal(p.code, 0, p.stderr);
  const lines = p.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  for (const l of lines) {
    assert.deepEqual(l.classes, ['NORM', 'MI']);
    assert.ok(l.scores.every((p: number) => p >= 0 && p <= 1), JSON.stringify(l));
  }
});

test('ecgx train: bad input gives one line, exit 2, and no run folder', async () => {
  const cases: [string[], RegExp][] = [
    [['--task', 'NOPE'], /^ecgx: unknown label 'NOPE'/],
    [['--task', 'NORM', '--fold', '7'], /^ecgx: fold 7 is missing/],
    [['--task', 'NORM', '--epochs', 'x'], /^ecgx: --epochs: expected an integer/],
    [['--task', 'NORM', '--model', 'nonet'], /^ecgx: --model: unknown model 'nonet'/],
  ];
  for (const [args, re] of cases) {
    const out = join(root, 'bad');
    const base = ['train', '--data', await data, '--model', TINY_MODEL, '--epochs', '1', '--cv', '3', '--out', out];
    const r = ecgx(...base, ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(out) && !existsSync(`${out}.partial`));
  }
});
