import type { Command } from './command.js';
import { numberOption, parseCommandArgs, threadsOption } from './command.js';
import { startApp } from '../viz/app/index.js';

const usage = `Usage: ecgx serve (--run RUNDIR | --model M.onnx --data DIR) [--tlc TLC.json] [--port P] [--host 127.0.0.1]

A local web app to look at a model's explanations:
  - browse and filter the records by true label and by prediction;
  - pick attribution methods (several: side by side) and the target class;
    explanations are computed on demand and cached;
  - zoom (buttons, mouse wheel) and pan (drag, arrows) in time; 12x1, 3x4+II or one lead;
  - hover to read time, amplitude, TLC cluster and entropy, and the attribution;
  - open a record from your disk: upload its WFDB .hea + .dat pair (at most 16 MiB).

With --run, each record is shown with the checkpoint of its test fold and its
prediction from predictions.csv; TLC overlays (--tlc) appear on the records of
the fold whose checkpoint the TLC was fitted on. With --model/--data, every
record of the dataset (at most --max-records) is predicted at start-up.

Options:
  --run RUNDIR        a run written by ecgx train
  --model M.onnx      a checkpoint written by ecgx train (with --data)
  --data DIR          a dataset folder (with --model)
  --tlc TLC.json      a fitted TLC (ecgx tlc fit)
  --store STORE       an explanation store (ecgx ... --store, merged shards): the cohort views
                      (ROC, confusion) are drawn over every ECG it holds
  --port P            port (default 8080; 0: any free port)
  --host H            address to bind (default 127.0.0.1, this machine only)
  --max-records N     with --data: records listed (default 2000)
  --threads N         onnxruntime threads (1-256)
Stop it with Ctrl-C.
`;

const command: Command = {
  summary: 'local web app: records, explanations on demand, zoom, hover, uploads',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('serve', argv, {
      run: { type: 'string' }, model: { type: 'string' }, data: { type: 'string' }, tlc: { type: 'string' },
      port: { type: 'string' }, host: { type: 'string' }, 'max-records': { type: 'string' }, threads: { type: 'string' }, store: { type: 'string' },
    });
    const port = numberOption('--port', values.port, { integer: true, min: 0, max: 65535 }) ?? 8080;
    const maxRecords = numberOption('--max-records', values['max-records'], { integer: true, min: 1 });
    const threads = threadsOption(values.threads);
    const app = await startApp({
      port, host: values.host ?? '127.0.0.1',
      ...(values.run !== undefined ? { run: values.run } : {}), ...(values.model !== undefined ? { model: values.model } : {}),
      ...(values.data !== undefined ? { data: values.data } : {}), ...(values.tlc !== undefined ? { tlc: values.tlc } : {}),
      ...(maxRecords !== undefined ? { maxRecords } : {}), ...(threads !== undefined ? { threads } : {}), ...(values.store !== undefined ? { store: values.store } : {}),
    });
    process.stdout.write(`ecgx serve: ${app.session.records.size} records at ${app.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void app.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    process.stderr.write('ecgx serve: stopped\n');
    return 0;
  },
};

export default command;
