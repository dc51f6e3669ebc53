/**
 * Shapley values and LIME over ECG features: masking by hand, features from
 * annotations, known answers on a linear model (every estimator exact on an
 * additive game), captum's KernelShap with captum's own coalitions, exact
 * Shapley over 12 leads against a brute-force float64 reference, a
 * statistical check of the sampled estimators, and a real LUDB record where
 * only lead V1's QRS matters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LUDB_DIR, REPO_ROOT } from '../../test/data-paths.js';
import { readNpy, type NdArray } from '../util/npy.js';
import { Rng } from '../util/rng.js';
import { openLudb } from '../data/datasets/ludb.js';
import { createExplainer } from './index.js';
import { ExplainModel } from './model.js';
import { FeatureMasker, ecgFeatures, median } from './ecg-features.js';
import { ecgGame, type GameSetup } from './coalition-game.js';
import { exactShapley, kernelCoalitions, kernelShapFit, permutationShapley } from './shapley.js';
import { linearModel } from './testing.js';

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

test('masking: median (lower middle), a line across each masked run, zero; the value map', () => {
  // Two leads of 6 samples; features: lead a [1, 3), lead a [3, 5), lead b [0, 6).
  const row = Float32Array.of(0, 1, 2, 3, 4, 5, 9, 8, 7, 6, 5, 4);
  const feats = [
    { label: 'a1', lead: 'a', segments: [[1, 3]] as [number, number][] },
    { label: 'a2', lead: 'a', segments: [[3, 5]] as [number, number][] },
    { label: 'b', lead: 'b', segments: [[0, 6]] as [number, number][] },
  ];
  assert.equal(median(Float32Array.of(4, 1, 3, 2)), 2);
  const out = new Float32Array(12);
  new FeatureMasker(row, ['a', 'b'], 6, feats, 'median').fill([0, 1, 0], out);
  assert.deepEqual(Array.from(out), [0, 2, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6]);
  // Both features of lead a absent: one run [1, 5) between x[0] = 0 and x[5] = 5; lead b entirely absent: its median.
  new FeatureMasker(row, ['a', 'b'], 6, feats, 'interpolate').fill([0, 0, 0], out);
  close(out, [0, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6], 1e-6, 'interpolate');
  new FeatureMasker(row, ['a', 'b'], 6, feats, 'interpolate').fill([1, 0, 1], out);
  close(out, [0, 1, 2, 2 + 3 / 3, 2 + 6 / 3, 5, 9, 8, 7, 6, 5, 4], 1e-6, 'interpolate one run');
  new FeatureMasker(row, ['a', 'b'], 6, feats, 'zero').fill([1, 1, 0], out);
  assert.deepEqual(Array.from(out), [0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(new FeatureMasker(row, ['a', 'b'], 6, feats, 'zero').spread([1, 2, 3])), [0, 1, 1, 2, 2, 0, 3, 3, 3, 3, 3, 3]);
});

test('features from annotations: waves per lead (fused where a lead has none), wave-beats, beats between R peaks, windows', () => {
  const waves = {
    '*': [{ wave: 'P' as const, onset: 2, offset: 5 }, { wave: 'QRS' as const, onset: 8, peak: 10, offset: 12 }, { wave: 'T' as const, onset: 15, offset: 20 }, { wave: 'QRS' as const, onset: 28, peak: 30, offset: 32 }],
    II: [{ wave: 'QRS' as const, onset: 9, offset: 11 }, { wave: 'QRS' as const, onset: 29, offset: 31 }],
  };
  const marks = { waves, rPeaks: [10, 30] };
  const f = ecgFeatures({ kind: 'waves', leads: 'each', window: 1 }, ['I', 'II'], 40, 100, marks);
  assert.deepEqual(f.map((x) => x.label), ['I P', 'I QRS', 'I T', 'I baseline', 'II QRS', 'II baseline']);
  assert.deepEqual(f[1]!.segments, [[8, 13], [28, 33]]);
  assert.deepEqual(f[5]!.segments, [[0, 9], [12, 29], [32, 40]]);
  const wb = ecgFeatures({ kind: 'wave-beats', leads: 'all', window: 1 }, ['I', 'II'], 40, 100, marks);
  assert.deepEqual(wb.map((x) => x.label), ['* QRS #1', '* QRS #2', '* P #1', '* T #1', '* baseline']);
  const beats = ecgFeatures({ kind: 'beats', leads: 'each', window: 1 }, ['I'], 40, 100, marks);
  assert.deepEqual(beats.map((x) => x.segments), [[[0, 20]], [[20, 40]]]);
  const win = ecgFeatures({ kind: 'windows', leads: 'each', window: 0.15 }, ['I'], 40, 100);
  assert.deepEqual(win.map((x) => x.segments[0]), [[0, 15], [15, 30], [30, 40]]);
});

test('linear model: every estimator gives w · (x - median) per feature (additive game), LIME with no ridge too', async () => {
  const L = 2;
  const T = 8;
  const rng = new Rng(3);
  const W = [Array.from({ length: L * T }, () => rng.normal())];
  const model = linearModel(W, L, T, { bias: [0.4] });
  const x = { data: Float32Array.from({ length: 2 * L * T }, () => rng.normal()), shape: [2, L, T] };
  // Windows of 4 samples at fs 8: features (lead, half).
  const want: number[][] = [0, 1].map((b) => {
    const row = x.data.subarray(b * L * T, (b + 1) * L * T);
    return [0, 1].flatMap((l) => {
      const med = median(row.subarray(l * T, (l + 1) * T));
      return [0, 1].map((h) => Array.from({ length: 4 }, (_, i) => l * T + h * 4 + i).reduce((s, i) => s + W[0]![i]! * (row[i]! - med), 0));
    });
  });
  const base = { features: 'windows', windowSeconds: 0.5, fs: 8 };
  for (const estimator of ['exact', 'kernel', 'permutation']) {
    const e = await createExplainer('shap-waves', model, { ...base, estimator, samples: 16 });
    const a = await e.explain({ x }, { target: 'regression', seed: 1 });
    const got = (a.meta!['features'] as { value: number }[][]).map((r) => r.map((f) => f.value));
    for (let b = 0; b < 2; b++) close(got[b]!, want[b]!, 1e-4, `${estimator} ECG ${b}`);
    (a.meta!['efficiencyGap'] as number[]).forEach((g) => assert.ok(Math.abs(g) < 1e-4, `${estimator}: efficiency gap ${g}`));
    // Each sample carries its feature's value.
    close([a.values.data[3]!, a.values.data[T + 5]!], [got[0]![0]!, got[0]![3]!], 1e-6, `${estimator} value map`);
  }
  const lime = await createExplainer('lime', model, { ...base, samples: 64, ridge: 0 });
  const l = await lime.explain({ x }, { target: 0, seed: 2 });
  (l.meta!['features'] as { value: number }[][]).forEach((r, b) => close(r.map((f) => f.value), want[b]!, 1e-4, `LIME ECG ${b}`));
});

const DIR = resolve(REPO_ROOT, 'test/fixtures/torch');
const CAPTUM = JSON.parse(readFileSync(resolve(DIR, 'captum/manifest.json'), 'utf8')) as { target: number; references: Record<string, Record<string, unknown>> };
const npy = (f: string): NdArray => readNpy(resolve(DIR, 'captum', f));
const X = readNpy(resolve(DIR, 'x.npy'));
const NAMES = Array.from({ length: 12 }, (_, i) => `lead${i + 1}`);
/** The fixtures' windows of 64 samples: fs 256 Hz and 0.25 s windows. */
const setup = (window: number): GameSetup => ({ spec: { kind: 'windows', leads: 'each', window }, mask: 'median', fs: 256, names: NAMES, annotations: undefined });

