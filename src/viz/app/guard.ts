/**
 * What the web app accepts before any route runs: the request target, the
 * Host it was sent to and, for requests that change state, where it came
 * from. Pure functions over the request's headers, so each rule is tested on
 * its own (guard.test.ts) and the server applies them inside its one error
 * boundary.
 *
 * Why each rule:
 * - Target: only origin-form ('/path?query'). The routes are fixed strings
 *   matched exactly, so nothing is percent-decoded or resolved; a target in
 *   absolute form ('http://evil/'), authority form or '*' is a 400 (no browser
 *   sends those to an origin server; this app is not a proxy).
 * - Host: a web page on another site can make the browser send requests to
 *   this app under the page's own name (DNS rebinding) and read the answers,
 *   so only the names this app is bound under are answered (421 otherwise).
 * - Origin and Sec-Fetch-Site: a page on another site can POST here without
 *   reading the answer (CSRF). A POST must come from the app's own origin when
 *   the browser says where it came from, and always be application/json: a
 *   cross-origin request with that type needs a CORS preflight, which this
 *   app never grants (it sends no CORS headers), so even a browser that sent
 *   no Origin could not deliver it. A client that sends no Origin at all is
 *   not a browser (every current browser sends Origin on POST); it already
 *   reaches the loopback address and gains nothing from the check.
 * - Messages: what a client reads names no file in the temporary folder
 *   (redactPaths), where uploads are read.
 */
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import type { IncomingHttpHeaders } from 'node:http';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface Target {
  pathname: string;
  query: URLSearchParams;
}

/** The request target split into its path (as sent) and query; 400 unless it is origin-form. */
export function parseTarget(raw: string | undefined): Target {
  if (raw === undefined || !raw.startsWith('/')) throw new HttpError(400, 'bad request target (expected a path starting with /)');
  const q = raw.indexOf('?');
  // URLSearchParams never throws: a bad escape stays as written, bad UTF-8 becomes U+FFFD.
  return q < 0 ? { pathname: raw, query: new URLSearchParams() } : { pathname: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

const LOOPBACK_NAMES = ['localhost'];
const isLoopback = (h: string): boolean => h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
const isWildcard = (h: string): boolean => h === '0.0.0.0' || h === '::';

/** Splits 'name:port' or '[v6]:port' into its lower-cased host (brackets removed) and port; undefined when malformed. */
function splitHost(value: string): { host: string; port: string | undefined } | undefined {
  const v = value.trim().toLowerCase();
  const m = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/.exec(v);
  if (!m) return undefined;
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6) return undefined;
  return { host, port: m[3] };
}

/**
 * Which Host header values the app answers: the address it is bound to and,
 * on a loopback address, 'localhost' (and the other loopback literal when
 * bound to 'localhost'). Bound to a wildcard (0.0.0.0, ::), any IP literal:
 * rebinding needs a DNS name, so literals are safe, but names are refused.
 */
export function hostChecker(bound: string, port: number): (value: string | undefined) => boolean {
  const b = bound.toLowerCase().replace(/^\[|\]$/g, '');
  const names = new Set<string>([b]);
  const wildcard = isWildcard(b);
  // A wildcard bind listens on loopback too.
  if (isLoopback(b) || wildcard) for (const n of LOOPBACK_NAMES) names.add(n);
  if (b === 'localhost') { names.add('127.0.0.1'); names.add('::1'); }
  return (value) => {
    if (value === undefined) return false;
    const h = splitHost(value);
    if (!h) return false;
    // No port in Host means the scheme's default, 80.
    if ((h.port === undefined ? 80 : Number(h.port)) !== port) return false;
    return names.has(h.host) || (wildcard && isIP(h.host) !== 0);
  };
}

/** One header value, or undefined; 400 when the header is repeated (a smuggling or confusion attempt). */
export function single(headersDistinct: Record<string, string[] | undefined>, name: string): string | undefined {
  const v = headersDistinct[name];
  if (v === undefined) return undefined;
  if (v.length !== 1) throw new HttpError(400, `expected at most one ${name} header`);
  return v[0];
}

/** True when an Origin header names this app: http:// and a Host this app answers. */
export function ownOrigin(origin: string, hostOk: (v: string) => boolean): boolean {
  return origin.startsWith('http://') && !origin.slice(7).includes('/') && hostOk(origin.slice(7));
}

/**
 * Refuses (throws HttpError) what the app must not answer: a foreign Host
 * (421), a request another site's page made for the API (403), and a POST
 * that is not the app's own JSON (403, 415).
 */
export function checkRequest(method: string, pathname: string, headers: IncomingHttpHeaders, headersDistinct: Record<string, string[] | undefined>, hostOk: (v: string | undefined) => boolean): void {
  const host = single(headersDistinct, 'host');
  if (host === undefined) throw new HttpError(400, 'expected a Host header');
  if (!hostOk(host)) throw new HttpError(421, 'this app answers only to the address it was started on');
  const origin = single(headersDistinct, 'origin');
  const site = headers['sec-fetch-site'];
  const foreign = (origin !== undefined && !ownOrigin(origin, hostOk)) || site === 'cross-site' || site === 'same-site';
  // The page itself may be opened from a link on another site; nothing else may be fetched from one.
  if (foreign && (pathname.startsWith('/api/') || (method !== 'GET' && method !== 'HEAD'))) throw new HttpError(403, 'cross-origin request refused');
  if (method === 'POST') {
    const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, 'expected content-type application/json');
  }
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Any path in the system temporary folder (uploads are read from there; so are test runs). */
const TMP_PATH = new RegExp(`${escapeRe(tmpdir())}(?=$|[\\\\/\\s'"\`,;():])[^\\s'"\`,;():]*`, 'g');
/** The message a client may see: a path under the temporary folder becomes '<temporary file>'. */
export const redactPaths = (message: string): string => message.replace(TMP_PATH, '<temporary file>');
