/**
 * The model zoo: a registry from architecture name to a factory, so that the
 * CLI can build a model from a short spec string.
 *
 * Spec syntax:   NAME[:KEY=VALUE[;KEY=VALUE...]]
 *   - VALUE is a number (`kernel=9`), a comma-separated list of numbers
 *     (`filters=32,64,64`) or a word (`head=gap`).
 *   - Whitespace around keys and values is ignored; keys may not repeat.
 *   - Quote the spec in a shell, since `;` ends a command there:
 *       ecgx train --model 'resnet1d:filters=32,64,64;downsample=4,4;kernel=9'
 * Keys set the architecture only; leads, samples, task, outputs, class names
 * and seed come from the data and the run (`ModelContext`). Unknown keys,
 * unknown names and malformed values are OptionErrors naming the key.
 */
import { OptionError } from '../util/errors.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import { resnet1d, RESNET1D_LIMITS, RIBEIRO_2020, type Resnet1dOptions } from './resnet1d.js';
import { cnn1d, CNN1D_LIMITS } from './cnn1d.js';
import type { ModelTask } from './meta.js';

export * from './resnet1d.js';
export * from './cnn1d.js';
export * from './meta.js';
export * from './card.js';
export * from './inputs.js';
export * from './predict.js';

/** What the data and the run decide about a model, whatever its architecture. */
export interface ModelContext {
  leads: number;
  samples: number;
  task: ModelTask;
  outputs: number;
  classNames?: string[];
  fs?: number;
  leadNames?: string[];
  seed: number;
}

export type SpecValue = number | number[] | string;

/** One option of an architecture: its kind, default and a line of help. */
export interface ModelOptionSpec {
  kind: 'int' | 'number' | 'ints' | 'word';
  default: SpecValue;
  help: string;
  /** Allowed words for kind 'word'. */
  choices?: readonly string[];
  /** Accepted range of a number (of each number of a list), so that a typo cannot build a model that fills memory. */
  min?: number;
  max?: number;
}

export interface ModelFactory {
  summary: string;
  options: Record<string, ModelOptionSpec>;
  /** Builds the model from parsed options (every key present, defaults filled) and the context. */
  build(options: Record<string, SpecValue>, ctx: ModelContext): ModelProto;
}

function resnet1dFactory(summary: string, defaults: Pick<Resnet1dOptions, 'filters' | 'downsample' | 'kernel' | 'dropout' | 'head'>): ModelFactory {
  return {
    summary,
    options: {
      filters: { kind: 'ints', default: defaults.filters, min: 1, max: RESNET1D_LIMITS.filters, help: `channels of the stem, then of each residual block (1-${RESNET1D_LIMITS.filters})` },
      downsample: { kind: 'ints', default: defaults.downsample, min: 1, max: RESNET1D_LIMITS.downsample, help: `time downsampling per block (one fewer than filters; default 4 each; 1-${RESNET1D_LIMITS.downsample})` },
      kernel: { kind: 'int', default: defaults.kernel, min: 1, max: RESNET1D_LIMITS.kernel, help: `convolution kernel length (1-${RESNET1D_LIMITS.kernel})` },
      dropout: { kind: 'number', default: defaults.dropout, help: 'dropout ratio inside the blocks' },
      head: { kind: 'word', default: defaults.head, choices: ['flatten', 'gap'], help: 'flatten (Ribeiro) or global average pooling' },
    },
    build(opt, ctx) {
      return resnet1d({
        ...ctx,
        filters: opt['filters'] as number[],
        downsample: opt['downsample'] as number[],
        kernel: opt['kernel'] as number,
        dropout: opt['dropout'] as number,
        head: opt['head'] as 'flatten' | 'gap',
      });
    },
  };
}

