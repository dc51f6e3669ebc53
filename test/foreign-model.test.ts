/**
 * Bring your own model: two PyTorch exports that ecgx did not build
 * (scripts/torch/make_foreign_fixtures.py), carded with `ecgx model card`,
 * run on real PTB-XL records through the card. Their scores, Grad-CAM and
 * Integrated Gradients match PyTorch's (computed with independently written
 * scipy preprocessing, windowing and aggregation); TLC runs on the windowed
 * model's named layers and covers whole records; a card that does not fit
 * the records or the graph is a one-line error that leaves nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, SHARED_DIR, runCli } from './data-paths.js';
import { readNpy, type NdArray } from '../src/util/npy.js';
import { readRecord } from '../src/data/wfdb/index.js';
import { explainRecords } from '../src/explain/run.js';
import { loadCardedModel } from '../src/models/predict.js';
import { startApp } from '../src/viz/app/server.js';

const DIR = resolve(REPO_ROOT, 'test/fixtures/foreign');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
  records: string[]; target: number; igSteps: number;
  windowed: { file: string; blocks: string[]; starts: number[]; classes: string[] };
  softmax: { file: string; classes: string[]; target: number };
};
const PTBXL = resolve(SHARED_DIR, 'data/ptbxl');
const recordPath = (id: string): string => join(PTBXL, 'records100', '00000', `${id}_lr`);
const root = mkdtempSync(join(tmpdir(), 'ecgx-foreign-'));
const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 120_000);

/** sqrt(sum (a - b)^2 / sum b^2), as the torch reference test measures. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  assert.ok(den > 0, 'reference is all zeros');
  return Math.sqrt(num / den);
}

const WINDOWED = join(root, 'windowed.onnx');
const SOFTMAX = join(root, 'softmax.onnx');

test('ecgx model card: infers what the graph says, lists what is missing, then writes carded copies', () => {
  const raw = join(DIR, manifest.windowed.file);
  const shown = cli('model', 'card', raw);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /has no model card/);
  assert.match(shown.stdout, /fixed input length 300 samples/);
  assert.match(shown.stdout, /2 residual block output\(s\): \/block_a\/relu_1\/Relu_output_0, \/block_b\/relu_1\/Relu_output_0/);
  assert.match(shown.stdout, /fs\s+--fs HZ/);
  const inferred = JSON.parse(cli('model', 'card', join(DIR, manifest.softmax.file), '--json').stdout) as { inferred: { output: { kind: string; task: string }; length: number | null } };
  assert.deepEqual([inferred.inferred.output.kind, inferred.inferred.output.task, inferred.inferred.length], ['probabilities', 'multiclass', null]);

  const w = cli('model', 'card', raw, '--leads', '12', '--fs', '100', '--window', '300', '--stride', '150', '--aggregate', 'mean',
    '--bandpass', '0.5,40', '--filter-order', '2', '--zscore', '--task', 'multilabel', '--output-kind', 'logits', '--classes', manifest.windowed.classes.join(','),
    '--source', 'scripts/torch/make_foreign_fixtures.py', '--license', 'MIT', '--out', WINDOWED);
  assert.equal(w.code, 0, w.stderr);
  const s = cli('model', 'card', join(DIR, manifest.softmax.file), '--leads', '12', '--fs', '100', '--length', 'any', '--highpass', '0.5', '--units', 'uV',
    '--classes', manifest.softmax.classes.join(','), '--out', SOFTMAX);
  assert.equal(s.code, 0, s.stderr);
  const card = loadCardedModel(WINDOWED).card;
  assert.deepEqual(card.fit, { longer: 'windows', shorter: 'refuse', anchor: 'start', stride: 150, aggregate: 'mean' });
  assert.deepEqual(card.preprocess.map((p) => p.op), ['bandpass', 'zscore']);
  assert.deepEqual(card.layers, { tlc: manifest.windowed.blocks, gradcam: manifest.windowed.blocks.at(-1) });
  // The card read back prints as one line.
  assert.match(cli('model', 'card', WINDOWED).stdout, /12 leads .* at 100 Hz, windows of 300 \(stride 150, mean\); band-pass 0.5-40 Hz \(order 2\), z-score per record; output 'out' multilabel logits/);
});

test('predict on records matches PyTorch through the card (windows aggregated; softmax over any length in microvolts)', () => {
  for (const [model, file] of [[WINDOWED, 'windowed_scores.npy'], [SOFTMAX, 'softmax_scores.npy']] as const) {
    const want = readNpy(join(DIR, file));
    const K = want.shape[1]!;
    manifest.records.forEach((id, r) => {
      const p = cli('predict', '--model', model, '--record', recordPath(id), '--json');
      assert.equal(p.code, 0, p.stderr);
      const got = JSON.parse(p.stdout) as { record: string; classes: string[]; scores: number[]; windows: number };
      assert.equal(got.windows, model === WINDOWED ? manifest.windowed.starts.length : 1);
      for (let k = 0; k < K; k++) assert.ok(Math.abs(got.scores[k]! - want.data[r * K + k]!) < 1e-4, `${file} record ${id} class ${k}: ${got.scores[k]} vs torch ${want.data[r * K + k]}`);
    });
  }
});

test('Grad-CAM and Integrated Gradients on records match PyTorch, in record time', async (t) => {
  const ecgs = manifest.records.map((id) => readRecord(recordPath(id)).ecg);
  for (const [model, name, target] of [[WINDOWED, 'windowed', manifest.target], [SOFTMAX, 'softmax', manifest.softmax.target]] as const) {
    const r = await explainRecords(model, ecgs, { methods: ['gradcam', 'ig'], options: { 'integrated-gradients': { steps: manifest.igSteps } }, target, progress: false });
    await r.model.release();
    for (const [a, file] of [[r.attributions[0]!, `${name}_gradcam.npy`], [r.attributions[1]!, `${name}_ig.npy`]] as const) {
      const want: NdArray = readNpy(join(DIR, file));
      assert.deepEqual(a.values.shape, want.shape, file);
      const e = relErr(a.values.data, want.data);
      t.diagnostic(`${file}: relative error ${e.toExponential(2)} vs torch float64`);
      assert.ok(e < 1e-3, `${file}: relative error ${e}`);
    }
    assert.ok(r.records.every((x) => x.nSamples === 1000 && x.target === target));
  }
});

test('tlc fit and explain on the windowed model: its named layers, windows pooled, clusters over the whole record', () => {
  const tlc = join(root, 'tlc.json');
  const data = join(root, 'records');
  // A WFDB folder of 12 real records, for fitting.
  mkdirSync(data);
  for (let i = 1; i <= 12; i++) {
    const id = String(i).padStart(5, '0');
    for (const ext of ['hea', 'dat']) copyFileSync(`${recordPath(id)}.${ext}`, join(data, `${id}_lr.${ext}`));
  }
  const fit = cli('tlc', 'fit', '--model', WINDOWED, '--data', data, '--k', '4', '--seed', '1', '--out', tlc);
  assert.equal(fit.code, 0, fit.stderr);
  assert.match(fit.stdout, /72 model inputs/); // 12 records x 6 windows
  const state = JSON.parse(readFileSync(tlc, 'utf8')) as { layers: { name: string }[] };
  assert.deepEqual(state.layers.map((l) => l.name), manifest.windowed.blocks);
  const ex = cli('tlc', 'explain', '--tlc', tlc, '--model', WINDOWED, '--record', recordPath('00001'), '--json');
  assert.equal(ex.code, 0, ex.stderr);
  const j = JSON.parse(ex.stdout) as { nSamples: number; windows: number[]; input: { sequence: number[][]; entropy: (number | null)[][] }; layers: { proportions: number[]; segments: { start: number; end: number }[] }[] };
  assert.equal(j.nSamples, 1000);
  assert.deepEqual(j.windows, manifest.windowed.starts);
  for (const [g, seq] of j.input.sequence.entries()) {
    assert.equal(seq.length, 1000);
    assert.ok(seq.every((c) => c >= 0 && c < 4), 'every sample of the record has a cluster');
    assert.ok(j.input.entropy[g]!.every((h) => h !== null && h >= 0 && h <= 1));
    assert.ok(Math.abs(j.layers[g]!.proportions.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.deepEqual([j.layers[g]!.segments[0]!.start, j.layers[g]!.segments.at(-1)!.end], [0, 1000]);
  }
  // Clusters against the delineator's waves, window by window.
  const align = cli('tlc', 'align', '--tlc', tlc, '--model', WINDOWED, '--data', data, '--waves', 'delineate', '--json');
  assert.equal(align.code, 0, align.stderr);
  const a = JSON.parse(align.stdout) as { ecgs: number; groups: { name: string; nmi: number }[] };
  assert.equal(a.ecgs, 72);
  assert.deepEqual(a.groups.map((x) => x.name), manifest.windowed.blocks);
});

test('tlc evaluate and sweep on the windowed export with real PTB-XL labels: surrogate folds made from the data', async () => {
  // The random-weight export carded with four Challenge classes, so that the records' labels name them.
  const labelled = join(root, 'labelled.onnx');
  assert.equal(cli('model', 'card', WINDOWED, '--classes', 'NSR,LAD,TAb,LAnFB', '--out', labelled).code, 0);
  const labels = join(PTBXL, 'cinc2020_labels.csv');
  const ev = cli('tlc', 'evaluate', '--model', labelled, '--data', PTBXL, '--labels', labels, '--max-records', '45', '--cv', '3', '--k', '3', '--seed', '2', '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const e = JSON.parse(ev.stdout) as { run: string; classes: string[]; groups: string[]; folds: { surrogate: { fold: number; nTest: number; fidelity: number } }[] };
  assert.deepEqual(e.classes, ['NSR', 'LAD', 'TAb', 'LAnFB']);
  assert.deepEqual(e.groups, manifest.windowed.blocks);
  assert.deepEqual(e.folds.map((f) => f.surrogate.fold), [1, 2, 3]);
  assert.ok(e.folds.reduce((s, f) => s + f.surrogate.nTest, 0) >= 40, 'every labelled record tested once');
  for (const f of e.folds) assert.ok(f.surrogate.fidelity >= 0 && f.surrogate.fidelity <= 100);
  const sw = cli('tlc', 'sweep', '--model', labelled, '--data', PTBXL, '--labels', labels, '--max-records', '45', '--cv', '3', '--k', '2,3', '--fold', '2', '--json');
  assert.equal(sw.code, 0, sw.stderr);
  assert.deepEqual((JSON.parse(sw.stdout) as { k: number }[]).map((r) => r.k), [2, 3]);
  // The report of the same model on the same records: metrics against the labels, TLC over the folds.
  const tlc = join(root, 'tlc-labelled.json');
  assert.equal(cli('tlc', 'fit', '--model', labelled, '--data', join(root, 'records'), '--k', '3', '--out', tlc).code, 0);
  const html = join(root, 'report.html');
  const rep = cli('report', '--model', labelled, '--data', PTBXL, '--labels', labels, '--max-records', '45', '--cv', '3', '--tlc', tlc, '--examples', '1', '--compare', 'gradcam', '--out', html);
  assert.equal(rep.code, 0, rep.stderr);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<h2>Metrics on the dataset<\/h2>/);
  assert.match(page, /Surrogate forest \(mean ± std over 3 folds\)/);
  assert.match(page, /all labelled records \(n=4\d\)/);
  // Cohort views from an explanation store: predict --store, then the report and the app draw them.
  const store = join(root, 'store');
  assert.equal(cli('predict', '--model', labelled, '--data', PTBXL, '--labels', labels, '--max-records', '45', '--store', '--out', store).code, 0);
  const withStore = join(root, 'report-store.html');
  const rs = cli('report', '--model', labelled, '--data', PTBXL, '--labels', labels, '--max-records', '20', '--cv', '3', '--examples', '0', '--compare', 'none', '--store', store, '--out', withStore);
  assert.equal(rs.code, 0, rs.stderr);
  assert.match(readFileSync(withStore, 'utf8'), /Cohort from the explanation store<\/h2><p>4\d ECGs of/);
  const app = await startApp({ model: labelled, data: join(root, 'records'), store, port: 0, threads: 1 });
  try {
    const views = (await (await fetch(new URL('/api/cohort', app.url))).json()) as { specs: { title: string | { text: string } }[] };
    assert.match(JSON.stringify(views.specs[0]!.title), /ROC curves \(store: 4\d labelled ECGs\)/);
  } finally {
    await app.close();
  }
  // Classes the data does not have are a one-line error.
  const none = cli('tlc', 'evaluate', '--model', WINDOWED, '--data', PTBXL, '--labels', labels, '--max-records', '45', '--cv', '3');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no record has a label named like the model's classes \(A, B, C, D\)/);
});

test('explain evaluate on the windowed export: metrics on the model inputs (each window with its own map)', () => {
  const out = join(root, 'metrics');
  const r = cli('explain', 'evaluate', '--model', WINDOWED, '--record', recordPath('00002'), '--method', 'saliency,gradcam', '--target', 'B', '--waves', 'delineate', '--curve-steps', '4', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout) as { input: { shape: number[]; fs: number }; methods: { method: string; deletion: { auc: number[] }; waves: { timeShare: Record<string, number> } }[] };
  assert.deepEqual(m.input, { shape: [6, 12, 300], fs: 100 });
  for (const x of m.methods) {
    assert.equal(x.deletion.auc.length, 6);
    assert.ok(Math.abs(Object.values(x.waves.timeShare).reduce((s, v) => s + v, 0) - 1) < 1e-9);
  }
});

test('ecgx serve --model (the carded export) --data: predictions, and attributions and clusters over whole records', async () => {
  const data = join(root, 'records'); // written by the TLC test above
  const app = await startApp({ model: WINDOWED, data, tlc: join(root, 'tlc.json'), port: 0, threads: 1 });
  try {
    const get = async (path: string): Promise<any> => (await fetch(new URL(path, app.url))).json();
    const info = await get('/api/info');
    assert.deepEqual([info.classes, info.fs, info.samples], [manifest.windowed.classes, 100, 300]);
    const records = await get('/api/records');
    assert.equal(records.length, 12);
    const c = await get(`/api/chart?id=${records[0].id}&method=gradcam&target=B`);
    assert.equal(c.attribution.values.length, 1000);
    assert.equal(c.tlc.groups[0].labels.length, 1000);
    assert.ok(c.tlc.groups[0].labels.every((l: number) => l >= 0));
  } finally {
    await app.close();
  }
});

test('a card that does not fit the records or the graph is a one-line error, nothing written', () => {
  const rec = recordPath('00001');
  // Leads: a card that names leads the record does not have, with the mapping offered.
  const renamed = join(root, 'renamed.onnx');
  assert.equal(cli('model', 'card', WINDOWED, '--leads', 'I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V7', '--out', renamed).code, 0);
  // A rate the card does not resample from.
  const at500 = join(root, 'at500.onnx');
  assert.equal(cli('model', 'card', WINDOWED, '--fs', '500', '--out', at500).code, 0);
  // Shorter windows refused: a crop-less card on a fixed length.
  const exact = join(root, 'exact.onnx');
  writeFileSync(join(root, 'exact.card.json'), JSON.stringify({ ...loadCardedModel(WINDOWED).card, fit: { longer: 'refuse', shorter: 'refuse', anchor: 'start' } }));
  assert.equal(cli('model', 'card', join(DIR, manifest.windowed.file), '--from', join(root, 'exact.card.json'), '--out', exact).code, 0);
  // Probabilities that are not: the windowed logits declared as probabilities.
  const liar = join(root, 'liar.onnx');
  assert.equal(cli('model', 'card', WINDOWED, '--output-kind', 'probabilities', '--out', liar).code, 0);
  const cases: [string[], RegExp][] = [
    [['model', 'card', join(DIR, manifest.windowed.file), '--leads', '12', '--task', 'multilabel', '--out', join(root, 'x1.onnx')], /\(card\.fs\): the model card has no fs \(set it with --fs HZ\)/],
    [['model', 'card', WINDOWED, '--layers', 'nope', '--out', join(root, 'x2.onnx')], /\(card\.layers\.tlc\): the graph has no tensor 'nope'/],
    [['model', 'card', WINDOWED, '--classes', 'A,B', '--out', join(root, 'x3.onnx')], /\(card\.output\.classes\): 2 names, but output 'out' has 4 columns/],
    [['predict', '--model', renamed, '--record', rec], /record 00001_lr has leads \[I II III aVR aVL aVF V1 V2 V3 V4 V5 V6\]; the model card needs .* V7 is missing\. If the record's V6 are the model's V7, map them with --lead-map V6=V7;/],
    [['predict', '--model', at500, '--record', rec], /record 00001_lr is at 100 Hz; the model card says 500 Hz and has no 'resample' step \(allow it with 'ecgx model card --resample'/],
    [['predict', '--model', exact, '--record', rec], /has 1000 samples at 100 Hz \(10 s\); the model takes 300 \(3 s\) and its card neither crops nor windows longer records \(set 'ecgx model card --crop start\|center' or '--window 300 --stride S'\)/],
    [['predict', '--model', liar, '--record', rec], /card\.output\.kind: the card says 'out' holds probabilities, but the model gave .*; set 'ecgx model card --output-kind logits'/],
    [['explain', '--model', liar, '--record', rec, '--method', 'saliency', '--out', join(root, 'never')], /card\.output\.kind/],
    [['explain', '--model', join(DIR, manifest.windowed.file), '--record', rec, '--method', 'saliency', '--out', join(root, 'never')], /has no model card .* run 'ecgx model card /],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr.trim(), re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  for (const f of ['x1.onnx', 'x2.onnx', 'x3.onnx', 'never']) assert.ok(!existsSync(join(root, f)), `${f} not written`);
  // --lead-map makes the renamed card fit.
  const mapped = cli('predict', '--model', renamed, '--record', rec, '--lead-map', 'V6=V7', '--json');
  assert.equal(mapped.code, 0, mapped.stderr);
});
