/**
 * The resumable training state under the states a kill or a damaged disk can
 * leave: a new state written but not yet renamed into place, the two-file
 * state of earlier versions torn between its renames, truncated or altered
 * bytes. kill-resume.test.ts kills real runs at each rename (with strace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../util/errors.js';
import { STATE_FILE, encodeFoldState, loadFoldState, saveFoldState, type FoldProgress } from './state.js';
import type { TrainerState } from './trainer.js';

function trainerState(epoch: number): TrainerState {
  const f = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => epoch * 1000 + k * 100 + i + 0.25);
  return { params: { w: f(5, 1), b: f(2, 2) }, running: { mean: f(3, 3) }, optimizer: { step: epoch * 10, m: { w: f(5, 4), b: f(2, 5) }, v: { w: f(5, 6), b: f(2, 7) } } };
}

function progress(epoch: number): FoldProgress {
  return { epoch, bestMetric: 0.5 + epoch / 100, bestEpoch: epoch, badEpochs: 0, history: Array.from({ length: epoch }, (_, i) => ({ epoch: i + 1, loss: 1 / (i + 1), lr: 1e-3, seconds: 1, ecgPerSecond: 10, val: { auroc: 0.5 + i / 100 } })), stopped: false };
}

const fresh = (): string => mkdtempSync(join(tmpdir(), 'ecgx-state-'));

test('a saved state loads back exactly: tensors, optimizer step, progress', () => {
  const dir = fresh();
  assert.equal(loadFoldState(dir), undefined, 'no state saved yet');
  saveFoldState(dir, progress(2), trainerState(2));
  const s = loadFoldState(dir)!;
  assert.deepEqual(s.progress, progress(2));
  assert.deepEqual(s.state, trainerState(2));
  assert.deepEqual(readdirSync(dir), [STATE_FILE], 'one file, no temporary left');
});

test('killed before the rename: the previous epoch loads, and the orphaned temporary file is removed', () => {
  const dir = fresh();
  saveFoldState(dir, progress(1), trainerState(1));
  // What writeFileAtomic leaves when killed between writing epoch 2 and renaming it: the temporary of a dead process.
  const orphan = join(dir, `.${STATE_FILE}.999999999.tmp`);
  writeFileSync(orphan, encodeFoldState(progress(2), trainerState(2)));
  const s = loadFoldState(dir)!;
  assert.equal(s.progress.epoch, 1);
  assert.deepEqual(s.state, trainerState(1), 'the weights are epoch 1\'s, consistent with the progress');
  assert.ok(!existsSync(orphan), 'the stale .state.bin.PID.tmp is cleaned on resume');
  // A temporary of a live process (this one) is never touched.
  const live = join(dir, `.${STATE_FILE}.${process.pid}.tmp`);
  writeFileSync(live, 'x');
  loadFoldState(dir);
  assert.ok(existsSync(live));
});

test('the torn two-file state of earlier versions (new state.bin, old state.json) is refused, not trusted', () => {
  const dir = fresh();
  // Epoch 2's tensors renamed into place, the kill came before state.json (epoch 1, same byte count) was replaced.
  writeFileSync(join(dir, 'state.bin'), new Uint8Array(new Float32Array(31).fill(2).buffer));
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...progress(1), binBytes: 124, step: 10, tensors: [] }));
  assert.throws(() => loadFoldState(dir), (e: unknown) => e instanceof FormatError && /state\.json: damaged training state: written by an earlier ecgx as two files/.test((e as Error).message));
});

test('a truncated, altered or foreign state file is a FormatError naming the file, never a silent load', () => {
  const good = encodeFoldState(progress(3), trainerState(3));
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated tensors', good.subarray(0, good.length - 4), /expected \d+ bytes of tensors, found \d+/],
    ['one bit flipped in a weight', (() => { const b = Uint8Array.from(good); b[b.length - 3]! ^= 0x10; return b; })(), /do not match their SHA-256/],
    ['cut inside the header', good.subarray(0, 40), /header of \d+ bytes does not fit/],
    ['not ecgx state at all', new Uint8Array(new Float32Array(40).buffer), /not a training state written by ecgx/],
    ['empty file', new Uint8Array(0), /not a training state written by ecgx/],
  ];
  for (const [what, bytes, re] of cases) {
    const dir = fresh();
    writeFileSync(join(dir, STATE_FILE), bytes);
    assert.throws(() => loadFoldState(dir), (e: unknown) => e instanceof FormatError && e.file === join(dir, STATE_FILE) && /damaged training state/.test((e as Error).message) && re.test((e as Error).message), what);
  }
  // Header and tensors sit in one file: replacing it is one rename, so a state is whole or absent.
  const dir = fresh();
  saveFoldState(dir, progress(3), trainerState(3));
  assert.deepEqual(readFileSync(join(dir, STATE_FILE)), Buffer.from(good));
});
