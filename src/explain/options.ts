/**
 * Method options, declared once: each explainer lists its options (name,
 * kind, default, range, help) in its factory, and everything else is derived
 * from that list: the checks and defaults when the method runs, the CLI flags
 * of `ecgx explain` and their --help text. A typo or a bad value is an
 * OptionError naming `<method>.<option>` and the expectation.
 * An explainer's create() options are its defaults; explain() options
 * override them per call (except the ones that shape its graphs).
 */
import { OptionError } from '../util/errors.js';
import { rangeText } from '../util/range.js';

export type OptionKind = 'int' | 'number' | 'boolean' | 'choice' | 'text';

/** One option of a method. */
export interface OptionDecl {
  name: string;
  kind: OptionKind;
  /** The default; absent when it depends on the data (then `defaultText` says how). */
  default?: number | string | boolean;
  /** The default in words, for help text, when it is not a constant. */
  defaultText?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  help: string;
  /** How a CLI flag's text becomes the value (e.g. a file read); default: by kind. */
  fromText?: (text: string) => unknown;
  /** False for options the CLI cannot give (objects, e.g. TLC's in-memory fit). */
  cli?: boolean;
  /** The method cannot run without it from the CLI (a fitted TLC, TCAV's concept): the CLI refuses a run that lacks it, and the app does not offer the method. */
  required?: boolean;
}

/** Options every explain() call may take besides the method's own. */
export const COMMON_OPTIONS: readonly OptionDecl[] = [
  { name: 'seed', kind: 'int', default: 0, help: 'seed of every random choice of the method', cli: false },
  { name: 'batchSize', kind: 'int', default: 64, min: 1, max: 65_536, help: 'model runs per onnxruntime call', cli: false },
  { name: 'threads', kind: 'int', min: 1, max: 256, help: 'onnxruntime intra-op threads', cli: false },
  { name: 'output', kind: 'text', help: 'graph output explained (default: the card\'s output)', cli: false },
];
const COMMON_NAMES = new Set(['target', ...COMMON_OPTIONS.map((o) => o.name)]);

export class MethodOptions {
  private readonly used: Record<string, unknown> = {};
  private readonly decls: Map<string, OptionDecl>;
  constructor(
    private readonly method: string,
    private readonly values: Record<string, unknown>,
    decls: readonly OptionDecl[],
  ) {
    this.decls = new Map([...COMMON_OPTIONS, ...decls].map((d) => [d.name, d]));
    for (const k of Object.keys(values)) {
      if (values[k] === undefined || COMMON_NAMES.has(k) || this.decls.has(k)) continue;
      throw new OptionError(`${method}.${k}`, `unknown option (${method} takes ${decls.map((d) => d.name).join(', ') || 'no options'})`);
    }
  }

  private decl(key: string): OptionDecl {
    const d = this.decls.get(key);
    if (!d) throw new Error(`${this.method}: option '${key}' is read but not declared`);
    return d;
  }

  private field(key: string): string {
    return `${this.method}.${key}`;
  }

  /** An integer option; `dflt` replaces the declared default where it depends on the data. */
  int(key: string, dflt?: number): number {
    const v = this.num(key, dflt);
    if (!Number.isInteger(v)) throw new OptionError(this.field(key), `expected an integer, got ${v}`);
    return v;
  }

  num(key: string, dflt?: number): number {
    const d = this.decl(key);
    const raw = this.values[key] ?? dflt ?? d.default;
    const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(this.field(key), `expected a number, got ${JSON.stringify(raw)}`);
    if ((d.min !== undefined && v < d.min) || (d.max !== undefined && v > d.max)) throw new OptionError(this.field(key), `expected ${rangeText(d)}, got ${v}`);
    this.used[key] = v;
    return v;
  }

  bool(key: string): boolean {
    const raw = this.values[key] ?? this.decl(key).default;
    const v = raw === 'true' ? true : raw === 'false' ? false : raw;
    if (typeof v !== 'boolean') throw new OptionError(this.field(key), `expected true or false, got ${JSON.stringify(raw)}`);
    this.used[key] = v;
    return v;
  }

  choice<T extends string>(key: string): T {
    const d = this.decl(key);
    const v = this.values[key] ?? d.default;
    if (typeof v !== 'string' || !(d.choices ?? []).includes(v)) throw new OptionError(this.field(key), `expected one of ${(d.choices ?? []).join('|')}, got ${JSON.stringify(v)}`);
    this.used[key] = v;
    return v as T;
  }

  /** The raw value (for options with their own checks, e.g. a baseline array). */
  raw(key: string): unknown {
    this.decl(key);
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

/** Checks `opts` against the declarations at create() (unknown names), without reading values. */
export function checkOptionNames(method: string, opts: Record<string, unknown>, decls: readonly OptionDecl[]): void {
  new MethodOptions(method, opts, decls);
}

/** create() options merged with one call's options (the call wins). */
export function mergeOptions(fixed: Record<string, unknown>, call: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fixed };
  for (const [k, v] of Object.entries(call)) if (v !== undefined) out[k] = v;
  return out;
}

/** A declared option's value from CLI text: through its own fromText, else by kind. */
export function optionFromText(method: string, d: OptionDecl, text: string): unknown {
  if (d.fromText) return d.fromText(text);
  const bad = (what: string): never => {
    throw new OptionError(`${method}.${d.name}`, `expected ${what}, got '${text}'`);
  };
  switch (d.kind) {
    case 'int':
    case 'number': {
      const v = Number(text);
      if (text.trim() === '' || !Number.isFinite(v)) bad(d.kind === 'int' ? 'an integer' : 'a number');
      return v;
    }
    case 'boolean':
      return text === '' || text === 'true' ? true : text === 'false' ? false : bad('true or false');
    case 'choice':
      return (d.choices ?? []).includes(text) ? text : bad(`one of ${(d.choices ?? []).join('|')}`);
    case 'text':
      return text;
  }
}

/** A declaration's default for help text. */
export function defaultText(d: OptionDecl): string {
  return d.defaultText ?? (d.default !== undefined ? String(d.default) : 'none');
}
