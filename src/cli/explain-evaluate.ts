/**
 * `ecgx explain evaluate`: explains the ECGs with each method, then measures
 * the explanations (explain/metrics/evaluate.ts). Writes DIR/metrics.json and
 * DIR/metrics.md at once (atomic folder).
 */
import { resolve, join } from 'node:path';
import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { versions } from '../train/run.js';
import { evaluateExplanations, metricsMarkdown, WAVE_SOURCES } from '../explain/index.js';
import { METHOD_FLAGS, flagged, methodFlagsHelp, methodPlan } from './method-flags.js';
import { SOURCE_FLAGS, SOURCE_HELP, openModelSource } from './model-input.js';
import { runExplain, writeJson } from './explain-run.js';
import { noiseStability, stabilityMarkdown } from '../explain/metrics/stability.js';
import { parseNoiseList } from '../data/synth/noise-snr.js';
import type { Ecg } from '../data/ecg.js';

const usage = `Usage: ecgx explain evaluate --model M.onnx (--data DIR [--records ID,...] | --record PATH | --input X.npy)
                             --method METHOD[,METHOD...] [--target T] [method options as for 'ecgx explain']
                             [--waves annotations|delineate|none] [--curve-steps N]
                             [--randomization [--stages N]] [--sensitivity] [--noise TYPE:SNR,...]
                             [--out DIR [--force]] [--json]

Explains the ECGs with each method and measures the explanations on the model's
own inputs (each window of a windowed model):
  faithfulness  deletion and insertion curves of the target's probability as the most-attributed
                samples are set to 0 (deletion AUC: lower is better; insertion AUC: higher is better)
  waves         share of |attribution| in P, QRS, T and other, next to the share of time they take
                (enrichment = mass share / time share); waves from the records' annotations
                (moved through the model card's preprocessing and windows) or from 'ecgx delineate'
                run on each model input at the model's sampling rate
  robustness    captum's infidelity (perturbations N(0, 0.01^2); reported normalized, raw in metrics.json)
                and, with --sensitivity, captum's max-sensitivity (each method re-run on 10 copies
                perturbed by U(-0.02, 0.02); lower is better)
  agreement     Spearman rank correlation of |attribution| between every pair of methods (mean over inputs)
  sanity        with --randomization: the cascading model-parameter randomisation of Adebayo et al.
                (2018), mean rank correlation with the trained model's map as layers are redrawn
                from the output down (a faithful method falls towards 0)
  stability     with --noise: each record explained again with recording noise of one kind at a
                stated SNR (baseline wander, EMG, powerline, electrode motion; added in mV before the
                card's preprocessing), same target: Spearman of |attribution| clean vs noisy per
                record, and for tlc the adjusted Rand index of its clusters (1: unchanged)
  references    a seeded random map's deletion/insertion AUC (the chance level to beat), and the
                target's score with the whole signal deleted: a warning when that barely changes it
                (mean change of the probability < 0.05: the model hardly uses its input)
Writes DIR/metrics.json (config, versions, per-input and mean values) and DIR/metrics.md.

Options:
${SOURCE_HELP}  --method LIST       comma-separated methods (aliases as in 'ecgx explain', e.g. ig)
${methodFlagsHelp()}  --waves SRC         annotations (default for records), delineate (default for --input with a
                      card's sampling rate), or none
  --curve-steps N     points of the deletion/insertion curves after the start, 1-1000 (default 20)
  --randomization     run the cascading randomisation sanity check (not for tlc)
  --stages N          randomise only the N layers nearest the output (default all)
  --sensitivity       measure captum's max-sensitivity of each method (10 more explain runs each)
  --noise LIST        stability under noise: TYPE:SNR_DB items, TYPE baseline|emg|powerline|motion
                      (or bw|ma|pl|em), SNR -20..60 dB, e.g. baseline:6,emg:6,powerline:6,motion:6
                      (one more explain run per item; records only)
  --out DIR           output folder (default: explain-metrics)
  --force             replace an existing DIR that ecgx wrote (it holds a .ecgx marker file)
  --json              print metrics.json to stdout
`;

