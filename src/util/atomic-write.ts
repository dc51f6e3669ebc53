/**
 * Writing outputs so that nothing is half-written and nothing of the user's is
 * lost:
 *   - a file goes to a temporary sibling (`.NAME.PID.tmp`) renamed into place
 *     once complete; a folder is built as `.NAME.PID.partial` and renamed into
 *     place when its `fill` succeeds;
 *   - an output the user named (an `OutputPolicy` is given) that exists already
 *     is refused unless `force`; even then a non-empty folder is replaced only
 *     when ecgx wrote it, i.e. it holds the marker file OUTPUT_MARKER, which
 *     every folder ecgx creates gets; the current folder (or one holding it) is
 *     never replaced;
 *   - temporaries left by a killed ecgx (their PID is no longer alive) are
 *     removed by the next write of the same output;
 *   - file-system failures (read-only, permission, name too long, no space, a
 *     file where a folder is expected, ...) become IoErrors naming the output.
 */
import { mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { IoError, asIoError, fsErrorCode } from './errors.js';

/** The marker file in every output folder ecgx creates; `force` replaces only folders that hold it. */
export const OUTPUT_MARKER = '.ecgx';
const MARKER_TEXT = 'This folder was written by ecgx; ecgx replaces it only when asked to (--force).\n';

/** How a user-named output that exists already is treated. */
export interface OutputPolicy {
  /** Replace it: a file, or a folder that ecgx wrote (one that holds OUTPUT_MARKER). Default: refuse. */
  force?: boolean;
}

export type OutputKind = 'file' | 'folder';

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if (fsErrorCode(e) === 'ENOENT') return undefined;
    throw asIoError(e, path, 'use this path');
  }
}

/** True when `dir` holds OUTPUT_MARKER (ecgx wrote it). */
export function isEcgxOutput(dir: string): boolean {
  return statOf(join(dir, OUTPUT_MARKER))?.isFile() === true;
}

/** Marks `dir` as an ecgx output folder. */
export function markOutputFolder(dir: string): void {
  writeFileSync(join(dir, OUTPUT_MARKER), MARKER_TEXT);
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** True when `dir` is the current folder or one of its ancestors. */
function holdsCwd(dir: string): boolean {
  const d = realOrSame(dir), cwd = realOrSame(process.cwd());
  return cwd === d || cwd.startsWith(d.endsWith(sep) ? d : d + sep);
}

/**
 * Checks that `path` may be written as a `kind` under `policy`, before any
 * work: it does not exist, or is an empty folder, or `force` is given and it
 * is a regular file (kind 'file') or a folder ecgx wrote (kind 'folder').
 * Throws an IoError naming the path and what to do otherwise.
 */
export function checkOutput(path: string, kind: OutputKind, policy: OutputPolicy = {}): void {
  const abs = resolve(path);
  const st = statOf(abs);
  if (!st) return;
  if (kind === 'folder') {
    if (!st.isDirectory()) throw new IoError(abs, 'exists and is not a folder (expected a folder)');
    if (holdsCwd(abs)) throw new IoError(abs, 'is the current folder or holds it; ecgx never replaces it (choose another output folder)');
    if (readdirSync(abs).length === 0) return;
    if (!policy.force) throw new IoError(abs, 'exists (pass --force to replace it)');
    if (!isEcgxOutput(abs)) throw new IoError(abs, `was not written by ecgx (no ${OUTPUT_MARKER} marker file in it), so it is not replaced even with --force; remove it yourself or choose another folder`);
    return;
  }
  if (st.isDirectory()) throw new IoError(abs, 'is a folder, expected a file');
  if (!st.isFile()) throw new IoError(abs, 'exists and is not a regular file');
  if (!policy.force) throw new IoError(abs, 'exists (pass --force to replace it)');
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes what a killed ecgx left beside `name` in `dir`: `.NAME.PID.tmp`
 * files and `.NAME.PID.partial`/`.old` folders whose PID is not alive (folders
 * only when they hold the marker or are empty). Best effort: never throws.
 */
export function removeStaleTemporaries(dir: string, name?: string): void {
  const re = new RegExp(`^\\.${name === undefined ? '.+' : escapeRe(name)}\\.(\\d+)\\.(tmp|partial|old)$`);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = re.exec(entry);
    if (!m || isAlive(Number(m[1]))) continue;
    const p = join(dir, entry);
    try {
      const st = statSync(p);
      if (st.isFile() && m[2] === 'tmp') rmSync(p, { force: true });
      else if (st.isDirectory() && m[2] !== 'tmp' && (isEcgxOutput(p) || readdirSync(p).length === 0)) rmSync(p, { recursive: true, force: true });
    } catch {
      /* another process got there first, or it is not ours to remove */
    }
  }
}

/** Removes a temporary file or folder during cleanup; a failure there must not hide the error being reported. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    /* nothing was created there, or it cannot be removed either */
  }
}

