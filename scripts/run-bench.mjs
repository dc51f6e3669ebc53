// Runs one benchmark (or all) from dist/bench. Usage: npm run bench -- [name]
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
const dir = 'dist/bench';
if (!existsSync(dir)) { console.error('run-bench: dist/bench missing; run `npm run build` first'); process.exit(1); }
const want = process.argv[2];
const files = readdirSync(dir).filter((f) => f.endsWith('.js') && !f.startsWith('_') && (!want || f.startsWith(want)));
if (files.length === 0) { console.error(`run-bench: no benchmark named ${want}`); process.exit(1); }
for (const f of files) {
  const r = spawnSync(process.execPath, ['--expose-gc', `${dir}/${f}`, ...process.argv.slice(3)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
