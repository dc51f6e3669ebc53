/**
 * The ground-truth benchmark of ECG explainers (`ecgx benchmark explainers`):
 *
 * 1. a synthetic PTB-XL-layout database with each ECG's planted evidence
 *    masks (data/synth/evidence.ts), written to OUT/data;
 * 2. models: trained by ecgx (fold 1 tests, fold 2 validates, folds 3-10
 *    train), a carded PyTorch export, and an untrained control;
 * 3. every method (TLC fitted per model on training ECGs) explains the test
 *    ECGs of each class for that class, scored against the class's mask
 *    (scores.ts), with two references: a uniform map (the mask's time share)
 *    and the input's own |amplitude| (what an explanation that only follows
 *    the signal would score);
 * 4. the shortcut trap: the same database with an artefact in half of one
 *    class's ECGs, a model trained on it, and whether each method (and TLC's
 *    clusters) puts more on the artefact than it does for the clean model;
 * 5. stability under noise, what-if probes and beat summaries per class.
 *
 * Seeded throughout; nothing here writes the report (viz/benchmark does).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Ecg } from '../../data/ecg.js';
import { evidenceDense, evidenceIsEmpty } from '../../data/evidence.js';
import { openDataset, type EcgDataset } from '../../data/datasets/index.js';
import { writePtbxl } from '../../data/datasets/ptbxl.js';
import { synthesizeDatabase } from '../../data/synth/database.js';
import { addShortcut } from '../../data/synth/shortcut.js';
import { mixSeed } from '../../data/synth/seed.js';
import { encodeModel } from '../../engine/onnx/proto.js';
import { inspectModel } from '../../engine/onnx/inspect.js';
import { buildModel } from '../../models/index.js';
import { trainingCard, withCard, describeCard } from '../../models/card.js';
import { inputBatches } from '../../models/inputs.js';
import { loadCardedModel, openPredictor, type CardedModel } from '../../models/predict.js';
import { trainRun } from '../../train/run.js';
import { aurocPerClass } from '../../train/metrics.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { Rng } from '../../util/rng.js';
import type { NdArray } from '../../util/npy.js';
import { beatSummary, type BeatSummary } from '../beats/beats.js';
import { noiseStability, type StabilityRow } from '../metrics/stability.js';
import { whatIfProbes, type WhatIfResult } from '../probes/what-if.js';
import type { Attribution, Explainer } from '../protocol.js';
import { explainerFactory } from '../registry.js';
import { explainRecords } from '../run.js';
import { TlcExplainer } from '../tlc-explainer.js';
import { fitTlc, type FittedTlc } from '../tlc/fit.js';
import { checkBenchmarkConfig, type BenchmarkConfig, type BenchmarkModel } from './config.js';
import { meanCi, scoreAgainstMask, SCORE_NAMES, type MaskScores, type MeanCi, type ScoreName } from './scores.js';

/** Per-ECG scores of one method (or reference) on one class, for one model. */
export interface ScoreSet {
  model: string;
  method: string;
  cls: string;
  ids: string[];
  scores: MaskScores[];
  /** Milliseconds per ECG (0 for references). */
  msPerEcg: number;
}

/** Reference rows: what a map with no model knowledge scores. */
export const REFERENCES = { uniform: 'uniform map (time share)', amplitude: '|input| (signal amplitude)' } as const;
/** TLC's clusters as a map: the cluster chosen on the other half of the ECGs (split-half), as a 0/1 indicator. */
export const TLC_CLUSTER_ROW = 'tlc-cluster';

export interface LeaderRow {
  model: string;
  method: string;
  /** Over every (ECG, class) pair of the model. */
  summary: Record<ScoreName | 'timeShare', MeanCi>;
  /** Mass accuracy minus the |input| reference, paired per ECG. */
  gainOverAmplitude: MeanCi;
  /** Mass accuracy minus the time share, paired per ECG. */
  gainOverUniform: MeanCi;
  perClass: Record<string, Record<ScoreName, number>>;
  msPerEcg: number;
}

export interface ModelInfoRow {
  name: string;
  kind: BenchmarkModel['kind'];
  source: string;
  card: string;
  /** Test fold: macro AUROC and per class. */
  auroc: number;
  aurocPerClass: Record<string, number>;
  testEcgs: number;
  file: string;
}

