/**
 * The local web app: node:http, bound to 127.0.0.1 by default. It serves its
 * own page, script and the vega / vega-lite bundles installed with the
 * package (fixed routes, nothing read from a client-given path), and a JSON
 * API over an AppSession (see API in the module's README section):
 *   GET  /api/info                         classes, task, methods, TLC, model input
 *   GET  /api/records                      every record: labels, scores, predicted classes, fold
 *   GET  /api/record?id=ID                 one record's model input (leads-major mV) and summary
 *   GET  /api/chart?id=ID&method=M&...     the ECG chart SVG with overlays (attribution, clusters, entropy, waves) and the arrays under it
 *   GET  /api/faithfulness?id=ID&methods=A,B&target=T   deletion/insertion AUC per method, a random map's, the whole-deletion check
 *   GET  /api/cohort                       Vega-Lite specs (ROC, confusion) of the records' predictions
 *   POST /api/upload                       {name, hea, dat (base64)}: a WFDB record pair -> its summary
 * Errors are JSON { error } with 400 (bad request or file), 403 (cross-origin), 404, 405, 408
 * (too slow), 413 (too large), 415 (not JSON), 421 (foreign Host), 431 (headers too large) or
 * 500 (whose message says only that it failed; the details go to the server's stderr).
 * What is refused before any route runs, and why, is in guard.ts. No message names a
 * temporary file, and no response carries a CORS header.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ecg } from '../../data/ecg.js';
import { EcgxError, IoError, OptionError } from '../../util/errors.js';
import { renderEcgSvg } from '../chart.js';
import { ECG_LAYOUTS, type EcgLayout } from '../layout.js';
import type { EcgOverlays } from '../overlays.js';
import { confusionMatrix, confusionSpec } from '../cohort/confusion.js';
import { rocCurves, rocSpec } from '../cohort/roc.js';
import { withCohortConfig } from '../cohort/vega.js';
import { AppSession, MAX_UPLOAD_BYTES, type AppSource } from './session.js';
import { paperFor } from './paper.js';
import { APP_CSS, APP_HTML, APP_JS } from './client.js';
import { checkRequest, hostChecker, HttpError, parseTarget, redactPaths } from './guard.js';

export interface AppOptions extends AppSource {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Limits on slow and idle clients, in ms (see LIMITS); tests shorten them. */
  timeouts?: { headersMs?: number; requestMs?: number; keepAliveMs?: number };
}

/**
 * Limits on what one client can hold. A browser needs a few connections and
 * sends its headers at once; an upload (at most 16 MiB as base64 JSON) takes
 * well under a second on loopback, so 60 s for a whole request is generous.
 */
export const LIMITS = { headersMs: 10_000, requestMs: 60_000, keepAliveMs: 5_000, maxHeaderBytes: 16 << 10, maxConnections: 256 } as const;

export interface RunningApp {
  url: string;
  port: number;
  session: AppSession;
  close(): Promise<void>;
}

function vendorFile(pkg: 'vega' | 'vega-lite'): string {
  // import.meta.resolve gives the package's ESM entry in its build/ folder, next to the browser bundle.
  const entry = fileURLToPath(import.meta.resolve(pkg));
  return join(dirname(entry), pkg === 'vega' ? 'vega.min.js' : 'vega-lite.min.js');
}

const round = (v: number, d = 4): number => Math.round(v * 10 ** d) / 10 ** d;

