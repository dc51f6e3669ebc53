/**
 * Occlusion (Zeiler & Fergus 2014) for ECGs: a window of `window` samples,
 * moved by `stride`, is replaced by `value` in one lead at a time
 * (leads 'each', attributions [batch, leads, time]) or in all leads at once
 * ('all', [batch, 1, time]). A sample's attribution is the drop of the target
 * output, F(x) - F(occluded), averaged over the windows that cover it. The
 * last window is aligned to the end so every sample is covered.
 */
import { OptionError } from '../util/errors.js';
import type { ExplainerFactory } from './protocol.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';

/** Window starts covering [0, time): 0, stride, ..., plus time - window if the end is not reached. */
export function windowStarts(time: number, window: number, stride: number): number[] {
  const w = Math.min(window, time);
  const starts: number[] = [];
  for (let s = 0; s + w <= time; s += stride) starts.push(s);
  if (starts.at(-1)! + w < time) starts.push(time - w);
  return starts;
}

const OPTIONS: readonly OptionDecl[] = [
  { name: 'window', kind: 'int', min: 1, max: 1_000_000, defaultText: '32 (at most the signal length)', help: 'occluded window, samples' },
  { name: 'stride', kind: 'int', min: 1, max: 1_000_000, defaultText: 'window/2', help: 'step between windows, samples' },
  { name: 'leads', kind: 'choice', default: 'each', choices: ['each', 'all'], help: 'occlude one lead at a time (attributions per lead) or all leads at once (per time sample)' },
  { name: 'value', kind: 'number', default: 0, help: 'value of the occluded samples' },
];

export const occlusion: ExplainerFactory = {
  name: 'occlusion',
  summary: 'drop of the target output when a sliding window (window=32, stride=16) is set to a value, per lead or all leads',
  options: OPTIONS,
  conformance: { window: 16, stride: 8 },
  async create(model, opts = {}) {
    return new ModelExplainer('occlusion', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, batchSize }) => {
      const [n, leads, time] = x.shape as [number, number, number];
      // The default shrinks to a short signal; a window asked for must fit.
      const window = opts.int('window', Math.min(32, time));
      if (window > time) throw new OptionError('occlusion.window', `${window} samples is longer than the signal (${time} samples)`);
      const stride = opts.int('stride', Math.max(1, Math.floor(window / 2)));
      const mode = opts.choice<'each' | 'all'>('leads');
      const value = opts.num('value');
      const per = leads * time;
      const starts = windowStarts(time, window, stride);
      const groups = mode === 'each' ? leads : 1;
      const K = model.width;
      const fx = await model.scores(x, batchSize);
      const sum = new Float64Array(n * groups * time);
      const cover = new Float64Array(time);
      for (const s of starts) for (let t = s; t < s + window; t++) cover[t]! += 1;
      // Rows (ECG, lead group, window), in chunks of batchSize occluded copies.
      const perEcg = groups * starts.length;
      const rows = n * perEcg;
      for (let start = 0; start < rows; start += batchSize) {
        const count = Math.min(batchSize, rows - start);
        const occ = new Float32Array(count * per);
        for (let r = 0; r < count; r++) {
          const row = start + r;
          const b = Math.floor(row / perEcg);
          const g = Math.floor((row % perEcg) / starts.length);
          const s = starts[row % starts.length]!;
          occ.set(x.data.subarray(b * per, (b + 1) * per), r * per);
          for (let l = mode === 'each' ? g : 0; l < (mode === 'each' ? g + 1 : leads); l++) occ.fill(value, r * per + l * time + s, r * per + l * time + s + window);
        }
        const f = await model.scores({ data: occ, shape: [count, leads, time] }, batchSize);
        for (let r = 0; r < count; r++) {
          const row = start + r;
          const b = Math.floor(row / perEcg);
          const g = Math.floor((row % perEcg) / starts.length);
          const s = starts[row % starts.length]!;
          const k = target.index[b]!;
          const drop = fx.data[b * K + k]! - f.data[r * K + k]!;
          const o = (b * groups + g) * time;
          for (let t = s; t < s + window; t++) sum[o + t] += drop;
        }
      }
      const values = new Float32Array(n * groups * time);
      for (let i = 0; i < values.length; i++) values[i] = sum[i]! / cover[i % time]!;
      return { values: { data: values, shape: [n, groups, time] }, meta: { windows: starts.length } };
    });
  },
};
