/**
 * File-system and run-file failures are user errors (one `ecgx:` line naming
 * the path, exit 2, nothing half-written); values that would run for hours or
 * fill memory are refused with their range; a full CLI run writes nothing
 * outside its outputs and the temporary folder (no onnxruntime telemetry).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliEnv } from '../../test/data-paths.js';
import { tinyPtbxl, TINY_MODEL } from '../train/testing.js';
import { writeNpy } from '../util/npy.js';

const ecgx = (args: string[], how: CliEnv = {}): ReturnType<typeof runCli> => runCli(args, 120_000, how);

let root = '';
let data = '';
let run = '';
let model = '';
let x = '';
const TRAIN = (d: string): string[] => ['--data', d, '--task', 'NORM;MI', '--model', TINY_MODEL, '--epochs', '1', '--batch-size', '8', '--length', '256', '--cv', '3', '--fold', '2', '--threads', '1'];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'ecgx-cli-reliability-'));
  chmodSync(root, 0o755); // readable by the unprivileged user of the permission cases
  data = await tinyPtbxl(36, 9);
  run = join(root, 'run');
  const t = ecgx(['train', ...TRAIN(data), '--out', run]);
  assert.equal(t.code, 0, t.stderr);
  model = join(run, 'fold-2', 'model.onnx');
  x = join(root, 'x.npy');
  writeNpy(x, { data: Float32Array.from({ length: 2 * 12 * 256 }, (_, i) => Math.cos(i / 7)), shape: [2, 12, 256] });
});
after(() => rmSync(root, { recursive: true, force: true }));

function userError(r: ReturnType<typeof runCli>, re: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
  assert.match(r.stderr, /^ecgx: /, what);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, what);
  assert.match(r.stderr, re, what);
}

/**
 * Permission checks do not bind root: as root the permission cases run the
 * CLI as 'nobody' (uid 65534); where that is impossible they are skipped.
 */
const asRoot = process.getuid?.() === 0;
const unprivileged: CliEnv | undefined = (() => {
  if (!asRoot) return {};
  const probe = runCli(['--version'], 30_000, { uid: 65534, gid: 65534, cwd: '/' });
  return probe.code === 0 ? { uid: 65534, gid: 65534 } : undefined;
})();

test('--out under a read-only folder, or an unreadable input: one line naming the path, exit 2, nothing written', { skip: unprivileged ? false : 'running as root, and the CLI cannot run as uid 65534 here: permission checks do not bind root' }, () => {
  const dir = mkdtempSync(join(root, 'perm-'));
  chmodSync(dir, 0o755);
  const ro = join(dir, 'ro');
  mkdirSync(ro, { mode: 0o555 });
  chmodSync(ro, 0o555);
  const how = { ...unprivileged, cwd: dir };
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  for (const f of ['00001_lr.hea', '00001_lr.dat']) writeFileSync(join(rec, f), readFileSync(join(data, 'records100', '00000', f)));
  userError(ecgx(['synth', '--n', '2', '--layout', 'ptbxl', '--out', join(ro, 'db')], how), new RegExp(`${ro}/db: cannot [a-z ]+: permission denied \\(EACCES\\)`), 'synth under a read-only folder');
  userError(ecgx(['explain', '--model', model, '--input', x, '--method', 'saliency', '--out', join(ro, 'sub', 'e')], how), /ro\/sub\/e: cannot [a-z ]+: permission denied \(EACCES\)/, 'explain under a read-only folder');
  userError(ecgx(['plot', join(rec, '00001_lr'), '--out', join(ro, 'p.svg')], how), /ro\/p\.svg: cannot write: permission denied \(EACCES\)/, 'plot into a read-only folder');
  assert.deepEqual(readdirSync(ro), [], 'nothing written, no temporary left');

  // An input nobody may read (chmod 000).
  const secret = join(dir, 'secret');
  mkdirSync(secret);
  for (const f of ['00001_lr.hea', '00001_lr.dat']) writeFileSync(join(secret, f), readFileSync(join(data, 'records100', '00000', f)));
  chmodSync(join(secret, '00001_lr.hea'), 0o000);
  userError(ecgx(['record', join(secret, '00001_lr')], how), /secret\/00001_lr\.hea: permission denied/, 'an unreadable header');
  const xs = join(dir, 'x.npy');
  writeFileSync(xs, readFileSync(x));
  chmodSync(xs, 0o000);
  userError(ecgx(['explain', '--model', model, '--input', xs, '--method', 'saliency', '--out', join(dir, 'e')], how), /x\.npy: cannot read: permission denied \(EACCES\)/, 'an unreadable .npy');
  assert.ok(!existsSync(join(dir, 'e')));
});

