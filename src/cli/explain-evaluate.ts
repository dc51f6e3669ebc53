/**
 * `ecgx explain evaluate`: explains the ECGs with each method, then measures
 * the explanations (src/explain/metrics): deletion and insertion AUC
 * (faithfulness), attribution mass per wave against the time each wave takes,
 * the rank correlation between methods, and optionally the cascading
 * model-parameter randomisation (sanity). Writes DIR/metrics.json and
 * DIR/metrics.md at once (atomic folder).
 */
import { resolve, join } from 'node:path';
import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs } from './command.js';
import { DataError, OptionError } from '../util/errors.js';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { makeEcg, type Ecg, type WaveAnnotations } from '../data/ecg.js';
import { ecgDelineate } from '../delineate/delineate.js';
import { versions } from '../train/run.js';
import {
  ExplainModel, deletionCurve, waveMass, attributionCorrelation, cascadingRandomization, WAVE_REGIONS,
  type Attribution, type WaveRegion,
} from '../explain/index.js';
import type { NdArray } from '../util/npy.js';
import { METHOD_FLAGS, METHOD_FLAGS_HELP, SOURCE_FLAGS, SOURCE_HELP, methodPlan, openSource, parseTarget, runMethods, writeJson } from './explain.js';

const WAVE_SOURCES = ['annotations', 'delineate', 'none'] as const;
type WaveSource = (typeof WAVE_SOURCES)[number];

const usage = `Usage: ecgx explain evaluate --model M.onnx (--data DIR [--records ID,...] | --record PATH | --input X.npy)
                             --method METHOD[,METHOD...] [--target T] [method options as for 'ecgx explain']
                             [--waves annotations|delineate|none] [--curve-steps N]
                             [--randomization [--stages N]] [--out DIR [--force]] [--json]

Explains the ECGs with each method and measures the explanations:
  faithfulness  deletion and insertion curves of the target's probability as the most-attributed
                samples are set to 0 (deletion AUC: lower is better; insertion AUC: higher is better)
  waves         share of |attribution| in P, QRS, T and other, next to the share of time they take
                (enrichment = mass share / time share); waves from the records' annotations
                (mapped through the model's preprocessing) or from 'ecgx delineate' run on the
                model input at the model's sampling rate
  agreement     Spearman rank correlation of |attribution| between every pair of methods (mean over ECGs)
  sanity        with --randomization: the cascading model-parameter randomisation of Adebayo et al.
                (2018), mean rank correlation with the trained model's map as layers are redrawn
                from the output down (a faithful method falls towards 0)
Writes DIR/metrics.json (config, versions, per-ECG and mean values) and DIR/metrics.md.

Options:
${SOURCE_HELP}  --method LIST       comma-separated methods (aliases as in 'ecgx explain', e.g. ig)
${METHOD_FLAGS_HELP}  --waves SRC         annotations (default when every record has them), delineate, or none
                      (default for --input without a model sampling rate)
  --curve-steps N     points of the deletion/insertion curves after the start, 1-1000 (default 20)
  --randomization     run the cascading randomisation sanity check (not for tlc)
  --stages N          randomise only the N layers nearest the output (default all)
  --batch-size N      ECGs per explain call (default 32; 1-4096)
  --threads N         onnxruntime threads (1-256)
  --out DIR           output folder (default: explain-metrics)
  --force             replace an existing DIR that ecgx wrote (it holds a .ecgx marker file)
  --json              print metrics.json to stdout
`;

interface WaveSummary {
  ecgs: number;
  massShare: Record<WaveRegion, number>;
  timeShare: Record<WaveRegion, number>;
  enrichment: Record<WaveRegion, number>;
}

