/**
 * Hostile requests against the web app, on loopback, each bounded in time:
 * traversal in every encoding, malformed request lines, absolute-form
 * targets, foreign Host and Origin, oversized headers and bodies, malformed
 * JSON, slow clients and a load of 2,000 requests at 50 concurrent. The app
 * runs in this process, so a request that threw outside the error boundary
 * would end the test run; after each group it must still answer correctly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { CLI } from '../../../test/data-paths.js';
import { tinyTlcRun } from '../../explain/tlc/testing.js';
import { loadTest, rawRequest, type RawResponse } from './http-testing.js';
import { startApp } from './server.js';

// Short limits so the slow-client cases finish in seconds (the defaults are 10 s / 60 s / 5 s).
const TIMEOUTS = { headersMs: 1000, requestMs: 2000, keepAliveMs: 1000 };

const fixture = (async () => {
  const { run, data } = await tinyTlcRun(8);
  const app = await startApp({ run, port: 0, threads: 1, timeouts: TIMEOUTS });
  const dir = join(data, 'records100', '00000');
  const base = readdirSync(dir).find((f) => f.endsWith('.hea'))!.replace(/\.hea$/, '');
  const upload = { name: base, hea: readFileSync(join(dir, `${base}.hea`), 'utf8'), dat: readFileSync(join(dir, `${base}.dat`)).toString('base64') };
  return { run, app, port: app.port, upload };
})();

/** Every answer the suite got: none may carry a CORS header. */
const seen: RawResponse[] = [];
const raw = async (port: number, parts: Parameters<typeof rawRequest>[1], opts?: Parameters<typeof rawRequest>[2]): Promise<RawResponse> => {
  const r = await rawRequest(port, parts, opts);
  seen.push(r);
  return r;
};
const get = (port: number, target: string, extra = ''): Promise<RawResponse> =>
  raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${extra}\r\n`);
const post = (port: number, body: string | Buffer, headers = 'Content-Type: application/json\r\n'): Promise<RawResponse> =>
  raw(port, [`POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, body]);
const errorOf = (r: RawResponse): string => (JSON.parse(r.body) as { error: string }).error;

/** The app still serves: its info and record list are whole and correct. */
async function stillServes(port: number): Promise<void> {
  const info = await get(port, '/api/info');
  assert.equal(info.status, 200);
  assert.deepEqual(JSON.parse(info.body).classes, ['NORM', 'MI']);
  const recs = await get(port, '/api/records');
  assert.equal(recs.status, 200);
  assert.ok(JSON.parse(recs.body).length >= 60);
}

