/**
 * A small plain convolutional network (no skip connections), the simplest
 * architecture explanations are compared on: each block is
 *   conv(kernel, 'same') -> BN -> ReLU -> Identity `block<i>` -> MaxPool(pool_i) -> Dropout
 * then global average pooling over time and a linear layer -> `logits`
 * (+ `probs`). The `block<i>` outputs are what Grad-CAM and TLC read, as in
 * resnet1d (they keep the block's full time resolution, before its pooling).
 */
import { GraphBuilder, type Tensor } from '../engine/onnx/builder.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import { OptionError } from '../util/errors.js';
import { withModelMeta } from './meta.js';
import type { ModelContext } from './index.js';

export interface Cnn1dOptions extends ModelContext {
  /** Channels of each block, e.g. [16, 32, 64, 64]. */
  filters: number[];
  /** Max-pooling factor after each block (same length as filters; 1: none). */
  pool: number[];
  /** Convolution kernel length, e.g. 7. */
  kernel: number;
  dropout: number;
}

export const CNN1D_LIMITS = { kernel: 255, filters: 4096, pool: 64 } as const;

export function cnn1d(o: Cnn1dOptions): ModelProto {
  validate(o);
  const g = new GraphBuilder({ seed: o.seed, name: 'cnn1d' });
  let x: Tensor = g.input('ecg', ['batch', o.leads, o.samples]);
  o.filters.forEach((f, i) => {
    const b = `block${i + 1}`;
    x = g.identity(g.relu(g.batchNorm(g.conv1d(x, { outChannels: f, kernel: o.kernel, pad: 'same', bias: false, name: `${b}.conv` }), { name: `${b}.bn` }), `${b}.relu`), b);
    if (o.pool[i]! > 1) x = g.maxPool1d(x, { kernel: o.pool[i]!, stride: o.pool[i]!, pad: 'same', name: `${b}.pool` });
    x = g.dropout(x, o.dropout, `${b}.dropout`);
  });
  const logits = g.linear(g.flatten(g.globalAvgPool(x, 'head.gap'), 'head.flatten'), o.outputs, { name: 'head.linear' });
  g.output(logits, 'logits');
  if (o.task === 'multilabel') g.output(g.sigmoid(logits, 'probs'));
  else if (o.task === 'multiclass') g.output(g.softmax(logits, -1, 'probs'));
  return withModelMeta(g.build(), { architecture: 'cnn1d', task: o.task, classNames: o.classNames, fs: o.fs, leads: o.leadNames, options: { ...o } });
}

function validate(o: Cnn1dOptions): void {
  const posInt = (k: string, v: unknown, max?: number): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || (max !== undefined && v > max)) throw new OptionError(`cnn1d.${k}`, `expected an integer 1${max !== undefined ? ` to ${max}` : ' or more'}, got ${JSON.stringify(v)}`);
  };
  posInt('leads', o.leads);
  posInt('samples', o.samples);
  posInt('kernel', o.kernel, CNN1D_LIMITS.kernel);
  posInt('outputs', o.outputs);
  if (o.filters.length < 1) throw new OptionError('cnn1d.filters', 'expected at least one block');
  o.filters.forEach((f) => posInt('filters', f, CNN1D_LIMITS.filters));
  if (o.pool.length !== o.filters.length) throw new OptionError('cnn1d.pool', `expected ${o.filters.length} entries (one per block), got ${o.pool.length}`);
  o.pool.forEach((p) => posInt('pool', p, CNN1D_LIMITS.pool));
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new OptionError('cnn1d.dropout', `expected a ratio in [0, 1), got ${o.dropout}`);
  if (!['multilabel', 'multiclass', 'regression'].includes(o.task)) throw new OptionError('cnn1d.task', `expected multilabel|multiclass|regression, got '${String(o.task)}'`);
  if (o.classNames && o.classNames.length !== o.outputs) throw new OptionError('cnn1d.classNames', `expected ${o.outputs} names, got ${o.classNames.length}`);
  let t = o.samples;
  o.pool.forEach((p, i) => {
    if (p > t) throw new OptionError('cnn1d.pool', `block ${i + 1} would pool ${t} sample(s) by ${p}; use a longer input or less pooling`);
    t = Math.ceil(t / p);
  });
}