const command: Command = {
  summary: 'metrics of attributions: deletion/insertion AUC, infidelity, max-sensitivity, wave mass, agreement between methods, randomisation sanity',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('explain evaluate', argv, {
      ...SOURCE_FLAGS, ...METHOD_FLAGS,
      waves: { type: 'string' }, 'curve-steps': { type: 'string' }, randomization: { type: 'boolean' }, stages: { type: 'string' }, sensitivity: { type: 'boolean' }, noise: { type: 'string' },
      out: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' },
    });
    const v = values as Record<string, string | undefined>;
    const plan = methodPlan(values);
    const waves = choiceOption('--waves', v['waves'], WAVE_SOURCES);
    const curveSteps = numberOption('--curve-steps', v['curve-steps'], { integer: true, min: 1, max: 1000 }) ?? 20;
    const stages = numberOption('--stages', v['stages'], { integer: true, min: 1 });
    if (stages !== undefined && !values.randomization) throw new OptionError('--stages', 'needs --randomization');
    if (values.randomization && plan.methods.includes('tlc')) throw new OptionError('--randomization', 'does not apply to tlc (its clusters are fitted on the trained model); leave tlc out of --method');
    if (waves === 'annotations' && v['input'] !== undefined) throw new OptionError('--waves', "--input tensors carry no annotations; use --waves delineate (needs the model's sampling rate) or none");
    const noises = v['noise'] !== undefined ? parseNoiseList(v['noise']) : undefined;
    if (noises && v['input'] !== undefined) throw new OptionError('--noise', 'adds recording noise to records in mV; give --data or --record (not --input tensors)');
    const out = resolve(v['out'] ?? 'explain-metrics');
    checkOutput(out, 'folder', { force: values.force === true });

    const src = await openModelSource(values);
    const result = await runExplain(src, plan, v['target'], true);
    try {
      const m = await flagged(plan, () => evaluateExplanations(result, {
        ...(waves ? { waves } : {}), curveSteps, batchSize: plan.batchSize,
        ...(values.randomization ? { randomization: { methods: plan.methods, options: plan.options, seed: plan.seed, ...(stages !== undefined ? { stages } : {}), ...(plan.threads !== undefined ? { threads: plan.threads } : {}) } } : {}),
        ...(values.sensitivity ? { sensitivity: { methods: plan.methods, options: plan.options, seed: plan.seed, ...(plan.threads !== undefined ? { threads: plan.threads } : {}) } } : {}),
        infidelity: { seed: plan.seed },
      })).catch((e: unknown) => {
        if (e instanceof OptionError && e.option === 'waves') throw new OptionError('--waves', e.message.slice('waves: '.length));
        throw e;
      });
      const stability = noises && src.kind === 'records'
        ? await flagged(plan, async () => {
          const raw: Ecg[] = [];
          for await (const e of src.records()) raw.push(e);
          return noiseStability(src.model, raw, result, plan, { noises, seed: plan.seed, ...(plan.threads !== undefined ? { threads: plan.threads } : {}) });
        })
        : undefined;
      const index = result.attributions[0]!.target;
      const metrics = {
        model: src.modelPath,
        source: src.describe,
        records: result.records.map((r) => r.id),
        input: m.input,
        target: { index: index.index, ...(index.name ? { name: index.name } : {}) },
        config: {
          methods: plan.methods, options: plan.options, seed: plan.seed, waves: m.waves, curveSteps, curveBaseline: 0,
          correlation: 'spearman of |attribution|, mean over model inputs', randomization: values.randomization ? { stages: stages ?? 'all' } : false,
          infidelity: { samples: 10, sigma: 0.01 }, sensitivity: values.sensitivity ? { samples: 10, radius: 0.02 } : false,
        },
        methods: m.methods,
        correlation: m.correlation,
        ...(m.randomization ? { randomization: m.randomization } : {}),
        ...(stability ? { stability: { noise: noises, measures: 'spearman of |attribution| per record, clean vs noisy; ari of TLC clusters per model input', rows: stability } } : {}),
        baseline: m.baseline,
        versions: versions(),
      };
      await writeDirAtomic(out, (dir) => {
        writeJson(join(dir, 'metrics.json'), metrics);
        writeFileAtomic(join(dir, 'metrics.md'), metricsMarkdown(m) + (stability ? `\nStability under noise (Spearman of |attribution| clean vs noisy; TLC clusters: ARI):\n\n${stabilityMarkdown(stability)}` : ''));
      }, { force: values.force === true });
      if (values.json) process.stdout.write(JSON.stringify(metrics) + '\n');
      else process.stdout.write(`evaluated ${plan.methods.join(', ')} on ${result.records.length} ECG(s) -> ${out}\n`);
      if (m.baseline.wholeDeletion.warning) process.stderr.write(`ecgx: warning: ${m.baseline.wholeDeletion.warning}\n`);
      return 0;
    } finally {
      await result.model.release();
    }
  },
};

export default command;
