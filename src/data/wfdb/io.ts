import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { IoError } from '../../util/errors.js';

/**
 * Most samples (all signals together) that ecgx reads from one record at
 * once, unless a caller asks for more. A record is held in memory as float32
 * (and briefly as int32 digital samples too), so 2^28 samples is 1 GiB of
 * float32 and about 2.5 GiB at the peak of a read: a 24-hour 12-lead Holter at
 * 250 Hz (259 million samples) fits, a header declaring billions of samples
 * (or a gap of 170 million samples x 12 signals) is refused before anything
 * is allocated.
 */
export const DEFAULT_MAX_SAMPLES = 2 ** 28;

/** A header larger than this is no WFDB header (PhysioNet's largest are a few hundred KiB of comments). */
export const MAX_HEADER_BYTES = 16 * 2 ** 20;

/** A one-phrase reason for a failed read, from a node fs error. */
export function ioReason(e: unknown, what: string): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return `no such file (expected ${what})`;
  if (code === 'EISDIR') return `is a folder (expected ${what})`;
  if (code === 'EACCES') return `permission denied reading ${what}`;
  if (code === 'ENOTDIR') return `a component of the path is not a folder (expected ${what})`;
  if (code === 'ENAMETOOLONG') return `the path is too long (expected ${what})`;
  return `cannot read ${what}: ${e instanceof Error ? e.message : String(e)}`;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** An open regular file: its size, and positional reads that never go past what the caller asks for. */
export interface RegularFile {
  size: number;
  /** Bytes [start, start + length) of the file; fewer only if the file shrank meanwhile. */
  read(start: number, length: number): Uint8Array;
}

/**
 * Opens `file` for reading, refusing anything but a regular file before a
 * byte is read: a FIFO would block (O_NONBLOCK keeps open() itself from
 * waiting for a writer) and a device like /dev/zero never ends. `what` says
 * what the file should be, for error messages. The file is closed when `use`
 * returns or throws.
 */
export function withRegularFile<T>(file: string, what: string, use: (f: RegularFile) => T): T {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new IoError(file, ioReason(e, what));
  }
  try {
    let st: Stats;
    try {
      st = fstatSync(fd);
    } catch (e) {
      throw new IoError(file, ioReason(e, what));
    }
    if (!st.isFile()) throw new IoError(file, `is ${kindOf(st)} (expected ${what} as a regular file)`);
    const size = st.size;
    return use({
      size,
      read(start: number, length: number): Uint8Array {
        const n = Math.max(0, Math.min(length, size - start));
        const out = new Uint8Array(n);
        let got = 0;
        try {
          while (got < n) {
            const k = readSync(fd, out, got, n - got, start + got);
            if (k === 0) break;
            got += k;
          }
        } catch (e) {
          throw new IoError(file, ioReason(e, what));
        }
        return got === n ? out : out.subarray(0, got);
      },
    });
  } finally {
    closeSync(fd);
  }
}

/** All of a regular file, refused (IoError naming the limit) when larger than `maxBytes`. */
export function readRegularFile(file: string, what: string, maxBytes: number): Uint8Array {
  return withRegularFile(file, what, (f) => {
    if (f.size > maxBytes) throw new IoError(file, `is ${f.size} bytes, more than the ${maxBytes} bytes ecgx reads as ${what}`);
    return f.read(0, f.size);
  });
}