const SECRET = /root:|"name": "ecgx"|import \{|PRIVATE KEY/;

test('traversal in every encoding, double slashes and odd targets: 400 or 404, nothing outside the app served', async () => {
  const { port } = await fixture;
  const paths = [
    '//', '///', '//api/info', '//..%2f..%2fetc%2fpasswd', '//etc/passwd', '/..%2f..%2fetc%2fpasswd', '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd',
    '/%2E%2E/%2E%2E/etc/passwd', '/.%2e/.%2e/etc/passwd', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/%252e%252e/%252e%252e/etc/passwd', '/%252e%252e%252fetc%252fpasswd',
    '/%25252e%25252e/etc/passwd', '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd', '/%c0%af..%c0%afetc%c0%afpasswd', '/%e0%80%ae%e0%80%ae/etc/passwd',
    '/%f0%80%80%ae%f0%80%80%ae/etc/passwd', '/%u002e%u002e/etc/passwd', '/..%5c..%5cetc%5cpasswd', '/%5c..%5c..%5cetc%5cpasswd', '/..\\..\\etc\\passwd',
    '/\\\\evil\\share', '/..;/..;/etc/passwd', '/vendor/..%2f..%2fpackage.json', '/vendor/%2e%2e/%2e%2e/package.json', '/vendor/vega.min.js/../../../package.json',
    '/vendor/../package.json', '/api/../package.json', '/app.js%00.html', '/api/info%00', '/%00', '/%00/etc/passwd', '/./app.js', '/app.js/', '/APP.JS',
    '/%2fetc%2fpasswd', '/file:///etc/passwd', '/package.json', '/src/viz/app/server.ts', '/dist/src/viz/app/server.js', '/node_modules/vega/package.json',
    `/${'../'.repeat(200)}etc/passwd`, `/${'a/'.repeat(2000)}`, '/api/record?id=..%2f..%2f..%2fetc%2fpasswd', '/api/record?id=%00', '/api/record?id=%ff%fe',
    '/api/chart?id=../../etc/passwd&method=gradcam', '/api/chart?id=8&method=..%2f..%2fetc', '/api/chart?id=8&layout=%00', '/api/chart?id=8&start=1e309',
    '/api/chart?id=8&width=NaN', '/api/record?id=8&id=9%', '/?%', '/api/info?%zz=%zz',
  ];
  for (const p of paths) {
    const r = await get(port, p);
    assert.ok([400, 404].includes(r.status) || (r.status === 200 && /^\/(api\/info|\?|api\/record\?id=8&)/.test(p)), `${p}: ${r.status}`);
    assert.doesNotMatch(r.body, SECRET, p);
    assert.ok(!r.timedOut, p);
  }
  // Bytes that may not appear in a request line at all: the parser refuses them, the app answers 400.
  for (const bad of ['/a\u0000b', '/a\rb', '/a\u007fb', '/a\u001bb', '/a b/c']) {
    const r = await raw(port, Buffer.from(`GET ${bad} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`, 'latin1'));
    assert.equal(r.status, 400, JSON.stringify(bad));
  }
  await stillServes(port);
});

test('malformed request lines and absolute-form targets are 400s; other methods 405', async () => {
  const { port } = await fixture;
  const H = `Host: 127.0.0.1:${port}\r\nConnection: close\r\n`;
  const cases: [string, number[]][] = [
    [`GET http://evil/ HTTP/1.1\r\n${H}\r\n`, [400]],
    [`GET http://127.0.0.1:${port}/api/info HTTP/1.1\r\n${H}\r\n`, [400]],
    [`GET https://127.0.0.1:${port}//etc/passwd HTTP/1.1\r\n${H}\r\n`, [400]],
    [`GET * HTTP/1.1\r\n${H}\r\n`, [400]],
    [`GET evil.example:80 HTTP/1.1\r\n${H}\r\n`, [400]],
    [`CONNECT evil.example:443 HTTP/1.1\r\n${H}\r\n`, [0, 400]],
    [`GET /api/info HTTP/9.9\r\n${H}\r\n`, [400, 505]],
    [`GET /api/info\r\n\r\n`, [0, 400]],
    ['hello\r\n\r\n', [400]],
    [`\u0000\u0001\u0002\r\n\r\n`, [400]],
    [`GET /api/info HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n`, [400]],
    [`GET /api/info HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`, [400]],
    [`GET /api/info HTTP/1.0\r\n\r\n`, [400]],
    [`DELETE /api/records HTTP/1.1\r\n${H}\r\n`, [405]],
    [`PUT /api/upload HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, [405]],
    [`TRACE / HTTP/1.1\r\n${H}\r\n`, [405]],
    [`POST /api/records HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`, [405]],
    [`OPTIONS /api/upload HTTP/1.1\r\n${H}Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n`, [403]],
  ];
  for (const [req, want] of cases) {
    const r = await raw(port, Buffer.from(req, 'latin1'));
    assert.ok(want.includes(r.status), `${JSON.stringify(req.slice(0, 60))}: ${r.status}`);
    assert.ok(!r.timedOut, JSON.stringify(req.slice(0, 60)));
  }
  const head = await raw(port, `HEAD /api/info HTTP/1.1\r\n${H}\r\n`);
  assert.equal(head.status, 200);
  assert.equal(head.body, '', 'HEAD has no body');
  await stillServes(port);
});

test('Host must be the bound address (DNS rebinding): 421, and the record list is not sent', async () => {
  const { port } = await fixture;
  const hosts: [string, number][] = [
    ['evil.example', 421], [`evil.example:${port}`, 421], [`127.0.0.1:${port + 1}`, 421], ['127.0.0.1', 421], [`127.0.0.2:${port}`, 421],
    [`[::1]:${port}`, 421], [`localhost.evil.example:${port}`, 421], [`127.0.0.1.nip.io:${port}`, 421], [`user@127.0.0.1:${port}`, 421], ['', 421],
    [`localhost:${port}`, 200], [`LocalHost:${port}`, 200], [`127.0.0.1:${port}`, 200],
  ];
  for (const [host, want] of hosts) {
    const r = await raw(port, `GET /api/records HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, want, host);
    if (want !== 200) assert.doesNotMatch(r.body, /"scores"/, host);
  }
  // Two Host headers: which one would a proxy have routed on?
  const two = await raw(port, `GET /api/records HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
  assert.equal(two.status, 400);
  // The page, too, is only served under its own name.
  assert.equal((await raw(port, `GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`)).status, 421);
});

test('uploads: cross-origin or non-JSON posts are refused; null, malformed or oversized bodies are 400/413; no temporary path in any message', async () => {
  const { port, upload } = await fixture;
  const count = async (): Promise<number> => JSON.parse((await get(port, '/api/records')).body).length;
  const before = await count();
  const body = JSON.stringify(upload);
  const json = 'Content-Type: application/json\r\n';
  // CSRF: a page on another site posting the same record, in every way a browser lets it.
  for (const h of [`${json}Origin: http://evil.example\r\n`, `${json}Origin: null\r\n`, `${json}Origin: http://127.0.0.1:${port + 1}\r\n`, `${json}Sec-Fetch-Site: cross-site\r\n`,
    'Content-Type: text/plain\r\nOrigin: http://evil.example\r\n', 'Content-Type: text/plain;charset=UTF-8\r\n', 'Content-Type: application/x-www-form-urlencoded\r\n',
    'Content-Type: multipart/form-data; boundary=x\r\n', '']) {
    const r = await post(port, body, h);
    assert.ok(r.status === 403 || r.status === 415, `${JSON.stringify(h)}: ${r.status}`);
  }
  assert.equal(await count(), before, 'no refused upload was added');
  // The app's own page (its Origin, JSON) and a non-browser client (no Origin, JSON) may upload.
  const own = await post(port, body, `${json}Origin: http://127.0.0.1:${port}\r\nSec-Fetch-Site: same-origin\r\n`);
  assert.equal(own.status, 200, own.body);
  assert.equal(await count(), before + 1);

  for (const bad of ['null', '[]', '"x"', '1', 'true', '{}', '{"hea":1,"dat":""}', '{"hea":"x","dat":"!!!"}', '{"hea":"x","dat":"QUJD\\u0000"}', '{', '{"hea":', 'nul',
    '\u00ff\u00fe', '[' .repeat(100_000), `{"name":"${'a'.repeat(1000)}","hea":"","dat":""}`]) {
    const r = await post(port, Buffer.from(bad, 'latin1'));
    assert.equal(r.status, 400, `${bad.slice(0, 30)}: ${r.status} ${r.body}`);
    assert.equal(typeof errorOf(r), 'string');
  }
  // Headers that point outside the upload's private folder read nothing there; the message names no temporary path.
  const tmp = tmpdir();
  for (const hea of ['r 1 100 10\n/etc/passwd 16 200 16 0 0 0 0 I\n', 'r 1 100 10\n../../../../etc/passwd 16 200 16 0 0 0 0 I\n',
    'm/2 1 100 20\nseg1 10\n../../etc/passwd 10\n', 'm/1 1 100 10\netc 10\n', 'r 1 100 10\nr.dat 16 200 16 0 0 0 0 I\n']) {
    const r = await post(port, JSON.stringify({ name: 'evil', hea, dat: '' }));
    assert.equal(r.status, 400, `${hea}: ${r.body}`);
    assert.ok(!r.body.includes(tmp + '/') && !r.body.includes('ecgx-serve-'), r.body);
  }
  // Too large: refused from the declared length before the body is read, and when the body runs past the limit.
  const declared = await raw(port, `POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${json}Content-Length: 100000000\r\n\r\n`);
  assert.equal(declared.status, 413);
  const chunk = Buffer.alloc(1 << 20, 0x61);
  const chunked = await raw(port, [`POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${json}Transfer-Encoding: chunked\r\n\r\n`,
    ...Array.from({ length: 24 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]))]);
  assert.equal(chunked.status, 413);
  assert.equal(await count(), before + 1);
  await stillServes(port);
});

