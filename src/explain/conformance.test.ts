/**
 * The shared conformance test (captum style): every registered explainer,
 * with no code of its own here, on a tiny seeded resnet1d classifier and a
 * tiny regressor: shapes, determinism under a seed, batch of N = N singles,
 * finite values, targets honoured (class 0 vs 1, names, 'predicted' per ECG),
 * and the regression target.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { resnet1d, type Resnet1dOptions } from '../models/resnet1d.js';
import { Rng } from '../util/rng.js';
import { OptionError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import { EXPLAINERS, createExplainer } from './index.js';
import { ExplainModel } from './model.js';
import type { Explainer } from './protocol.js';

const BASE: Resnet1dOptions = { leads: 3, samples: 64, filters: [4, 6, 6, 8], downsample: [2, 2, 2], kernel: 5, dropout: 0.2, head: 'gap', task: 'multilabel', outputs: 3, classNames: ['NORM', 'MI', 'STTC'], seed: 11 };
const CLASSIFIER = resnet1d(BASE);
const REGRESSOR = resnet1d({ ...BASE, task: 'regression', outputs: 1, classNames: ['age'], seed: 6 });
const N = 3;

function ecgs(n: number, seed: number): NdArray {
  const r = new Rng(seed);
  const x = new Float32Array(n * BASE.leads * BASE.samples);
  // Smooth, ECG-like rows: a few sinusoids plus noise, different per ECG and lead.
  for (let row = 0; row < n * BASE.leads; row++) {
    const f1 = r.range(1, 4);
    const f2 = r.range(5, 12);
    const ph = r.range(0, 6.28);
    for (let t = 0; t < BASE.samples; t++) x[row * BASE.samples + t] = Math.sin((2 * Math.PI * f1 * t) / BASE.samples + ph) + 0.5 * Math.sin((2 * Math.PI * f2 * t) / BASE.samples) + 0.1 * r.normal();
  }
  return { data: x, shape: [n, BASE.leads, BASE.samples] };
}

function rows(a: NdArray, b: number): Float32Array {
  const per = a.data.length / a.shape[0]!;
  return a.data.subarray(b * per, (b + 1) * per);
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** JSON with every number replaced by 0: the shape of a meta entry. */
function structure(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' ? 0 : x));
}

const X = ecgs(N, 42);
const open: Explainer[] = [];
after(async () => {
  for (const e of open) await e.release?.();
});

for (const [name, factory] of EXPLAINERS) {
  describe(`explainer conformance: ${name}`, () => {
    const make = async (model: typeof CLASSIFIER): Promise<Explainer> => {
      const opts = typeof factory.conformance === 'function' ? factory.conformance({ x: X, fs: 100 }) : (factory.conformance ?? {});
      const e = await createExplainer(name, model, { ...opts });
      open.push(e);
      return e;
    };

    test('shape, finite values, determinism under a seed, batch of N = N singles', async () => {
      const e = await make(CLASSIFIER);
      const a = await e.explain({ x: X }, { target: 1, seed: 7 });
      assert.equal(a.method, name);
      assert.equal(a.values.shape.length, 3);
      assert.equal(a.values.shape[0], N);
      assert.ok(a.values.shape[1] === BASE.leads || a.values.shape[1] === 1, `leads axis ${a.values.shape[1]}`);
      assert.equal(a.values.shape[2], BASE.samples);
      assert.equal(a.values.data.length, a.values.shape.reduce((p, q) => p * q, 1));
      assert.ok(a.values.data.every(Number.isFinite), 'non-finite attribution');
      assert.ok(a.values.data.some((v) => v !== 0), 'all-zero attribution');
      assert.deepEqual(a.target.index, [1, 1, 1]);
      assert.deepEqual(a.target.name, ['MI', 'MI', 'MI']);
      assert.ok(a.timing.ms >= 0);
      const again = await e.explain({ x: X }, { target: 1, seed: 7 });
      assert.deepEqual(again.values.data, a.values.data, 'not deterministic under a seed');
      for (const k of factory.perInputMeta ?? []) assert.ok(Array.isArray(a.meta?.[k]) && (a.meta[k] as unknown[]).length === N, `meta.${k} is not one entry per ECG`);
      for (let b = 0; b < N; b++) {
        const single = await e.explain({ x: { data: rows(X, b).slice(), shape: [1, BASE.leads, BASE.samples] } }, { target: 1, seed: 7 });
        const d = relDiff(single.values.data, rows(a.values, b));
        assert.ok(d < 1e-4, `ECG ${b}: single vs batch relative difference ${d}`);
        // Per-ECG meta: the single run's entry has the batch entry's structure (numbers may differ by float rounding).
        for (const k of factory.perInputMeta ?? []) assert.equal(structure((single.meta![k] as unknown[])[0]), structure((a.meta![k] as unknown[])[b]), `meta.${k}: ECG ${b} single vs batch`);
      }
    });

    test('target honoured: class 0 vs 1, class names, predicted per ECG', async () => {
      const e = await make(CLASSIFIER);
      const a0 = await e.explain({ x: X }, { target: 0, seed: 7 });
      const a1 = await e.explain({ x: X }, { target: 1, seed: 7 });
      if (factory.classAgnostic) assert.deepEqual(a0.values.data, a1.values.data, 'a class-agnostic method changed with the target');
      else assert.ok(relDiff(a0.values.data, a1.values.data) > 1e-3, 'class 0 and class 1 give the same attributions');
      const named = await e.explain({ x: X }, { target: 'STTC', seed: 7 });
      const a2 = await e.explain({ x: X }, { target: 2, seed: 7 });
      assert.deepEqual(named.values.data, a2.values.data);
      assert.deepEqual(named.target.index, [2, 2, 2]);
      const scores = await new ExplainModel(CLASSIFIER).scores(X);
      const argmax = Array.from({ length: N }, (_, b) => {
        const r = Array.from(scores.data.subarray(b * 3, b * 3 + 3));
        return r.indexOf(Math.max(...r));
      });
      assert.ok(new Set(argmax).size > 1, 'test data should have ECGs with different predicted classes');
      const p = await e.explain({ x: X }, { target: 'predicted', seed: 7 });
      assert.deepEqual(p.target.index, argmax);
      const per = [a0, a1, a2];
      for (let b = 0; b < N; b++) assert.ok(relDiff(rows(p.values, b), rows(per[argmax[b]!]!.values, b)) < 1e-5, `ECG ${b}: predicted is not its argmax class ${argmax[b]}`);
      await assert.rejects(e.explain({ x: X }, { target: 3 }), OptionError);
      await assert.rejects(e.explain({ x: X }, { target: 'nope' }), OptionError);
      await assert.rejects(e.explain({ x: X }, { target: 'regression' }), OptionError);
    });

    test('regression target', async () => {
      const e = await make(REGRESSOR);
      const a = await e.explain({ x: X }, { target: 'regression', seed: 7 });
      assert.deepEqual(a.target.index, [0, 0, 0]);
      assert.equal(a.values.shape[0], N);
      assert.equal(a.values.shape[2], BASE.samples);
      assert.ok(a.values.data.every(Number.isFinite));
      assert.ok(a.values.data.some((v) => v !== 0));
      const b = await e.explain({ x: X }, { target: 0, seed: 7 });
      assert.deepEqual(b.values.data, a.values.data);
    });
  });
}

test('registry: unknown method is an OptionError listing the methods', async () => {
  await assert.rejects(createExplainer('no-such-method', CLASSIFIER), (e: unknown) => e instanceof OptionError && /gradcam/.test(e.message) && /integrated-gradients/.test(e.message));
});
