import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OptionError } from '../util/errors.js';

/** One CLI command: a thin layer that parses arguments and calls the API. */
export interface Command {
  /** One line for `ecgx --help`. */
  summary: string;
  /** Full usage text for `ecgx <command> --help`. */
  usage: string;
  /** True when the command prints its own --help (commands with subcommands). */
  handlesHelp?: boolean;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flag values, typed from the option table. */
export type ParsedValues<O extends Options> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string;
} & { help?: boolean };

/**
 * Strict argument parsing: unknown flags and missing values become an
 * OptionError that names the flag, instead of node's multi-line message.
 */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O): { values: ParsedValues<O>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as { values: ParsedValues<O>; positionals: string[] };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    const flag = /'(-[^']*)'/.exec(msg)?.[1] ?? command;
    throw new OptionError(flag, `${msg.replace(/\. To specify a positional.*$/, '')} (see 'ecgx ${command} --help')`);
  }
}

export { rangeText, type NumberBounds } from '../util/range.js';
import { rangeText, type NumberBounds } from '../util/range.js';

/** Parses a number flag, naming the flag and the accepted range when the value is not one or lies outside it. */
export function numberOption(flag: string, value: string | undefined, opts: NumberBounds = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) {
    throw new OptionError(flag, `expected ${opts.integer ? 'an integer' : 'a number'}, got '${value}'`);
  }
  const low = (opts.min !== undefined && n < opts.min) || (opts.above !== undefined && !(n > opts.above));
  if (low || (opts.max !== undefined && n > opts.max)) throw new OptionError(flag, `expected ${rangeText(opts)}, got ${n}`);
  return n;
}

/**
 * Upper bounds of flags that size work or memory, so that a typo cannot run
 * for hours or fill memory; each flag's help states its range.
 */
export const LIMITS = {
  /** onnxruntime threads. */
  threads: 256,
  /** ECGs per batch. */
  batchSize: 4096,
  /** Epochs of training or pretraining. */
  epochs: 100_000,
  /** Resampling rate of training and pretraining, Hz. */
  fs: { min: 25, max: 2000 },
  /** Samples per lead of a model input. */
  length: 100_000,
} as const;

/** --threads N: 1 to LIMITS.threads. */
export function threadsOption(value: string | undefined): number | undefined {
  return numberOption('--threads', value, { integer: true, min: 1, max: LIMITS.threads });
}

/** --batch-size B: `min` to LIMITS.batchSize. */
export function batchSizeOption(value: string | undefined, min = 1): number | undefined {
  return numberOption('--batch-size', value, { integer: true, min, max: LIMITS.batchSize });
}

/** A comma-separated list of fold numbers, each given once. */
export function foldsOption(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const folds = value.split(',').map((s) => numberOption('--fold', s.trim(), { integer: true })!);
  const twice = folds.find((f, i) => folds.indexOf(f) !== i);
  if (twice !== undefined) throw new OptionError('--fold', `fold ${twice} is given twice in '${value}' (expected each fold once)`);
  return folds;
}

/** Requires a flag to be present. */
export function required<T>(flag: string, value: T | undefined): T {
  if (value === undefined) throw new OptionError(flag, 'is required');
  return value;
}

/** Checks a flag's value against a fixed set. */
export function choiceOption<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new OptionError(flag, `expected one of ${choices.join('|')}, got '${value}'`);
  return value as T;
}
