import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../../test/data-paths.js';
import { resnet1d } from '../models/resnet1d.js';
import { loadModel, saveModel } from '../engine/onnx/proto.js';
import { openDataset } from '../data/datasets/registry.js';
import { writeCode15 } from '../data/datasets/code15.js';
import { synthesizeDatabase } from '../data/synth/database.js';
import { preprocess, type PreprocessSpec } from '../data/preprocess/index.js';
import { STANDARD_LEADS } from '../data/leads.js';
import type { WaveAnnotations } from '../data/ecg.js';
import { tinyPtbxl } from '../train/testing.js';
import { attributionCorrelation, createExplainer, deletionCurve, ExplainModel, randomizableLayers, waveMass, WAVE_REGIONS } from '../explain/index.js';

const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

const root = mkdtempSync(join(tmpdir(), 'ecgx-cli-explain-eval-'));
const SPEC: PreprocessSpec = { fs: 100, length: 300, leads: [...STANDARD_LEADS], standardize: true };
const modelPath = join(root, 'model.onnx');
{
  const m = resnet1d({ leads: 12, samples: 300, filters: [4, 6, 8], downsample: [4, 2], kernel: 5, dropout: 0.1, head: 'gap', task: 'multilabel', outputs: 5, classNames: ['NORM', 'MI', 'STTC', 'CD', 'HYP'], fs: 100, leadNames: [...STANDARD_LEADS], seed: 3 });
  // Metadata as checkpoints written before model cards had it: read as their card.
  saveModel(modelPath, { ...m, metadataProps: [...(m.metadataProps ?? []), { key: 'ecgx.preprocess', value: JSON.stringify(SPEC) }] });
}

