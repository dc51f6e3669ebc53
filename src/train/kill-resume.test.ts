/**
 * `ecgx train` and `ecgx pretrain` killed (SIGKILL) at each rename they make,
 * by strace's fault injection, then resumed: every resumed run ends exactly as
 * the run that was never interrupted (same checkpoint bytes, same predictions,
 * same loss history), and leaves no temporary file behind. Skipped, with a
 * message, where strace is not installed; state.test.ts checks the torn
 * states themselves without it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../test/data-paths.js';
import { tinyPtbxl, TINY_MODEL } from './testing.js';

const strace = spawnSync('strace', ['-V'], { encoding: 'utf8' });
const NO_STRACE = strace.status === 0 ? false : 'strace is not installed (apt-get install strace); state.test.ts covers torn states without it';

/** Runs the CLI under strace; with `killAt`, SIGKILLs it at its killAt-th rename. Returns the renames it traced. */
function traced(args: string[], killAt?: number): { code: number | null; signal: NodeJS.Signals | null; renames: string[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-strace-'));
  const log = join(dir, 'trace');
  const inject = killAt === undefined ? [] : ['-e', `inject=rename,renameat,renameat2:signal=KILL:when=${killAt}`];
  const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=rename,renameat,renameat2', ...inject, process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  const renames = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => /\brename(at2?)?\(/.test(l)) : [];
  rmSync(dir, { recursive: true, force: true });
  return { code: r.status, signal: r.signal, renames, stderr: r.stderr };
}

function allFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n), `${prefix}${n}/`) : [`${prefix}${n}`]));
}

/** Kills `args --out X` at every rename in turn, resumes, and compares with the uninterrupted run via `same`. */
async function killAtEachRename(name: string, args: string[], same: (whole: string, resumed: string, what: string) => void): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), `ecgx-kill-${name}-`));
  try {
    const whole = join(root, 'whole');
    const first = traced([...args, '--out', whole]);
    assert.equal(first.code, 0, first.stderr);
    const n = first.renames.length;
    assert.ok(n >= 6, `expected several renames, traced ${n}:\n${first.renames.join('\n')}`);
    for (let k = 1; k <= n; k++) {
      const out = join(root, `killed-${k}`);
      const what = `killed at rename ${k} of ${n} (${first.renames[k - 1]!.replace(/^\d+\s+/, '').slice(0, 160)})`;
      const killed = traced([...args, '--out', out], k);
      assert.ok(killed.code !== 0, `${what}: the run was not killed`);
      assert.ok(!existsSync(out), `${what}: the output appeared before the run finished`);
      // Killed before its run file existed, the run has nothing to resume: running it again starts over.
      const record = join(`${out}.partial`, name === 'train' ? 'run.json' : 'pretrain.json');
      const r = runCli(existsSync(record) ? [name, '--resume', '--out', out] : [...args, '--out', out], 120_000);
      assert.equal(r.code, 0, `${what}: ${existsSync(record) ? 'resume' : 'the rerun'} failed: ${r.stderr}`);
      assert.ok(!existsSync(`${out}.partial`), `${what}: ${out}.partial left`);
      const left = allFiles(out).filter((f) => /\.tmp$|\.partial|\.old$/.test(f));
      assert.deepEqual(left, [], `${what}: temporary files left`);
      same(whole, out, what);
    }
    return n;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const losses = (path: string, key: 'history'): number[] => (JSON.parse(readFileSync(path, 'utf8'))[key] as { loss: number }[]).map((e) => e.loss);

test('ecgx train killed at each of its renames resumes to exactly the uninterrupted run', { skip: NO_STRACE, timeout: 600_000 }, async () => {
  const data = await tinyPtbxl(36, 9);
  const args = ['train', '--data', data, '--task', 'NORM;MI', '--model', TINY_MODEL, '--epochs', '2', '--batch-size', '8', '--length', '256', '--cv', '3', '--fold', '2', '--threads', '1'];
  const n = await killAtEachRename('train', args, (whole, resumed, what) => {
    for (const f of ['model.onnx', 'predictions.csv']) assert.ok(readFileSync(join(whole, 'fold-2', f)).equals(readFileSync(join(resumed, 'fold-2', f))), `${what}: fold-2/${f} differs`);
    assert.deepEqual(losses(join(resumed, 'fold-2', 'metrics.json'), 'history'), losses(join(whole, 'fold-2', 'metrics.json'), 'history'), `${what}: loss history differs`);
    const test = (p: string): unknown => JSON.parse(readFileSync(join(p, 'run.json'), 'utf8')).summary;
    assert.deepEqual(test(resumed), test(whole), `${what}: run.json summary differs`);
  });
  assert.ok(n >= 8);
});

test('ecgx pretrain killed at each of its renames resumes to exactly the uninterrupted run', { skip: NO_STRACE, timeout: 600_000 }, async () => {
  const data = await tinyPtbxl(24, 4);
  const args = ['pretrain', '--data', data, '--method', 'masked', '--epochs', '2', '--batch-size', '8', '--model', TINY_MODEL, '--length', '256', '--threads', '1'];
  const n = await killAtEachRename('pretrain', args, (whole, resumed, what) => {
    for (const f of ['encoder.onnx', 'model.onnx']) assert.ok(readFileSync(join(whole, f)).equals(readFileSync(join(resumed, f))), `${what}: ${f} differs`);
    assert.deepEqual(losses(join(resumed, 'pretrain.json'), 'history'), losses(join(whole, 'pretrain.json'), 'history'), `${what}: loss history differs`);
  });
  assert.ok(n >= 6);
});
