import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, SHARED_DIR, runCli } from '../../test/data-paths.js';
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

test('ecgx train on real PTB-XL with --labels and --min-positives: classes by prevalence, join and fold notes in the log and run.json', () => {
  const ptbxl = join(SHARED_DIR, 'data/ptbxl');
  const out = join(root, 'real');
  const r = ecgx('train', '--data', ptbxl, '--labels', join(ptbxl, 'cinc2020_labels.csv'), '--task', 'labels', '--min-positives', '15', '--max-records', '240',
    '--model', TINY_MODEL, '--epochs', '1', '--batch-size', '16', '--length', '256', '--cv', '3', '--fold', '1', '--threads', '1', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /labels: 5891 of 5979 records joined from .*cinc2020_labels\.csv; 88 without a label row left out, 20 row\(s\) name no record/);
  assert.match(r.stderr, /classes with fewer than 15 positives left out: .*AFL \(\d+\)/);
  assert.match(r.stderr, /note: no patient ids: .*may fall in two folds/);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.equal(run.config.labelTable.file, join(ptbxl, 'cinc2020_labels.csv'));
  assert.equal(run.config.minPositives, 15);
  assert.equal(run.task.name, 'labels (>= 15 positives)');
  // Counted in the 240 records used: every kept class has >= 15 positives, every excluded one fewer.
  const table = readFileSync(join(out, 'fold-1', 'predictions.csv'), 'utf8');
  assert.ok(table.startsWith('record_id,fold,target:'));
  assert.ok(run.task.classes.includes('NSR') && run.task.classes.length >= 2);
  assert.ok(Object.values(run.task.excludedClasses as Record<string, number>).every((n) => n < 15));
  assert.equal(run.task.classes.length + Object.keys(run.task.excludedClasses).length, 24);
  assert.ok(run.notes.some((n: string) => /3 folds made by ecgx \(seed 1\)/.test(n)));
});

test('Ctrl-C during ecgx train: one line saying how to resume, exit 130; --resume then finishes the run', { timeout: 180_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { hasTrainProgress } = await import('../train/run.js');
  const out = join(root, 'interrupted');
  const child = spawn(process.execPath, [CLI, 'train', '--data', await data, '--task', 'NORM;MI', '--model', TINY_MODEL, '--epochs', '60', '--batch-size', '8',
    '--length', '256', '--cv', '3', '--fold', '1', '--threads', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Wait for the first saved epoch, then interrupt as a terminal's Ctrl-C does.
  const t0 = Date.now();
  while (!hasTrainProgress(`${out}.partial`) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
  assert.ok(hasTrainProgress(`${out}.partial`), `no epoch saved: ${stderr}`);
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, stderr);
  const last = stderr.trim().split('\n').pop()!;
  assert.match(last, /^ecgx: interrupted: .*interrupted\.partial keeps the last finished epoch; continue with: ecgx train --resume --out .*interrupted$/);
  assert.ok(!existsSync(out));
  const r = ecgx('train', '--resume', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, 'run.json')));
});
