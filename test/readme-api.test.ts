/**
 * The README's API example is runnable JavaScript: this test takes the first
 * ```js block of the API section as written, runs it with node in a scratch
 * folder where `ecgx` is installed (a node_modules link to this repository)
 * and LUDB's path points at the test's copy, and checks what it printed and
 * the PNG it wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LUDB_DIR, REPO_ROOT } from './data-paths.js';
import { decodePng, PNG_SIGNATURE } from '../src/viz/png-decode.js';

const skip = !existsSync(join(LUDB_DIR, 'data')) && `LUDB not at ${LUDB_DIR}`;

/** The first ```js block after the '## API' heading. */
export function readmeApiBlock(readme: string): string {
  const api = readme.indexOf('\n## API\n');
  assert.ok(api >= 0, 'README has an API section');
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(api));
  assert.ok(m, 'the API section has a ```js block');
  return m[1]!;
}

test('README API example: copied into a .mjs file, it runs and writes a PNG of IG on LUDB record 1', { skip, timeout: 180_000 }, () => {
  const code = readmeApiBlock(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
  assert.ok(code.includes("'../shared/data/ludb'"), 'the example reads LUDB from ../shared/data/ludb');
  assert.match(code, /from 'ecgx'/);
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-readme-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'ecgx'), 'dir');
    writeFileSync(join(dir, 'api.mjs'), code.replaceAll("'../shared/data/ludb'", JSON.stringify(LUDB_DIR)));
    const r = spawnSync(process.execPath, ['api.mjs'], { cwd: dir, encoding: 'utf8', timeout: 170_000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^12 leads \(I II III aVR aVL aVF V1 V2 V3 V4 V5 V6\) at 100 Hz, 1000 samples/);
    assert.match(lines[1]!, /^record 1: (NORM|MI|STTC|CD|HYP) explained, scores( \d\.\d\d){5}$/);
    const png = new Uint8Array(readFileSync(join(dir, 'ludb1-ig.png')));
    assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
    const img = decodePng(png);
    assert.ok(img.width > 2000 && img.height > 1000, `${img.width}x${img.height}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
