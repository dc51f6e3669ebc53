/**
 * The report and the web app on a tiny synthetic run (60 ECGs, 12 x 256 at
 * 100 Hz, 3 folds, TLC K = 4 on two blocks): time and size of `ecgx report`
 * with and without TLC, and the latency of the app's JSON API (first call
 * computes the explanation, the second comes from the cache).
 * No peer: nothing else renders these views.
 *   npm run build && node --expose-gc dist/bench/viz-app.js
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../test/data-paths.js';
import { tinyTlcRun } from '../src/explain/tlc/testing.js';
import { writeReport } from '../src/viz/report/index.js';
import { startApp } from '../src/viz/app/index.js';

const { run } = await tinyTlcRun(8);
const root = mkdtempSync(join(tmpdir(), 'ecgx-bench-viz-app-'));
const tlc = join(root, 'tlc.json');
const fit = spawnSync(process.execPath, [CLI, 'tlc', 'fit', '--run', run, '--fold', '1', '--k', '4', '--seed', '1', '--threads', '1', '--out', tlc], { encoding: 'utf8' });
if (fit.status !== 0) throw new Error(fit.stderr);

const rows: string[][] = [];
for (const withTlc of [false, true]) {
  const out = join(root, `report-${withTlc}.html`);
  const t0 = performance.now();
  await writeReport(run, out, { threads: 1, ...(withTlc ? { tlc } : {}) });
  rows.push([`report${withTlc ? ' --tlc' : ''}`, `${((performance.now() - t0) / 1000).toFixed(2)} s`, `${(statSync(out).size / 1024).toFixed(0)} KiB`]);
}

const app = await startApp({ run, tlc, port: 0, threads: 1 });
const timed = async (label: string, path: string): Promise<void> => {
  const t0 = performance.now();
  const r = await fetch(new URL(path, app.url));
  const bytes = (await r.arrayBuffer()).byteLength;
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  rows.push([label, `${(performance.now() - t0).toFixed(0)} ms`, `${(bytes / 1024).toFixed(0)} KiB`]);
};
await timed('GET /', '/');
await timed('GET /api/records', '/api/records');
await timed('GET /api/cohort', '/api/cohort');
const id = '8';
for (const m of ['gradcam', 'saliency', 'integrated-gradients', 'occlusion']) {
  await timed(`chart ${m} (first)`, `/api/chart?id=${id}&method=${m}&target=MI`);
  await timed(`chart ${m} (cached)`, `/api/chart?id=${id}&method=${m}&target=MI`);
}
await timed('chart zoomed 0.5-1.5 s (cached)', `/api/chart?id=${id}&method=gradcam&target=MI&start=0.5&duration=1`);
await app.close();

const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['what', 'time', 'size'][i]!.length));
const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
console.log(`viz-app: tiny run (60 ECGs, 12x256 @ 100 Hz), 1 onnxruntime thread; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
console.log(line(['what', 'time', 'size']));
for (const r of rows) console.log(line(r));
