import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../test/data-paths.js';
import { tinyPtbxl } from '../train/testing.js';
import { resnet1d } from '../models/resnet1d.js';
import { saveModel } from '../engine/onnx/proto.js';
import { GraphBuilder } from '../engine/onnx/builder.js';
import { Rng } from '../util/rng.js';
import { trainingCard, withCard } from '../models/card.js';
import { inspectModel } from '../engine/onnx/inspect.js';
import { openDataset } from '../data/datasets/registry.js';
import { preprocess, type PreprocessSpec } from '../data/preprocess/index.js';
import { STANDARD_LEADS } from '../data/leads.js';
import { readNpy, writeNpy } from '../util/npy.js';
import { createExplainer } from '../explain/index.js';
import { fitTlc } from '../explain/tlc/fit.js';

const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

const root = mkdtempSync(join(tmpdir(), 'ecgx-cli-explain-'));
const SPEC: PreprocessSpec = { fs: 100, length: 300, leads: [...STANDARD_LEADS], standardize: true };
const CLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];
const modelPath = join(root, 'model.onnx');
{
  const m = resnet1d({ leads: 12, samples: 300, filters: [4, 6, 8], downsample: [4, 2], kernel: 5, dropout: 0.1, head: 'gap', task: 'multilabel', outputs: 5, classNames: CLASSES, fs: 100, leadNames: [...STANDARD_LEADS], seed: 3 });
  saveModel(modelPath, withCard(m, trainingCard({ leads: [...STANDARD_LEADS], fs: 100, length: 300, standardize: true }, { task: 'multilabel', classes: CLASSES }, inspectModel(m))));
}

test('ecgx explain: --data and --input give the same attributions as the API; explain.json records the run', async () => {
  const data = await tinyPtbxl(4, 21);
  const ds = await openDataset(data);
  const ids = ds.records().map((r) => r.id).slice(1, 3);
  const out = join(root, 'out-data');
  const r = cli('explain', '--model', modelPath, '--data', data, '--records', ids.join(','), '--method', 'gradcam,integrated-gradients', '--steps', '8', '--target', 'MI', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as { records: { id: string; nSamples: number; windows: { starts: number[]; length: number }; scores: Record<string, number> }[]; card: { fs: number }; target: { index: number[]; name: string[] }; methods: { method: string; shape: number[]; options: Record<string, unknown>; meta?: Record<string, unknown> }[]; versions: Record<string, string> };
  assert.deepEqual(rec.records.map((x) => x.id), ids);
  assert.deepEqual(rec.records.map((x) => [x.nSamples, x.windows.starts, x.windows.length]), [[300, [0], 300], [300, [0], 300]]);
  assert.equal(rec.card.fs, 100);
  for (const x of rec.records) assert.ok(Object.values(x.scores).every((p) => p > 0 && p < 1));
  // Per ECG: the card's steps as applied and how the record became model input; the attributions' own rate and units.
  const full = rec as unknown as { records: { preprocessing: unknown }[]; attribution: { fs: number; units: string; timeAxis: string } };
  for (const x of full.records) assert.deepEqual(x.preprocessing, { steps: ['resample to 100 Hz', 'zscore (per record)'], fs: 100, fit: 'whole' });
  assert.equal(full.attribution.fs, 100);
  assert.match(full.attribution.units, /^output 'logits' per input unit/);
  assert.match(full.attribution.timeAxis, /^record time at the card's sampling rate/);
  assert.deepEqual(rec.target.index, [1, 1]);
  assert.deepEqual(rec.target.name, ['MI', 'MI']);
  assert.deepEqual(rec.methods.map((m) => m.method), ['gradcam', 'integrated-gradients']);
  assert.equal(rec.methods[1]!.options['steps'], 8);
  assert.equal((rec.methods[1]!.meta!['completenessDelta'] as number[]).length, 2);
  assert.ok(rec.versions['onnxruntime']);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'explain.json'), 'utf8')), rec);
  const cam = readNpy(join(out, 'gradcam.npy'));
  const ig = readNpy(join(out, 'integrated-gradients.npy'));
  assert.deepEqual(cam.shape, [2, 1, 300]);
  assert.deepEqual(ig.shape, [2, 12, 300]);

  // The same ECGs preprocessed here, through the API and through --input.
  const x = new Float32Array(2 * 12 * 300);
  for (const [i, id] of ids.entries()) x.set(preprocess(await ds.load(id), SPEC).signal, i * 12 * 300);
  const xPath = join(root, 'x.npy');
  writeNpy(xPath, { data: x, shape: [2, 12, 300] });
  const e = await createExplainer('gradcam', modelPath);
  const api = await e.explain({ x: { data: x, shape: [2, 12, 300] } }, { target: 'MI' });
  await e.release?.();
  for (let i = 0; i < api.values.data.length; i++) assert.ok(Math.abs(api.values.data[i]! - cam.data[i]!) <= 1e-5 * (1 + Math.abs(api.values.data[i]!)), `gradcam sample ${i}`);
  const out2 = join(root, 'out-input');
  const r2 = cli('explain', '--model', modelPath, '--input', xPath, '--method', 'integrated-gradients', '--steps', '8', '--target', '1', '--out', out2);
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(readNpy(join(out2, 'integrated-gradients.npy')).data, ig.data);
});

