import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The chart must run in a browser bundle: nothing it imports, directly or
// through other ecgx modules, may load a Node built-in or an npm package
// (type-only imports vanish at compile time and are allowed).
const here = dirname(fileURLToPath(import.meta.url));

function sourceOf(path: string): string {
  // Under tsx the siblings are .ts files; under dist, compiled .js.
  for (const p of [path, path.replace(/\.js$/, '.ts')]) if (existsSync(p)) return p;
  throw new Error(`no source for ${path}`);
}

function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\sfrom\s+'([^']+)'/gm)) if (!m[2]) out.push(m[3]!);
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) out.push(m[1]!);
  return out;
}

test('renderEcgSvg and its imports use no Node built-in or npm package (browser-safe)', () => {
  const seen = new Set<string>();
  const offenders: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) visit(sourceOf(join(dirname(file), spec)));
      else offenders.push(`${relative(here, file)} imports '${spec}'`);
    }
  };
  for (const entry of ['chart.js', 'palettes.js', 'color.js', 'layout.js', 'decimate.js', 'svg.js', 'svg-parse.js']) visit(sourceOf(join(here, entry)));
  assert.deepEqual(offenders, []);
  assert.ok(seen.size >= 8, `walked ${seen.size} modules`);
  // The check has teeth: png.ts (Node only) is caught.
  assert.ok(runtimeImports(sourceOf(join(here, 'png.js'))).some((s) => s.startsWith('node:')));
});
