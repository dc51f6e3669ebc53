import type { Command } from './command.js';
import { withResumeHint } from '../util/interrupt.js';
import { LIMITS, batchSizeOption, choiceOption, numberOption, parseCommandArgs, required, threadsOption } from './command.js';
import { OptionError } from '../util/errors.js';
import { hasPretrainProgress, pretrainRun, type PretrainConfig } from '../pretrain/run.js';
import type { BatchMode } from '../pretrain/sampler.js';
import type { PretrainMethod } from '../pretrain/encoder.js';
import { parseDataList } from './data-flags.js';

const usage = `Usage: ecgx pretrain --data DIR[,DIR...] --method contrastive|masked --epochs N --out RUNDIR [options]

Self-supervised pretraining of a 1D-ResNet encoder on unlabelled ECGs.
  contrastive  NT-Xent (temperature --temperature) between two ECGs of the same
               patient when the data has patient ids with several ECGs, else
               between two augmented views of one ECG (crop, scaling, noise,
               baseline wander, lead dropout, time masking)
  masked       masked-segment reconstruction (MSE on the masked samples only)
               by a light convolutional decoder on the last block
Batches: mixed (default: cohorts shuffled together) or idb (CAPE's
In-Distribution Batches: every batch from one cohort). With several --data
folders each folder is a cohort; with one, the records' cohort column.
Writes RUNDIR/encoder.onnx (output 'embedding', blocks block1..N, the
preprocessing in its metadata; use with 'ecgx embed' and 'ecgx probe'),
model.onnx (with head/decoder), pretrain.json (config, versions, per-epoch
loss). RUNDIR appears when done; RUNDIR.partial is resumed by --resume.
--epochs 0 writes the random initialisation (the baseline encoder).

Options:
  --data DIR[,DIR...]  dataset folders (PTB-XL, CODE-15%, LUDB, WFDB layouts)
  --method M           contrastive | masked
  --batches B          mixed (default) | idb
  --epochs N           epochs, 0-100000 (0: export the initialisation)
  --out RUNDIR         output folder
  --model SPEC         trunk (default resnet1d-small), e.g. 'resnet1d-small:filters=16,32,32,64'
                       (filters 1-4096 each, downsample 1-64 each, kernel 1-255)
  --batch-size B       records per batch, 2-4096 (default 32; contrastive batches hold 2B views)
  --lr LR              peak learning rate (> 0 and <= 10), cosine schedule with 1 warm-up epoch (default 1e-3)
  --temperature T      NT-Xent temperature (default 0.1)
  --mask-fraction F    masked: fraction of time masked, in 4 segments (default 0.3)
  --no-patient-pairs   contrastive: use augmented views even where patients have several ECGs
  --fs HZ              resample to HZ, 25-2000 (default: the first folder's rate)
  --length N           samples per lead, 16-100000 (default 10 s)
  --seed S             seed of initialisation, batches, augmentations and dropout (default 1)
  --max-records N      first N records of each folder
  --threads N          onnxruntime threads (1-256)
  --resume             continue RUNDIR.partial with its own config (give only --out, and --force if needed)
  --force              replace an existing RUNDIR (only one ecgx wrote: it holds a .ecgx marker file),
                       or start over from an interrupted RUNDIR.partial
`;

const command: Command = {
  summary: 'self-supervised pretraining of an ECG encoder (contrastive or masked, mixed or IDB batches)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('pretrain', argv, {
      data: { type: 'string' }, method: { type: 'string' }, batches: { type: 'string' }, epochs: { type: 'string' }, out: { type: 'string' },
      model: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, temperature: { type: 'string' },
      'mask-fraction': { type: 'string' }, 'no-patient-pairs': { type: 'boolean' }, fs: { type: 'string' }, length: { type: 'string' },
      seed: { type: 'string' }, 'max-records': { type: 'string' }, threads: { type: 'string' }, resume: { type: 'boolean' }, force: { type: 'boolean' },
    });
    const out = required('--out', values.out);
    let cfg: PretrainConfig;
    if (values.resume) {
      const other = Object.keys(values).filter((k) => !['out', 'resume', 'force', 'help'].includes(k));
      if (other.length) throw new OptionError(`--${other[0]}`, '--resume continues a run with its own config: give only --out RUNDIR (and --force to replace an existing RUNDIR)');
      cfg = { data: [], method: 'contrastive', batches: 'mixed', epochs: 0 }; // replaced by the interrupted run's config
    } else {
      const data = parseDataList(required('--data', values.data));
      cfg = {
        data,
        method: required('--method', choiceOption<PretrainMethod>('--method', values.method, ['contrastive', 'masked'])),
        batches: choiceOption<BatchMode>('--batches', values.batches, ['mixed', 'idb']) ?? 'mixed',
        epochs: required('--epochs', numberOption('--epochs', values.epochs, { integer: true, min: 0, max: LIMITS.epochs })),
      };
      const set = <K extends keyof PretrainConfig>(key: K, v: PretrainConfig[K] | undefined): void => {
        if (v !== undefined) cfg[key] = v;
      };
      set('model', values.model);
      set('batchSize', batchSizeOption(values['batch-size'], 2));
      set('lr', numberOption('--lr', values.lr, { above: 0, max: 10 }));
      set('temperature', numberOption('--temperature', values.temperature, { min: 1e-6 }));
      set('maskFraction', numberOption('--mask-fraction', values['mask-fraction'], { min: 0, max: 0.99 }));
      if (values['no-patient-pairs']) cfg.patientPairs = false;
      set('fs', numberOption('--fs', values.fs, { ...LIMITS.fs, unit: 'Hz' }));
      set('length', numberOption('--length', values.length, { integer: true, min: 16, max: LIMITS.length }));
      set('seed', numberOption('--seed', values.seed, { integer: true, min: 0 }));
      set('maxRecords', numberOption('--max-records', values['max-records'], { integer: true, min: 1 }));
      set('threads', threadsOption(values.threads));
    }
    // Ctrl-C: one line saying how to go on (every saved epoch is kept in RUNDIR.partial).
    const record = await withResumeHint('pretrain', out, hasPretrainProgress, Boolean(values.force), () => pretrainRun(cfg, out, { resume: Boolean(values.resume), force: Boolean(values.force) }));
    const last = record.history[record.history.length - 1];
    process.stdout.write(`${out}: ${record.config.method} pretraining, ${record.history.length} epoch(s)${last ? `, final loss ${last.loss.toFixed(4)}` : ''}; encoder ${out}/encoder.onnx\n`);
    return 0;
  },
};

export default command;
