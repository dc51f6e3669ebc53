/**
 * Errors a user can cause. Each names the file, line or field at fault and says
 * what was expected, so the CLI can print it on one line and exit non-zero.
 * Anything that is not an EcgxError is a bug in ecgx and keeps its stack trace.
 */
export class EcgxError extends Error {
  /** Stable machine-readable kind, e.g. 'format', 'option', 'io'. */
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
    this.name = new.target.name;
  }
}

/** A file whose content does not follow its format (bad header field, truncated signal, ...). */
export class FormatError extends EcgxError {
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;
  constructor(file: string, what: string, where: { line?: number; field?: string } = {}) {
    const loc = where.line !== undefined ? `:${where.line}` : '';
    const fld = where.field !== undefined ? ` (${where.field})` : '';
    super('format', `${file}${loc}${fld}: ${what}`);
    this.file = file;
    this.line = where.line;
    this.field = where.field;
  }
}

/** A file or folder that is missing or cannot be read. */
export class IoError extends EcgxError {
  readonly file: string;
  constructor(file: string, what: string) {
    super('io', `${file}: ${what}`);
    this.file = file;
  }
}

/** A wrong option, flag or argument value. */
export class OptionError extends EcgxError {
  readonly option: string;
  constructor(option: string, what: string) {
    super('option', `${option}: ${what}`);
    this.option = option;
  }
}

/** Data that is well-formed but unusable for the request (empty dataset, unknown label, ...). */
export class DataError extends EcgxError {
  constructor(what: string) {
    super('data', what);
  }
}

/** A model graph ecgx cannot handle (unknown op, missing tensor, ...). */
export class ModelError extends EcgxError {
  constructor(what: string) {
    super('model', what);
  }
}

/** What each file-system error code means for the user, in words. */
const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENAMETOOLONG: 'a name in the path is longer than the file system allows',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EEXIST: 'already exists',
  ENOENT: 'no such file or folder',
  ELOOP: 'too many levels of symbolic links',
  ENOTEMPTY: 'folder is not empty',
  EBUSY: 'busy (in use by the system or another process)',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EXDEV: 'cannot move across file systems',
};

/** The error code of a Node file-system error, when `e` is one ecgx can explain. */
export function fsErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in FS_REASONS ? code : undefined;
}

/**
 * A Node file-system error (EACCES, EROFS, EISDIR, ENOTDIR, ENAMETOOLONG,
 * ENOSPC, EEXIST, ...) as an IoError naming `path` (default: the path in the
 * error) and saying what went wrong; anything else is returned unchanged.
 * Writers pass the path the user named rather than their temporary file's.
 */
export function asIoError(e: unknown, path?: string, doing?: string): unknown {
  if (e instanceof EcgxError) return e;
  const code = fsErrorCode(e);
  const where = path ?? (e as { path?: unknown }).path;
  if (code === undefined || typeof where !== 'string') return e;
  return new IoError(where, `${doing ? `cannot ${doing}: ` : ''}${FS_REASONS[code]} (${code})`);
}
