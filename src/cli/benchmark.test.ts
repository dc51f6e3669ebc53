import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../test/data-paths.js';
import type { LeaderRow } from '../explain/benchmark/run.js';

const root = mkdtempSync(join(tmpdir(), 'ecgx-cli-benchmark-'));
const out = join(root, 'bench');
const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(args, 240_000);

interface Results {
  models: { name: string; auroc: number }[];
  leaderboard: LeaderRow[];
  ranking: { method: string }[];
  scores: { model: string; method: string; cls: string; ids: string[]; scores: { massAccuracy: number; timeShare: number }[] }[];
  config: { classes: string[]; perClass: number };
}

let results: Results | undefined;
function bench(): Results {
  if (results) return results;
  const r = cli('benchmark', 'explainers', '--size', 'small', '--out', out, '--threads', '2');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /best by relevance mass accuracy/);
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  return results;
}

const row = (r: Results, model: string, method: string): LeaderRow => {
  const x = r.leaderboard.find((l) => l.model === model && l.method === method);
  assert.ok(x, `${model} ${method}`);
  return x;
};

test('benchmark (small): a trained model\'s gradient maps beat their chance level with a 95% CI, an untrained model\'s do not', () => {
  const r = bench();
  const trained = r.models.find((m) => m.name === 'resnet1d')!;
  assert.ok(trained.auroc >= 0.85, `trained test AUROC ${trained.auroc}`);
  assert.ok(r.models.find((m) => m.name === 'untrained')!.auroc < 0.7);
  // Chance for a pure gradient map is the mask's time share (a uniform map); for input x gradient
  // maps it is the input's own |amplitude|, which they inherit from the multiplication.
  const pure = ['saliency', 'gradcam'], timesInput = ['integrated-gradients', 'input-x-gradient'];
  const beats = (model: string): string[] => [
    ...pure.filter((m) => row(r, model, m).gainOverUniform.lo > 0),
    ...timesInput.filter((m) => row(r, model, m).gainOverAmplitude.lo > 0 && row(r, model, m).gainOverUniform.lo > 0),
  ];
  assert.ok(beats('resnet1d').length >= 1, 'no gradient method beats its chance level on the trained model');
  assert.ok(beats('resnet1d').some((m) => timesInput.includes(m)), 'no input x gradient method beats |input| on the trained model');
  assert.deepEqual(beats('untrained'), [], 'a gradient method beats its chance level on the untrained model');
  // Mass accuracy of the uniform reference is the time share, ECG by ECG.
  for (const s of r.scores.filter((x) => x.method.startsWith('uniform'))) for (const v of s.scores) assert.ok(Math.abs(v.massAccuracy - v.timeShare) < 1e-12);
  // Every (model, class) was scored on the stated number of ECGs, and every method and TLC was scored.
  for (const cls of r.config.classes) assert.equal(r.scores.find((x) => x.model === 'resnet1d' && x.cls === cls && x.method === 'saliency')!.ids.length, r.config.perClass);
  assert.ok(r.ranking.some((x) => x.method === 'tlc') && r.leaderboard.some((x) => x.method === 'tlc-cluster'));
  assert.ok(!r.ranking.some((x) => x.method === 'tlc-cluster'), 'the cluster row sees masks: it is not ranked');
});

test('benchmark (small): the report is one self-contained file with the leaderboard, views and beat summaries', () => {
  bench();
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const id of ['setup', 'models', 'leaderboard', 'example', 'beats', 'view-mass', 'view-auroc']) assert.ok(html.includes(`id="${id}"`), id);
  assert.ok(!/\b(src|href)="(https?:)?\/\//.test(html), 'the report references something outside itself');
  assert.ok(!html.includes('<script'), 'the report has a script');
  assert.ok((html.match(/<svg/g) ?? []).length >= 8);
  const md = readFileSync(join(out, 'leaderboard.md'), 'utf8');
  assert.match(md, /\| 1 \| [a-z-]+ \| 0\.\d{3} \|/);
  assert.ok(md.includes('*uniform map (time share)*'));
  assert.ok(existsSync(join(out, 'data', 'records100', '00000', '00001_lr.evidence.json')));
});

