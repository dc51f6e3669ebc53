import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where tests find the repository and the shared real data. Compiled tests run
 * from dist/, so the root is found by walking up to package.json. The shared
 * folder sits beside the clone (`../shared`), in development and in CI alike;
 * ECGX_SHARED overrides it.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('test/data-paths: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot();
export const SHARED_DIR = process.env['ECGX_SHARED'] ?? resolve(REPO_ROOT, '../shared');
/** Real LUDB: 200 records, 12 leads, 500 Hz, with cardiologists' wave boundaries. */
export const LUDB_DIR = resolve(SHARED_DIR, 'data/ludb');
/** The compiled CLI entry point. */
export const CLI = resolve(REPO_ROOT, 'dist/src/cli/main.js');

/** Where and as whom runCli runs the CLI (default: this process's folder, environment and user). */
export interface CliEnv {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Runs the compiled CLI with these arguments; `timeoutMs` guards against a hang. */
export function runCli(args: string[], timeoutMs = 60_000, how: CliEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, ...how });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
