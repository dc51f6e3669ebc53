import { resolve } from 'node:path';
import type { Command } from './command.js';
import { numberOption, parseCommandArgs, required, threadsOption } from './command.js';
import { OptionError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { openDataset } from '../data/datasets/registry.js';
import { readRecord } from '../data/wfdb/index.js';
import type { Ecg } from '../data/ecg.js';
import { openPredictor, type Prediction } from '../train/predict.js';

const usage = `Usage: ecgx predict --model MODEL.onnx (--data DIR | --record PATH) [--json] [--max-records N] [--threads N]

Runs a checkpoint written by 'ecgx train' on ECGs, preprocessed as its metadata
says (sampling rate, leads, length, filters), and prints one row per record:
the probability of each class, or the predicted value (e.g. age in years).

Options:
  --model FILE      the checkpoint (.onnx)
  --data DIR        every record of a dataset folder (PTB-XL, CODE-15%, LUDB, WFDB)
  --record PATH     one WFDB record (PATH or PATH.hea)
  --json            JSON lines: {"id": ..., "values": {"<class>": p, ...}}
  --max-records N   only the first N records of --data
  --threads N       onnxruntime threads (1-256)
`;

const command: Command = {
  summary: 'predict with a trained checkpoint on a dataset or a record',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('predict', argv, {
      model: { type: 'string' }, data: { type: 'string' }, record: { type: 'string' }, json: { type: 'boolean' },
      'max-records': { type: 'string' }, threads: { type: 'string' },
    });
    const model = resolve(required('--model', values.model));
    if ((values.data === undefined) === (values.record === undefined)) throw new OptionError('--data', 'give exactly one of --data DIR or --record PATH');
    const max = numberOption('--max-records', values['max-records'], { integer: true, min: 1 });
    const threads = threadsOption(values.threads);
    const predictor = await openPredictor(model, threads !== undefined ? { threads } : {});
    const print = (ps: Prediction[]): void => {
      for (const p of ps) {
        process.stdout.write(values.json ? JSON.stringify(p) + '\n' : `${p.id}\t${Object.entries(p.values).map(([c, v]) => `${c}=${v.toFixed(4)}`).join('\t')}\n`);
      }
    };
    try {
      if (values.record !== undefined) {
        print(await predictor.predict([readRecord(values.record).ecg]));
        return 0;
      }
      const ds = await openDataset(values.data!);
      const ids = ds.records().map((r) => r.id).slice(0, max ?? Infinity);
      const bar = new Progress({ label: 'predict', total: ids.length, unit: 'ECG' });
      let chunk: Ecg[] = [];
      for await (const ecg of ds.iterate(ids)) {
        chunk.push(ecg);
        if (chunk.length === 64) {
          print(await predictor.predict(chunk));
          bar.tick(chunk.length);
          chunk = [];
        }
      }
      print(await predictor.predict(chunk));
      bar.finish();
      return 0;
    } finally {
      await predictor.release();
    }
  },
};

export default command;
