/**
 * DeepLIFT with the rescale rule (Shrikumar et al. 2017), as captum's
 * DeepLift computes it: one modified-gradient pass (engine/autodiff/modes/
 * deeplift.ts) over the batch [inputs; references], attributions
 * (x - x') ⊙ multipliers. Summation-to-delta: the attributions of an ECG sum
 * to F(x) - F(x'); the difference is reported per ECG (meta.convergenceDelta,
 * captum's sign: sum - (F(x) - F(x'))).
 */
import type { ExplainerFactory } from './protocol.js';
import type { ExplainModel } from './model.js';
import { ModelExplainer } from './gradients.js';
import type { OptionDecl } from './options.js';
import { baselineFromText, igBaseline } from './integrated-gradients.js';

export interface DeepliftPair {
  x: Float32Array;
  ref: Float32Array;
  index: number;
}

/**
 * DeepLIFT for P (input, reference, target) pairs of [leads, time], run in
 * chunks of batchSize / 2 pairs (a chunk's inputs and references stay in one
 * onnxruntime call, as the multipliers pair row b with row N + b).
 */
export async function deepliftPairs(
  model: ExplainModel, shape: [number, number], P: number, pair: (p: number) => DeepliftPair, o: { eps: number; batchSize: number },
  sink: (p: number, attr: Float32Array, fx: number, fref: number) => void,
): Promise<void> {
  const [leads, time] = shape;
  const per = leads * time;
  const session = await model.gradients([model.input], [], { kind: 'deeplift', eps: o.eps });
  const K = model.width;
  const chunk = Math.max(1, Math.floor(o.batchSize / 2));
  for (let start = 0; start < P; start += chunk) {
    const c = Math.min(chunk, P - start);
    const rows = new Float32Array(2 * c * per);
    const index: number[] = [];
    const pairs: DeepliftPair[] = [];
    for (let i = 0; i < c; i++) {
      const q = pair(start + i);
      pairs.push(q);
      rows.set(q.x, i * per);
      rows.set(q.ref, (c + i) * per);
      index.push(q.index);
    }
    const run = await session.run({ data: rows, shape: [2 * c, leads, time] }, [...index, ...index], 2 * c);
    const g = run.grads[model.input]!.data;
    for (let i = 0; i < c; i++) {
      const q = pairs[i]!;
      const attr = new Float32Array(per);
      for (let j = 0; j < per; j++) attr[j] = (q.x[j]! - q.ref[j]!) * g[i * per + j]!;
      sink(start + i, attr, run.output.data[i * K + q.index]!, run.output.data[(c + i) * K + q.index]!);
    }
  }
}

const OPTIONS: readonly OptionDecl[] = [
  { name: 'baseline', kind: 'text', default: 'zero', help: "the reference input: zero, mean (each lead's mean), a number, or FILE.npy [leads, time]", fromText: (t) => baselineFromText(t, 'deeplift.baseline') },
  { name: 'eps', kind: 'number', default: 1e-10, min: 0, max: 1, help: '|Δin| below which a nonlinearity keeps its ordinary gradient (captum: 1e-10)' },
];

export const deeplift: ExplainerFactory = {
  name: 'deeplift',
  summary: 'DeepLIFT, rescale rule, from a baseline (zero|mean|number|array), with summation-to-delta per ECG',
  options: OPTIONS,
  perInputMeta: ['convergenceDelta', 'outputChange'],
  async create(model, opts = {}) {
    return new ModelExplainer('deeplift', ModelExplainer.open(model, opts), opts, OPTIONS, async ({ model, x, target, opts, batchSize }) => {
      const eps = opts.num('eps');
      const spec = opts.raw('baseline');
      opts.record('baseline', typeof spec === 'string' || typeof spec === 'number' ? spec : spec === undefined ? 'zero' : 'array');
      const base = igBaseline(spec, x, 'deeplift.baseline');
      const [n, leads, time] = x.shape as [number, number, number];
      const per = leads * time;
      const values = new Float32Array(n * per);
      const delta: number[] = [];
      const change: number[] = [];
      await deepliftPairs(model, [leads, time], n, (b) => ({ x: x.data.subarray(b * per, (b + 1) * per), ref: base.subarray(b * per, (b + 1) * per), index: target.index[b]! }), { eps, batchSize }, (b, attr, fx, fref) => {
        values.set(attr, b * per);
        let s = 0;
        for (const v of attr) s += v;
        change[b] = fx - fref;
        delta[b] = s - (fx - fref);
      });
      return { values: { data: values, shape: [n, leads, time] }, meta: { convergenceDelta: delta, outputChange: change } };
    });
  },
};