function makeParent(dest: string): void {
  try {
    mkdirSync(dirname(dest), { recursive: true });
  } catch (e) {
    throw asIoError(e, dest, 'create its folder');
  }
}

/** An error met while writing inside `tmp`, re-aimed at the same place inside `dest`. */
function aimedAt(e: unknown, tmp: string, dest: string): unknown {
  const inTmp = (p: string): boolean => p === tmp || p.startsWith(tmp + sep);
  if (e instanceof IoError && inTmp(e.file)) return new IoError(dest + e.file.slice(tmp.length), e.message.slice(e.file.length + 2));
  const p = (e as { path?: unknown } | null)?.path;
  if (typeof p === 'string' && inTmp(p)) return asIoError(e, dest + p.slice(tmp.length), 'write');
  if (p === undefined && fsErrorCode(e) !== undefined) return asIoError(e, dest, 'write');
  return e;
}

/**
 * Writes a file so that readers never see it half-written: the bytes go to a
 * temporary sibling that is renamed into place only once complete. If writing
 * fails, the temporary file is removed and nothing is left behind.
 * With a `policy`, `path` is an output the user named: checkOutput applies.
 * Without one, it is a file inside something ecgx is building, replaced freely.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, policy?: OutputPolicy): void {
  if (policy) {
    checkOutput(path, 'file', policy);
    removeStaleTemporaries(dirname(resolve(path)), basename(path));
  }
  makeParent(path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    throw asIoError(e, path, 'write');
  }
}

/**
 * Puts the finished folder `tmp` in the place of `dest` under `policy` (checked
 * again: `dest` may have appeared meanwhile). An existing `dest` is moved
 * aside first and removed only once `tmp` is in place.
 */
export function replaceFolder(tmp: string, dest: string, policy: OutputPolicy = {}): void {
  checkOutput(dest, 'folder', policy);
  try {
    if (!statOf(dest)) {
      renameSync(tmp, dest);
      return;
    }
    const aside = join(dirname(dest), `.${basename(dest)}.${process.pid}.old`);
    renameSync(dest, aside);
    try {
      renameSync(tmp, dest);
    } catch (e) {
      renameSync(aside, dest);
      throw e;
    }
    removeQuietly(aside); // a leftover is removed by the next write once this process is gone
  } catch (e) {
    throw asIoError(e, dest, 'write');
  }
}

/**
 * Builds an output folder under a temporary name (marked as ecgx's) and
 * renames it into place when `fill` succeeds; on failure the partial folder is
 * removed. Used for commands that write many files (datasets, runs) so that a
 * failure leaves nothing behind. An existing `dir` is handled by `policy`
 * (checked before `fill` runs, and again before the rename).
 */
export async function writeDirAtomic<T>(dir: string, fill: (tmpDir: string) => Promise<T> | T, policy: OutputPolicy = {}): Promise<T> {
  const dest = resolve(dir);
  checkOutput(dest, 'folder', policy);
  makeParent(dest);
  removeStaleTemporaries(dirname(dest), basename(dest));
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.partial`);
  try {
    removeQuietly(tmp);
    mkdirSync(tmp);
    markOutputFolder(tmp);
  } catch (e) {
    removeQuietly(tmp);
    throw asIoError(e, dest, 'write');
  }
  try {
    const result = await fill(tmp);
    replaceFolder(tmp, dest, policy);
    return result;
  } catch (e) {
    removeQuietly(tmp);
    throw aimedAt(e, tmp, dest);
  }
}
