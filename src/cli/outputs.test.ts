/**
 * Every command that writes an output, under the same rules: an existing
 * output is refused unless --force (one line naming it, exit 2, nothing
 * changed); --force replaces a file, or a folder ecgx wrote (it holds the .ecgx
 * marker); a folder ecgx did not write is refused even with --force; `--out .`
 * never empties the current folder; a default output name never replaces a
 * user's folder of that name.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, runCli, type CliEnv } from '../../test/data-paths.js';
import { tinyPtbxl, TINY_MODEL } from '../train/testing.js';
import { writeNpy } from '../util/npy.js';

const ecgx = (args: string[], how: CliEnv = {}): ReturnType<typeof runCli> => runCli(args, 120_000, how);

let root = '';
const fx = { data: '', run: '', model: '', record: '', x: '', tlc: '', encoder: '' };
const TRAIN = (data: string): string[] => ['--data', data, '--task', 'NORM;MI', '--model', TINY_MODEL, '--epochs', '1', '--batch-size', '8', '--length', '256', '--cv', '3', '--fold', '2', '--threads', '1'];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'ecgx-cli-outputs-'));
  fx.data = await tinyPtbxl(36, 9);
  fx.run = join(root, 'fixture-run');
  const t = ecgx(['train', ...TRAIN(fx.data), '--out', fx.run]);
  assert.equal(t.code, 0, t.stderr);
  fx.model = join(fx.run, 'fold-2', 'model.onnx');
  fx.record = join(fx.data, 'records100', '00000', '00001_lr');
  fx.x = join(root, 'x.npy');
  writeNpy(fx.x, { data: Float32Array.from({ length: 2 * 12 * 256 }, (_, i) => Math.sin(i / 9)), shape: [2, 12, 256] });
  fx.tlc = join(root, 'fixture-tlc.json');
  const f = ecgx(['tlc', 'fit', '--run', fx.run, '--k', '2', '--out', fx.tlc]);
  assert.equal(f.code, 0, f.stderr);
  const p = ecgx(['pretrain', '--data', fx.data, '--method', 'masked', '--epochs', '1', '--batch-size', '8', '--model', TINY_MODEL, '--length', '256', '--threads', '1', '--out', join(root, 'fixture-pre')]);
  assert.equal(p.code, 0, p.stderr);
  fx.encoder = join(root, 'fixture-pre', 'encoder.onnx');
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Each writing command: the output kind and its arguments for an output path. */
const COMMANDS: { name: string; kind: 'file' | 'folder'; args: (out: string) => string[] }[] = [
  { name: 'synth', kind: 'folder', args: (out) => ['synth', '--n', '3', '--layout', 'ptbxl', '--out', out] },
  { name: 'train', kind: 'folder', args: (out) => ['train', ...TRAIN(fx.data), '--out', out] },
  { name: 'pretrain', kind: 'folder', args: (out) => ['pretrain', '--data', fx.data, '--method', 'masked', '--epochs', '1', '--batch-size', '8', '--model', TINY_MODEL, '--length', '256', '--threads', '1', '--out', out] },
  { name: 'explain', kind: 'folder', args: (out) => ['explain', '--model', fx.model, '--input', fx.x, '--method', 'saliency', '--out', out] },
  { name: 'explain evaluate', kind: 'folder', args: (out) => ['explain', 'evaluate', '--model', fx.model, '--input', fx.x, '--method', 'saliency', '--waves', 'none', '--curve-steps', '4', '--out', out] },
  { name: 'tlc fit', kind: 'file', args: (out) => ['tlc', 'fit', '--run', fx.run, '--k', '2', '--out', out] },
  { name: 'tlc explain', kind: 'file', args: (out) => ['tlc', 'explain', '--tlc', fx.tlc, '--model', fx.model, '--record', fx.record, '--out', out] },
  { name: 'tlc evaluate', kind: 'folder', args: (out) => ['tlc', 'evaluate', '--run', fx.run, '--tlc', fx.tlc, '--out', out] },
  { name: 'report', kind: 'file', args: (out) => ['report', '--run', fx.run, '--out', out, '--examples', '1', '--compare', 'none'] },
  { name: 'plot', kind: 'file', args: (out) => ['plot', fx.record, '--out', out] },
  { name: 'embed', kind: 'folder', args: (out) => ['embed', '--model', fx.encoder, '--data', fx.data, '--out', out] },
  { name: 'model run', kind: 'folder', args: (out) => ['model', 'run', fx.model, '--input', fx.x, '--out', out] },
  { name: 'model grad', kind: 'folder', args: (out) => ['model', 'grad', fx.model, '--input', fx.x, '--of', 'logits:0', '--wrt', 'input', '--out', out] },
  { name: 'probe', kind: 'file', args: (out) => ['probe', '--encoder', fx.encoder, '--data', fx.data, '--task', 'NORM', '--folds', '3', '--out', out] },
];

/** Names and sizes of everything under `p`, to show that a refused command changed nothing. */
function snapshot(p: string): string[] {
  const st = statSync(p);
  if (!st.isDirectory()) return [`${p} ${st.size} ${st.mtimeMs}`];
  return readdirSync(p).sort().flatMap((n) => snapshot(join(p, n)));
}

function refused(r: ReturnType<typeof runCli>, re: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
  assert.match(r.stderr, re, what);
}

