import { resolve } from 'node:path';
import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs, required, threadsOption } from './command.js';
import { checkOutput } from '../util/atomic-write.js';
import { writeReport } from '../viz/report/index.js';
import { explainerFactory } from '../explain/index.js';
import { OptionError } from '../util/errors.js';
import { openDataset } from '../data/datasets/registry.js';
import { DATA_FLAGS, DATA_FLAGS_USAGE, dataOptions } from './data-flags.js';

const optional = <K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));

const usage = `Usage: ecgx report (--run RUNDIR | --model M.onnx --data DIR [--labels FILE.csv ...]) [--tlc TLC.json] --out report.html [options]

Writes one self-contained HTML file (inline SVG, CSS and JS; no network
request, opens offline) about a run written by 'ecgx train', or about any
model with a card (a PyTorch export too) on a dataset whose labels name its
classes (its scores on every record; TLC's surrogate in --cv folds of the data):
  - model and data summary, test metrics per fold and mean ± std;
  - ROC curves per class and the confusion matrix (pooled test folds);
  - with --tlc (a TLC from 'ecgx tlc fit --run RUNDIR'): surrogate-forest and
    wave-alignment tables of the fold whose checkpoint the TLC was fitted on,
    cluster proportions and entropy by class, cluster prototypes, fidelity;
  - a gallery of test ECGs per class with the attribution of --method for
    that class, TLC cluster bands and the entropy trace;
  - the first example's lead II with several methods stacked, then TLC.

Options:
  --run RUNDIR           the run folder
  --model M.onnx         or: a model with its card ...
  --data DIR             ... and a dataset (with --labels FILE.csv and the other label flags below)
  --max-records N        only the first N records of --data
  --cv K                 with --model: folds of the TLC surrogate (default 5)
  --tlc TLC.json         a fitted TLC (adds the TLC sections and overlays)
  --out FILE             the HTML file (written atomically)
  --force                replace an existing FILE
  --method M             attribution method of the gallery (default gradcam)
  --examples N           example ECGs per class, 0-100 (default 2)
  --compare a,b,c        methods compared on the first example, lead II (default
                         gradcam,saliency,integrated-gradients; 'none' for no comparison)
  --waves W              annotations (default) | delineate: waves for the TLC alignment
  --threads N            onnxruntime threads (1-256)
  --store STORE          an explanation store (ecgx explain|tlc explain|predict --store, or merged
                         shards): adds cohort views over every ECG it holds

${DATA_FLAGS_USAGE}`;

const command: Command = {
  summary: 'self-contained HTML report of a run (metrics, cohort views, TLC, example ECGs)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('report', argv, {
      run: { type: 'string' }, tlc: { type: 'string' }, out: { type: 'string' }, method: { type: 'string' },
      examples: { type: 'string' }, compare: { type: 'string' }, waves: { type: 'string' }, threads: { type: 'string' }, force: { type: 'boolean' },
      model: { type: 'string' }, data: { type: 'string' }, 'max-records': { type: 'string' }, cv: { type: 'string' }, store: { type: 'string' }, ...DATA_FLAGS,
    });
    if (values.run !== undefined && (values.model !== undefined || values.data !== undefined)) throw new OptionError('--run', 'give either --run RUNDIR or --model M.onnx with --data DIR, not both');
    const subject = values.run !== undefined ? values.run : {
      model: resolve(required('--model', values.model)),
      dataset: await openDataset(required('--data', values.data), dataOptions(values)),
      ...optional('cv', numberOption('--cv', values.cv, { integer: true, min: 2, max: 100 })),
      ...optional('maxRecords', numberOption('--max-records', values['max-records'], { integer: true, min: 1 })),
    };
    const out = resolve(required('--out', values.out));
    const force = values.force === true;
    checkOutput(out, 'file', { force });
    const method = values.method ?? 'gradcam';
    explainerFactory(method, '--method');
    const compare = values.compare === undefined ? undefined : values.compare === 'none' ? [] : values.compare.split(',').map((m) => m.trim()).filter(Boolean);
    for (const m of compare ?? []) explainerFactory(m, '--compare');
    const examples = numberOption('--examples', values.examples, { integer: true, min: 0, max: 100 });
    const waves = choiceOption('--waves', values.waves, ['annotations', 'delineate'] as const);
    const threads = threadsOption(values.threads);
    const bytes = await writeReport(subject, out, {
      method, ...(values.tlc !== undefined ? { tlc: values.tlc } : {}), ...(examples !== undefined ? { examplesPerClass: examples } : {}),
      ...(waves ? { waves } : {}), ...(compare ? { compare } : {}), ...(threads !== undefined ? { threads } : {}), ...(values.store !== undefined ? { store: resolve(values.store) } : {}), force,
    });
    process.stderr.write(`report (${(bytes / 1024).toFixed(0)} KiB) -> ${out}\n`);
    return 0;
  },
};

export default command;