test('oversized headers are 431; slow and stalled clients are timed out while others are served', async () => {
  const { port } = await fixture;
  const H = `Host: 127.0.0.1:${port}\r\nConnection: close\r\n`;
  assert.equal((await raw(port, `GET /api/info HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).status, 431);
  assert.equal((await raw(port, `GET /api/info?${'a'.repeat(20_000)} HTTP/1.1\r\n${H}\r\n`)).status, 431);
  assert.equal((await raw(port, `GET /api/info HTTP/1.1\r\n${H}${Array.from({ length: 3000 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`)).status, 431);

  // Slowloris: headers a byte at a time, never finished; a connection that sends nothing; a body that stalls; an idle keep-alive.
  const bound = TIMEOUTS.requestMs + 3000;
  const slow = [...`GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `].concat(Array.from({ length: 200 }, () => 'a'));
  const stalled = Array.from({ length: 100 }, () => raw(port, slow, { gapMs: 50, timeoutMs: bound + 5000 }));
  const silent = raw(port, [], { timeoutMs: bound + 5000 });
  const body = raw(port, `POST /api/upload HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"hea":`, { timeoutMs: bound + 5000 });
  const idle = raw(port, `GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, { timeoutMs: bound + 5000 });
  // Meanwhile an ordinary client is served promptly.
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  await stillServes(port);
  // Generous for a loaded 2-core machine; a server blocked by the stalled clients would wait for all 100 to be cut off.
  assert.ok(performance.now() - t0 < 5000, 'served while 100 clients stall');
  for (const r of await Promise.all(stalled)) {
    assert.ok(!r.timedOut && r.ms < bound, `stalled headers closed after ${r.ms.toFixed(0)} ms`);
    assert.ok(r.status === 408 || r.status === 0, String(r.status));
  }
  const s = await silent;
  assert.ok(!s.timedOut && s.ms < bound, `silent client closed after ${s.ms.toFixed(0)} ms`);
  const b = await body;
  assert.ok(!b.timedOut && b.ms < bound && b.status === 408, `stalled body: ${b.status} after ${b.ms.toFixed(0)} ms`);
  const i = await idle;
  assert.equal(i.status, 200);
  assert.ok(!i.timedOut && i.ms < bound, `idle keep-alive closed after ${i.ms.toFixed(0)} ms`);
  await stillServes(port);
});

test('2,000 requests at 50 concurrent, hostile ones mixed in: all answered as expected, memory bounded', async () => {
  const { port } = await fixture;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const paths = ['/api/info', '/api/records', '/api/record?id=8', '/app.js', '//..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/api/record?id=nope', '//'];
  const want = new Map([[200, 1000], [404, 1000]]);
  const heap: number[] = [];
  for (let round = 0; round < 2; round++) {
    const r = await loadTest(port, paths, 2000, 50);
    assert.deepEqual(r.statuses, want);
    assert.equal(r.latencies.length, 2000);
    gc();
    heap.push(process.memoryUsage().heapUsed);
  }
  // A leak of even 8 kB per request would show as 16 MB between the two rounds.
  assert.ok(heap[1]! - heap[0]! < 16 << 20, `heap grew ${((heap[1]! - heap[0]!) / 2 ** 20).toFixed(1)} MiB over 2,000 requests`);
  // Foreign Host under load: all refused.
  const foreign = await loadTest(port, ['/api/records'], 500, 50, { host: 'evil.example' });
  assert.deepEqual(foreign.statuses, new Map([[421, 500]]));
  await stillServes(port);
});

test('no answer carries a CORS header, and every answer says nosniff and frame-ancestors none', async () => {
  const { port } = await fixture;
  await get(port, '/api/records', `Origin: http://127.0.0.1:${port}\r\n`);
  await get(port, '/', 'Origin: http://evil.example\r\n');
  assert.ok(seen.length > 100);
  for (const r of seen) assert.deepEqual(Object.keys(r.headers).filter((h) => h.startsWith('access-control-')), [], JSON.stringify(r.headers));
  const page = seen.filter((r) => r.status === 200);
  for (const r of page) {
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(r.headers['content-security-policy']!, /frame-ancestors 'none'/);
  }
});

/** A JSON request to a child `ecgx serve` (fetch would do, but it cannot set Host; this says what it sends). */
function call(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('ecgx serve leaves no ecgx-serve-* folder in the temporary folder: not at start, not after uploads, not after SIGTERM', async () => {
  const { run, upload } = await fixture;
  const tmp = mkdtempSync(join(tmpdir(), 'ecgx-serve-tmp-test-'));
  const ours = (): string[] => readdirSync(tmp).filter((f) => f.startsWith('ecgx-serve-'));
  try {
    const child = spawn(process.execPath, [CLI, 'serve', '--run', run, '--port', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let out = '', err = '';
    child.stderr.on('data', (d) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`serve exited: ${err}`)));
    });
    assert.deepEqual(ours(), [], 'nothing at start');
    assert.equal((await call(port, 'POST', '/api/upload', JSON.stringify(upload))).status, 200);
    const failed = await call(port, 'POST', '/api/upload', JSON.stringify({ ...upload, dat: upload.dat.slice(0, 100) }));
    assert.equal(failed.status, 400);
    assert.ok(!failed.body.includes(tmp), failed.body);
    assert.deepEqual(ours(), [], 'nothing after a good and a failed upload');
    // The request that used to kill the app.
    assert.equal((await rawRequest(port, `GET //..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)).status, 404);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0, err);
    assert.deepEqual(ours(), [], 'nothing after SIGTERM');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.after(async () => {
  await (await fixture).app.close();
});
