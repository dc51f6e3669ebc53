/**
 * Method options: read with defaults and checked, so that a typo or a bad
 * value is an OptionError naming `<method>.<option>` and the expectation.
 * An explainer's create() options are its defaults; explain() options
 * override them per call (except the ones that shape its graphs).
 */
import { OptionError } from '../util/errors.js';

/** Options every explain() call may take besides the method's own. */
const COMMON = ['target', 'seed', 'batchSize', 'threads', 'output'];

export class MethodOptions {
  private readonly used: Record<string, unknown> = {};
  constructor(
    private readonly method: string,
    private readonly values: Record<string, unknown>,
    known: readonly string[],
  ) {
    for (const k of Object.keys(values)) {
      if (values[k] === undefined || COMMON.includes(k) || known.includes(k)) continue;
      throw new OptionError(`${method}.${k}`, `unknown option (${method} takes ${[...known].join(', ') || 'no options'})`);
    }
  }

  int(key: string, dflt: number, range: { min?: number; max?: number } = {}): number {
    const v = this.num(key, dflt, range);
    if (!Number.isInteger(v)) throw new OptionError(`${this.method}.${key}`, `expected an integer, got ${v}`);
    return v;
  }

  num(key: string, dflt: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.values[key] ?? dflt;
    const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(`${this.method}.${key}`, `expected a number, got ${JSON.stringify(raw)}`);
    if (range.min !== undefined && v < range.min) throw new OptionError(`${this.method}.${key}`, `expected >= ${range.min}, got ${v}`);
    if (range.max !== undefined && v > range.max) throw new OptionError(`${this.method}.${key}`, `expected <= ${range.max}, got ${v}`);
    this.used[key] = v;
    return v;
  }

  bool(key: string, dflt: boolean): boolean {
    const raw = this.values[key] ?? dflt;
    const v = raw === 'true' ? true : raw === 'false' ? false : raw;
    if (typeof v !== 'boolean') throw new OptionError(`${this.method}.${key}`, `expected true or false, got ${JSON.stringify(raw)}`);
    this.used[key] = v;
    return v;
  }

  choice<T extends string>(key: string, dflt: T, choices: readonly T[]): T {
    const v = this.values[key] ?? dflt;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw new OptionError(`${this.method}.${key}`, `expected one of ${choices.join('|')}, got ${JSON.stringify(v)}`);
    this.used[key] = v;
    return v as T;
  }

  /** The raw value (for options with their own checks, e.g. a baseline array). */
  raw(key: string): unknown {
    return this.values[key];
  }

  /** Records an option's effective value for the Attribution's `options`. */
  record(key: string, value: unknown): void {
    this.used[key] = value;
  }

  /** The options read so far, defaults filled in. */
  effective(): Record<string, unknown> {
    return { ...this.used };
  }
}

/** create() options merged with one call's options (the call wins). */
export function mergeOptions(fixed: Record<string, unknown>, call: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fixed };
  for (const [k, v] of Object.entries(call)) if (v !== undefined) out[k] = v;
  return out;
}
