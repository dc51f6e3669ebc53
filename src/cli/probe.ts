import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from './command.js';
import { numberOption, parseCommandArgs, required, threadsOption } from './command.js';
import { OptionError } from '../util/errors.js';
import { checkOutput, writeFileAtomic } from '../util/atomic-write.js';
import { formatProbe, probeEncoder, type ProbeOptions } from '../pretrain/probe.js';
import { versions } from '../train/run.js';
import { fineTuneEncoder } from '../pretrain/finetune.js';

const usage = `Usage: ecgx probe --encoder ENC.onnx --data DIR --task TASK [options]

Linear probe (ridge on standardised frozen embeddings) of a pretrained
encoder, scored by macro AUROC:
  in-distribution  K-fold cross-validation on --data (folds by patient, stratified)
  --test DIR,...   trained on all of --data, tested on each other dataset (OOD)
Label efficiency: --fraction 0.01,0.1,1 subsamples the training part
(seeded; fractions below 1 are drawn --repeats times).

Options:
  --encoder ENC.onnx   encoder written by 'ecgx pretrain'
  --data DIR           labelled dataset to fit the probe on
  --task TASK          label set (superclass, rhythm, ...) or label names ('MI,HYP')
  --test DIR[,DIR...]  datasets to test on out of distribution (same label names)
  --fraction F[,F...]  label fractions (default 1)
  --folds K            cross-validation folds, 2-100 (default 5)
  --repeats R          draws per fraction below 1, 1-1000 (default 5)
  --alpha A            ridge penalty (default 1)
  --seed S             seed of folds and subsamples (default 1)
  --max-records N      first N records of each dataset
  --threads N          onnxruntime threads (1-256)
  --finetune EPOCHS    (1-10000) also fine-tune the whole network (trunk from the encoder, new head) and the same
                       architecture from random initialisation, on one stratified split (fold 1 of 5
                       tests), for each --fraction, with the optimizer steps of EPOCHS epochs over the
                       full training part (smaller fractions get more passes)
  --out FILE.json      also write the result (with versions) as JSON
  --force              replace an existing FILE.json
`;

const command: Command = {
  summary: 'linear probe of a pretrained encoder (in-distribution CV, OOD datasets, label fractions)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('probe', argv, {
      encoder: { type: 'string' }, data: { type: 'string' }, task: { type: 'string' }, test: { type: 'string' }, fraction: { type: 'string' },
      folds: { type: 'string' }, repeats: { type: 'string' }, alpha: { type: 'string' }, seed: { type: 'string' }, 'max-records': { type: 'string' },
      threads: { type: 'string' }, out: { type: 'string' }, finetune: { type: 'string' }, force: { type: 'boolean' },
    });
    const encoder = resolve(required('--encoder', values.encoder));
    if (!existsSync(encoder)) throw new OptionError('--encoder', `${encoder} does not exist`);
    const data = required('--data', values.data);
    const policy = { force: values.force === true };
    if (values.out !== undefined) checkOutput(values.out, 'file', policy); // before any work
    const o: ProbeOptions = { task: required('--task', values.task) };
    if (values.test !== undefined) o.test = values.test.split(',').map((s) => s.trim()).filter((s) => s);
    if (values.fraction !== undefined) o.fractions = values.fraction.split(',').map((s) => numberOption('--fraction', s, { min: 1e-9, max: 1 })!);
    const set = <K extends keyof ProbeOptions>(k: K, v: ProbeOptions[K] | undefined): void => {
      if (v !== undefined) o[k] = v;
    };
    set('folds', numberOption('--folds', values.folds, { integer: true, min: 2, max: 100 }));
    set('repeats', numberOption('--repeats', values.repeats, { integer: true, min: 1, max: 1000 }));
    set('alpha', numberOption('--alpha', values.alpha, { min: 1e-12 }));
    set('seed', numberOption('--seed', values.seed, { integer: true, min: 0 }));
    set('maxRecords', numberOption('--max-records', values['max-records'], { integer: true, min: 1 }));
    set('threads', threadsOption(values.threads));
    const ftEpochs = numberOption('--finetune', values.finetune, { integer: true, min: 1, max: 10_000 });
    const result = await probeEncoder(encoder, data, o);
    if (ftEpochs !== undefined) {
      const { test: _t, folds: _f, repeats: _r, alpha: _a, ...common } = o;
      result.rows.push(...(await fineTuneEncoder(encoder, data, { ...common, epochs: ftEpochs, log: (l) => process.stderr.write(l + '\n') })));
    }
    process.stdout.write(formatProbe(result) + '\n');
    if (values.out !== undefined) writeFileAtomic(resolve(values.out), JSON.stringify({ encoder, data: resolve(data), options: o, versions: versions(), ...result }, null, 2), policy);
    return 0;
  },
};

export default command;