const command: Command = {
  summary: 'metrics of attributions: deletion/insertion AUC, wave mass, agreement between methods, randomisation sanity',
  usage,
  handlesHelp: true,
  async run(argv) {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(usage.trimEnd() + '\n');
      return 0;
    }
    const { values } = parseCommandArgs('explain evaluate', argv, {
      ...SOURCE_FLAGS, ...METHOD_FLAGS,
      waves: { type: 'string' }, 'curve-steps': { type: 'string' }, randomization: { type: 'boolean' }, stages: { type: 'string' },
      out: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' },
    });
    const plan = methodPlan(values);
    const wavesAsked = choiceOption('--waves', values.waves, WAVE_SOURCES);
    const curveSteps = numberOption('--curve-steps', values['curve-steps'], { integer: true, min: 1, max: 1000 }) ?? 20;
    const stages = numberOption('--stages', values.stages, { integer: true, min: 1 });
    if (stages !== undefined && !values.randomization) throw new OptionError('--stages', 'needs --randomization');
    if (values.randomization && plan.methods.includes('tlc')) throw new OptionError('--randomization', 'does not apply to tlc (its clusters are fitted on the trained model); leave tlc out of --method');
    const out = resolve(values.out ?? 'explain-metrics');
    checkOutput(out, 'folder', { force: values.force === true });

    const src = await openSource(values, plan.batchSize);
    const model = new ExplainModel(src.proto, plan.threads !== undefined ? { threads: plan.threads } : {});
    const target = parseTarget(values.target, model);
    const wavesFrom: WaveSource = wavesAsked ?? (values.input !== undefined ? (src.fs !== undefined ? 'delineate' : 'none') : 'annotations');
    if (wavesFrom === 'annotations' && values.input !== undefined) throw new OptionError('--waves', '--input tensors carry no annotations; use --waves delineate (needs the model\'s sampling rate) or none');
    if (wavesFrom === 'delineate' && src.fs === undefined) throw new OptionError('--waves', `delineate needs the model input's sampling rate, which ${src.modelPath} does not record; use --waves none`);

    const run = await runMethods(src, plan, target, true);
    const x = run.x!;
    const [n, leads, time] = x.shape as [number, number, number];
    const index = run.attributions[0]!.target.index;
    try {
      // Waves on the model's time axis, per ECG.
      let waves: WaveAnnotations[] | undefined;
      if (wavesFrom === 'annotations') {
        waves = run.ecgs.map((e, b) => {
          if (!e.waves || Object.keys(e.waves).length === 0) throw new DataError(`record ${src.ids[b]}: no wave annotations (use --waves delineate or --waves none)`);
          return e.waves;
        });
      } else if (wavesFrom === 'delineate') {
        waves = Array.from({ length: n }, (_, b) => ecgDelineate(modelInputEcg(x, b, src.fs!, run.ecgs[b], src.ids[b]!)).waves);
      }

      const methods = [];
      for (const a of run.attributions) {
        const del = await deletionCurve(model, x, a.values, index, 'deletion', { steps: curveSteps, batchSize: plan.batchSize });
        const ins = await deletionCurve(model, x, a.values, index, 'insertion', { steps: curveSteps, batchSize: plan.batchSize });
        methods.push({
          method: a.method,
          options: a.options,
          timing: a.timing,
          deletion: { meanAuc: del.meanAuc, auc: del.auc, fractions: del.fractions, meanCurve: meanRows(del.curves) },
          insertion: { meanAuc: ins.meanAuc, auc: ins.auc, fractions: ins.fractions, meanCurve: meanRows(ins.curves) },
          ...(waves ? { waves: waveSummary(a, waves, leadNames(run.ecgs, leads)) } : {}),
        });
      }
      const names = run.attributions.map((a) => a.method);
      const correlation = run.attributions.map((a) => run.attributions.map((b) => mean(attributionCorrelation(a.values, b.values, { absolute: true }))));

      let randomization: unknown;
      if (values.randomization) {
        randomization = [];
        for (const m of plan.methods) {
          const r = await cascadingRandomization(src.proto, x, {
            method: m, methodOptions: { ...plan.options[m], ...(plan.threads !== undefined ? { threads: plan.threads } : {}) }, target, seed: plan.seed,
            ...(stages !== undefined ? { maxStages: stages } : {}),
          });
          (randomization as unknown[]).push({ method: m, stages: r.stages.map((s) => ({ layer: s.layer, mean: s.mean, correlation: s.correlation })) });
        }
      }

      const metrics = {
        model: src.modelPath,
        source: src.source,
        records: src.ids,
        input: { shape: [n, leads, time], ...(src.fs !== undefined ? { fs: src.fs } : {}) },
        target: { requested: target, index, ...(run.attributions[0]!.target.name ? { name: run.attributions[0]!.target.name } : {}) },
        config: {
          methods: plan.methods, options: plan.options, seed: plan.seed, waves: wavesFrom, curveSteps, curveBaseline: 0,
          correlation: 'spearman of |attribution|, mean over ECGs', randomization: values.randomization ? { stages: stages ?? 'all' } : false,
        },
        methods,
        correlation: { methods: names, matrix: correlation },
        ...(randomization ? { randomization } : {}),
        versions: versions(),
      };
      await writeDirAtomic(out, (dir) => {
        writeJson(join(dir, 'metrics.json'), metrics);
        writeFileAtomic(join(dir, 'metrics.md'), markdown(metrics.methods, names, correlation, randomization as RandomizationRow[] | undefined));
      }, { force: values.force === true });
      if (values.json) process.stdout.write(JSON.stringify(metrics) + '\n');
      else process.stdout.write(`evaluated ${names.join(', ')} on ${n} ECG(s) -> ${out}\n`);
      return 0;
    } finally {
      await model.release();
    }
  },
};

