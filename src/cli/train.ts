import type { Command } from './command.js';
import { withResumeHint } from '../util/interrupt.js';
import { LIMITS, batchSizeOption, choiceOption, foldsOption, numberOption, parseCommandArgs, required, threadsOption } from './command.js';
import { OptionError } from '../util/errors.js';
import { hasTrainProgress, trainRun, type TrainConfig } from '../train/run.js';
import type { LossKind } from '../train/graph.js';
import type { ScheduleKind } from '../train/optimizer.js';
import { DATA_FLAGS, DATA_FLAGS_USAGE, dataOptions } from './data-flags.js';

const usage = `Usage: ecgx train --data DIR --task TASK --model SPEC --epochs N --out RUNDIR [options]

Trains a model per test fold (k-fold: the test fold rotates, the next fold
validates, the others train), keeps each fold's best checkpoint by the
validation metric, and writes RUNDIR/run.json (config, versions, metrics per
fold, mean ± std) and RUNDIR/fold-K/{model.onnx,predictions.csv,metrics.json}.
RUNDIR appears only when every fold is done; until then the run lives in
RUNDIR.partial/, which --resume continues. Bad input (empty dataset, unknown
label, missing fold, a label without positives in a training fold, age on a
dataset without ages) is rejected before training starts.

Task:
  --task TASK         a label set of the dataset (superclass for PTB-XL; rhythm, axis, ... for LUDB),
                      'age' (regression), or label names: 'MI,HYP', or separated by ';' when a name
                      has a comma: 'Sinus rhythm;Atrial flutter, typical'
  --label NAME        a label name taken verbatim (repeatable; instead of --task)
  --min-positives N   keep only the classes with at least N positive records, e.g.
                      --labels cinc2020_labels.csv --task labels --min-positives 50
  --loss L            bce (multi-label, default), ce (multi-class: one label per record), mse|l1 (age)
  --balance           bce: per-class pos_weight = negatives / positives in the training part
Model and optimisation:
  --model SPEC        e.g. resnet1d, 'resnet1d-small:filters=16,32,32,64;kernel=9' (keys: filters, downsample, kernel, dropout, head)
                      filters 1-4096 each, downsample 1-64 each (at least one sample left), kernel 1-255
  --epochs N          epochs per fold (1-100000)
  --batch-size B      1-4096; default: the power of two nearest training ECGs / 100, within 8..64
                      (about 100 steps per epoch on small data)
  --lr LR             peak learning rate, > 0 and <= 10 (default: 4e-3 x sqrt(batch / 64), 2e-3 at a batch of 16)
  --weight-decay WD   AdamW decoupled weight decay on conv/linear weights (default 0.01)
  --clip NORM         clip the global gradient norm
  --schedule S        cosine (default; 1 warm-up epoch) | onecycle | constant
  --patience P        stop a fold after P epochs without a better validation metric
  --metric M          validation metric: auroc (default) | fmax | accuracy | f1; mae (age default) | rmse | r2 | pearson
Folds:
  --cv K              K folds (3-100): the dataset's own (PTB-XL strat_fold) when it has K, else stratified by ecgx
  --fold K[,K...]     run only these test folds (each once)
                      (made folds keep a patient's records together when the data gives patient ids;
                      without them, each record is its own patient and the run says so)
Preprocessing (stored in each checkpoint):
  --fs HZ             resample to HZ, 25-2000 (default: the dataset's rate)
  --length N          samples per lead, centre crop or zero-pad, 1-100000 (default 10 s)
  --bandpass LO,HI    zero-phase Butterworth band-pass, Hz
  --highpass HZ       zero-phase high-pass, Hz
  --standardize       per-lead z-score
Run:
  --out RUNDIR        output folder
  --seed S            seed of initialisation, shuffling, dropout and made folds (default 1)
  --threads N         onnxruntime threads (1-256)
  --max-records N     use only the first N records (quick runs)
  --cache-mb MB       keep preprocessed tensors in memory when they fit (default 1024)
  --resume            continue RUNDIR.partial with its own config (give only --out, and --force if needed)
  --force             replace an existing RUNDIR (only one ecgx wrote: it holds a .ecgx marker file),
                      or start over from an interrupted RUNDIR.partial

${DATA_FLAGS_USAGE}
`;

