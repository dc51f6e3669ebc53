/**
 * The 1D residual network used for 12-lead ECG classification by Ribeiro et
 * al. (2020, Nat Commun 11:1760) and as the backbone of time-localized
 * clusters (TLC), built as an ONNX graph.
 *
 * Layout (filters = [stem, block1, ..., blockN], downsample = [block1..blockN]):
 *   ecg [batch, leads, samples]
 *   stem: conv(kernel) -> BN -> ReLU                       (stride 1)
 *   block i, with x (main) and y (skip) both = previous output at first:
 *     skip: MaxPool(downsample) if downsample > 1, then 1x1 conv if channels change
 *     main: conv(kernel) -> BN -> ReLU -> Dropout -> conv(kernel, stride downsample)
 *     s = main + skip;  s is the next block's skip input
 *     x = BN(s) -> ReLU -> Identity `block<i>` -> Dropout       (next block's main input)
 *   head: flatten (Ribeiro) or global average pool, then linear -> `logits`
 *   `probs` = sigmoid(logits) (multilabel) or softmax(logits) (multiclass);
 *   regression models have `logits` only.
 *
 * Padding is 'same' (output length ceil(T / downsample)) on both paths, so any
 * input length works; Ribeiro's code pads symmetrically and needs T divisible
 * by the downsampling, where both give the same lengths. Convolutions have no
 * bias (each is followed by BN, or by the add). Dropout nodes are inference
 * mode (identity) in the graph.
 */
import { GraphBuilder, type Tensor } from '../engine/onnx/builder.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import { OptionError } from '../util/errors.js';
import { withModelMeta, type ModelTask } from './meta.js';

export interface Resnet1dOptions {
  /** Input leads (channels). */
  leads: number;
  /** Input length in samples. */
  samples: number;
  /** Channels of the stem, then of each residual block, e.g. [64, 128, 196, 256, 320]. */
  filters: number[];
  /** Time downsampling of each residual block (length = filters.length - 1), e.g. [4, 4, 4, 4]. */
  downsample: number[];
  /** Convolution kernel length (odd), e.g. 17. */
  kernel: number;
  /** Dropout ratio after each ReLU inside the blocks, e.g. 0.2. */
  dropout: number;
  /** 'flatten' (Ribeiro: linear over channels x time) or 'gap' (global average pooling over time). */
  head: 'flatten' | 'gap';
  task: ModelTask;
  /** Number of outputs (classes, or regression targets). */
  outputs: number;
  classNames?: string[];
  /** Sampling rate the model expects, Hz (recorded in metadata only). */
  fs?: number;
  /** Lead names the model expects, in order (recorded in metadata only). */
  leadNames?: string[];
  seed: number;
}

/** Largest kernel, channel count and per-block downsampling a resnet1d accepts (a typo must not build a model that fills memory). */
export const RESNET1D_LIMITS = { kernel: 255, filters: 4096, downsample: 64 } as const;

/** Ribeiro et al.'s architecture for 4096-sample, 400 Hz 12-lead ECGs. */
export const RIBEIRO_2020: Omit<Resnet1dOptions, 'leads' | 'samples' | 'task' | 'outputs' | 'seed'> = {
  filters: [64, 128, 196, 256, 320],
  downsample: [4, 4, 4, 4],
  kernel: 17,
  dropout: 0.2,
  head: 'flatten',
};