export default command;

/** ECG b of the model input as a record at the model's rate, for the delineator. */
function modelInputEcg(x: NdArray, b: number, fs: number, pre: Ecg | undefined, id: string): Ecg {
  const [, leads, time] = x.shape as [number, number, number];
  const names = pre?.leads ?? (leads === 12 ? ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] : Array.from({ length: leads }, (_, i) => `lead${i + 1}`));
  return makeEcg({ signal: x.data.slice(b * leads * time, (b + 1) * leads * time), fs, leads: names, meta: pre?.meta ?? { recordId: id } });
}

function leadNames(ecgs: Ecg[], leads: number): string[] | undefined {
  const l = ecgs[0]?.leads;
  return l && l.length === leads ? [...l] : undefined;
}

function waveSummary(a: Attribution, waves: WaveAnnotations[], leads: string[] | undefined): WaveSummary {
  const [n, rows, time] = a.values.shape as [number, number, number];
  const mass = zeroRegions();
  const share = zeroRegions();
  for (let b = 0; b < n; b++) {
    // Waves fused over leads ('*') for a time-only map; per lead where the annotations have them.
    const w = waveMass(a.values.data.subarray(b * rows * time, (b + 1) * rows * time), [rows, time], waves[b]!, rows > 1 && leads ? { leads } : {});
    for (const k of WAVE_REGIONS) {
      mass[k] += w.massShare[k] / n;
      share[k] += w.timeShare[k] / n;
    }
  }
  const enrichment = zeroRegions();
  for (const k of WAVE_REGIONS) enrichment[k] = share[k] === 0 ? NaN : mass[k] / share[k];
  return { ecgs: n, massShare: mass, timeShare: share, enrichment };
}

function zeroRegions(): Record<WaveRegion, number> {
  return { P: 0, QRS: 0, T: 0, other: 0 };
}

function mean(v: readonly number[]): number {
  const f = v.filter(Number.isFinite);
  return f.length ? f.reduce((s, x) => s + x, 0) / f.length : NaN;
}

function meanRows(rows: number[][]): number[] {
  return rows[0]!.map((_, k) => rows.reduce((s, r) => s + r[k]!, 0) / rows.length);
}

interface RandomizationRow {
  method: string;
  stages: { layer: string; mean: number }[];
}

function markdown(
  methods: { method: string; deletion: { meanAuc: number }; insertion: { meanAuc: number }; waves?: WaveSummary }[],
  names: string[],
  corr: number[][],
  rnd: RandomizationRow[] | undefined,
): string {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '-');
  const lines = ['| method | deletion AUC (lower better) | insertion AUC (higher better) |', '|---|---|---|'];
  for (const m of methods) lines.push(`| ${m.method} | ${f(m.deletion.meanAuc)} | ${f(m.insertion.meanAuc)} |`);
  if (methods.some((m) => m.waves)) {
    lines.push('', '| method | ' + WAVE_REGIONS.map((k) => `${k} mass / time`).join(' | ') + ' |', '|---|' + WAVE_REGIONS.map(() => '---|').join(''));
    for (const m of methods) if (m.waves) lines.push(`| ${m.method} | ` + WAVE_REGIONS.map((k) => `${f(m.waves!.massShare[k])} / ${f(m.waves!.timeShare[k])}`).join(' | ') + ' |');
  }
  lines.push('', '| Spearman (abs) | ' + names.join(' | ') + ' |', '|---|' + names.map(() => '---|').join(''));
  names.forEach((a, i) => lines.push(`| ${a} | ` + corr[i]!.map(f).join(' | ') + ' |'));
  if (rnd) {
    lines.push('', '| randomised down to | ' + rnd.map((r) => r.method).join(' | ') + ' |', '|---|' + rnd.map(() => '---|').join(''));
    const depth = Math.max(...rnd.map((r) => r.stages.length));
    for (let s = 0; s < depth; s++) lines.push(`| ${rnd[0]!.stages[s]?.layer ?? s + 1} | ` + rnd.map((r) => f(r.stages[s]?.mean ?? NaN)).join(' | ') + ' |');
  }
  return lines.join('\n') + '\n';
}
