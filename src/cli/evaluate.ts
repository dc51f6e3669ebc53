import type { Command } from './command.js';
import { parseCommandArgs, required } from './command.js';
import { evaluateRun, formatRunEvaluation } from '../train/report.js';

const usage = `Usage: ecgx evaluate --run RUNDIR [--json]

Recomputes the test metrics of every fold of a run written by 'ecgx train' from
its RUNDIR/fold-K/predictions.csv, and prints one row per metric with one
column per fold and the mean ± std (sample standard deviation) over folds.
An unfinished run (RUNDIR.partial) shows the folds done so far.

Classification: auroc (macro over classes), auroc:<class>, fmax (sample-centred,
PTB-XL benchmark), accuracy and f1 (macro) at 0.5. Regression: mae, rmse, r2,
pearson, and mae_baseline (predicting the training mean).

Options:
  --run RUNDIR   the run folder
  --json         print the evaluation as JSON
`;

const command: Command = {
  summary: 'metrics of a training run over its folds (mean ± std)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('evaluate', argv, { run: { type: 'string' }, json: { type: 'boolean' } });
    const ev = evaluateRun(required('--run', values.run));
    process.stdout.write((values.json ? JSON.stringify(ev, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) : formatRunEvaluation(ev)) + '\n');
    return 0;
  },
};

export default command;
