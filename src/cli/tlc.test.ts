import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../test/data-paths.js';
import { tinyTlcRun } from '../explain/tlc/testing.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

const fixture = tinyTlcRun(8);
const root = mkdtempSync(join(tmpdir(), 'ecgx-cli-tlc-'));

test('ecgx tlc fit, explain (record and dataset), evaluate on a tiny run', async () => {
  const { run, data } = await fixture;
  const tlc = join(root, 'tlc.json');
  const fit = ecgx('tlc', 'fit', '--run', run, '--fold', '2', '--k', '4', '--seed', '1', '--threads', '1', '--out', tlc);
  assert.equal(fit.code, 0, fit.stderr);
  const state = JSON.parse(readFileSync(tlc, 'utf8'));
  assert.equal(state.kind, 'ecgx-tlc');
  assert.deepEqual(state.layers.map((l: { name: string }) => l.name), ['block1', 'block2']);
  assert.ok(state.versions.node && state.versions.onnxruntime);

  const model = join(run, 'fold-2', 'model.onnx');
  const recDir = join(data, 'records100', '00000');
  const rec = join(recDir, readdirSync(recDir).find((f) => f.endsWith('.hea'))!.replace(/\.hea$/, ''));
  const one = ecgx('tlc', 'explain', '--tlc', tlc, '--model', model, '--record', rec, '--json', '--threads', '1');
  assert.equal(one.code, 0, one.stderr);
  const j = JSON.parse(one.stdout);
  assert.equal(j.fs, 100);
  assert.equal(j.layers.length, 2);
  for (const [i, l] of j.layers.entries()) {
    assert.equal(l.k, 4);
    // 3 s records, a model that takes the middle 256 samples: clusters in record time, none outside what it saw.
    assert.equal(l.sequence.length * l.resolution, 300);
    assert.equal(j.input.sequence[i].length, 300);
    assert.ok(Math.abs(l.proportions.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-4);
    assert.equal(l.segments[0].start, 22);
    assert.equal(l.segments.at(-1).end, 278);
    assert.deepEqual([j.input.sequence[i][21], j.input.sequence[i][278], j.input.entropy[i][21]], [-1, -1, null]);
    for (const h of j.input.entropy[i].slice(22, 278)) assert.ok(h >= 0 && h <= 1);
  }
  // The same record through --data gives the same JSON.
  const id = String(Number(rec.split('/').pop()!.slice(0, 5)));
  const viaData = ecgx('tlc', 'explain', '--tlc', tlc, '--model', model, '--data', data, '--records', id, '--json', '--threads', '1');
  assert.equal(viaData.code, 0, viaData.stderr);
  assert.deepEqual({ ...JSON.parse(viaData.stdout), record: j.record }, j);

  const out = join(root, 'eval');
  const ev = ecgx('tlc', 'evaluate', '--run', run, '--fold', '1,3', '--k', '4', '--threads', '1', '--out', out);
  assert.equal(ev.code, 0, ev.stderr);
  assert.match(ev.stdout, /\| mean ± std \| \| \d+\.\d ± \d+\.\d/);
  assert.deepEqual(readdirSync(out).sort(), ['.ecgx', 'config.json', 'evaluation.json', 'evaluation.md', 'tlc-fold-1.json', 'tlc-fold-3.json']);
  const e = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8'));
  // Each fold's saved TLC is the one the fold was evaluated with (held-out temperature rule by default).
  const saved = JSON.parse(readFileSync(join(out, 'tlc-fold-3.json'), 'utf8'));
  assert.equal(saved.options.temperature, 'heldout');
  assert.deepEqual(saved.fit.temperature.map((t: { tau: number }) => t.tau), e.folds[1].temperature.map((t: { tau: number }) => t.tau));
  assert.deepEqual(e.folds.map((f: { surrogate: { fold: number } }) => f.surrogate.fold), [1, 3]);
  assert.ok(e.waves.every((w: { nmi: { mean: number } }) => w.nmi.mean > 0));
  assert.equal(e.folds[0].prototypes[0].clusters.length, 4);

  // With the TLC fitted above: only its fold (2), no refit, same clusters as explain.
  const given = ecgx('tlc', 'evaluate', '--run', run, '--tlc', tlc, '--waves', 'synthetic', '--threads', '1', '--json');
  assert.equal(given.code, 0, given.stderr);
  const g = JSON.parse(given.stdout);
  assert.deepEqual(g.folds.map((f: { surrogate: { fold: number } }) => f.surrogate.fold), [2]);
  assert.equal(g.options.seed, 1);
  const bad = ecgx('tlc', 'evaluate', '--run', run, '--tlc', tlc, '--k', '5');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ecgx: --k: the TLC given with --tlc was fitted already/);
});

test('ecgx tlc: bad input is one line, exit 2, no output file', async () => {
  const { run, data } = await fixture;
  const tlc = join(root, 'tlc-bad.json');
  const good = join(root, 'tlc.json');
  const cases: [string[], RegExp][] = [
    [['fit', '--run', run, '--k', '1', '--out', tlc], /^ecgx: --k: expected 2 to 1000, got 1/],
    [['fit', '--run', run, '--layers', 'nope', '--out', tlc], /^ecgx: model has no tensor named 'nope'/],
    [['explain', '--tlc', good, '--model', join(run, 'fold-1', 'model.onnx'), '--data', data], /^ecgx: .*is not the model this TLC was fitted on/],
    [['explain', '--tlc', join(run, 'run.json'), '--model', join(run, 'fold-1', 'model.onnx'), '--data', data], /^ecgx: .*run.json \(kind\): expected a TLC file/],
    [['bogus'], /^ecgx: tlc: unknown subcommand 'bogus'/],
  ];
  for (const [args, re] of cases) {
    const r = ecgx('tlc', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(tlc));
  }
});
