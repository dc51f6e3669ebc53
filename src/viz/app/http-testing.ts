/**
 * HTTP clients for the app's tests and bench: raw sockets (for requests that
 * fetch would normalise or refuse to send) and a closed-loop load generator.
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  /** Status code, or 0 when the server closed (or the time ran out) without an answer. */
  status: number;
  /** Lower-cased header lines of the answer. */
  headers: Record<string, string>;
  body: string;
  /** From connect to close. */
  ms: number;
  /** True when `timeoutMs` ran out before the server closed the connection. */
  timedOut: boolean;
}

/**
 * Sends `parts` over one TCP connection, `gapMs` apart, and reads until the
 * server closes it (requests should say 'connection: close') or `timeoutMs`.
 */
export function rawRequest(port: number, parts: string | Buffer | (string | Buffer)[], opts: { gapMs?: number; timeoutMs?: number } = {}): Promise<RawResponse> {
  const list = Array.isArray(parts) ? parts : [parts];
  return new Promise((resolve) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    let timedOut = false;
    const s = connect(port, '127.0.0.1');
    const timer = setTimeout(() => { timedOut = true; s.destroy(); }, opts.timeoutMs ?? 10_000);
    let i = 0;
    const next = (): void => {
      if (i >= list.length || s.destroyed) return;
      s.write(list[i++]!, () => { if (opts.gapMs) setTimeout(next, opts.gapMs); else next(); });
    };
    s.on('connect', next);
    s.on('data', (d) => chunks.push(d));
    // A reset after the answer is part of some refusals (the server closes while the client still writes).
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const [statusLine, ...lines] = head.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const c = l.indexOf(':');
        if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
      }
      resolve({ status: m ? Number(m[1]) : 0, headers, body: end < 0 ? '' : text.slice(end + 4), ms: performance.now() - t0, timedOut });
    });
  });
}

export interface LoadResult {
  /** Latency of each request in ms, in completion order. */
  latencies: number[];
  /** Count of each status code. */
  statuses: Map<number, number>;
  wallMs: number;
}

/**
 * `total` GETs of `paths` (round robin) with `concurrency` requests in flight,
 * over keep-alive connections (as a browser makes them). Bodies are read and dropped.
 */
export async function loadTest(port: number, paths: string[], total: number, concurrency: number, headers: Record<string, string> = {}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let issued = 0;
  const one = (path: string): Promise<void> => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
        resolve();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  const worker = async (): Promise<void> => {
    while (issued < total) await one(paths[issued++ % paths.length]!);
  };
  const t0 = performance.now();
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { latencies, statuses, wallMs: performance.now() - t0 };
}

/** The q-quantile (0..1) of `xs` (nearest rank). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