test('captum KernelShap: the same coalitions give the same values; exact Shapley over 12 leads; sampled estimators within a statistical tolerance', async (t) => {
  const model = new ExplainModel(resolve(DIR, 'classifier_op13_bn.onnx'));
  const target = CAPTUM.target;
  try {
    const ks = CAPTUM.references['kernel_shap']!;
    const masks = npy(ks['masks'] as string);
    const ref = npy(ks['values'] as string);
    const [n, S, M] = masks.shape as [number, number, number];
    const errs: number[] = [];
    for (let b = 0; b < n; b++) {
      const g = ecgGame(model, X, b, target, setup(0.25), 64);
      assert.equal(g.features.length, M);
      const zs = Array.from({ length: S }, (_, s) => Uint8Array.from(masks.data.subarray((b * S + s) * M, (b * S + s + 1) * M)));
      const { phi } = kernelShapFit(zs, await g.game(zs));
      errs.push(relErr(phi, ref.data.subarray(b * M, (b + 1) * M)));
    }
    t.diagnostic(`KernelShap, captum's ${S} coalitions over ${M} (lead, window) features: relative error per ECG ${errs.map((e) => e.toExponential(1)).join(' ')}`);
    errs.forEach((e, b) => assert.ok(e < 5e-3, `ECG ${b}: KernelShap relative error ${e}`));

    // 12 whole leads: exact (4096 coalitions) for ECG 0 against the float64 brute force; sampled estimators on all four.
    const sl = CAPTUM.references['shapley_leads']!;
    const exact = npy(sl['exact'] as string);
    const g0 = ecgGame(model, X, 0, target, setup(1), 256);
    const ex = await exactShapley(12, g0.game, 512);
    const ee = relErr(ex.phi, exact.data.subarray(0, 12));
    const budget = 600;
    let kNum = 0;
    let pNum = 0;
    let den = 0;
    for (let b = 0; b < n; b++) {
      const g = ecgGame(model, X, b, target, setup(1), 256);
      const zs = kernelCoalitions(12, budget, new Rng(3));
      const { phi } = kernelShapFit(zs, await g.game(zs));
      const perm = await permutationShapley(12, g.game, Math.floor(budget / 13), new Rng(3), 256);
      for (let k = 0; k < 12; k++) {
        const e = exact.data[b * 12 + k]!;
        kNum += (phi[k]! - e) ** 2;
        pNum += (perm.phi[k]! - e) ** 2;
        den += e * e;
      }
    }
    const captumErr = sl['kernel_shap_relative_error_vs_exact'] as number;
    const [ke, pe] = [Math.sqrt(kNum / den), Math.sqrt(pNum / den)];
    t.diagnostic(`12 leads: exact vs float64 brute force ${ee.toExponential(1)}; with ${budget} model calls per ECG, relative error vs exact: ecgx KernelSHAP (paired) ${ke.toFixed(3)}, permutation ${pe.toFixed(3)}, captum KernelShap ${captumErr.toFixed(3)}`);
    assert.ok(ee < 1e-4, `exact Shapley relative error ${ee}`);
    // Statistical tolerance: the sampled estimates are within 0.3 of the exact values (captum's own is 0.16).
    assert.ok(ke < 0.3, `KernelSHAP relative error ${ke}`);
    assert.ok(pe < 0.4, `permutation relative error ${pe}`);
    const eff = (sl['efficiency'] as { sum_exact: number[]; f_x_minus_f_median: number[] });
    assert.ok(Math.abs(ex.phi.reduce((s, v) => s + v, 0) - eff.f_x_minus_f_median[0]!) < 1e-5, 'exact values do not sum to F(x) - F(median)');
  } finally {
    await model.release();
  }
});

