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