test('ecgx explain: bad flags, unknown method, layer or target are one-line errors with no output', () => {
  const xPath = join(root, 'x1.npy');
  writeNpy(xPath, { data: new Float32Array(12 * 300).map((_, i) => Math.sin(i / 7)), shape: [12, 300] });
  const cases: [string[], RegExp][] = [
    [['--method', 'nope'], /unknown explainer 'nope'.*gradcam/],
    [['--method', 'gradcam', '--layer', 'nope'], /^ecgx: --layer: "nope" is not a \[batch, channels, time\] tensor/],
    [['--method', 'saliency', '--target', 'AFIB'], /--target: unknown class 'AFIB'/],
    [['--method', 'saliency', '--target', '9'], /class index 9 is out of range/],
    [['--method', 'saliency', '--layer', 'block1'], /--layer: gradcam( or [a-z-]+)* is not among --method/],
    [['--method', 'saliency', '--steps', 'x'], /--steps: expected an integer/],
    [['--method', 'smoothgrad', '--set', 'smoothgrad.sigmaa=0.1'], /smoothgrad\.sigmaa: unknown option/],
    [['--method', 'saliency', '--bogus'], /bogus/],
  ];
  for (const [args, re] of cases) {
    const out = join(root, `bad-${cases.findIndex((c) => c[0] === args)}`);
    const r = cli('explain', '--model', modelPath, '--input', xPath, '--out', out, ...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.ok(!existsSync(out), `no output folder for ${args.join(' ')}`);
  }
});

test('ecgx explain: named method flags fill the same options as the API (ig alias, --baseline FILE, --samples/--sigma, --window/--stride, --seed)', async () => {
  const rng = new Rng(8);
  const x = { data: Float32Array.from({ length: 2 * 12 * 300 }, () => rng.normal()), shape: [2, 12, 300] };
  const xPath = join(root, 'x-flags.npy');
  writeNpy(xPath, x);
  const base = { data: Float32Array.from({ length: 12 * 300 }, () => 0.01 * rng.normal()), shape: [12, 300] };
  const basePath = join(root, 'base.npy');
  writeNpy(basePath, base);
  const out = join(root, 'out-flags');
  const r = cli('explain', '--model', modelPath, '--input', xPath, '--method', 'ig,smoothgrad,occlusion', '--target', 'STTC',
    '--steps', '4', '--baseline', basePath, '--samples', '3', '--sigma', '0.05', '--window', '50', '--stride', '25', '--seed', '4', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as { methods: { method: string; options: Record<string, unknown> }[] };
  assert.deepEqual(rec.methods.map((m) => m.method), ['integrated-gradients', 'smoothgrad', 'occlusion']);
  assert.equal(rec.methods[0]!.options['steps'], 4);
  assert.equal(rec.methods[0]!.options['baseline'], 'array');
  assert.deepEqual([rec.methods[1]!.options['samples'], rec.methods[1]!.options['sigma']], [3, 0.05]);
  assert.deepEqual([rec.methods[2]!.options['window'], rec.methods[2]!.options['stride']], [50, 25]);
  const api: [string, Record<string, unknown>][] = [
    ['integrated-gradients', { steps: 4, baseline: base }],
    ['smoothgrad', { samples: 3, sigma: 0.05 }],
    ['occlusion', { window: 50, stride: 25 }],
  ];
  for (const [m, o] of api) {
    const e = await createExplainer(m, modelPath, o);
    const a = await e.explain({ x }, { target: 'STTC', seed: 4 });
    await e.release?.();
    const got = readNpy(join(out, `${m}.npy`));
    assert.deepEqual(got.shape, a.values.shape, m);
    for (let i = 0; i < got.data.length; i++) assert.ok(Math.abs(got.data[i]! - a.values.data[i]!) <= 1e-5 * (1 + Math.abs(a.values.data[i]!)), `${m} value ${i}`);
  }
  // The flag and --set are the same option: --set ig.steps=4 --set integrated-gradients.baseline=mean ≡ --steps 4 --baseline mean.
  const o1 = join(root, 'out-flag-mean');
  const o2 = join(root, 'out-set-mean');
  assert.equal(cli('explain', '--model', modelPath, '--input', xPath, '--method', 'ig', '--target', '2', '--steps', '4', '--baseline', 'mean', '--out', o1).code, 0);
  assert.equal(cli('explain', '--model', modelPath, '--input', xPath, '--method', 'integrated-gradients', '--target', '2', '--set', 'ig.steps=4', '--set', 'integrated-gradients.baseline=mean', '--out', o2).code, 0);
  assert.deepEqual(readNpy(join(o1, 'integrated-gradients.npy')).data, readNpy(join(o2, 'integrated-gradients.npy')).data);
});

test('ecgx explain: bad method options are one-line errors naming the flag, exit 2, nothing written', () => {
  const xPath = join(root, 'x2.npy');
  writeNpy(xPath, { data: new Float32Array(12 * 300).map((_, i) => Math.cos(i / 5)), shape: [12, 300] });
  // A model with an auxiliary head: its conv influences 'aux' only, not the explained output 'logits'.
  const g = new GraphBuilder({ seed: 2, name: 'two-heads' });
  const inp = g.input('ecg', ['batch', 12, 300]);
  const main = g.relu(g.conv1d(inp, { outChannels: 3, kernel: 3, pad: 1 }), 'main_relu');
  const side = g.relu(g.conv1d(inp, { outChannels: 3, kernel: 3, pad: 1 }), 'side_relu');
  g.output(g.linear(g.flatten(g.globalAvgPool(main)), 2), 'logits');
  g.output(g.linear(g.flatten(g.globalAvgPool(side)), 1), 'aux');
  const twoHeads = join(root, 'two-heads.onnx');
  saveModel(twoHeads, g.build());
  const cases: [string[], RegExp][] = [
    [['--method', 'ig', '--steps', '0'], /^ecgx: --steps: expected 1 to 4096, got 0$/],
    [['--method', 'ig', '--steps=-3'], /^ecgx: --steps: expected 1 to 4096, got -3$/],
    [['--method', 'occlusion', '--window', '400'], /^ecgx: --window: 400 samples is longer than the signal \(300 samples\)$/],
    [['--method', 'occlusion', '--set', 'occlusion.window=301'], /occlusion\.window: 301 samples is longer than the signal/],
    [['--method', 'ig', '--baseline', 'ones'], /^ecgx: --baseline: expected zero, mean, a number or a FILE\.npy, got 'ones'$/],
    [['--method', 'ig', '--baseline', join(root, 'nope.npy')], /nope\.npy/],
    // [2, 12, 300]: one baseline per ECG, for 2 ECGs, but 1 is explained.
    [['--method', 'ig', '--baseline', join(root, 'x-flags.npy')], /^ecgx: --baseline: .*x-flags\.npy holds 2 ECG\(s\) \(one per ECG, in input order\), but 1 ECG\(s\) were explained$/],
    [['--method', 'smoothgrad', '--sigma=-1'], /^ecgx: --sigma: expected 0 to 10, got -1$/],
    [['--method', 'saliency,tlc'], /^ecgx: --tlc: required with --method tlc/],
    [['--method', 'tlc', '--tlc', join(root, 'no-tlc.json')], /no-tlc\.json: cannot read the TLC file/],
    [['--method', 'saliency', '--window', '20'], /--window: occlusion is not among --method saliency/],
    [['--model', twoHeads, '--method', 'gradcam', '--layer', 'side_relu'], /^ecgx: --layer: 'side_relu' has no differentiable path to the output 'logits'/],
  ];
  for (const [i, [args, re]] of cases.entries()) {
    const out = join(root, `bad-opt-${i}`);
    const r = cli('explain', '--model', modelPath, '--input', xPath, '--out', out, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr.trim(), re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.ok(!existsSync(out), `no output folder for ${args.join(' ')}`);
  }
  // The same model explained at a layer on the output's path works.
  const ok = cli('explain', '--model', twoHeads, '--input', xPath, '--method', 'gradcam', '--layer', 'main_relu', '--target', '0', '--out', join(root, 'two-heads-ok'));
  assert.equal(ok.code, 0, ok.stderr);
});

test('ecgx explain --help documents the named flags and the aliases; explain evaluate and what-if --help (or -h) their own', () => {
  const h = cli('explain', '--help');
  assert.equal(h.code, 0);
  for (const f of ['--baseline', '--samples', '--sigma', '--window', '--stride', '--tlc', 'ig = integrated-gradients', 'explain evaluate']) assert.ok(h.stdout.includes(f), f);
  const e = cli('explain', 'evaluate', '--help');
  assert.equal(e.code, 0);
  assert.match(e.stdout, /^Usage: ecgx explain evaluate/);
  assert.ok(e.stdout.includes('--randomization') && e.stdout.includes('--waves'));
  const w = cli('explain', 'what-if', '-h');
  assert.equal(w.code, 0);
  assert.match(w.stdout, /^Usage: ecgx explain what-if/);
  assert.ok(w.stdout.includes('--edit') && w.stdout.includes('--target-of'));
});

test('ecgx explain --method saliency,tlc --tlc FILE: TLC entropy [batch, 1, time] beside the other methods, equal to the API', async () => {
  const rng = new Rng(12);
  const x = { data: Float32Array.from({ length: 3 * 12 * 300 }, (_, i) => Math.sin(i / 9) + 0.3 * rng.normal()), shape: [3, 12, 300] };
  const xPath = join(root, 'x-tlc.npy');
  writeNpy(xPath, x);
  const tlc = await fitTlc(modelPath, { x, fs: 100 }, { k: 3, seed: 0, maxSamples: 2000 }, { progress: false });
  const tlcPath = join(root, 'tlc.json');
  tlc.save(tlcPath);
  const out = join(root, 'out-tlc');
  const r = cli('explain', '--model', modelPath, '--input', xPath, '--method', 'saliency,tlc', '--tlc', tlcPath, '--target', '0', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as { methods: { method: string; shape: number[] }[] };
  assert.deepEqual(rec.methods.map((m) => [m.method, m.shape]), [['saliency', [3, 12, 300]], ['tlc', [3, 1, 300]]]);
  const e = await createExplainer('tlc', modelPath, { tlc: tlcPath });
  const a = await e.explain({ x, fs: 100 }, { target: 0 });
  await e.release?.();
  const got = readNpy(join(out, 'tlc.npy'));
  for (let i = 0; i < got.data.length; i++) assert.ok(Math.abs(got.data[i]! - a.values.data[i]!) <= 1e-6, `tlc value ${i}`);
  assert.ok(got.data.every((v) => v >= 0 && v <= 1 + 1e-6), 'normalised entropy in [0, 1]');
});

test('ecgx explain --baseline FILE.npy [N, leads, time]: one IG baseline per ECG in input order, the same as each ECG alone with its own; a wrong N is a one-line error', () => {
  const n = 3;
  const x = new Float32Array(n * 12 * 300).map((_, i) => Math.sin(i / 11) + 0.2 * Math.cos(i / 3));
  const base = new Float32Array(n * 12 * 300).map((_, i) => 0.1 * Math.floor(i / (12 * 300)) + 0.01 * Math.sin(i / 5));
  const xPath = join(root, 'x-base.npy'), bPath = join(root, 'b-per-ecg.npy');
  writeNpy(xPath, { data: x, shape: [n, 12, 300] });
  writeNpy(bPath, { data: base, shape: [n, 12, 300] });
  const out = join(root, 'out-base');
  // --batch-size 2: the three ECGs go in two chunks, and each must get its own row.
  const r = cli('explain', '--model', modelPath, '--input', xPath, '--method', 'ig', '--steps', '4', '--baseline', bPath, '--batch-size', '2', '--target', '0', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { methods: { options: { baseline: string } }[] }).methods[0]!.options.baseline, 'array per ECG');
  const all = readNpy(join(out, 'integrated-gradients.npy'));
  for (let b = 0; b < n; b++) {
    const xi = join(root, `x-${b}.npy`), bi = join(root, `b-${b}.npy`), oi = join(root, `out-base-${b}`);
    writeNpy(xi, { data: x.slice(b * 3600, (b + 1) * 3600), shape: [12, 300] });
    writeNpy(bi, { data: base.slice(b * 3600, (b + 1) * 3600), shape: [12, 300] });
    const one = cli('explain', '--model', modelPath, '--input', xi, '--method', 'ig', '--steps', '4', '--baseline', bi, '--target', '0', '--out', oi);
    assert.equal(one.code, 0, one.stderr);
    const a = readNpy(join(oi, 'integrated-gradients.npy')).data;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - all.data[b * 3600 + i]!) <= 1e-6 * (1 + Math.abs(a[i]!)), `ECG ${b} sample ${i}`);
  }
  const two = join(root, 'b-two.npy');
  writeNpy(two, { data: base.slice(0, 2 * 3600), shape: [2, 12, 300] });
  const bad = cli('explain', '--model', modelPath, '--input', xPath, '--method', 'ig', '--steps', '4', '--baseline', two, '--out', join(root, 'out-bad'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ecgx: --baseline: .*b-two\.npy holds 2 ECG\(s\) \(one per ECG, in input order\), but 3 ECG\(s\) were explained\n$/);
  assert.ok(!existsSync(join(root, 'out-bad')));
});
