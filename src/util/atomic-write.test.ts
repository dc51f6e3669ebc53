/**
 * The output policy of the shared writers: refuse an existing output unless
 * `force`, and even then never replace a folder ecgx did not write, nor the
 * current folder; clean what killed writers left; file-system failures as
 * IoErrors naming the output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoError, asIoError } from './errors.js';
import { OUTPUT_MARKER, checkOutput, removeStaleTemporaries, writeDirAtomic, writeFileAtomic } from './atomic-write.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'ecgx-aw-'));
const io = (re: RegExp) => (e: unknown): boolean => e instanceof IoError && re.test(e.message);
const fill = (name: string, text: string) => (dir: string): void => writeFileSync(join(dir, name), text);

test('writeDirAtomic: a new folder is marked; an existing one needs force, and force replaces only a marked folder', async () => {
  const root = fresh();
  const out = join(root, 'out');
  await writeDirAtomic(out, fill('a.txt', '1'));
  assert.deepEqual(readdirSync(out).sort(), [OUTPUT_MARKER, 'a.txt']);
  await assert.rejects(writeDirAtomic(out, fill('a.txt', '2')), io(/out: exists \(pass --force to replace it\)$/));
  assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), '1', 'refused: nothing changed');
  await writeDirAtomic(out, fill('b.txt', '2'), { force: true });
  assert.deepEqual(readdirSync(out).sort(), [OUTPUT_MARKER, 'b.txt'], 'replaced, not merged');

  const mine = join(root, 'mine');
  mkdirSync(mine);
  writeFileSync(join(mine, 'thesis.tex'), 'years of work');
  await assert.rejects(writeDirAtomic(mine, fill('a.txt', '1'), { force: true }), io(/mine: was not written by ecgx \(no \.ecgx marker file in it\), so it is not replaced even with --force/));
  assert.deepEqual(readdirSync(mine), ['thesis.tex']);

  const empty = join(root, 'empty');
  mkdirSync(empty);
  await writeDirAtomic(empty, fill('a.txt', '1'));
  assert.deepEqual(readdirSync(empty).sort(), [OUTPUT_MARKER, 'a.txt'], 'an empty folder holds nothing to lose');
  assert.deepEqual(readdirSync(root).sort(), ['empty', 'mine', 'out'], 'no temporary left');
});

test('the current folder, or one holding it, is never replaced, even when ecgx wrote it', async () => {
  const root = fresh();
  const here = join(root, 'here');
  await writeDirAtomic(here, fill('a.txt', '1'));
  const cwd = process.cwd();
  process.chdir(here);
  try {
    for (const out of ['.', here, root]) {
      await assert.rejects(writeDirAtomic(out, fill('b.txt', '2'), { force: true }), io(/is the current folder or holds it/), out);
    }
  } finally {
    process.chdir(cwd);
  }
  assert.deepEqual(readdirSync(here).sort(), [OUTPUT_MARKER, 'a.txt']);
});

test('a failing fill leaves nothing, and the old output stays', async () => {
  const root = fresh();
  const out = join(root, 'out');
  await writeDirAtomic(out, fill('a.txt', '1'));
  await assert.rejects(writeDirAtomic(out, () => { throw new Error('boom'); }, { force: true }), /boom/);
  assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), '1');
  assert.deepEqual(readdirSync(root), ['out']);
});

test('writeFileAtomic with a policy: existing file needs force; a folder where a file is expected is refused', () => {
  const root = fresh();
  const f = join(root, 'r.json');
  writeFileAtomic(f, '1', {});
  assert.throws(() => writeFileAtomic(f, '2', {}), io(/r\.json: exists \(pass --force to replace it\)$/));
  writeFileAtomic(f, '2', { force: true });
  assert.equal(readFileSync(f, 'utf8'), '2');
  assert.throws(() => writeFileAtomic(root, 'x', { force: true }), io(/is a folder, expected a file/));
  writeFileAtomic(f, '3'); // without a policy: a file inside something ecgx builds, replaced freely
  assert.equal(readFileSync(f, 'utf8'), '3');
  assert.throws(() => checkOutput(f, 'folder', { force: true }), io(/r\.json: exists and is not a folder/));
  assert.throws(() => checkOutput('/dev/null', 'file', { force: true }), io(/not a regular file/));
});

test('file-system failures are IoErrors naming the output and the reason', async () => {
  const root = fresh();
  const file = join(root, 'plain');
  writeFileSync(file, 'x');
  const long = 'n'.repeat(300);
  assert.throws(() => writeFileAtomic(join(root, long, 'a.json'), '1', {}), io(new RegExp(`${long}/a\\.json: cannot [a-z ]+: a name in the path is longer than the file system allows \\(ENAMETOOLONG\\)`)));
  await assert.rejects(writeDirAtomic(join(root, long), fill('a', '1')), io(/longer than the file system allows \(ENAMETOOLONG\)/));
  assert.throws(() => writeFileAtomic(join(file, 'a.json'), '1', {}), io(/plain\/a\.json: .*a part of the path is not a folder \(ENOTDIR\)/));
  await assert.rejects(writeDirAtomic(join(file, 'sub'), fill('a', '1')), io(/plain\/sub: .*not a folder \(ENOTDIR\)/));
  // An error inside the folder being built names the output, not the temporary folder.
  await assert.rejects(writeDirAtomic(join(root, 'o'), (tmp) => writeFileAtomic(join(tmp, long), '1')), (e: unknown) => e instanceof IoError && e.file === join(root, 'o', long) && !/partial/.test(e.message));
  // Node's errors elsewhere map the same way; other errors pass unchanged.
  const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: '/x/y' });
  assert.equal((asIoError(enoent) as Error).message, '/x/y: no such file or folder (ENOENT)');
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  assert.equal((asIoError(full, '/data/out', 'write') as Error).message, '/data/out: cannot write: no space left on the device (ENOSPC)');
  const other = new TypeError('bug');
  assert.equal(asIoError(other), other);
  assert.deepEqual(readdirSync(root), ['plain']);
});

test('what killed writers left is removed when their process is gone; a live writer\'s is kept', () => {
  const root = fresh();
  const dead = 999_999_999;
  const stale = [`.out.${dead}.partial`, `.out.${dead}.old`, `.r.json.${dead}.tmp`];
  mkdirSync(join(root, stale[0]!));
  writeFileSync(join(root, stale[0]!, OUTPUT_MARKER), '');
  mkdirSync(join(root, stale[1]!));
  writeFileSync(join(root, stale[2]!), 'x');
  const live = `.out.${process.pid}.partial`;
  mkdirSync(join(root, live));
  const foreign = `.out.${dead}.partial-not-ours`;
  mkdirSync(join(root, foreign));
  const unmarked = `.other.${dead}.partial`;
  mkdirSync(join(root, unmarked));
  writeFileSync(join(root, unmarked, 'data'), 'x');
  removeStaleTemporaries(root);
  assert.deepEqual(readdirSync(root).sort(), [foreign, live, unmarked].sort(), 'a folder without the marker that holds files is not ecgx\'s to remove');
});

test('writeDirAtomic removes the .NAME.PID.partial folders of killed runs of the same output', async () => {
  const root = fresh();
  const orphan = join(root, '.out.999999999.partial');
  mkdirSync(orphan);
  writeFileSync(join(orphan, OUTPUT_MARKER), '');
  writeFileSync(join(orphan, 'half.bin'), 'x');
  await writeDirAtomic(join(root, 'out'), fill('a', '1'));
  assert.deepEqual(readdirSync(root), ['out']);
  assert.ok(!existsSync(orphan));
});