export function resnet1d(o: Resnet1dOptions): ModelProto {
  validate(o);
  const g = new GraphBuilder({ seed: o.seed, name: 'resnet1d' });
  const ecg = g.input('ecg', ['batch', o.leads, o.samples]);
  let x: Tensor = g.relu(g.batchNorm(g.conv1d(ecg, { outChannels: o.filters[0]!, kernel: o.kernel, pad: 'same', bias: false, name: 'stem.conv' }), { name: 'stem.bn' }), 'stem.relu');
  let y: Tensor = x;
  for (let i = 0; i < o.downsample.length; i++) {
    const b = `block${i + 1}`;
    const ds = o.downsample[i]!;
    const cout = o.filters[i + 1]!;
    let skip = y;
    if (ds > 1) skip = g.maxPool1d(skip, { kernel: ds, stride: ds, pad: 'same', name: `${b}.skip.pool` });
    if (skip.shape[1] !== cout) skip = g.conv1d(skip, { outChannels: cout, kernel: 1, bias: false, name: `${b}.skip.conv` });
    let m = g.conv1d(x, { outChannels: cout, kernel: o.kernel, pad: 'same', bias: false, name: `${b}.conv1` });
    m = g.dropout(g.relu(g.batchNorm(m, { name: `${b}.bn1` }), `${b}.relu1`), o.dropout, `${b}.dropout1`);
    m = g.conv1d(m, { outChannels: cout, kernel: o.kernel, stride: ds, pad: 'same', bias: false, name: `${b}.conv2` });
    y = g.add(m, skip, `${b}.add`);
    const out = g.identity(g.relu(g.batchNorm(y, { name: `${b}.bn2` }), `${b}.relu2`), b);
    x = g.dropout(out, o.dropout, `${b}.dropout2`);
  }
  const pooled = o.head === 'gap' ? g.flatten(g.globalAvgPool(x, 'head.gap'), 'head.flatten') : g.flatten(x, 'head.flatten');
  const logits = g.linear(pooled, o.outputs, { name: 'head.linear' });
  g.output(logits, 'logits');
  if (o.task === 'multilabel') g.output(g.sigmoid(logits, 'probs'));
  else if (o.task === 'multiclass') g.output(g.softmax(logits, -1, 'probs'));
  return withModelMeta(g.build(), { architecture: 'resnet1d', task: o.task, classNames: o.classNames, fs: o.fs, leads: o.leadNames, options: { ...o } });
}

function validate(o: Resnet1dOptions): void {
  const posInt = (k: string, v: unknown): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new OptionError(`resnet1d.${k}`, `expected a positive integer, got ${JSON.stringify(v)}`);
  };
  posInt('leads', o.leads);
  posInt('samples', o.samples);
  posInt('kernel', o.kernel);
  if (o.kernel > RESNET1D_LIMITS.kernel) throw new OptionError('resnet1d.kernel', `expected 1 to ${RESNET1D_LIMITS.kernel}, got ${o.kernel}`);
  posInt('outputs', o.outputs);
  if (!Number.isInteger(o.seed)) throw new OptionError('resnet1d.seed', `expected an integer, got ${o.seed}`);
  if (o.filters.length < 1) throw new OptionError('resnet1d.filters', 'expected at least one entry (the stem)');
  o.filters.forEach((f) => posInt('filters', f));
  o.downsample.forEach((d) => posInt('downsample', d));
  const big = (k: 'filters' | 'downsample', v: number[]): void => {
    const x = v.find((f) => f > RESNET1D_LIMITS[k]);
    if (x !== undefined) throw new OptionError(`resnet1d.${k}`, `expected 1 to ${RESNET1D_LIMITS[k]} each, got ${x}`);
  };
  big('filters', o.filters);
  big('downsample', o.downsample);
  if (o.downsample.length !== o.filters.length - 1) {
    throw new OptionError('resnet1d.downsample', `expected ${o.filters.length - 1} entries (one per residual block = filters minus the stem), got ${o.downsample.length}`);
  }
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new OptionError('resnet1d.dropout', `expected a ratio in [0, 1), got ${o.dropout}`);
  if (o.head !== 'flatten' && o.head !== 'gap') throw new OptionError('resnet1d.head', `expected flatten|gap, got '${String(o.head)}'`);
  if (!['multilabel', 'multiclass', 'regression'].includes(o.task)) throw new OptionError('resnet1d.task', `expected multilabel|multiclass|regression, got '${String(o.task)}'`);
  if (o.task === 'multiclass' && o.outputs < 2) throw new OptionError('resnet1d.outputs', `a multiclass model needs at least 2 outputs, got ${o.outputs}`);
  if (o.classNames && o.classNames.length !== o.outputs) throw new OptionError('resnet1d.classNames', `expected ${o.outputs} names (one per output), got ${o.classNames.length}`);
  if (o.leadNames && o.leadNames.length !== o.leads) throw new OptionError('resnet1d.leadNames', `expected ${o.leads} names (one per lead), got ${o.leadNames.length}`);
  let t = o.samples;
  o.downsample.forEach((d, i) => {
    // A block that downsamples fewer samples than its factor would pool padding, not signal.
    if (d > t) throw new OptionError('resnet1d.downsample', `block ${i + 1} would downsample ${t} sample(s) by ${d}, below one sample (input ${o.samples} samples, downsample ${o.downsample.join(',')}); use a longer input or less downsampling`);
    t = Math.ceil(t / d);
  });
  if (o.head === 'flatten' && t * o.filters[o.filters.length - 1]! > 50_000_000) throw new OptionError('resnet1d.head', 'flatten head would have over 50M features; use head=gap');
}