function num(q: URLSearchParams, key: string, min: number, max: number): number | undefined {
  const raw = q.get(key);
  if (raw === null || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new HttpError(400, `${key}: expected a number in [${min}, ${max}], got '${raw}'`);
  return v;
}

async function chart(s: AppSession, q: URLSearchParams): Promise<unknown> {
  const id = q.get('id') ?? '';
  const entry = s.entry(id);
  const ecg: Ecg = await entry.load();
  const method = q.get('method') ?? 'none';
  const target = q.get('target') ?? 'predicted';
  const show = new Set((q.get('overlays') ?? 'attribution,clusters,entropy').split(',').filter(Boolean));
  for (const o of show) if (!['attribution', 'clusters', 'entropy', 'waves'].includes(o)) throw new HttpError(400, `overlays: expected attribution, clusters, entropy or waves, got '${o}'`);
  const layoutRaw = q.get('layout') ?? '12x1';
  if (!(ECG_LAYOUTS as readonly string[]).includes(layoutRaw)) throw new HttpError(400, `layout: expected one of ${ECG_LAYOUTS.join(', ')}, got '${layoutRaw}'`);
  const layout = layoutRaw as EcgLayout;
  const total = ecg.nSamples / ecg.fs;
  const start = num(q, 'start', 0, total) ?? 0;
  const duration = Math.min(num(q, 'duration', 0.05, 3600) ?? total, total - start);
  const width = num(q, 'width', 200, 4000) ?? 900;
  const overlays: EcgOverlays = {};
  let attribution: { method: string; target: string; leads: number; values: number[] } | null = null;
  if (method !== 'none') {
    const a = await s.attribution(id, method, target);
    attribution = { method, target: a.target, leads: a.leads, values: Array.from(a.values, (v) => Number(v.toPrecision(4))) };
    // Drawn by the one rule of plot and the report (scale, map, trace or background).
    if (show.has('attribution')) overlays.attribution = { method, target: a.target, values: a.values, leads: a.leads };
  }
  const t = await s.tlcOf(id);
  const names = s.clusterNames;
  const tlc = t ? { groups: t.groups.map((g) => ({ name: g.name, k: g.k, labels: Array.from(g.sequence.labels), entropy: Array.from(g.sequence.entropy, (v) => round(v, 3)), ...(names?.names[g.name] ? { clusterNames: names.names[g.name] } : {}) })) } : null;
  if (t && show.has('clusters')) overlays.clusters = t.groups.map((g) => ({ block: g.name, labels: Int32Array.from(g.sequence.labels), k: g.k, ...(names?.names[g.name] ? { names: names.names[g.name], namedBy: names.namedBy } : {}) }));
  if (t && show.has('entropy')) overlays.entropy = t.groups.map((g) => ({ block: g.name, values: Float32Array.from(g.sequence.entropy) }));
  let waves: { source: string; intervals: number } | null = null;
  if (show.has('waves')) {
    const w = await s.wavesOf(id);
    if (w) {
      overlays.waves = w;
      waves = { source: w.source, intervals: Object.values(w.waves).reduce((n, x) => n + x.length, 0) };
    }
  }
  const lead = q.get('lead') ?? undefined;
  const svg = renderEcgSvg(ecg, { layout, ...(lead ? { lead } : {}), start, duration, ...paperFor(width, duration, layout), overlays, title: `${id}${method !== 'none' ? ` · ${method}` : ''}`, minFontPx: APP_MIN_FONT_PX, labelChars: 7 });
  return { id, method, svg, attribution, tlc, waves, tlcNotice: s.tlcNotice(id), start, duration };
}

/** Smallest legend text of the app's charts, px (they are drawn at the width shown). */
export const APP_MIN_FONT_PX = 12;

async function faithfulness(s: AppSession, q: URLSearchParams): Promise<unknown> {
  const id = q.get('id') ?? '';
  s.entry(id);
  const methods = (q.get('methods') ?? '').split(',').filter(Boolean);
  return { id, ...(await s.faithfulness(id, methods, q.get('target') ?? 'predicted')) };
}

function cohort(s: AppSession): unknown {
  const st = s.store;
  if (st) {
    if (st.task === 'regression') return { specs: [] };
    const k = st.classes.length;
    const rows = st.ids.map((_, i) => i).filter((i) => st.classes.every((_, j) => Number.isFinite(st.targets[i * k + j]!)));
    const pick = (a: Float32Array): Float32Array => Float32Array.from(rows.flatMap((i) => Array.from(a.subarray(i * k, (i + 1) * k))));
    return {
      specs: [
        withCohortConfig(rocSpec(rocCurves(st.classes, pick(st.scores), pick(st.targets)), `ROC curves (store: ${rows.length} labelled ECGs)`)),
        withCohortConfig(confusionSpec(confusionMatrix(st.task, st.classes, pick(st.scores), pick(st.targets)), `Confusion (store: ${rows.length} labelled ECGs)`)),
      ],
    };
  }
  if (s.task === 'regression') return { specs: [] };
  const recs = [...s.records.values()].map((e) => e.summary).filter((r) => !r.uploaded);
  const k = s.classes.length;
  const scores = new Float32Array(recs.length * k), targets = new Float32Array(recs.length * k);
  recs.forEach((r, i) => s.classes.forEach((c, j) => {
    scores[i * k + j] = r.scores[c] ?? NaN;
    targets[i * k + j] = r.labels.includes(c) ? 1 : 0;
  }));
  return {
    specs: [
      withCohortConfig(rocSpec(rocCurves(s.classes, scores, targets), 'ROC curves (records listed)')),
      withCohortConfig(confusionSpec(confusionMatrix(s.task as 'multiclass' | 'multilabel', s.classes, scores, targets), 'Confusion (records listed)')),
    ],
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new HttpError(413, `upload larger than ${limit >> 20} MiB`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > limit) throw new HttpError(413, `upload larger than ${limit >> 20} MiB`);
      chunks.push(c as Buffer);
    }
  } catch (e) {
    // The client went away or was timed out mid-body: its error, not the server's.
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, 'upload: the request body ended early');
  }
  return Buffer.concat(chunks);
}