/** Registered architectures. Add one line per new architecture. */
export const MODELS: Record<string, ModelFactory> = {
  resnet1d: resnet1dFactory('1D-ResNet of Ribeiro et al. 2020 (filters 64,128,196,256,320; downsample 4 x4; kernel 17)', RIBEIRO_2020),
  'resnet1d-small': resnet1dFactory('smaller 1D-ResNet for quick runs (filters 32,64,64,128; downsample 4,2,2; kernel 9; GAP head)', {
    filters: [32, 64, 64, 128],
    downsample: [4, 2, 2],
    kernel: 9,
    dropout: 0.2,
    head: 'gap',
  }),
  cnn1d: {
    summary: 'small plain CNN, no skip connections (filters 16,32,64,64; max-pool 2 per block; kernel 7; GAP head)',
    options: {
      filters: { kind: 'ints', default: [16, 32, 64, 64], min: 1, max: CNN1D_LIMITS.filters, help: `channels of each block (1-${CNN1D_LIMITS.filters})` },
      pool: { kind: 'ints', default: [2, 2, 2, 2], min: 1, max: CNN1D_LIMITS.pool, help: 'max-pooling factor after each block (one per block; default 2 each)' },
      kernel: { kind: 'int', default: 7, min: 1, max: CNN1D_LIMITS.kernel, help: `convolution kernel length (1-${CNN1D_LIMITS.kernel})` },
      dropout: { kind: 'number', default: 0.1, help: 'dropout ratio after each block' },
    },
    build(opt, ctx) {
      return cnn1d({ ...ctx, filters: opt['filters'] as number[], pool: opt['pool'] as number[], kernel: opt['kernel'] as number, dropout: opt['dropout'] as number });
    },
  },
};

export interface ModelSpec {
  name: string;
  /** Every option of the architecture, defaults filled in. */
  options: Record<string, SpecValue>;
}

/** Parses `NAME[:KEY=VALUE;...]` against the registry; `flag` names the option in errors. */
export function parseModelSpec(spec: string, flag = '--model'): ModelSpec {
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  const factory = MODELS[name];
  if (!factory) throw new OptionError(flag, `unknown model '${name}' (expected one of ${Object.keys(MODELS).join(', ')})`);
  const given: Record<string, SpecValue> = {};
  const body = colon < 0 ? '' : spec.slice(colon + 1);
  for (const part of body.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new OptionError(flag, `'${part.trim()}' in '${spec}' is not KEY=VALUE`);
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    const os = factory.options[key];
    if (!os) throw new OptionError(`${flag} ${name}.${key}`, `unknown option '${key}' (expected one of ${Object.keys(factory.options).join(', ')})`);
    if (key in given) throw new OptionError(`${flag} ${name}.${key}`, 'given twice');
    given[key] = parseValue(`${flag} ${name}.${key}`, raw, os);
  }
  const options: Record<string, SpecValue> = {};
  for (const [k, os] of Object.entries(factory.options)) options[k] = given[k] ?? os.default;
  // A block count set by `filters` alone keeps the default pooling of 2 per block.
  if ('filters' in given && !('pool' in given) && name === 'cnn1d') options['pool'] = Array<number>((given['filters'] as number[]).length).fill(2);
  // A block count set by `filters` alone keeps the default downsampling of 4 per block.
  if ('filters' in given && !('downsample' in given) && name.startsWith('resnet1d')) {
    const dflt = factory.options['downsample']!.default as number[];
    const blocks = (given['filters'] as number[]).length - 1;
    options['downsample'] = blocks === dflt.length ? dflt : Array<number>(blocks).fill(4);
  }
  return { name, options };
}

function parseValue(where: string, raw: string, os: ModelOptionSpec): SpecValue {
  const num = (s: string, int: boolean): number => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n))) throw new OptionError(where, `expected ${int ? 'an integer' : 'a number'}, got '${s.trim()}'`);
    if ((os.min !== undefined && n < os.min) || (os.max !== undefined && n > os.max)) throw new OptionError(where, `expected ${os.min ?? '-inf'} to ${os.max ?? 'inf'}, got ${n}`);
    return n;
  };
  switch (os.kind) {
    case 'int': return num(raw, true);
    case 'number': return num(raw, false);
    case 'ints': return raw.split(',').map((s) => num(s, true));
    case 'word':
      if (os.choices && !os.choices.includes(raw)) throw new OptionError(where, `expected one of ${os.choices.join('|')}, got '${raw}'`);
      return raw;
  }
}

/** Builds a model from a spec string (see the syntax above) and the data's context. */
export function buildModel(spec: string | ModelSpec, ctx: ModelContext, flag = '--model'): ModelProto {
  const s = typeof spec === 'string' ? parseModelSpec(spec, flag) : spec;
  const factory = MODELS[s.name];
  if (!factory) throw new OptionError(flag, `unknown model '${s.name}' (expected one of ${Object.keys(MODELS).join(', ')})`);
  return factory.build(s.options, ctx);
}

/** The spec string that rebuilds `spec` (for run configs). */
export function formatModelSpec(spec: ModelSpec): string {
  const parts = Object.entries(spec.options).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  return parts.length ? `${spec.name}:${parts.join(';')}` : spec.name;
}
