/**
 * What Ctrl-C says during long work. A command that can be resumed (train,
 * pretrain) or repeated (tlc fit) registers one line telling how; on SIGINT
 * or SIGTERM that line is printed (after clearing a progress bar on a TTY)
 * and the process exits 130 (SIGTERM: 143), as a shell expects of a process
 * killed by the signal. Work written so far stays as the atomic writes left
 * it: a partial run keeps its last saved epoch.
 */
import { resolve } from 'node:path';

type Hint = () => string;

/**
 * Until the returned function is called, SIGINT and SIGTERM print
 * `ecgx: interrupted: <hint()>` on stderr and exit.
 */
export function onInterrupt(hint: Hint, stream: NodeJS.WriteStream = process.stderr): () => void {
  const handle = (signal: NodeJS.Signals): void => {
    let text: string;
    try {
      text = hint();
    } catch {
      text = 'the work was stopped';
    }
    stream.write(`${stream.isTTY ? '\r\x1b[K' : ''}ecgx: interrupted: ${text}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return () => {
    process.off('SIGINT', handle);
    process.off('SIGTERM', handle);
  };
}

/** A path as the user can retype it: relative to the current folder when inside it. */
export function shownPath(p: string): string {
  const abs = resolve(p), cwd = process.cwd();
  return abs.startsWith(cwd + '/') ? abs.slice(cwd.length + 1) : abs;
}

/** Quotes a shell argument only when it needs it. */
export function shellArg(s: string): string {
  return /^[\w./:=,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a resumable run (train, pretrain) with the Ctrl-C line that says how to
 * go on: `--resume` when RUNDIR.partial kept a finished epoch, else run again.
 */
export async function withResumeHint<T>(command: string, out: string, hasProgress: (partial: string) => boolean, force: boolean, run: () => Promise<T>): Promise<T> {
  const partial = `${out}.partial`;
  const release = onInterrupt(() => hasProgress(partial)
    ? `${shownPath(partial)} keeps the last finished epoch; continue with: ecgx ${command} --resume --out ${shellArg(shownPath(out))}`
    : `no epoch was finished, nothing to resume; run the same command again${force ? '' : ' (add --force if it asks)'}`);
  try {
    return await run();
  } finally {
    release();
  }
}