async function upload(s: AppSession, req: IncomingMessage): Promise<unknown> {
  // base64 is 4/3 of the bytes; JSON adds a little.
  const body = await readBody(req, Math.ceil(MAX_UPLOAD_BYTES * 1.4));
  let o: unknown;
  try {
    o = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'upload: expected JSON {name, hea, dat}');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new HttpError(400, 'upload: expected a JSON object {name, hea, dat}');
  const { name: rawName, hea, dat } = o as Record<string, unknown>;
  // Buffer.from skips what is not base64; say so rather than read other bytes than were meant.
  if (typeof hea !== 'string' || typeof dat !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(dat)) throw new HttpError(400, 'upload: expected the .hea text and the .dat bytes (base64)');
  const name = typeof rawName === 'string' ? rawName.replace(/[^\w.-]/g, '_').slice(0, 60) || 'record' : 'record';
  return s.upload(hea, Buffer.from(dat, 'base64'), name);
}

// Vega compiles its expressions with new Function, hence 'unsafe-eval'; everything else comes from this server only.
// No other site may frame the app (clickjacking) or load its answers as scripts or images (CORP).
const HEADERS = {
  'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self' 'unsafe-eval'; frame-ancestors 'none'",
};
function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...HEADERS });
  res.end(body);
}


/** A request path for the server log: quoted (no control characters reach the terminal) and short. */
const logged = (s: string): string => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}...` : s);

/** Answers a request the HTTP parser refused (malformed, headers too large, too slow) and closes it. */
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({ error: status === 408 ? 'request too slow' : status === 431 ? 'request headers too large' : 'malformed request' });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** Starts the app; resolves once it listens. Throws an IoError when the port is taken. */
export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const session = await AppSession.open(opts);
  const vendor = { vega: readFileSync(vendorFile('vega')), vegaLite: readFileSync(vendorFile('vega-lite')) };
  const info = {
    description: session.description, task: session.task, classes: session.classes, methods: session.methods(),
    fs: session.fs, leads: session.card.leads, samples: session.card.length,
    tlc: session.tlc ? { k: session.tlc.k, groups: session.tlc.groupNames, fold: session.tlcFold, ...(session.clusterNames ? { clusterNames: session.clusterNames.names, namedBy: session.clusterNames.namedBy } : {}) } : null, maxUploadBytes: MAX_UPLOAD_BYTES,
  };
  let hostOk: (v: string | undefined) => boolean = () => false;
  // Everything a client sent is read inside this one try: whatever it holds, the answer is an HTTP status.
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const json = (v: unknown): void => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(v));
    let where = '(unparsed target)';
    try {
      const url = parseTarget(req.url);
      where = url.pathname;
      const method = req.method ?? '';
      checkRequest(method, url.pathname, req.headers, req.headersDistinct, hostOk);
      if (method === 'POST' && url.pathname === '/api/upload') return json(await upload(session, req));
      if (method !== 'GET' && method !== 'HEAD') {
        res.setHeader('allow', url.pathname === '/api/upload' ? 'POST' : 'GET, HEAD');
        throw new HttpError(405, `${method} not allowed`);
      }
      switch (url.pathname) {
        case '/': return send(res, 200, 'text/html; charset=utf-8', APP_HTML);
        case '/app.js': return send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
        case '/app.css': return send(res, 200, 'text/css; charset=utf-8', APP_CSS);
        case '/vendor/vega.min.js': return send(res, 200, 'text/javascript; charset=utf-8', vendor.vega);
        case '/vendor/vega-lite.min.js': return send(res, 200, 'text/javascript; charset=utf-8', vendor.vegaLite);
        case '/api/info': return json(info);
        case '/api/records': return json([...session.records.values()].map((e) => e.summary));
        case '/api/record': {
          const e = session.entry(url.query.get('id') ?? '');
          const ecg = await e.load();
          return json({ ...e.summary, fs: ecg.fs, leads: ecg.leads, nSamples: ecg.nSamples, signal: Array.from(ecg.signal, (v) => round(v)) });
        }
        case '/api/chart': return json(await chart(session, url.query));
        case '/api/faithfulness': return json(await faithfulness(session, url.query));
        case '/api/cohort': return json(cohort(session));
        default: throw new HttpError(404, 'not found');
      }
    } catch (e) {
      const status = e instanceof HttpError ? e.status : e instanceof EcgxError ? (/^no record/.test(e.message.replace(/^[^:]*: /, '')) ? 404 : 400) : 500;
      // A 500 is a bug in ecgx: its stack goes to the local log, the client learns only that it failed.
      if (status === 500) process.stderr.write(`ecgx serve: ${logged(req.method ?? '')} ${logged(where)}: ${e instanceof Error ? e.stack : String(e)}\n`);
      const message = status === 500 ? 'internal error (the server log has the details)' : redactPaths(e instanceof Error ? e.message : String(e));
      if (!res.headersSent && !res.destroyed) send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
      else res.destroy();
    }
  };
  const t = { ...LIMITS, ...opts.timeouts };
  const server: Server = createServer({
    maxHeaderSize: LIMITS.maxHeaderBytes, headersTimeout: t.headersMs, requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs,
    // How often the two timeouts above are checked (node's default, 30 s, would let a stalled client sit that long).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, t.headersMs / 2)),
  }, (req, res) => {
    // A client that goes away mid-request must not surface as an unhandled 'error'.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    handle(req, res).catch((e: unknown) => {
      process.stderr.write(`ecgx serve: ${e instanceof Error ? e.stack : String(e)}\n`);
      res.destroy();
    });
  });
  server.maxConnections = LIMITS.maxConnections;
  server.on('clientError', onClientError);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      session.close().catch(() => undefined);
      reject(e.code === 'EADDRINUSE' ? new OptionError('port', `port ${opts.port} on ${host} is in use (pick another with --port, or 0 for any free port)`)
        : e.code === 'EADDRNOTAVAIL' ? new OptionError('host', `cannot bind ${host} (not an address of this machine)`)
          : new IoError(`${host}:${opts.port ?? 0}`, e.message));
    });
    server.listen(opts.port ?? 0, host, () => resolvePromise());
  });
  server.on('error', (e) => process.stderr.write(`ecgx serve: ${e.message}\n`));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port ?? 0;
  hostOk = hostChecker(host, port);
  const shown = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}/`, port, session,
    // Idempotent: a second Ctrl-C (or close from a test's after-hook) waits for the first.
    close() {
      closing ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        // Releasing sessions can fail only on a bug; stopping must still finish (the CLI awaits it on Ctrl-C).
        await session.close().catch((e: unknown) => process.stderr.write(`ecgx serve: ${e instanceof Error ? e.message : String(e)}\n`));
      })();
      return closing;
    },
  };
}