test('a file where a folder is expected, a folder where a file is expected, a name too long: one line, exit 2, nothing written', () => {
  const dir = mkdtempSync(join(root, 'paths-'));
  const file = join(dir, 'file');
  writeFileSync(file, 'mine');
  const long = 'n'.repeat(300);
  userError(ecgx(['synth', '--n', '2', '--layout', 'ptbxl', '--out', file, '--force']), /file: exists and is not a folder \(expected a folder\)/, 'synth onto a file');
  userError(ecgx(['explain', '--model', model, '--input', x, '--method', 'saliency', '--out', join(file, 'sub')]), /file\/sub: .*a part of the path is not a folder \(ENOTDIR\)/, 'explain under a file');
  userError(ecgx(['tlc', 'fit', '--run', run, '--out', dir]), /is a folder, expected a file/, 'tlc fit onto a folder');
  userError(ecgx(['synth', '--n', '2', '--layout', 'ptbxl', '--out', join(dir, long)]), /a name in the path is longer than the file system allows \(ENAMETOOLONG\)/, 'synth with a long name');
  userError(ecgx(['plot', join(data, 'records100', '00000', '00001_lr'), '--out', join(dir, `${long}.svg`)]), /longer than the file system allows \(ENAMETOOLONG\)/, 'plot with a long name');
  userError(ecgx(['record', join(dir, long)]), /ENAMETOOLONG|too long|no such|not found/i, 'reading a record with a long name');
  assert.deepEqual(readdirSync(dir), ['file']);
  assert.equal(readFileSync(file, 'utf8'), 'mine');
  // A dataset whose table is a folder.
  const ds = join(dir, 'ptbxl');
  mkdirSync(join(ds, 'ptbxl_database.csv'), { recursive: true });
  writeFileSync(join(ds, 'scp_statements.csv'), readFileSync(join(data, 'scp_statements.csv')));
  const r = ecgx(['dataset', 'info', ds, '--layout', 'ptbxl']);
  userError(r, /ptbxl_database\.csv: .*(is a folder|EISDIR)/, 'a table that is a folder');
});

test('--resume with a damaged or null run.json / pretrain.json: one line saying the run file is damaged, and where', () => {
  const dir = mkdtempSync(join(root, 'resume-'));
  for (const [cmd, file] of [['train', 'run.json'], ['pretrain', 'pretrain.json']] as const) {
    for (const [i, [content, why]] of ([['{"config": {"data": "x", ', /not valid JSON/], ['null', /expected a JSON object, found null/], ['[]', /found an array/], ['{"config": null}', /no 'config' object/], ['', /not valid JSON/]] as const).entries()) {
      const out = join(dir, `${cmd}-${i}`);
      mkdirSync(`${out}.partial`);
      writeFileSync(join(`${out}.partial`, '.ecgx'), '');
      writeFileSync(join(`${out}.partial`, file), content);
      userError(ecgx([cmd, '--resume', '--out', out]), new RegExp(`${out}\\.partial/${file.replace('.', '\\.')}: damaged run file: (.*, )?${why.source}.*written by ecgx ${cmd}`), `${cmd} --resume on ${JSON.stringify(content)}`);
      assert.ok(!existsSync(out));
    }
  }
  // A config that parses but cannot be a run's.
  const out = join(dir, 'bad-config');
  mkdirSync(`${out}.partial`);
  writeFileSync(join(`${out}.partial`, 'run.json'), JSON.stringify({ config: { data: 7, model: 'resnet1d', epochs: 1 } }));
  userError(ecgx(['train', '--resume', '--out', out]), /run\.json \(config\.data\): damaged run file/, 'train --resume with config.data a number');
});