export interface TrapMethodRow {
  method: string;
  /** Share of |a| on the artefact, mean over the trapped ECGs; its time share; enrichment = mass / time share. */
  trap: { mass: number; enrichment: number; pointing: number; auroc: number };
  clean: { mass: number; enrichment: number; pointing: number; auroc: number };
  reveals: boolean;
}

export interface TrapResult {
  label: string;
  fraction: number;
  trapModel: { auroc: number; aurocPerClass: Record<string, number> };
  ecgs: string[];
  timeShare: number;
  /** Mean P(label) of trapped ECGs with vs without the artefact, and of NORM ECGs given the artefact, for the trap and the clean model. */
  reliance: { trapModel: { trapped: number; untouched: number; normWith: number; normWithout: number }; cleanModel: { trapped: number; untouched: number; normWith: number; normWithout: number } };
  methods: TrapMethodRow[];
  /** TLC: largest enrichment of one cluster on the artefact's samples (share there / share overall), per layer, trap vs clean model. */
  tlc?: { layer: string; trap: number; clean: number; reveals: boolean }[];
  rule: string;
}

export interface BenchmarkResult {
  config: BenchmarkConfig;
  models: ModelInfoRow[];
  scores: ScoreSet[];
  leaderboard: LeaderRow[];
  /** Methods ranked by mean mass accuracy over the trained models (macro over models); TLC's cluster row, which sees half of the masks, is not ranked. */
  ranking: { method: string; massAccuracy: number; auroc: number; models: number }[];
  trap?: TrapResult;
  stability?: { model: string; rows: StabilityRow[] };
  probes?: { model: string; result: WhatIfResult }[];
  timings: Record<string, number>;
  skipped: Record<string, string>;
  /** For the report only (not written to results.json): an example ECG, and beat summaries per class. */
  artifacts: {
    example?: { model: string; cls: string; id: string; ecg: Ecg; mask: Uint8Array; attributions: { method: string; values: Float32Array; rows: number }[] };
    beats: { cls: string; model: string; method: string; summary: BeatSummary }[];
  };
}

export interface BenchmarkRunOptions {
  log?: (line: string) => void;
  /** Reuse OUT/data and trained runs when they exist (a rerun of the same config). */
  reuse?: boolean;
}

const SUPER = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];

async function synthTo(dir: string, c: BenchmarkConfig, reuse: boolean, shortcut?: BenchmarkConfig['shortcut']): Promise<EcgDataset> {
  if (!(reuse && existsSync(dir))) {
    await writePtbxl(dir, synthesizeDatabase({ n: c.n, seed: c.seed, layout: 'ptbxl', fs: 100, evidence: true, ...(shortcut ? { shortcut: { label: shortcut.label, fraction: shortcut.fraction } } : {}) }), { fs: 100, force: true });
  }
  return openDataset(dir);
}

async function load(ds: EcgDataset, pick: (e: Ecg) => boolean, max: number, folds: number[]): Promise<Ecg[]> {
  const out: Ecg[] = [];
  for (const r of ds.records().filter((x) => x.fold !== undefined && folds.includes(x.fold))) {
    if (out.length >= max) break;
    const e = await ds.load(r.id);
    if (pick(e)) out.push(e);
  }
  return out;
}

