import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequest, hostChecker, HttpError, ownOrigin, parseTarget, redactPaths } from './guard.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const status = (f: () => unknown): number | 'ok' => {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof HttpError) return e.status;
    throw e;
  }
};

test('parseTarget: origin-form only; the path is kept as sent, the query decoded without throwing', () => {
  assert.deepEqual(parseTarget('//').pathname, '//');
  assert.equal(parseTarget('//..%2f..%2fetc%2fpasswd').pathname, '//..%2f..%2fetc%2fpasswd');
  const t = parseTarget('/api/chart?id=a%20b&x=%zz%A&y=%ff');
  assert.equal(t.pathname, '/api/chart');
  assert.equal(t.query.get('id'), 'a b');
  assert.equal(t.query.get('x'), '%zz%A', 'a bad escape stays as written');
  assert.equal(t.query.get('y'), '\uFFFD', 'bad UTF-8 becomes U+FFFD');
  for (const bad of [undefined, '', '*', 'http://evil/', 'evil.example:80', 'a/b']) assert.equal(status(() => parseTarget(bad)), 400, String(bad));
});

test('hostChecker: the bound address and its loopback names, with the port', () => {
  const v4 = hostChecker('127.0.0.1', 8080);
  for (const ok of ['127.0.0.1:8080', 'localhost:8080', 'LOCALHOST:8080']) assert.ok(v4(ok), ok);
  for (const no of [undefined, '', 'evil.example', 'evil.example:8080', '127.0.0.1', '127.0.0.1:8081', 'localhost', '[::1]:8080', '127.0.0.2:8080',
    'localhost.:8080', 'localhost:8080@evil', 'user@localhost:8080', 'localhost:08080x', '127.0.0.1:8080/', ' :8080', 'localhost:8080:8080']) assert.ok(!v4(no), String(no));
  const v6 = hostChecker('::1', 80);
  for (const ok of ['[::1]:80', '[::1]', 'localhost']) assert.ok(v6(ok), ok);
  for (const no of ['::1', '[::2]:80', '[evil]:80', '127.0.0.1']) assert.ok(!v6(no), no);
  const byName = hostChecker('localhost', 9000);
  for (const ok of ['localhost:9000', '127.0.0.1:9000', '[::1]:9000']) assert.ok(byName(ok), ok);
  // Bound to every address: IP literals only (DNS rebinding needs a name).
  const any = hostChecker('0.0.0.0', 9000);
  for (const ok of ['192.168.1.5:9000', '127.0.0.1:9000', '[fe80::1]:9000', 'localhost:9000']) assert.ok(any(ok), ok);
  for (const no of ['evil.example:9000', 'my-laptop:9000', '192.168.1.5:9001']) assert.ok(!any(no), no);
  const lan = hostChecker('192.168.1.5', 9000);
  assert.ok(lan('192.168.1.5:9000'));
  assert.ok(!lan('localhost:9000'), 'localhost is another address than a LAN one');
});

test('ownOrigin: http:// and an answered host, nothing else', () => {
  const ok = hostChecker('127.0.0.1', 8080);
  assert.ok(ownOrigin('http://127.0.0.1:8080', ok));
  assert.ok(ownOrigin('http://localhost:8080', ok));
  for (const no of ['null', 'https://127.0.0.1:8080', 'http://127.0.0.1:8080/', 'http://evil.example', 'http://127.0.0.1:8081', 'file://', 'http://127.0.0.1:8080.evil.example']) assert.ok(!ownOrigin(no, ok), no);
});

test('checkRequest: foreign Host 421, cross-site API or POST 403, POST only as JSON', () => {
  const ok = hostChecker('127.0.0.1', 8080);
  const run = (method: string, path: string, h: Record<string, string | string[]>): number | 'ok' => {
    const headers = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
    const distinct = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    return status(() => checkRequest(method, path, headers, distinct, ok));
  };
  const host = { host: '127.0.0.1:8080' };
  const json = { 'content-type': 'application/json' };
  assert.equal(run('GET', '/api/records', host), 'ok');
  assert.equal(run('GET', '/api/records', {}), 400, 'no Host');
  assert.equal(run('GET', '/api/records', { host: ['127.0.0.1:8080', 'evil.example'] }), 400, 'two Hosts');
  assert.equal(run('GET', '/api/records', { host: 'evil.example' }), 421);
  assert.equal(run('GET', '/', { host: 'evil.example:8080' }), 421);
  // Another site's page may link to the app, but may not read or post to its API.
  assert.equal(run('GET', '/', { ...host, 'sec-fetch-site': 'cross-site' }), 'ok');
  assert.equal(run('GET', '/api/records', { ...host, origin: 'http://evil.example' }), 403);
  assert.equal(run('GET', '/api/records', { ...host, 'sec-fetch-site': 'cross-site' }), 403);
  assert.equal(run('GET', '/api/records', { ...host, 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:8080' }), 'ok');
  assert.equal(run('POST', '/api/upload', { ...host, ...json }), 'ok', 'no Origin: not a browser');
  assert.equal(run('POST', '/api/upload', { ...host, ...json, origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' }), 'ok');
  assert.equal(run('POST', '/api/upload', { ...host, ...json, 'content-type': 'application/json; charset=utf-8' }), 'ok');
  assert.equal(run('POST', '/api/upload', { ...host, ...json, origin: 'http://evil.example' }), 403);
  assert.equal(run('POST', '/api/upload', { ...host, ...json, origin: 'null' }), 403);
  assert.equal(run('POST', '/api/upload', { ...host, ...json, origin: ['http://127.0.0.1:8080', 'http://evil.example'] }), 400);
  assert.equal(run('POST', '/api/upload', { ...host, ...json, 'sec-fetch-site': 'same-site' }), 403);
  // The simple-request content types a cross-origin form or fetch could send without a preflight.
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) assert.equal(run('POST', '/api/upload', { ...host, 'content-type': type }), 415, type);
  assert.equal(run('POST', '/api/upload', host), 415);
});

test('redactPaths: no path under the temporary folder reaches a client', () => {
  const p = join(tmpdir(), 'ecgx-serve-AbC123', 'r1.dat');
  assert.equal(redactPaths(`x.hea: ${p}: expected 1000 bytes`), 'x.hea: <temporary file>: expected 1000 bytes');
  assert.equal(redactPaths(`cannot open '${p}' (${tmpdir()})`), "cannot open '<temporary file>' (<temporary file>)");
  assert.equal(redactPaths(`${tmpdir()}foo/bar`), `${tmpdir()}foo/bar`, 'only the folder itself, not a sibling that starts alike');
  assert.equal(redactPaths('record 12: expected 12 leads'), 'record 12: expected 12 leads');
});
