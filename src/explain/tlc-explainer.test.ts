/**
 * TLC through the Explainer protocol: the conformance properties (shape,
 * finite, deterministic, batch of N = N singles, targets resolved) and what
 * is specific to a class-agnostic method (the values do not depend on the
 * target; clusters and entropy in meta agree with the pipeline).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { resnet1d } from '../models/resnet1d.js';
import { OptionError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { NdArray } from '../util/npy.js';
import { createExplainer } from './registry.js';
import './tlc-explainer.js';
import { TlcExplainer } from './tlc-explainer.js';
import type { Explainer } from './protocol.js';

const LEADS = 3, T = 64, FS = 100;
const MODEL = resnet1d({ leads: LEADS, samples: T, filters: [4, 6, 6, 8], downsample: [2, 2, 2], kernel: 5, dropout: 0.2, head: 'gap', task: 'multilabel', outputs: 3, classNames: ['NORM', 'MI', 'STTC'], seed: 11 });

function ecgs(n: number, seed: number): NdArray {
  const r = new Rng(seed);
  const x = new Float32Array(n * LEADS * T);
  for (let row = 0; row < n * LEADS; row++) {
    const f = r.range(1, 6), ph = r.range(0, 6.28);
    for (let t = 0; t < T; t++) x[row * T + t] = Math.sin((2 * Math.PI * f * t) / T + ph) + 0.1 * r.normal();
  }
  return { data: x, shape: [n, LEADS, T] };
}

const X = ecgs(4, 42);
const open: Explainer[] = [];
after(async () => {
  for (const e of open) await e.release?.();
});

async function make(): Promise<Explainer> {
  const e = await createExplainer('tlc', MODEL, { fit: { x: ecgs(16, 1), fs: FS, options: { k: 3, seed: 2 } }, threads: 1 });
  open.push(e);
  return e;
}

test("tlc explainer: registered as 'tlc'; [batch, 1, time] entropy in [0, 1], deterministic, batch of N = N singles", async () => {
  const e = await make();
  assert.equal(e.name, 'tlc');
  const a = await e.explain({ x: X, fs: FS }, { target: 1, seed: 7 });
  assert.deepEqual(a.values.shape, [4, 1, T]);
  assert.ok(a.values.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1));
  assert.ok(a.values.data.some((v) => v > 0));
  assert.deepEqual(a.target.index, [1, 1, 1, 1]);
  assert.deepEqual(a.target.name, ['MI', 'MI', 'MI', 'MI']);
  const again = await e.explain({ x: X, fs: FS }, { target: 1, seed: 7 });
  assert.deepEqual(again.values.data, a.values.data);
  const meta = a.meta as { clusters: number[][]; proportions: number[][]; k: number; group: string };
  assert.equal(meta.k, 3);
  assert.equal(meta.group, 'block3');
  for (let b = 0; b < 4; b++) {
    const single = await e.explain({ x: { data: X.data.slice(b * LEADS * T, (b + 1) * LEADS * T), shape: [1, LEADS, T] }, fs: FS }, { target: 1, seed: 7 });
    const row = a.values.data.subarray(b * T, (b + 1) * T);
    for (let t = 0; t < T; t++) assert.ok(Math.abs(single.values.data[t]! - row[t]!) < 1e-4, `ECG ${b} t ${t}`);
    assert.deepEqual((single.meta as typeof meta).clusters[0], meta.clusters[b]);
    assert.ok(Math.abs(meta.proportions[b]!.reduce((s, v) => s + v, 0) - 1) < 1e-12);
  }
});

test('tlc explainer: class-agnostic values; targets still resolved and checked', async () => {
  const e = await make();
  const a0 = await e.explain({ x: X, fs: FS }, { target: 0 });
  const a2 = await e.explain({ x: X, fs: FS }, { target: 'STTC' });
  assert.deepEqual(a0.values.data, a2.values.data);
  assert.deepEqual(a2.target.index, [2, 2, 2, 2]);
  const p = await e.explain({ x: X, fs: FS }, { target: 'predicted' });
  assert.equal(p.target.index.length, 4);
  await assert.rejects(e.explain({ x: X, fs: FS }, { target: 3 }), OptionError);
  await assert.rejects(e.explain({ x: X, fs: FS }, { target: 'nope' }), OptionError);
  // Another group: the first block's entropy.
  const g0 = await e.explain({ x: X, fs: FS }, { target: 0, group: 'block1' });
  assert.equal((g0.meta as { group: string }).group, 'block1');
  await assert.rejects(e.explain({ x: X, fs: FS }, { target: 0, group: 'nope' }), /tlc.group: expected one of block1, block2, block3/);
});

test('tlc explainer: the fitted TLC given as JSON gives the same values; missing TLC is an OptionError', async () => {
  const e = (await make()) as TlcExplainer;
  const viaJson = await createExplainer('tlc', MODEL, { tlc: JSON.parse(JSON.stringify(e.tlc)), threads: 1 });
  open.push(viaJson);
  const a = await e.explain({ x: X, fs: FS }, { target: 0 });
  const b = await viaJson.explain({ x: X, fs: FS }, { target: 0 });
  assert.deepEqual(b.values.data, a.values.data);
  await assert.rejects(createExplainer('tlc', MODEL, {}), (err: unknown) => err instanceof OptionError && /tlc.tlc: expected a fitted TLC/.test(err.message));
  await assert.rejects(createExplainer('tlc', MODEL, { tlc: e.tlc, bogus: 1 }), /tlc.bogus: unknown option/);
});