test('evaluate: missing predictions, a non-numeric probability or a listed fold folder that is missing are errors, not a partial result', () => {
  const dir = mkdtempSync(join(root, 'evaluate-'));
  const copy = (name: string): string => {
    const to = join(dir, name);
    mkdirSync(join(to, 'fold-2'), { recursive: true });
    for (const f of ['run.json', 'fold-2/predictions.csv', 'fold-2/metrics.json']) writeFileSync(join(to, f), readFileSync(join(run, f)));
    return to;
  };
  const ok = ecgx(['evaluate', '--run', copy('ok'), '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).folds.length, 1);

  const noPred = copy('no-pred');
  rmSync(join(noPred, 'fold-2', 'predictions.csv'));
  userError(ecgx(['evaluate', '--run', noPred]), /no-pred\/fold-2\/predictions\.csv: missing: .*run\.json lists fold 2 as finished/, 'predictions.csv missing');

  const noFold = copy('no-fold');
  rmSync(join(noFold, 'fold-2'), { recursive: true });
  userError(ecgx(['evaluate', '--run', noFold]), /no-fold\/fold-2: missing: .*lists fold 2 as finished/, 'fold folder missing');

  const nan = copy('nan');
  const csv = join(nan, 'fold-2', 'predictions.csv');
  const lines = readFileSync(csv, 'utf8').split('\n');
  const cols = lines[0]!.split(',');
  const k = cols.indexOf('prob:MI');
  const row = lines[3]!.split(',');
  row[k] = 'high';
  lines[3] = row.join(',');
  writeFileSync(csv, lines.join('\n'));
  userError(ecgx(['evaluate', '--run', nan]), /nan\/fold-2\/predictions\.csv:4 \(prob:MI\): expected a number, got 'high'/, 'a non-numeric probability');
  row[k] = '';
  lines[3] = row.join(',');
  writeFileSync(csv, lines.join('\n'));
  userError(ecgx(['evaluate', '--run', nan]), /predictions\.csv:4 \(prob:MI\): expected a number, got ''/, 'an empty probability');

  const nullRun = copy('null-run');
  writeFileSync(join(nullRun, 'run.json'), 'null');
  userError(ecgx(['evaluate', '--run', nullRun]), /run\.json: damaged run file: expected a JSON object, found null/, 'run.json null');
});

test('explain with an empty batch, ecgx with no arguments, tlc without a subcommand', () => {
  const empty = join(root, 'empty.npy');
  writeNpy(empty, { data: new Float32Array(0), shape: [0, 12, 256] });
  const out = join(root, 'e-empty');
  userError(ecgx(['explain', '--model', model, '--input', empty, '--method', 'saliency', '--out', out]), /empty\.npy: an empty batch \(shape \[0, 12, 256\]\), expected at least one ECG/, 'explain --input with 0 ECGs');
  userError(ecgx(['explain', 'evaluate', '--model', model, '--input', empty, '--method', 'saliency', '--out', out]), /an empty batch/, 'explain evaluate --input with 0 ECGs');
  assert.ok(!existsSync(out));
  const help = ecgx([]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^ecgx: explainable deep learning for the ECG/);
  assert.match(help.stdout, /Commands:[\s\S]*\n {2}train /);
  // tlc and model answer a missing subcommand alike: one line naming the subcommands, exit 2.
  userError(ecgx(['tlc']), /^ecgx: tlc: missing subcommand \(expected one of fit, explain, evaluate, align, sweep/, 'tlc');
  userError(ecgx(['model']), /^ecgx: model: missing subcommand \(expected one of info, run, grad, card\)/, 'model');
  userError(ecgx(['tlc', 'nope']), /unknown subcommand 'nope'/, 'tlc nope');
});

test('values that would run for hours or fill memory are refused with their range, before any work', () => {
  const out = join(root, 'never');
  const rec = join(data, 'records100', '00000', '00001_lr');
  const cases: [string[], RegExp][] = [
    [['train', ...TRAIN(data).filter((a, i, all) => a !== '--fold' && all[i - 1] !== '--fold'), '--lr', '0', '--out', out], /--lr: expected > 0 and <= 10, got 0/],
    [['train', ...TRAIN(data).filter((a, i, all) => a !== '--fold' && all[i - 1] !== '--fold'), '--fold', '1,1', '--out', out], /--fold: fold 1 is given twice/],
    [['train', ...TRAIN(data), '--model', 'resnet1d-small:downsample=4,4,4', '--length', '32', '--out', out], /resnet1d\.downsample: block 3 would downsample 2 sample\(s\) by 4, below one sample/],
    [['train', ...TRAIN(data), '--model', 'resnet1d-small:kernel=5001', '--out', out], /kernel: expected 1 to 255, got 5001/],
    [['train', ...TRAIN(data), '--fs', '1e6', '--out', out], /--fs: expected 25 to 2000 Hz, got 1000000/],
    [['train', ...TRAIN(data), '--threads', '10000', '--out', out], /--threads: expected 1 to 256, got 10000/],
    [['pretrain', '--data', data, '--method', 'masked', '--epochs', '1', '--fs', '1e6', '--out', out], /--fs: expected 25 to 2000 Hz, got 1000000/],
    [['delineate', '--evaluate', data, '--fs', '50'], /--fs: expected 100 to 1000 Hz \(the delineator's supported range\), got 50/],
    [['delineate', '--evaluate', data, '--fs', '5000'], /--fs: expected 100 to 1000 Hz .*got 5000/],
    [['explain', '--model', model, '--input', x, '--method', 'ig', '--steps', '1e9', '--out', out], /--steps: expected 1 to 4096, got 1000000000/],
    [['explain', '--model', model, '--input', x, '--method', 'saliency', '--threads', '10000', '--out', out], /--threads: expected 1 to 256/],
    [['explain', 'evaluate', '--model', model, '--input', x, '--method', 'saliency', '--curve-steps', '100000', '--out', out], /--curve-steps: expected 1 to 1000, got 100000/],
    [['plot', rec, '--duration', '1e6', '--out', `${out}.svg`], /--duration: expected 0\.01 to 600 s, got 1000000/],
    [['model', 'run', model, '--input', x, '--batch-size', '1e7', '--out', out], /--batch-size: expected 1 to 4096/],
    [['tlc', 'fit', '--run', run, '--k', '100000', '--out', `${out}.json`], /--k: expected 2 to 1000/],
  ];
  for (const [args, re] of cases) {
    const t0 = Date.now();
    userError(ecgx(args), re, args.join(' '));
    assert.ok(Date.now() - t0 < 20_000, `${args.join(' ')}: refused only after ${Date.now() - t0} ms`);
  }
  assert.ok(!existsSync(out) && !existsSync(`${out}.partial`) && !existsSync(`${out}.svg`) && !existsSync(`${out}.json`));
  // The flags' help states the bounds too.
  assert.match(ecgx(['train', '--help']).stdout, /--threads N\s+onnxruntime threads \(1-256\)/);
  assert.match(ecgx(['explain', 'evaluate', '--help']).stdout, /--curve-steps N .*1-1000/);
  assert.match(ecgx(['plot', '--help']).stdout, /--duration S\s+seconds shown, 0\.01-600/);
  assert.match(ecgx(['delineate', '--help']).stdout, /100-1000, the delineator's supported range/);
});

/** The child's environment: no CI variable or explicit switch that would turn onnxruntime's telemetry off by itself. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['ORT_DISABLE_TELEMETRY', 'XDG_CACHE_HOME', 'CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL', 'CODEBUILD_BUILD_ID', 'BUILDKITE', 'TEAMCITY_VERSION', 'APPVEYOR', 'BITBUCKET_BUILD_NUMBER', 'ORT_RUNNING_UNIT_TESTS']) delete env[k];
  return env;
}

function listAll(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? [`${prefix}${n}/`, ...listAll(p, `${prefix}${n}/`)] : [`${prefix}${n}`];
  });
}

test('a full CLI run (synth, train, explain) writes nothing outside its outputs and the temporary folder: no telemetry', () => {
  const base = mkdtempSync(join(root, 'privacy-'));
  const home = join(base, 'home'), work = join(base, 'work'), tmp = join(base, 'tmp');
  for (const d of [home, work, tmp]) mkdirSync(d);
  const how = { cwd: work, env: cleanEnv({ HOME: home, TMPDIR: tmp }) };
  const steps: string[][] = [
    ['synth', '--n', '30', '--layout', 'ptbxl', '--seed', '3', '--out', 'db'],
    ['train', ...TRAIN('db'), '--out', 'run'],
    ['explain', '--model', join('run', 'fold-2', 'model.onnx'), '--data', 'db', '--records', '1,2', '--method', 'gradcam,saliency', '--out', 'why'],
  ];
  for (const s of steps) {
    const r = ecgx(s, how);
    assert.equal(r.code, 0, `${s[0]}: ${r.stderr}`);
  }
  assert.deepEqual(listAll(home), [], 'nothing in HOME (onnxruntime keeps its device id and events under ~/.cache/Microsoft)');
  assert.deepEqual(readdirSync(work).sort(), ['db', 'run', 'why'], 'only the outputs in the working folder');
  // A HOME that cannot be written: onnxruntime would fall back to ':memory:.ses' in the working folder.
  const blocked = join(base, 'home-file');
  writeFileSync(blocked, '');
  const r = ecgx(['explain', '--model', join('run', 'fold-2', 'model.onnx'), '--input', x, '--method', 'saliency', '--out', 'why2'], { cwd: work, env: cleanEnv({ HOME: blocked, TMPDIR: tmp }) });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /telemetry/i);
  assert.deepEqual(readdirSync(work).sort(), ['db', 'run', 'why', 'why2']);
});
