/**
 * Progress for long work (training, fitting, dataset scans). On a TTY it draws
 * one updating line with rate and ETA; in pipes and CI it stays quiet unless
 * `log` lines are asked for, so logs and test output stay clean.
 */
export interface ProgressOptions {
  /** Label in front of the bar. */
  label: string;
  /** Total number of units, if known. */
  total?: number;
  /** Unit name for the rate, e.g. 'ECG'. */
  unit?: string;
  /** Stream to draw on; defaults to stderr. */
  stream?: NodeJS.WriteStream;
  /** Force drawing on or off; default: only when the stream is a TTY and CI is unset. */
  enabled?: boolean;
}

export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private lastDraw = 0;
  private readonly enabled: boolean;
  private readonly stream: NodeJS.WriteStream;
  private info = '';

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.enabled = opts.enabled ?? (Boolean(this.stream.isTTY) && !process.env['CI']);
  }

  /** Advances by n units; `info` is extra text such as the current loss. */
  tick(n = 1, info?: string): void {
    this.done += n;
    if (info !== undefined) this.info = info;
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && (this.opts.total === undefined || this.done < this.opts.total)) return;
    this.lastDraw = now;
    this.draw(now);
  }

  /** Elapsed seconds since the start. */
  elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Units per second so far. */
  rate(): number {
    const s = this.elapsed();
    return s > 0 ? this.done / s : 0;
  }

  finish(info?: string): void {
    if (info !== undefined) this.info = info;
    if (!this.enabled) return;
    this.draw(performance.now());
    this.stream.write('\n');
  }

  private draw(now: number): void {
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const unit = this.opts.unit ?? 'it';
    let line = `${this.opts.label} `;
    const total = this.opts.total;
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, this.done / total);
      const width = 24;
      const filled = Math.round(frac * width);
      const eta = rate > 0 ? (total - this.done) / rate : NaN;
      line += `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${total} ${rate.toFixed(1)} ${unit}/s ETA ${formatSeconds(eta)}`;
    } else {
      line += `${this.done} ${unit} ${rate.toFixed(1)} ${unit}/s`;
    }
    if (this.info) line += ` ${this.info}`;
    const cols = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = Math.floor(s % 60).toString().padStart(2, '0');
  return h > 0 ? `${h}:${(m % 60).toString().padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
