/**
 * One side of an interleaved peer benchmark (bench/engine.ts, bench/explain.ts):
 * a child process that warms up, then times one call per `step` line on its
 * stdin and answers with one JSON line each, so that two sides' calls can
 * alternate (ABBA) under the same machine load.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { median } from './_timing.js';

export class Served<Result, Side extends string = string> {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';
  constructor(readonly side: Side, cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  /** Next JSON line from the child (non-JSON lines are skipped). */
  private async next(): Promise<Record<string, unknown>> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done) {
        const tail = this.stderr.split('\n').filter((l) => l.trim() && !l.includes('W:onnxruntime')).slice(-3).join(' | ');
        throw new Error(`${this.side} exited early: ${tail}`);
      }
      if (!r.value.startsWith('{')) continue;
      const o = JSON.parse(r.value) as Record<string, unknown>;
      if (typeof o['error'] === 'string') throw new Error(`${this.side}: ${o['error']}`);
      return o;
    }
  }
  async ready(): Promise<void> {
    await this.next();
  }
  /** Seconds of one timed call. */
  async step(): Promise<number> {
    this.proc.stdin.write('step\n');
    return (await this.next())['t'] as number;
  }
  async done(): Promise<Result> {
    this.proc.stdin.end('done\n');
    return (await this.next()) as unknown as Result;
  }
  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill();
  }
}

/**
 * The child's half of the protocol: warm up, say ready, then time one call of
 * `step` per 'step' line until 'done', and answer with the times, their median
 * and this process's peak RSS (plus `extra`).
 */
export async function serveSteps(step: () => Promise<unknown>, release: () => Promise<void>, warmup: number, extra: object = {}): Promise<void> {
  for (let i = 0; i < warmup; i++) await step();
  const say = (o: object): boolean => process.stdout.write(JSON.stringify(o) + '\n');
  say({ ready: true });
  const times: number[] = [];
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'done') break;
    if (line.trim() !== 'step') continue;
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    await step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    say({ t: times.at(-1) });
  }
  await release();
  say({ ...extra, times_s: times, median_s: median(times), maxrss_kb: process.resourceUsage().maxRSS });
}
