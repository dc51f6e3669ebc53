/**
 * Whole runs on a tiny synthetic PTB-XL folder: files written, predictions
 * reproduced from the checkpoint by plain onnxruntime, resuming equal to an
 * uninterrupted run, and bad input rejected before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../engine/telemetry.js'; // before onnxruntime-node: see telemetry.ts
import * as ort from 'onnxruntime-node';
import { openDataset, readCsv } from '../data/datasets/index.js';
import { preprocess, type PreprocessSpec } from '../data/preprocess/index.js';
import { DataError, OptionError } from '../util/errors.js';
import { loadModel } from '../engine/onnx/proto.js';
import { readModelMeta } from '../models/meta.js';
import { trainRun, type TrainConfig } from './run.js';
import { modelCard } from '../models/card.js';
import { tinyPtbxl, TINY_MODEL } from './testing.js';

const data = tinyPtbxl(48, 5);
const quiet = { log: () => undefined, progress: false };
const outRoot = mkdtempSync(join(tmpdir(), 'ecgx-runs-'));

async function config(extra: Partial<TrainConfig> = {}): Promise<TrainConfig> {
  return { data: await data, task: 'NORM,MI', model: TINY_MODEL, epochs: 2, batchSize: 8, lr: 3e-3, length: 256, cv: 3, folds: [1], seed: 7, threads: 1, ...extra };
}

test('a run writes run.json and fold-K/{model.onnx, predictions.csv, metrics.json}; onnxruntime reproduces the predictions from the checkpoint', async () => {
  const out = join(outRoot, 'run1');
  const rec = await trainRun(await config(), out, quiet);
  assert.equal(rec.complete, true);
  assert.deepEqual(readdirSync(join(out, 'fold-1')).sort(), ['metrics.json', 'model.onnx', 'predictions.csv']);
  assert.ok(!existsSync(`${out}.partial`));
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.equal(run.folds.length, 1);
  assert.ok(run.versions.node && run.versions.onnxruntime && run.versions.ecgx);
  assert.ok(Number.isFinite(run.summary.auroc.mean));

  // The checkpoint describes itself: task, classes and preprocessing.
  const model = loadModel(join(out, 'fold-1', 'model.onnx'));
  const meta = readModelMeta(model);
  assert.equal(meta.task, 'multilabel');
  assert.deepEqual(meta.classNames, ['NORM', 'MI']);
  const card = modelCard(model);
  assert.equal(card.length, 256);
  assert.deepEqual(card.output.classes, ['NORM', 'MI']);
  assert.deepEqual(card.fit, { longer: 'crop', shorter: 'pad', anchor: 'center' });
  const spec: PreprocessSpec = { fs: card.fs, length: 256, leads: card.leads, missingLeads: 'zero', fillMissing: 0 };

  // Plain onnxruntime on the file, fed records preprocessed from the dataset, gives the stored probabilities.
  const table = readCsv(join(out, 'fold-1', 'predictions.csv'));
  const idCol = table.header.indexOf('record_id');
  const probCols = ['prob:NORM', 'prob:MI'].map((c) => table.header.indexOf(c));
  assert.ok(table.rows.length > 5 && probCols.every((c) => c >= 0));
  const ds = await openDataset(await data);
  const session = await ort.InferenceSession.create(join(out, 'fold-1', 'model.onnx'));
  for (const row of table.rows.slice(0, 6)) {
    const ecg = preprocess(await ds.load(row[idCol]!), spec);
    const res = await session.run({ ecg: new ort.Tensor('float32', ecg.signal, [1, 12, 256]) });
    const probs = res['probs']!.data as Float32Array;
    probCols.forEach((c, j) => assert.ok(Math.abs(probs[j]! - Number(row[c])) < 1e-5, `record ${row[idCol]} class ${j}: ${probs[j]} vs ${row[c]}`));
  }
  await session.release();
});

test('streaming (no cache) gives the same run as cached tensors', async () => {
  const out = join(outRoot, 'streamed');
  const logs: string[] = [];
  await trainRun(await config({ cacheBytes: 0 }), out, { ...quiet, log: (l) => logs.push(l) });
  assert.ok(logs.some((l) => /streaming/.test(l)), logs.join('\n'));
  assert.equal(readFileSync(join(out, 'fold-1', 'predictions.csv'), 'utf8'), readFileSync(join(outRoot, 'run1', 'fold-1', 'predictions.csv'), 'utf8'));
});

test('an interrupted run resumes from RUNDIR.partial and ends exactly as an uninterrupted one', async () => {
  const cfg = await config({ epochs: 3 });
  const whole = join(outRoot, 'whole'), split = join(outRoot, 'split');
  await trainRun(cfg, whole, quiet);
  const first = await trainRun(cfg, split, { ...quiet, stopAfterEpochs: 2 });
  assert.equal(first.complete, false);
  assert.ok(!existsSync(split) && existsSync(`${split}.partial`), 'only the partial folder exists after an interruption');
  await trainRun({ data: '', model: '', epochs: 1 }, split, { ...quiet, resume: true });
  assert.ok(existsSync(split) && !existsSync(`${split}.partial`));
  assert.deepEqual(readFileSync(join(split, 'fold-1', 'model.onnx')), readFileSync(join(whole, 'fold-1', 'model.onnx')));
  assert.equal(readFileSync(join(split, 'fold-1', 'predictions.csv'), 'utf8'), readFileSync(join(whole, 'fold-1', 'predictions.csv'), 'utf8'));
  const h = (p: string) => JSON.parse(readFileSync(join(p, 'fold-1', 'metrics.json'), 'utf8')).history.map((e: { loss: number }) => e.loss);
  assert.deepEqual(h(split), h(whole));
});

test('bad input is rejected before training, with nothing written', async () => {
  // A label on exactly one record: the fold holding it has no positive in its training part.
  const ds = await openDataset(await data);
  const counts = new Map<string, number>();
  for (const r of ds.records()) for (const l of r.meta.labels ?? []) counts.set(l, (counts.get(l) ?? 0) + 1);
  const rare = [...counts].find(([, c]) => c === 1)?.[0];
  assert.ok(rare, 'fixture: some label is on exactly one record');
  const cases: [string, Partial<TrainConfig>, RegExp, Function][] = [
    ['unknown label', { task: 'NORM,NOPE' }, /unknown label 'NOPE'/, DataError],
    ['missing fold', { folds: [4] }, /fold 4 is missing \(the folds are 1, 2, 3\)/, DataError],
    ['no positives in a training fold', { task: `NORM,${rare}` }, new RegExp(`label '${rare}' has no positive record in the training part of fold`), DataError],
    ['bad model option', { model: 'resnet1d-small:kernel=x' }, /kernel/, OptionError],
    ['bad metric', { metric: 'mae' }, /^metric: expected one of/, OptionError],
  ];
  for (const [what, extra, re, type] of cases) {
    const out = join(outRoot, `bad-${what.replace(/ /g, '-')}`);
    await assert.rejects(trainRun(await config(extra), out, quiet), (e: unknown) => e instanceof type && re.test((e as Error).message), what);
    assert.ok(!existsSync(out) && !existsSync(`${out}.partial`), `${what}: nothing written`);
  }
});

test('an empty dataset and age on a dataset without ages are DataErrors', async () => {
  // A PTB-XL folder whose database lists no record (header line only).
  const empty = await tinyPtbxl(1, 2);
  const db = join(empty, 'ptbxl_database.csv');
  writeFileSync(db, readFileSync(db, 'utf8').split('\n')[0] + '\n');
  await assert.rejects(trainRun(await config({ data: empty }), join(outRoot, 'e1'), quiet), (e: unknown) => e instanceof DataError && /no records/.test((e as Error).message));
  const ageless = await tinyPtbxl(6, 2, { edit: (e) => ({ ...e, meta: { ...e.meta, age: undefined } as typeof e.meta }) });
  await assert.rejects(trainRun(await config({ data: ageless, task: 'age' }), join(outRoot, 'e2'), quiet), (e: unknown) => e instanceof DataError && /task 'age' needs ages, but none of the 6 records has one/.test((e as Error).message));
});

test('age regression: targets standardised for training, the checkpoint answers in years (logits = standardized * sd + mean)', async () => {
  const out = join(outRoot, 'age');
  const rec = await trainRun(await config({ task: 'age', epochs: 1 }), out, quiet);
  assert.equal(rec.task.task, 'regression');
  const m = JSON.parse(readFileSync(join(out, 'fold-1', 'metrics.json'), 'utf8'));
  const { mean, sd } = m.targetScale as { mean: number; sd: number };
  assert.ok(mean > 10 && mean < 100 && sd > 1, `age mean ${mean}, sd ${sd}`);
  assert.ok(Number.isFinite(m.result.test.mae) && Number.isFinite(m.result.test.mae_baseline));
  const { OnnxSession } = await import('../engine/runtime.js');
  const s = await OnnxSession.create(join(out, 'fold-1', 'model.onnx'), { threads: 1, extraOutputs: ['logits_standardized'] });
  const x = { data: new Float32Array(2 * 12 * 256).map((_, i) => Math.sin(i / 7)), shape: [2, 12, 256] };
  const r = await s.run({ ecg: x });
  await s.release();
  for (let i = 0; i < 2; i++) {
    const want = r['logits_standardized']!.data[i]! * sd + mean;
    assert.ok(Math.abs(r['logits']!.data[i]! - want) < 1e-3, `${r['logits']!.data[i]} vs ${want}`);
  }
});

test('tasks: label lists split on ; when present, multi-class needs one label per record', async () => {
  const { splitLabels, resolveTask } = await import('./task.js');
  assert.deepEqual(splitLabels('MI,HYP'), ['MI', 'HYP']);
  assert.deepEqual(splitLabels('Sinus rhythm;Atrial flutter, typical'), ['Sinus rhythm', 'Atrial flutter, typical']);
  const ds = await openDataset(await data);
  const sup = resolveTask(ds, { task: 'superclass' });
  assert.deepEqual(sup.classes, ['NORM', 'MI', 'STTC', 'CD', 'HYP']);
  assert.ok(sup.examples.every((e) => e.target.some((v) => v === 1)), 'records without a superclass are left out');
  // NORM vs MI as multi-class: records with both are an error, records with neither are left out.
  const both = ds.records().some((r) => r.meta.labels?.includes('NORM') && r.meta.labels.includes('MI'));
  if (both) assert.throws(() => resolveTask(ds, { task: 'NORM,MI', loss: 'ce' }), /needs exactly one/);
  else {
    const mc = resolveTask(ds, { task: 'NORM,MI', loss: 'ce' });
    assert.equal(mc.task, 'multiclass');
    assert.ok(mc.examples.every((e) => e.target[0]! + e.target[1]! === 1));
  }
  assert.throws(() => resolveTask(ds, { task: 'age', loss: 'bce' }), OptionError);
});
