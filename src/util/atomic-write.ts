import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * Writes a file so that readers never see it half-written: the bytes go to a
 * temporary sibling that is renamed into place only once complete. If writing
 * fails, the temporary file is removed and nothing is left behind.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Builds an output folder under a temporary name and renames it into place when
 * `fill` succeeds; on failure the partial folder is removed. Used for commands
 * that write many files (datasets, runs) so that a failure leaves nothing behind.
 */
export async function writeDirAtomic<T>(dir: string, fill: (tmpDir: string) => Promise<T> | T): Promise<T> {
  const tmp = join(dirname(dir), `.${basename(dir)}.${process.pid}.partial`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await fill(tmp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