for (const c of COMMANDS) {
  test(`${c.name}: an existing --out is refused without --force and replaced with it; ${c.kind === 'folder' ? 'a folder ecgx did not write is never replaced' : 'a folder is not a file'}; --out . never empties the folder`, async () => {
    const dir = mkdtempSync(join(root, `${c.name.replace(/ /g, '-')}-`));
    const ext = c.kind === 'folder' ? '' : c.name === 'plot' ? '.svg' : c.name === 'report' ? '.html' : '.json';
    const out = join(dir, `out${ext}`);
    const first = ecgx(c.args(out));
    assert.equal(first.code, 0, `${c.name}: ${first.stderr}`);
    if (c.kind === 'folder') assert.ok(existsSync(join(out, '.ecgx')), `${c.name}: the output folder carries the .ecgx marker`);

    const before = snapshot(out);
    refused(ecgx(c.args(out)), new RegExp(`^ecgx: ${out.replace(/[.]/g, '\\.')}: exists \\(pass --force to replace it\\)$`, 'm'), `${c.name} again`);
    assert.deepEqual(snapshot(out), before, `${c.name}: a refused run changed nothing`);

    const forced = ecgx([...c.args(out), '--force']);
    assert.equal(forced.code, 0, `${c.name} --force: ${forced.stderr}`);
    assert.deepEqual(readdirSync(dir), [out.slice(dir.length + 1)], `${c.name}: no temporary left beside the output`);

    // A user's folder at the output path.
    const mine = join(dir, `mine${ext}`);
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep me');
    if (c.kind === 'folder') refused(ecgx([...c.args(mine), '--force']), /mine: was not written by ecgx \(no \.ecgx marker file in it\), so it is not replaced even with --force/, `${c.name} onto a user's folder`);
    else refused(ecgx([...c.args(mine), '--force']), new RegExp(`mine\\${ext}: is a folder, expected a file`), `${c.name} onto a folder`);
    assert.equal(readFileSync(join(mine, 'notes.txt'), 'utf8'), 'keep me');

    // --out . in a folder holding the user's files, with --force.
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'patient-data.csv'), 'keep me');
    const dot = ecgx([...c.args('.'), '--force'], { cwd });
    refused(dot, c.kind === 'folder' ? /is the current folder or holds it; ecgx never replaces it/ : /is a folder, expected a file|expected a file ending in \.svg/, `${c.name} --out .`);
    assert.deepEqual(readdirSync(cwd), ['patient-data.csv'], `${c.name} --out . left the folder as it was`);
  });
}

test('explain and explain evaluate: the default output name never replaces a user\'s folder of that name', () => {
  const cwd = mkdtempSync(join(root, 'defaults-'));
  for (const [name, args] of [['explain', ['explain', '--model', fx.model, '--input', fx.x, '--method', 'saliency']], ['explain-metrics', ['explain', 'evaluate', '--model', fx.model, '--input', fx.x, '--method', 'saliency', '--waves', 'none']]] as const) {
    mkdirSync(join(cwd, name));
    writeFileSync(join(cwd, name, 'mine.txt'), 'keep me');
    refused(ecgx([...args], { cwd }), new RegExp(`${name}: exists \\(pass --force`), `${name} by default`);
    refused(ecgx([...args, '--force'], { cwd }), /not written by ecgx/, `${name} by default, --force`);
    assert.deepEqual(readdirSync(join(cwd, name)), ['mine.txt']);
  }
});

test('train and pretrain: an interrupted RUNDIR.partial is neither silently discarded nor, unmarked, deleted', () => {
  const dir = mkdtempSync(join(root, 'partial-'));
  const out = join(dir, 'run');
  // A user's folder that happens to be named RUNDIR.partial.
  mkdirSync(`${out}.partial`);
  writeFileSync(join(`${out}.partial`, 'mine.txt'), 'keep me');
  refused(ecgx(['train', ...TRAIN(fx.data), '--out', out, '--force']), /run\.partial: was not written by ecgx/, 'train over an unmarked RUNDIR.partial');
  assert.deepEqual(readdirSync(`${out}.partial`), ['mine.txt']);
  rmSync(`${out}.partial`, { recursive: true });
  // Rejected input leaves no RUNDIR.partial behind (pretrain opens its data after creating it).
  refused(ecgx(['pretrain', '--data', join(dir, 'nope'), '--method', 'masked', '--epochs', '1', '--out', out]), /nope/, 'pretrain on missing data');
  refused(ecgx(['train', ...TRAIN(fx.data).map((a) => (a === 'NORM;MI' ? 'NOPE' : a)), '--out', out]), /unknown label 'NOPE'/, 'train on an unknown label');
  assert.deepEqual(readdirSync(dir), [], 'nothing left by rejected runs');
});

test('a killed synth leaves a .NAME.PID.partial folder, which the next run of that output removes', async () => {
  const dir = mkdtempSync(join(root, 'killed-synth-'));
  const out = join(dir, 'db');
  const child = spawn(process.execPath, [CLI, 'synth', '--n', '100000', '--layout', 'ptbxl', '--out', out], { stdio: 'ignore' });
  const partial = `.db.${child.pid}.partial`;
  const t0 = Date.now();
  while (!existsSync(join(dir, partial, 'records100')) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.deepEqual(readdirSync(dir), [partial], 'the kill left the partial folder');
  const r = ecgx(['synth', '--n', '3', '--layout', 'ptbxl', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(dir), ['db'], 'the orphan of the dead process is gone');
});