test('benchmark\'s model and data: explain what-if, plot --layout beats, explain evaluate --noise run on them', () => {
  bench();
  const model = join(out, 'runs', 'resnet1d', 'fold-1', 'model.onnx');
  const data = join(out, 'data');
  const w = cli('explain', 'what-if', '--model', model, '--data', data, '--records', '2,3,5,6', '--edit', 'st-elevation:0,0.2,0.4@anterior', '--edit', 'scale-r:1,2',
    '--method', 'saliency', '--out', join(root, 'wi'));
  assert.equal(w.code, 0, w.stderr);
  const wi = JSON.parse(readFileSync(join(root, 'wi', 'whatif.json'), 'utf8')) as { doses: { edit: string; points: { amount: number; meanDelta: number[] }[] }[]; classes: string[]; mass: unknown[] };
  assert.deepEqual(wi.doses.map((d) => d.edit), ['st-elevation', 'scale-r']);
  assert.deepEqual(wi.doses[0]!.points[0]!.meanDelta, wi.classes.map(() => 0), 'the zero dose changes nothing');
  assert.equal(wi.mass.length, 2);
  assert.ok(readFileSync(join(root, 'wi', 'dose-response.svg'), 'utf8').startsWith('<svg'));

  const ex = cli('explain', '--model', model, '--data', data, '--records', '2', '--method', 'saliency,gradcam', '--target', 'MI', '--out', join(root, 'ex'));
  assert.equal(ex.code, 0, ex.stderr);
  const p = cli('plot', '--data', data, '--id', '2', '--explain', join(root, 'ex'), '--layout', 'beats', '--out', join(root, 'beats.svg'));
  assert.equal(p.code, 0, p.stderr);
  const svg = readFileSync(join(root, 'beats.svg'), 'utf8');
  assert.match(svg, /median of \d+ beats/);
  for (const lead of ['V1', 'aVF', 'V6']) assert.ok(svg.includes(`>${lead}<`), lead);

  const ev = cli('explain', 'evaluate', '--model', model, '--data', data, '--records', '2,3', '--method', 'saliency,gradcam', '--noise', 'bw:60,em:0', '--out', join(root, 'ev'), '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const m = JSON.parse(ev.stdout) as { stability: { rows: { method: string; noise: { type: string; snrDb: number }; measure: string; mean: number }[] } };
  const sal = (type: string): number => m.stability.rows.find((x) => x.method === 'saliency' && x.noise.type === type)!.mean;
  assert.ok(sal('baseline') > 0.95, `60 dB of baseline wander moved saliency's ranking: ${sal('baseline')}`);
  assert.ok(sal('motion') < sal('baseline'), 'electrode motion at 0 dB changed saliency less than 60 dB of wander');
  const bad = cli('explain', 'evaluate', '--model', model, '--data', data, '--records', '2', '--method', 'saliency', '--noise', 'hum:6', '--out', join(root, 'ev2'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ecgx: --noise: expected TYPE:SNR_DB/);
});

test('benchmark: bad arguments are one-line errors', () => {
  for (const [args, re] of [
    [['benchmark', 'explainers', '--size', 'huge', '--out', join(root, 'x')], /--size/],
    [['benchmark', 'tlc', '--out', join(root, 'x')], /unknown benchmark 'tlc'/],
    [['benchmark', 'explainers', '--out', join(root, 'x'), '--methods', 'tcav'], /not scored by the benchmark/],
    [['benchmark', 'explainers', '--out', join(root, 'x'), '--models', 'vgg'], /no model 'vgg'/],
  ] as [string[], RegExp][]) {
    const r = cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

after(() => rmSync(root, { recursive: true, force: true }));
