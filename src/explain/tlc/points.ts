/**
 * Row-major point sets shared by the TLC estimators, and the small helpers that
 * read and validate their JSON state.
 */
import { FormatError, OptionError } from '../../util/errors.js';

/** n row vectors of dimension d, row-major: coordinate j of point i is `data[i * d + j]`. */
export interface Points {
  data: Float32Array | Float64Array;
  n: number;
  d: number;
}

/** Wraps a row-major array as Points, checking that its length is n * d. */
export function makePoints(data: Float32Array | Float64Array, n: number, d: number): Points {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(d) || d < 1) {
    throw new OptionError('points', `expected integer n >= 0 and d >= 1, got n=${n}, d=${d}`);
  }
  if (data.length !== n * d) throw new OptionError('points', `expected ${n} x ${d} = ${n * d} values, got ${data.length}`);
  return { data, n, d };
}

/** Points from an array of equal-length rows (convenient in tests and small inputs). */
export function pointsFromRows(rows: ArrayLike<number>[]): Points {
  const n = rows.length;
  if (n === 0) throw new OptionError('points', 'expected at least one row');
  const d = rows[0]!.length;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (r.length !== d) throw new OptionError('points', `row ${i} has ${r.length} values, row 0 has ${d}`);
    for (let j = 0; j < d; j++) data[i * d + j] = r[j]!;
  }
  return { data, n, d };
}

/** The points listed in `index`, in that order (a copy). */
export function selectRows(x: Points, index: ArrayLike<number>): Points {
  const out = new Float64Array(index.length * x.d);
  for (let r = 0; r < index.length; r++) {
    const i = index[r]!;
    for (let j = 0; j < x.d; j++) out[r * x.d + j] = x.data[i * x.d + j]!;
  }
  return { data: out, n: index.length, d: x.d };
}

/** Squared Euclidean distance between row i of `a` and row c of `b` (both dimension d). */
export function sqDist(a: ArrayLike<number>, i: number, b: ArrayLike<number>, c: number, d: number): number {
  let s = 0;
  const ai = i * d, bc = c * d;
  for (let j = 0; j < d; j++) {
    const t = a[ai + j]! - b[bc + j]!;
    s += t * t;
  }
  return s;
}

/** Throws an OptionError unless x has dimension d and only finite values. */
export function checkPoints(x: Points, what: string, d?: number): void {
  if (d !== undefined && x.d !== d) throw new OptionError(what, `expected points of dimension ${d}, got ${x.d}`);
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i]!)) {
      throw new OptionError(what, `point ${Math.floor(i / x.d)} coordinate ${i % x.d} is ${x.data[i]}; expected finite values`);
    }
  }
}

/** Checks an integer option in [min, max]. */
export function checkInt(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new OptionError(name, `expected an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}, got ${v}`);
  }
  return v;
}

/** Checks a finite number option in (min, max] or [min, max]. */
export function checkNumber(name: string, v: number, min: number, max = Infinity, minInclusive = false): number {
  if (!Number.isFinite(v) || (minInclusive ? v < min : v <= min) || v > max) {
    throw new OptionError(name, `expected a number in ${minInclusive ? '[' : '('}${min}, ${max}], got ${v}`);
  }
  return v;
}

// --- JSON state helpers -------------------------------------------------------

/** Reads fields of a parsed JSON object, throwing FormatError naming the source and field. */
export class JsonReader {
  constructor(private readonly obj: Record<string, unknown>, private readonly source: string, private readonly path = '') {}

  static of(json: unknown, source: string, kind: string): JsonReader {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FormatError(source, `expected a JSON object for ${kind}`);
    const r = new JsonReader(json as Record<string, unknown>, source);
    const k = r.obj['kind'];
    if (k !== kind) throw new FormatError(source, `expected kind "${kind}", got ${JSON.stringify(k)}`, { field: 'kind' });
    return r;
  }

  private fail(field: string, what: string): never {
    throw new FormatError(this.source, what, { field: this.path + field });
  }

  number(field: string): number {
    const v = this.obj[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `expected a finite number, got ${JSON.stringify(v)}`);
    return v;
  }

  int(field: string, min = 0): number {
    const v = this.number(field);
    if (!Number.isInteger(v) || v < min) this.fail(field, `expected an integer >= ${min}, got ${v}`);
    return v;
  }

  bool(field: string): boolean {
    const v = this.obj[field];
    if (typeof v !== 'boolean') this.fail(field, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  string(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string') this.fail(field, `expected a string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A numeric array of the given length (when given). */
  numbers(field: string, length?: number): Float64Array {
    const v = this.obj[field];
    if (!Array.isArray(v)) this.fail(field, 'expected an array of numbers');
    if (length !== undefined && v.length !== length) this.fail(field, `expected ${length} numbers, got ${v.length}`);
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(`${field}[${i}]`, `expected a finite number, got ${JSON.stringify(x)}`);
      out[i] = x;
    }
    return out;
  }

  /** A nested object. */
  object(field: string): JsonReader {
    const v = this.obj[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'expected an object');
    return new JsonReader(v as Record<string, unknown>, this.source, `${this.path}${field}.`);
  }

  /** An array of nested objects. */
  objects(field: string): JsonReader[] {
    const v = this.obj[field];
    if (!Array.isArray(v)) this.fail(field, 'expected an array of objects');
    return v.map((o, i) => {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) this.fail(`${field}[${i}]`, 'expected an object');
      return new JsonReader(o as Record<string, unknown>, this.source, `${this.path}${field}[${i}].`);
    });
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  raw(field: string): unknown {
    return this.obj[field];
  }
}

/** Plain number array for JSON output. */
export function toNumbers(a: ArrayLike<number>): number[] {
  return Array.from(a);
}