test('LUDB record: a model that reads only lead V1 inside its QRS complexes puts the Shapley mass on "V1 QRS"', async (t) => {
  const ds = await openLudb(LUDB_DIR);
  const ecg = await ds.load(ds.records()[0]!.id);
  const L = ecg.leads.length;
  const T = ecg.nSamples;
  const v1 = ecg.leads.indexOf('V1');
  const qrs = (ecg.waves?.['V1'] ?? ecg.waves?.['*'] ?? []).filter((w) => w.wave === 'QRS');
  assert.ok(qrs.length > 3, 'record has annotated QRS complexes in V1');
  const w = new Array<number>(L * T).fill(0);
  for (const q of qrs) for (let s = q.onset; s <= q.offset; s++) w[v1 * T + s] = 1 / T;
  const model = linearModel([w], L, T, { task: 'regression' });
  const e = await createExplainer('shap-waves', model, { fs: ecg.fs, annotations: ecg.waves, estimator: 'permutation', samples: 2 * (4 * L + 1) });
  const t0 = performance.now();
  const a = await e.explain({ x: { data: ecg.signal, shape: [1, L, T] }, fs: ecg.fs, leads: ecg.leads }, { target: 'regression' });
  const feats = (a.meta!['features'] as { label: string; value: number }[][])[0]!;
  const top = [...feats].sort((p, q) => Math.abs(q.value) - Math.abs(p.value));
  t.diagnostic(`${feats.length} (lead, wave) features in ${(performance.now() - t0).toFixed(0)} ms; top: ${top.slice(0, 3).map((f) => `${f.label} ${f.value.toExponential(2)}`).join(', ')}`);
  assert.equal(top[0]!.label, 'V1 QRS');
  const rest = top.slice(1).reduce((s, f) => s + Math.abs(f.value), 0);
  assert.ok(rest < 1e-3 * Math.abs(top[0]!.value), `other features carry ${rest}`);
  // The delineator's features on the same record: 4 per lead where it finds every wave.
  const d = await createExplainer('shap-waves', model, { estimator: 'kernel', samples: 64 });
  const b = await d.explain({ x: { data: ecg.signal, shape: [1, L, T] }, fs: ecg.fs, leads: ecg.leads }, { target: 'regression' });
  const labels = (b.meta!['features'] as { label: string }[][])[0]!.map((f) => f.label);
  assert.ok(labels.includes('V1 QRS') && labels.includes('II P') && labels.includes('II T'), `delineated features: ${labels.slice(0, 8).join(', ')}...`);
});