const command: Command = {
  summary: 'train and cross-validate a model (1D-ResNet) on a dataset',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('train', argv, {
      data: { type: 'string' }, task: { type: 'string' }, label: { type: 'string', multiple: true }, loss: { type: 'string' },
      balance: { type: 'boolean' }, model: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' },
      lr: { type: 'string' }, 'weight-decay': { type: 'string' }, clip: { type: 'string' }, schedule: { type: 'string' },
      patience: { type: 'string' }, metric: { type: 'string' }, cv: { type: 'string' }, fold: { type: 'string' },
      fs: { type: 'string' }, length: { type: 'string' }, bandpass: { type: 'string' }, highpass: { type: 'string' },
      standardize: { type: 'boolean' }, out: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' },
      'max-records': { type: 'string' }, 'cache-mb': { type: 'string' }, resume: { type: 'boolean' }, force: { type: 'boolean' },
      'min-positives': { type: 'string' }, ...DATA_FLAGS,
    });
    const out = required('--out', values.out);
    let cfg: TrainConfig;
    if (values.resume) {
      const other = Object.keys(values).filter((k) => !['out', 'resume', 'force', 'help'].includes(k));
      if (other.length) throw new OptionError(`--${other[0]}`, "--resume continues a run with its own config: give only --out RUNDIR (and --force to replace an existing RUNDIR)");
      cfg = { data: '', model: '', epochs: 1 }; // replaced by the interrupted run's own config
    } else {
      cfg = {
        data: required('--data', values.data),
        model: values.model ?? 'resnet1d',
        epochs: required('--epochs', numberOption('--epochs', values.epochs, { integer: true, min: 1, max: LIMITS.epochs })),
      };
      const data = dataOptions(values);
      if (data.labels !== undefined) cfg.labelTable = data.labels;
      if (data.dxMap !== undefined) cfg.dxMap = data.dxMap;
      if (values.task !== undefined) cfg.task = values.task;
      if (values.label !== undefined) cfg.labels = values.label;
      const loss = choiceOption<LossKind>('--loss', values.loss, ['bce', 'ce', 'mse', 'l1']);
      if (loss) cfg.loss = loss;
      if (values.balance) cfg.balance = true;
      const num = (flag: string, v: string | undefined, o: Parameters<typeof numberOption>[2] = {}): number | undefined => numberOption(flag, v, o);
      const set = <K extends keyof TrainConfig>(key: K, v: TrainConfig[K] | undefined): void => {
        if (v !== undefined) cfg[key] = v;
      };
      set('minPositives', num('--min-positives', values['min-positives'], { integer: true, min: 1 }));
      set('batchSize', batchSizeOption(values['batch-size']));
      set('lr', num('--lr', values.lr, { above: 0, max: 10 }));
      set('weightDecay', num('--weight-decay', values['weight-decay'], { min: 0 }));
      set('clip', num('--clip', values.clip, { min: 0 }));
      set('schedule', choiceOption<ScheduleKind>('--schedule', values.schedule, ['cosine', 'onecycle', 'constant']));
      set('patience', num('--patience', values.patience, { integer: true, min: 1 }));
      set('metric', values.metric);
      set('cv', num('--cv', values.cv, { integer: true, min: 3, max: 100 }));
      set('folds', foldsOption(values.fold));
      set('fs', num('--fs', values.fs, { ...LIMITS.fs, unit: 'Hz' }));
      set('length', num('--length', values.length, { integer: true, min: 1, max: LIMITS.length }));
      if (values.bandpass !== undefined) {
        const band = values.bandpass.split(',').map((s) => numberOption('--bandpass', s, { min: 0 })!);
        if (band.length !== 2) throw new OptionError('--bandpass', `expected LO,HI in Hz, got '${values.bandpass}'`);
        cfg.bandpass = [band[0]!, band[1]!];
      }
      set('highpass', num('--highpass', values.highpass, { min: 0 }));
      if (values.standardize) cfg.standardize = true;
      set('seed', num('--seed', values.seed, { integer: true, min: 0 }));
      set('threads', threadsOption(values.threads));
      set('maxRecords', num('--max-records', values['max-records'], { integer: true, min: 1 }));
      const mb = num('--cache-mb', values['cache-mb'], { min: 0 });
      if (mb !== undefined) cfg.cacheBytes = mb * 2 ** 20;
    }
    // Ctrl-C: one line saying how to go on (every saved epoch is kept in RUNDIR.partial).
    const record = await withResumeHint('train', out, hasTrainProgress, Boolean(values.force), () => trainRun(cfg, out, { resume: Boolean(values.resume), force: Boolean(values.force) }));
    const main = record.summary[record.metric];
    const spread = main && main.n > 1 ? ` ± ${main.std.toFixed(4)}` : '';
    process.stdout.write(`${out}: test ${record.metric} ${main ? main.mean.toFixed(4) : 'n/a'}${spread} over ${record.folds.length} fold(s)\n`);
    return 0;
  },
};

export default command;
