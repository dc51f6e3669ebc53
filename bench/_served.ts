/**
 * One side of an interleaved peer benchmark (bench/engine.ts, bench/explain.ts):
 * a child process that warms up, then times one call per `step` line on its
 * stdin and answers with one JSON line each, so that two sides' calls can
 * alternate (ABBA) under the same machine load.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
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

/**
 * One interleaved peer measurement: the sides start (and warm up) one after
 * the other, each made once the ones before it are up (`made` gets their
 * names: a peer may check against values an earlier side wrote); one that
 * fails to start becomes a note. Then their timed calls alternate ABBA for
 * `repeats` rounds, each after `pauseMs`, and every side's result is
 * collected. The children are always killed.
 */
export async function interleaved<Result, Side extends string>(
  make: ((started: readonly Side[]) => Served<Result, Side> | undefined)[],
  repeats: number,
  pauseMs = 0,
): Promise<{ results: Partial<Record<Side, Result>>; notes: string[] }> {
  const notes: string[] = [];
  const sides: Served<Result, Side>[] = [];
  const results: Partial<Record<Side, Result>> = {};
  try {
    for (const m of make) {
      const s = m(sides.map((x) => x.side));
      if (!s) continue;
      try {
        await s.ready();
        sides.push(s);
      } catch (e) {
        notes.push((e as Error).message);
        s.kill();
      }
    }
    for (let r = 0; r < repeats; r++) {
      for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
        if (pauseMs) await new Promise((res) => setTimeout(res, pauseMs));
        await s.step();
      }
    }
    for (const s of sides) results[s.side] = await s.done();
  } catch (e) {
    notes.push((e as Error).message);
  } finally {
    for (const s of sides) s.kill();
  }
  return { results, notes };
}

/** The PyTorch version `python` imports (with onnx), or undefined when it cannot. */
export function torchVersionIn(python: string): string | undefined {
  const r = spawnSync(python, ['-c', 'import torch, onnx; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
