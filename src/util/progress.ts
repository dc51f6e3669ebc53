/**
 * Progress for long work (training, fitting, explaining, dataset scans). On a
 * TTY it draws one updating line with rate and ETA (and what is being done
 * now); in pipes and CI it prints, when the step took long enough to matter
 * (2 s by default), one summary line at the end, so logs say what took the
 * time without a line per item.
 *
 * Why not a library: cli-progress and its peers draw bars well but have no
 * pipe summary, and a step that only knows what it is doing (no count) is a
 * second kind of bar there; this one is about 150 lines with both.
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
  /** true: always the bar; false: nothing at all; default: the bar on a TTY (CI unset), else the summary line. */
  enabled?: boolean;
  /** Steps shorter than this (seconds) print no summary in pipes (default 2). */
  summaryAfterS?: number;
}

export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private lastDraw = 0;
  private readonly tty: boolean;
  private readonly quiet: boolean;
  private readonly stream: NodeJS.WriteStream;
  private info = '';
  private finished = false;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.enabled ?? (Boolean(this.stream.isTTY) && !process.env['CI']);
    this.quiet = opts.enabled === false;
  }

  /** Advances by n units; `info` is extra text such as the current loss. */
  tick(n = 1, info?: string): void {
    this.done += n;
    if (info !== undefined) this.info = info;
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && (this.opts.total === undefined || this.done < this.opts.total)) return;
    this.lastDraw = now;
    this.draw(now);
  }

  /** Says what is being done now (e.g. the method or block) without advancing; redrawn at once on a TTY. */
  note(info: string): void {
    this.info = info;
    if (!this.tty) return;
    this.lastDraw = performance.now();
    this.draw(this.lastDraw);
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

  /** Ends the bar (TTY), or prints the summary line (pipes) when the step took at least summaryAfterS. */
  finish(info?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (info !== undefined) this.info = info;
    if (this.quiet) return;
    if (this.tty) {
      this.draw(performance.now());
      this.stream.write('\n');
      return;
    }
    const secs = this.elapsed();
    if (secs < (this.opts.summaryAfterS ?? 2)) return;
    this.stream.write(summaryLine(this.opts.label, this.done, this.opts.unit, secs, this.info) + '\n');
  }

  /**
   * Runs one step that has no count (a fit, a table): on a TTY its label
   * shows while it runs and its time when done; in pipes a summary line when
   * it took long enough.
   */
  static async step<T>(label: string, work: () => Promise<T> | T, opts: Omit<ProgressOptions, 'label' | 'total' | 'unit'> = {}): Promise<T> {
    const p = new Progress({ ...opts, label });
    p.note('...');
    const out = await work();
    p.finishStep();
    return out;
  }

  private finishStep(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.quiet) return;
    const secs = this.elapsed();
    if (this.tty) this.stream.write(`\r${this.opts.label}: done in ${formatDuration(secs)}\x1b[K\n`);
    else if (secs >= (this.opts.summaryAfterS ?? 2)) this.stream.write(`${this.opts.label}: done in ${formatDuration(secs)}\n`);
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
    } else if (this.opts.unit !== undefined || this.done > 0) {
      line += `${this.done} ${unit} ${rate.toFixed(1)} ${unit}/s ${formatSeconds(secs)}`;
    } else {
      line += formatSeconds(secs);
    }
    if (this.info) line += ` ${this.info}`;
    const cols = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
  }
}

/** `label: 120 ECG in 4.1 s (29.3 ECG/s) info`. */
export function summaryLine(label: string, done: number, unit: string | undefined, secs: number, info = ''): string {
  const u = unit ?? 'it';
  const rate = secs > 0 ? ` (${(done / secs).toFixed(1)} ${u}/s)` : '';
  return `${label}: ${done} ${u} in ${formatDuration(secs)}${done > 0 ? rate : ''}${info ? ` ${info}` : ''}`;
}

/** '0.4 s', '12 s', '3 min 05 s', '1 h 02 min'. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = Math.floor(s % 60).toString().padStart(2, '0');
  return h > 0 ? `${h}:${(m % 60).toString().padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