async function modelFile(m: BenchmarkModel, c: BenchmarkConfig, data: string, out: string, reuse: boolean, log: (l: string) => void): Promise<{ file: string; source: string }> {
  if (m.kind === 'file') return { file: m.file, source: m.description ?? m.file };
  if (m.kind === 'untrained') {
    const file = join(out, 'runs', `${m.name}.onnx`);
    const proto = buildModel(m.spec, { leads: 12, samples: 1000, task: 'multilabel', outputs: SUPER.length, classNames: SUPER, fs: 100, seed: mixSeed(c.seed, 0x0417) });
    const card = trainingCard({ leads: ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'], fs: 100, length: 1000 }, { task: 'multilabel', classes: SUPER }, inspectModel(proto));
    writeFileAtomic(file, encodeModel(withCard(proto, card)));
    return { file, source: `${m.spec}, initial weights (seeded), not trained` };
  }
  const dir = join(out, 'runs', m.name);
  if (!(reuse && existsSync(join(dir, 'fold-1', 'model.onnx')))) {
    await trainRun({ data, task: 'superclass', model: m.spec, epochs: m.epochs ?? c.epochs, lr: m.lr ?? c.lr, batchSize: c.batchSize, cv: 10, folds: [1], seed: c.seed, ...(c.threads !== undefined ? { threads: c.threads } : {}) }, dir, { force: true, log: (l) => log(`  ${m.name}: ${l}`), progress: false });
  }
  return { file: join(dir, 'fold-1', 'model.onnx'), source: `${m.spec}, trained by ecgx (${m.epochs ?? c.epochs} epochs, folds 3-10; best epoch on fold 2)` };
}

async function testAuroc(model: CardedModel, ecgs: readonly Ecg[], threads?: number): Promise<{ macro: number; perClass: Record<string, number> }> {
  const p = await openPredictor(model, threads !== undefined ? { threads } : {});
  try {
    const classes = model.card.output.classes;
    const pred = await p.predict(ecgs);
    const s = pred.flatMap((r) => classes.map((c) => r.values[c]!));
    const t = ecgs.flatMap((e) => classes.map((c) => ((e.meta.labels ?? []).includes(c) ? 1 : 0)));
    const per = aurocPerClass({ data: s, n: ecgs.length, k: classes.length }, { data: t, n: ecgs.length, k: classes.length });
    const fin = per.filter(Number.isFinite);
    return { macro: fin.reduce((a, b) => a + b, 0) / fin.length, perClass: Object.fromEntries(classes.map((c, k) => [c, per[k]!])) };
  } finally {
    await p.release();
  }
}

/** Model inputs of records through the card, stacked [n, leads, time]. */
async function modelInputs(model: CardedModel, ecgs: readonly Ecg[]): Promise<NdArray> {
  const parts: NdArray[] = [];
  for await (const b of inputBatches(model.card, ecgs, 64)) parts.push(b.x);
  const [, L, T] = parts[0]!.shape as [number, number, number];
  const n = parts.reduce((s, p) => s + p.shape[0]!, 0);
  const data = new Float32Array(n * L * T);
  let o = 0;
  for (const p of parts) (data.set(p.data, o), (o += p.data.length));
  return { data, shape: [n, L, T] };
}

async function fitModelTlc(model: CardedModel, fitEcgs: readonly Ecg[], c: BenchmarkConfig): Promise<FittedTlc> {
  const x = await modelInputs(model, fitEcgs);
  return fitTlc(model.proto, { x, fs: model.card.fs }, { k: c.tlc.k, seed: c.seed, maxSamples: c.tlc.maxSamples, ...(model.card.layers.tlc ? { layers: model.card.layers.tlc } : {}) }, { progress: false, ...(c.threads !== undefined ? { threads: c.threads } : {}) });
}

/** Every method's explainer for one model, created once (TLC from its fitted clusters, one explainer per layer). */
async function makeExplainers(model: CardedModel, c: BenchmarkConfig, tlc: FittedTlc | undefined): Promise<{ main: Record<string, Explainer>; tlcGroups: Explainer[] }> {
  const main: Record<string, Explainer> = {};
  const threads = c.threads !== undefined ? { threads: c.threads } : {};
  for (const m of c.methods) {
    main[m] = m === 'tlc' ? await TlcExplainer.create(model, { tlc: tlc!, ...threads }) : await explainerFactory(m).create(model, { ...(c.options[m] ?? {}), ...threads });
  }
  const tlcGroups = tlc ? await Promise.all(tlc.groupNames.map((g) => TlcExplainer.create(model, { tlc, group: g, ...threads }))) : [];
  return { main, tlcGroups };
}

async function releaseAll(e: { main: Record<string, Explainer>; tlcGroups: Explainer[] }): Promise<void> {
  for (const x of [...Object.values(e.main), ...e.tlcGroups]) await x.release?.();
}

function scoreAll(values: NdArray, masks: readonly Uint8Array[], L: number): MaskScores[] {
  const [n, rows, T] = values.shape as [number, number, number];
  return Array.from({ length: n }, (_, b) => scoreAgainstMask(values.data.subarray(b * rows * T, (b + 1) * rows * T), rows, masks[b]!, L, T));
}

/**
 * TLC's clusters as evidence detectors, split-half: on each half of the ECGs,
 * the (layer, cluster) whose indicator has the best mean AUROC is chosen, and
 * scored on the other half.
 */
function tlcClusterScores(perGroup: number[][][], masks: readonly Uint8Array[], L: number, T: number): MaskScores[] {
  const n = masks.length;
  const indicator = (g: number, b: number, k: number): Float32Array => Float32Array.from(perGroup[g]![b]!, (c) => (c === k ? 1 : 0));
  const out: MaskScores[] = Array(n);
  for (const half of [0, 1]) {
    const pickFrom = Array.from({ length: n }, (_, b) => b).filter((b) => b % 2 === half);
    const scoreOn = Array.from({ length: n }, (_, b) => b).filter((b) => b % 2 !== half);
    let best = { g: 0, k: 0, v: -Infinity };
    for (let g = 0; g < perGroup.length; g++) {
      let K = 0;
      for (const seq of perGroup[g]!) for (const k of seq) K = Math.max(K, k + 1);
      for (let k = 0; k < K; k++) {
        const v = pickFrom.map((b) => scoreAgainstMask(indicator(g, b, k), 1, masks[b]!, L, T).auroc).filter(Number.isFinite);
        const m = v.length ? v.reduce((a, x) => a + x, 0) / v.length : -Infinity;
        if (m > best.v) best = { g, k, v: m };
      }
    }
    for (const b of scoreOn) out[b] = scoreAgainstMask(indicator(best.g, b, best.k), 1, masks[b]!, L, T);
  }
  return out;
}

function leaderboard(sets: readonly ScoreSet[]): LeaderRow[] {
  const rows: LeaderRow[] = [];
  const keys = [...new Set(sets.map((s) => `${s.model}\u0000${s.method}`))];
  for (const key of keys) {
    const [model, method] = key.split('\u0000') as [string, string];
    const mine = sets.filter((s) => s.model === model && s.method === method);
    const all = mine.flatMap((s) => s.scores);
    const amp = mine.flatMap((s) => sets.find((r) => r.model === model && r.cls === s.cls && r.method === REFERENCES.amplitude)?.scores ?? s.scores.map(() => undefined));
    const summary = Object.fromEntries([...SCORE_NAMES, 'timeShare' as const].map((k) => [k, meanCi(all.map((s) => s[k]))])) as LeaderRow['summary'];
    const n = all.reduce((acc, _, i) => acc + (amp[i] ? 1 : 0), 0);
    rows.push({
      model, method, summary,
      gainOverAmplitude: n ? meanCi(all.map((s, i) => s.massAccuracy - (amp[i]?.massAccuracy ?? NaN))) : meanCi([]),
      gainOverUniform: meanCi(all.map((s) => s.massAccuracy - s.timeShare)),
      perClass: Object.fromEntries(mine.map((s) => [s.cls, Object.fromEntries(SCORE_NAMES.map((k) => [k, meanCi(s.scores.map((x) => x[k])).mean]))])) as LeaderRow['perClass'],
      msPerEcg: mine.reduce((a, s) => a + s.msPerEcg * s.ids.length, 0) / Math.max(1, mine.reduce((a, s) => a + s.ids.length, 0)),
    });
  }
  return rows;
}

async function scoreModel(
  name: string, model: CardedModel, c: BenchmarkConfig, test: Record<string, Ecg[]>, tlc: FittedTlc | undefined, first: boolean, log: (l: string) => void, perClass = c.perClass,
): Promise<{ sets: ScoreSet[]; example?: BenchmarkResult['artifacts']['example']; beats: BenchmarkResult['artifacts']['beats'] }> {
  const ex = await makeExplainers(model, c, tlc);
  const sets: ScoreSet[] = [];
  const beats: BenchmarkResult['artifacts']['beats'] = [];
  let example: BenchmarkResult['artifacts']['example'];
  const L = model.card.leads.length;
  try {
    for (const cls of c.classes) {
      const ecgs = test[cls]!.slice(0, perClass);
      if (ecgs.length === 0) continue;
      const t0 = performance.now();
      const r = await explainRecords(model, ecgs, { methods: c.methods, explainers: ex.main, target: cls, seed: c.seed, keepInputs: true, progress: false, ...(c.threads !== undefined ? { threads: c.threads } : {}) });
      await r.model.release();
      const T = r.attributions[0]!.values.shape[2]!;
      const masks = ecgs.map((e) => evidenceDense(e.evidence![cls]!, model.card.leads, T));
      const ids = ecgs.map((e) => e.meta.recordId);
      for (const a of r.attributions) sets.push({ model: name, method: a.method, cls, ids, scores: scoreAll(a.values, masks, L), msPerEcg: a.timing.ms / ecgs.length });
      sets.push({ model: name, method: REFERENCES.uniform, cls, ids, msPerEcg: 0, scores: masks.map(uniformScores) });
      sets.push({ model: name, method: REFERENCES.amplitude, cls, ids, msPerEcg: 0, scores: scoreAll(r.inputs!.x, masks, L) });
      if (ex.tlcGroups.length) {
        const t1 = performance.now();
        const perGroup: number[][][] = [];
        for (const g of ex.tlcGroups) {
          const rg = await explainRecords(model, ecgs, { methods: ['tlc'], explainers: { tlc: g }, target: cls, progress: false });
          await rg.model.release();
          perGroup.push((rg.attributions[0]!.meta?.['clusters'] as number[][]) ?? []);
        }
        sets.push({ model: name, method: TLC_CLUSTER_ROW, cls, ids, scores: tlcClusterScores(perGroup, masks, L, T), msPerEcg: (performance.now() - t1) / ecgs.length });
      }
      if (first) {
        if (!example) {
          example = { model: name, cls, id: ids[0]!, ecg: r.records[0]!.ecg!, mask: masks[0]!, attributions: r.attributions.map((a) => ({ method: a.method, rows: a.values.shape[1]!, values: a.values.data.slice(0, a.values.shape[1]! * T) })) };
        }
        const method = c.beats?.method && c.methods.includes(c.beats.method) ? c.beats.method : c.methods[0]!;
        const tlcA = r.attributions.find((a) => a.method === 'tlc');
        const summary = beatSummary(ecgs.map((e, b) => ({
          ecg: r.records[b]!.ecg!,
          maps: r.attributions.filter((a) => a.method !== 'tlc').map((a) => mapOf(a, b, T)),
          ...(tlcA ? { tlc: { layer: String(tlcA.meta?.['group'] ?? 'tlc'), k: Number(tlcA.meta?.['k'] ?? 8), clusters: (tlcA.meta!['clusters'] as number[][])[b]!, entropy: tlcA.values.data.subarray(b * T, (b + 1) * T) } } : {}),
        })));
        beats.push({ cls, model: name, method, summary });
      }
      log(`  ${name} ${cls}: ${ecgs.length} ECGs x ${c.methods.length} methods in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await releaseAll(ex);
  }
  return { sets, ...(example ? { example } : {}), beats };
}

function mapOf(a: Attribution, b: number, T: number): { name: string; values: Float32Array; rows: number } {
  const rows = a.values.shape[1]!;
  return { name: a.method, rows, values: a.values.data.subarray(b * rows * T, (b + 1) * rows * T) };
}

/** What a uniform map scores: mass, rank and pointing at the time share, AUROC 0.5. */
function uniformScores(mask: Uint8Array): MaskScores {
  let k = 0;
  for (const v of mask) k += v;
  const s = k / mask.length;
  return { massAccuracy: s, rankAccuracy: s, pointing: s, auroc: 0.5, timeShare: s };
}

async function runTrap(c: BenchmarkConfig, out: string, clean: { model: CardedModel; spec: BenchmarkModel }, cleanDs: EcgDataset, reuse: boolean, log: (l: string) => void): Promise<TrapResult> {
  const t = c.shortcut!;
  const ds = await synthTo(join(out, 'data-trap'), c, reuse, t);
  const trapSpec: BenchmarkModel = clean.spec.kind === 'train' ? { ...clean.spec, name: 'trap' } : { name: 'trap', kind: 'train', spec: 'resnet1d-small:filters=16,32,32,64' };
  const { file } = await modelFile(trapSpec, c, join(out, 'data-trap'), out, reuse, log);
  const trap = loadCardedModel(file);
  const testAll = await load(ds, () => true, Number.MAX_SAFE_INTEGER, [1]);
  const auc = await testAuroc(trap, testAll, c.threads);
  const trapped = testAll.filter((e) => e.meta.extra?.['shortcut'] !== undefined || e.evidence?.['shortcut']).slice(0, t.ecgs);
  const trappedClean = await Promise.all(trapped.map((e) => cleanDs.load(e.meta.recordId)));
  const norm = (await load(cleanDs, (e) => (e.meta.labels ?? []).includes('NORM'), t.normEcgs, [1]));
  const normWith = norm.map((e, i) => {
    const copy: Ecg = { ...e, signal: Float32Array.from(e.signal), meta: { ...e.meta } };
    addShortcut(copy, { label: t.label, fraction: 1 }, new Rng(mixSeed(c.seed, i, 0x7a9)));
    return copy;
  });
  const meanScore = async (m: CardedModel, list: Ecg[]): Promise<number> => {
    const p = await openPredictor(m, c.threads !== undefined ? { threads: c.threads } : {});
    try {
      const v = (await p.predict(list)).map((r) => r.values[t.label]!);
      return v.reduce((a, b) => a + b, 0) / v.length;
    } finally {
      await p.release();
    }
  };
  const reliance = async (m: CardedModel): Promise<TrapResult['reliance']['trapModel']> => ({
    trapped: await meanScore(m, trapped), untouched: await meanScore(m, trappedClean), normWith: await meanScore(m, normWith), normWithout: await meanScore(m, norm),
  });
  const rel = { trapModel: await reliance(trap), cleanModel: await reliance(clean.model) };
  log(`  trap: P(${t.label}) trapped ECGs ${rel.trapModel.trapped.toFixed(3)} vs without the artefact ${rel.trapModel.untouched.toFixed(3)}; NORM + artefact ${rel.trapModel.normWith.toFixed(3)} vs ${rel.trapModel.normWithout.toFixed(3)} (clean model: ${rel.cleanModel.normWith.toFixed(3)} vs ${rel.cleanModel.normWithout.toFixed(3)})`);

  const trainFit = async (dsx: EcgDataset): Promise<Ecg[]> => load(dsx, () => true, c.tlc.fitEcgs, [3, 4, 5, 6, 7, 8, 9, 10]);
  const methods = c.methods;
  const L = 12;
  const explainWith = async (m: CardedModel, tlc: FittedTlc | undefined): Promise<{ scores: Record<string, MaskScores[]>; tlcClusters: number[][][]; layers: string[] }> => {
    const ex = await makeExplainers(m, c, tlc);
    try {
      const r = await explainRecords(m, trapped, { methods, explainers: ex.main, target: t.label, seed: c.seed, progress: false, ...(c.threads !== undefined ? { threads: c.threads } : {}) });
      await r.model.release();
      const T = r.attributions[0]!.values.shape[2]!;
      const masks = trapped.map((e) => evidenceDense(e.evidence!['shortcut']!, m.card.leads, T));
      const scores = Object.fromEntries(r.attributions.map((a) => [a.method, scoreAll(a.values, masks, L)]));
      const tlcClusters: number[][][] = [];
      for (const g of ex.tlcGroups) {
        const rg = await explainRecords(m, trapped, { methods: ['tlc'], explainers: { tlc: g }, target: t.label, progress: false });
        await rg.model.release();
        tlcClusters.push(rg.attributions[0]!.meta!['clusters'] as number[][]);
      }
      return { scores, tlcClusters, layers: tlc?.groupNames ?? [] };
    } finally {
      await releaseAll(ex);
    }
  };
  const useTlc = methods.includes('tlc');
  const trapRes = await explainWith(trap, useTlc ? await fitModelTlc(trap, await trainFit(ds), c) : undefined);
  const cleanRes = await explainWith(clean.model, useTlc ? await fitModelTlc(clean.model, await trainFit(cleanDs), c) : undefined);
  const T = 1000;
  const masks = trapped.map((e) => evidenceDense(e.evidence!['shortcut']!, clean.model.card.leads, T));
  const timeShare = meanCi(masks.map((mk) => uniformScores(mk).timeShare)).mean;
  const summarize = (s: MaskScores[]): TrapMethodRow['trap'] => {
    const mass = meanCi(s.map((x) => x.massAccuracy)).mean;
    return { mass, enrichment: mass / timeShare, pointing: meanCi(s.map((x) => x.pointing)).mean, auroc: meanCi(s.map((x) => x.auroc)).mean };
  };
  const rows: TrapMethodRow[] = methods.map((m) => {
    const tr = summarize(trapRes.scores[m]!), cl = summarize(cleanRes.scores[m]!);
    return { method: m, trap: tr, clean: cl, reveals: tr.enrichment >= 3 && tr.enrichment >= 2 * cl.enrichment };
  });
  // TLC: the cluster most over-represented on the artefact's samples (any lead marked), per layer.
  const enrichment = (clusters: number[][]): number => {
    const onArt = new Map<number, number>(), all = new Map<number, number>();
    let nArt = 0, nAll = 0;
    clusters.forEach((seq, b) => {
      const marked = new Set<number>();
      for (const list of Object.values(trapped[b]!.evidence!['shortcut']!.leads)) for (const iv of list) for (let s = iv.onset; s <= iv.offset; s++) marked.add(s);
      seq.forEach((k, s) => {
        all.set(k, (all.get(k) ?? 0) + 1);
        nAll++;
        if (marked.has(s)) (onArt.set(k, (onArt.get(k) ?? 0) + 1), nArt++);
      });
    });
    return Math.max(...[...onArt.entries()].map(([k, v]) => (v / nArt) / ((all.get(k) ?? 1) / nAll)));
  };
  const tlc = useTlc ? trapRes.layers.map((layer, g) => {
    const tr = enrichment(trapRes.tlcClusters[g]!), cl = enrichment(cleanRes.tlcClusters[g]!);
    return { layer, trap: tr, clean: cl, reveals: tr >= 3 && tr >= 2 * cl };
  }) : undefined;
  return {
    label: t.label, fraction: t.fraction, trapModel: { auroc: auc.macro, aurocPerClass: auc.perClass }, ecgs: trapped.map((e) => e.meta.recordId), timeShare, reliance: rel, methods: rows, ...(tlc ? { tlc } : {}),
    rule: 'a method reveals the shortcut when, on the trapped ECGs, its share of |attribution| on the artefact is at least 3 times the artefact\'s time share and at least twice what the same method puts there for the model trained without the trap; TLC when one cluster is at least 3 times (and twice the clean model\'s) over-represented on the artefact\'s samples',
  };
}

/** Runs the benchmark; OUT holds the data and trained runs (the caller writes the report and results). */
export async function runBenchmark(c: BenchmarkConfig, out: string, o: BenchmarkRunOptions = {}): Promise<BenchmarkResult> {
  checkBenchmarkConfig(c);
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const reuse = o.reuse === true;
  const timings: Record<string, number> = {};
  const stage = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    log(`benchmark: ${name}`);
    const v = await f();
    timings[name] = (performance.now() - t0) / 1000;
    log(`benchmark: ${name} done in ${timings[name]!.toFixed(1)} s`);
    return v;
  };
  const dataDir = join(out, 'data');
  const ds = await stage('synthetic database', () => synthTo(dataDir, c, reuse));
  const test: Record<string, Ecg[]> = {};
  const testAll = await load(ds, () => true, Number.MAX_SAFE_INTEGER, [1]);
  for (const cls of c.classes) test[cls] = testAll.filter((e) => !evidenceIsEmpty(e.evidence?.[cls])).slice(0, c.perClass);
  const fitEcgs = await load(ds, () => true, c.tlc.fitEcgs, [3, 4, 5, 6, 7, 8, 9, 10]);

  const models: ModelInfoRow[] = [];
  const carded: { spec: BenchmarkModel; model: CardedModel }[] = [];
  await stage('models', async () => {
    for (const m of c.models) {
      const { file, source } = await modelFile(m, c, dataDir, out, reuse, log);
      const model = loadCardedModel(file);
      const auc = await testAuroc(model, testAll, c.threads);
      models.push({ name: m.name, kind: m.kind, source, card: describeCard(model.card), auroc: auc.macro, aurocPerClass: auc.perClass, testEcgs: testAll.length, file });
      carded.push({ spec: m, model });
      log(`  ${m.name}: test macro AUROC ${auc.macro.toFixed(3)} (${Object.entries(auc.perClass).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')})`);
    }
  });

  const sets: ScoreSet[] = [];
  const artifacts: BenchmarkResult['artifacts'] = { beats: [] };
  await stage('explain and score', async () => {
    for (const [i, { spec, model }] of carded.entries()) {
      const tlc = c.methods.includes('tlc') ? await fitModelTlc(model, fitEcgs, c) : undefined;
      const r = await scoreModel(spec.name, model, c, test, tlc, i === 0, log, spec.kind === 'untrained' ? spec.perClass ?? c.perClass : c.perClass);
      sets.push(...r.sets);
      if (r.example) artifacts.example = r.example;
      artifacts.beats.push(...r.beats);
    }
  });
  const board = leaderboard(sets);
  const trained = new Set(c.models.filter((m) => m.kind !== 'untrained').map((m) => m.name));
  // TLC's cluster row chooses its cluster with half of the masks: an upper bound for TLC, not a method that sees no mask; it is not ranked.
  const methodNames = [...new Set(board.map((r) => r.method))].filter((m) => !Object.values(REFERENCES).includes(m as never) && m !== TLC_CLUSTER_ROW);
  const ranking = methodNames.map((method) => {
    const rows = board.filter((r) => r.method === method && trained.has(r.model));
    const avg = (k: ScoreName): number => rows.reduce((a, r) => a + r.summary[k].mean, 0) / Math.max(1, rows.length);
    return { method, massAccuracy: avg('massAccuracy'), auroc: avg('auroc'), models: rows.length };
  }).sort((a, b) => b.massAccuracy - a.massAccuracy);

  const result: BenchmarkResult = { config: c, models, scores: sets, leaderboard: board, ranking, timings, skipped: {}, artifacts };
  if (c.shortcut) result.trap = await stage('shortcut trap', () => runTrap(c, out, carded[0]!, ds, reuse, log));
  const main = carded[0]!;
  if (c.stability) {
    const st = c.stability;
    result.stability = await stage('stability under noise', async () => {
      const rows: StabilityRow[] = [];
      const ex = await makeExplainers(main.model, c, c.methods.includes('tlc') ? await fitModelTlc(main.model, fitEcgs, c) : undefined);
      try {
        for (const cls of c.classes) {
          const ecgs = test[cls]!.slice(0, st.perClass);
          if (!ecgs.length) continue;
          const clean = await explainRecords(main.model, ecgs, { methods: c.methods, explainers: ex.main, target: cls, seed: c.seed, progress: false });
          await clean.model.release();
          const part = await noiseStability(main.model, ecgs, clean, { seed: c.seed }, { noises: st.noises, seed: c.seed, explainers: ex.main, ...(c.threads !== undefined ? { threads: c.threads } : {}) });
          for (const p of part) {
            const prev = rows.find((x) => x.method === p.method && x.measure === p.measure && x.noise.type === p.noise.type && x.noise.snrDb === p.noise.snrDb);
            if (prev) prev.values.push(...p.values);
            else rows.push({ ...p, values: [...p.values] });
          }
        }
      } finally {
        await releaseAll(ex);
      }
      for (const r of rows) r.mean = meanCi(r.values).mean;
      return { model: main.spec.name, rows };
    });
  }
  if (c.probes) {
    const pr = c.probes;
    result.probes = await stage('what-if probes', async () => {
      const norm = (await load(ds, (e) => (e.meta.labels ?? []).includes('NORM'), pr.ecgs, [1]));
      const out2: { model: string; result: WhatIfResult }[] = [];
      for (const [i, { spec, model }] of carded.entries()) {
        if (spec.kind === 'untrained') continue;
        const methods = i === 0 ? pr.methods.filter((m) => m !== 'tlc') : [];
        const ex = i === 0 ? await makeExplainers(model, { ...c, methods }, undefined) : undefined;
        try {
          out2.push({ model: spec.name, result: await whatIfProbes(model, norm, { edits: pr.edits, waves: 'annotations', methods, options: c.options, seed: c.seed, ...(ex ? { explainers: ex.main } : {}), ...(c.threads !== undefined ? { threads: c.threads } : {}) }) });
        } finally {
          if (ex) await releaseAll(ex);
        }
      }
      return out2;
    });
  }
  return result;
}

/** results.json: the result without the report-only artifacts. */
export function benchmarkJson(r: BenchmarkResult, versions: Record<string, string>): unknown {
  const { artifacts: _a, ...rest } = r;
  return { ...rest, versions };
}

