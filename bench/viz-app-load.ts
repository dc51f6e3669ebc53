/**
 * The web app under load: 2,000 requests at 50 concurrent (keep-alive, as a
 * browser connects) per route, against `ecgx serve` in its own process on
 * the tiny synthetic run of bench/viz-app.ts (60 ECGs, TLC K = 4). Latency
 * p50/p99 and throughput per route; peak RSS of the server process.
 *
 * Peer: a plain node:http server (its own process, no checks, no routing
 * beyond a Map lookup) serving the very bytes the app answered for each
 * route, so the ratio is what the app's guards, routing and per-request
 * work (JSON encoding, chart rendering from cached explanations) cost over
 * the bare minimum of serving those bytes from node.
 * The load generator shares the machine (2 cores here) with the server.
 *   npm run build && node dist/bench/viz-app-load.js [--requests 2000] [--concurrency 50] [--only SUBSTRING]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../test/data-paths.js';
import { tinyTlcRun } from '../src/explain/tlc/testing.js';
import { loadTest, quantile } from '../src/viz/app/http-testing.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name}: expected a positive integer`);
  return v;
}
const REQUESTS = arg('requests', 2000);
const CONCURRENCY = arg('concurrency', 50);
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] ?? '' : '';

const { run } = await tinyTlcRun(8);
const root = mkdtempSync(join(tmpdir(), 'ecgx-bench-viz-app-load-'));
const tlc = join(root, 'tlc.json');
const fit = spawnSync(process.execPath, [CLI, 'tlc', 'fit', '--run', run, '--fold', '1', '--k', '4', '--seed', '1', '--threads', '1', '--out', tlc], { encoding: 'utf8' });
if (fit.status !== 0) throw new Error(fit.stderr);

/** Starts a child that prints its URL; resolves with its port. */
function startChild(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (c) => reject(new Error(`${args.join(' ')} exited with ${c}`)));
  });
}

/** Resident set size now and its peak (kB -> MB), from /proc. */
function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)![1]) / 1024;
  return { now: kb('VmRSS'), peak: kb('VmHWM') };
}

function fetchBytes(port: number, path: string): Promise<{ type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve({ type: String(res.headers['content-type']), body: Buffer.concat(chunks) }) : reject(new Error(`${path}: ${res.statusCode}`))));
    }).on('error', reject).end();
  });
}

const ROUTES: [string, string][] = [
  ['GET /api/info', '/api/info'],
  ['GET /api/records (60)', '/api/records'],
  ['GET /api/record?id=8', '/api/record?id=8'],
  ['GET /app.js', '/app.js'],
  ['GET /vendor/vega.min.js', '/vendor/vega.min.js'],
  ['GET /api/chart gradcam (expl. cached)', '/api/chart?id=8&method=gradcam&target=MI'],
].filter(([label]) => label.includes(ONLY)) as [string, string][];

const app = await startChild([CLI, 'serve', '--run', run, '--tlc', tlc, '--port', '0', '--threads', '1']);
const atStart = rss(app.child.pid!);
// The peer serves exactly what the app answered (the chart after its explanation is cached).
const bodies: Record<string, { type: string; body: string }> = {};
for (const [, path] of ROUTES) {
  const r = await fetchBytes(app.port, path);
  bodies[path] = { type: r.type, body: r.body.toString('base64') };
}
const bodiesFile = join(root, 'bodies.json');
writeFileSync(bodiesFile, JSON.stringify(bodies));
const PEER = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const m = new Map(Object.entries(JSON.parse(readFileSync(process.argv[1], 'utf8'))).map(([p, v]) => [p, { type: v.type, body: Buffer.from(v.body, 'base64') }]));
const s = createServer((req, res) => {
  const v = m.get(req.url);
  if (!v) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': v.type, 'content-length': v.body.length });
  res.end(v.body);
});
s.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + s.address().port + '/'));
`;
const peer = await startChild(['--input-type=module', '-e', PEER, bodiesFile]);

const rows: string[][] = [];
let all: number[] = [];
for (const [label, path] of ROUTES) {
  const side = async (port: number): Promise<{ p50: number; p99: number; rps: number; lat: number[] }> => {
    await loadTest(port, [path], 200, CONCURRENCY); // warm-up
    const r = await loadTest(port, [path], REQUESTS, CONCURRENCY);
    if (r.statuses.get(200) !== REQUESTS) throw new Error(`${path}: ${JSON.stringify([...r.statuses])}`);
    return { p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99), rps: REQUESTS / (r.wallMs / 1000), lat: r.latencies };
  };
  const a = await side(app.port);
  const p = await side(peer.port);
  all = all.concat(a.lat);
  rows.push([label, a.p50.toFixed(1), a.p99.toFixed(1), a.rps.toFixed(0), p.p50.toFixed(1), p.p99.toFixed(1), p.rps.toFixed(0), (a.p50 / p.p50).toFixed(2)]);
}
const appMem = rss(app.child.pid!), peerMem = rss(peer.child.pid!);
for (const c of [app.child, peer.child]) c.kill('SIGTERM');

const head = ['route', 'p50 ms', 'p99 ms', 'req/s', 'peer p50', 'peer p99', 'peer req/s', 'p50 ratio'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
console.log(`viz-app-load: ${REQUESTS} requests at ${CONCURRENCY} concurrent per route (keep-alive), ecgx serve on the tiny run (60 ECGs, TLC K = 4), 1 onnxruntime thread; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`all routes: p50 ${quantile(all, 0.5).toFixed(1)} ms, p99 ${quantile(all, 0.99).toFixed(1)} ms over ${all.length} requests`);
console.log(`RSS of ecgx serve: ${atStart.now.toFixed(0)} MB after start, ${appMem.now.toFixed(0)} MB after the load, peak ${appMem.peak.toFixed(0)} MB; peer peak ${peerMem.peak.toFixed(0)} MB`);