interface Metrics {
  records: string[];
  target: { index: number[] };
  config: { waves: string; curveSteps: number };
  methods: {
    method: string;
    deletion: { meanAuc: number; auc: number[] };
    insertion: { meanAuc: number; auc: number[] };
    waves?: { massShare: Record<string, number>; timeShare: Record<string, number> };
  }[];
  correlation: { methods: string[]; matrix: number[][] };
  randomization?: { method: string; stages: { layer: string; mean: number; correlation: number[] }[] }[];
  versions: Record<string, string>;
}

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} vs ${b}`);

test('ecgx explain evaluate: metrics.json matches the metrics API on the same preprocessed ECGs (annotated waves, randomisation)', async () => {
  // CODE-15%-layout records carry their wave ground truth; preprocessing maps it to 100 Hz and the 300-sample crop.
  const data = join(root, 'code15');
  await writeCode15(data, [...synthesizeDatabase({ n: 2, seed: 5, layout: 'code15' })]);
  const out = join(root, 'out');
  const r = cli('explain', 'evaluate', '--model', modelPath, '--data', data, '--method', 'ig,saliency,occlusion', '--steps', '8', '--window', '30',
    '--target', 'MI', '--curve-steps', '10', '--randomization', '--stages', '2', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout) as Metrics;
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')), m);
  assert.ok(readFileSync(join(out, 'metrics.md'), 'utf8').includes('| integrated-gradients |'));
  assert.equal(m.config.waves, 'annotations');
  assert.ok(m.versions['onnxruntime']);
  assert.deepEqual(m.methods.map((x) => x.method), ['integrated-gradients', 'saliency', 'occlusion']);

  // The same numbers through the API.
  const ds = await openDataset(data);
  const pre = await Promise.all(m.records.map(async (id) => preprocess(await ds.load(id), SPEC)));
  const x = { data: new Float32Array(2 * 12 * 300), shape: [2, 12, 300] };
  pre.forEach((p, b) => x.data.set(p.signal, b * 3600));
  const model = new ExplainModel(modelPath);
  const opts: Record<string, Record<string, unknown>> = { 'integrated-gradients': { steps: 8 }, saliency: {}, occlusion: { window: 30 } };
  const maps = [];
  for (const [i, name] of Object.keys(opts).entries()) {
    const e = await createExplainer(name, modelPath, opts[name]);
    const a = await e.explain({ x }, { target: 'MI' });
    await e.release?.();
    maps.push(a.values);
    const got = m.methods[i]!;
    const del = await deletionCurve(model, x, a.values, [1, 1], 'deletion', { steps: 10 });
    const ins = await deletionCurve(model, x, a.values, [1, 1], 'insertion', { steps: 10 });
    del.auc.forEach((v, b) => close(got.deletion.auc[b]!, v, 1e-5, `${name} deletion AUC ${b}`));
    ins.auc.forEach((v, b) => close(got.insertion.auc[b]!, v, 1e-5, `${name} insertion AUC ${b}`));
    const rows = a.values.shape[1]!;
    for (const k of WAVE_REGIONS) {
      const per = pre.map((p, b) => waveMass(a.values.data.subarray(b * rows * 300, (b + 1) * rows * 300), [rows, 300], p.waves as WaveAnnotations, { leads: p.leads }));
      close(got.waves!.massShare[k]!, (per[0]!.massShare[k] + per[1]!.massShare[k]) / 2, 1e-5, `${name} ${k} mass share`);
      close(got.waves!.timeShare[k]!, (per[0]!.timeShare[k] + per[1]!.timeShare[k]) / 2, 1e-12, `${name} ${k} time share`);
    }
    close(WAVE_REGIONS.reduce((s, k) => s + got.waves!.massShare[k]!, 0), 1, 1e-9, `${name} mass shares sum`);
    // The synthetic beats have QRS complexes in the crop: the time share is neither 0 nor everything.
    assert.ok(got.waves!.timeShare['QRS']! > 0.02 && got.waves!.timeShare['QRS']! < 0.5, `QRS time share ${got.waves!.timeShare['QRS']}`);
  }
  await model.release();
  // Agreement: symmetric, 1 on the diagonal, the API's mean Spearman of |a| off it.
  const C = m.correlation.matrix;
  for (let i = 0; i < 3; i++) {
    close(C[i]![i]!, 1, 1e-12, 'diagonal');
    for (let j = 0; j < 3; j++) {
      close(C[i]![j]!, C[j]![i]!, 1e-12, 'symmetry');
      const v = attributionCorrelation(maps[i]!, maps[j]!, { absolute: true });
      close(C[i]![j]!, (v[0]! + v[1]!) / 2, 1e-5, `correlation ${i},${j}`);
    }
  }
  // Randomisation: the two layers nearest the output, for every method.
  const layers = randomizableLayers(loadModel(modelPath)).slice(0, 2).map((l) => l.layer);
  assert.deepEqual(m.randomization!.map((r) => r.method), ['integrated-gradients', 'saliency', 'occlusion']);
  for (const rr of m.randomization!) assert.deepEqual(rr.stages.map((s) => s.layer), layers);
});

test('ecgx explain evaluate: --input with delineated waves; bad options are one-line errors with nothing written', async () => {
  const data = await tinyPtbxl(2, 4);
  const ds = await openDataset(data);
  const x = { data: new Float32Array(2 * 12 * 300), shape: [2, 12, 300] };
  for (const [b, r] of ds.records().slice(0, 2).entries()) x.data.set(preprocess(await ds.load(r.id), SPEC).signal, b * 3600);
  const xPath = join(root, 'x.npy');
  (await import('../util/npy.js')).writeNpy(xPath, x);
  const out = join(root, 'out-input');
  const r = cli('explain', 'evaluate', '--model', modelPath, '--input', xPath, '--method', 'gradcam,saliency', '--target', '0', '--curve-steps', '4', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout) as Metrics;
  assert.equal(m.config.waves, 'delineate');
  for (const mm of m.methods) close(WAVE_REGIONS.reduce((s, k) => s + mm.waves!.timeShare[k]!, 0), 1, 1e-9, 'time shares sum');
  assert.equal(m.randomization, undefined);

  const noWaves = await tinyPtbxl(2, 4, { edit: (e) => { const c = { ...e }; delete c.waves; return c; } });
  const cases: [string[], RegExp][] = [
    [['--data', noWaves, '--method', 'saliency', '--waves', 'annotations'], /^ecgx: record \S+: no wave annotations \(use waves 'delineate' or 'none'\)$/],
    [['--input', xPath, '--method', 'saliency', '--waves', 'annotations'], /^ecgx: --waves: --input tensors carry no annotations/],
    [['--input', xPath, '--method', 'saliency', '--waves', 'fourier'], /^ecgx: --waves: expected one of annotations\|delineate\|none/],
    [['--input', xPath, '--method', 'saliency', '--stages', '2'], /^ecgx: --stages: needs --randomization$/],
    [['--input', xPath, '--method', 'saliency,tlc', '--tlc', join(root, 'tlc.json'), '--randomization'], /^ecgx: --randomization: does not apply to tlc/],
    [['--input', xPath, '--method', 'ig', '--steps', '0'], /^ecgx: --steps: expected 1 to 4096, got 0$/],
    [['--input', xPath, '--method', 'occlusion', '--window', '301'], /^ecgx: --window: 301 samples is longer than the signal \(300 samples\)$/],
    [['--input', xPath, '--method', 'saliency', '--target', '7'], /class index 7 is out of range/],
  ];
  for (const [i, [args, re]] of cases.entries()) {
    const o = join(root, `bad-${i}`);
    const b = cli('explain', 'evaluate', '--model', modelPath, '--out', o, ...args);
    assert.equal(b.code, 2, `${args.join(' ')}: exit ${b.code} ${b.stderr}`);
    assert.match(b.stderr.trim(), re, args.join(' '));
    assert.equal(b.stderr.trim().split('\n').length, 1, `one line: ${b.stderr}`);
    assert.ok(!existsSync(o), `no output for ${args.join(' ')}`);
  }
});
