import type { Command } from './command.js';
import { parseCommandArgs, threadsOption } from './command.js';
import { OptionError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import type { Ecg } from '../data/ecg.js';
import { openPredictor, type Prediction } from '../models/predict.js';
import { SOURCE_FLAGS, SOURCE_HELP, openModelSource } from './model-input.js';
import { checkOutput } from '../util/atomic-write.js';
import { resolve } from 'node:path';
import { predictionRows } from '../explain/store/index.js';
import { STORE_FLAG, storeLine, writeSourceStore } from './store-output.js';

const usage = `Usage: ecgx predict --model MODEL.onnx (--data DIR [--records IDS] [--shard I/N] | --record PATH) [--json] [--threads N]
                    [--store --out DIR [--force]]

Runs a model on records through its card (sampling rate, leads, preprocessing,
crop/pad or sliding windows with their aggregation) and prints one row per
record: the probability of each class, or the predicted value (e.g. age in
years). Works the same on ecgx checkpoints and on carded PyTorch exports.

Options:
${SOURCE_HELP}  --json            JSON lines: {"record": ID, "classes": [...], "scores": [...], "windows": N}
  --threads N       onnxruntime threads (1-256)
  --store --out DIR write the predictions as a store (tables records and scores; see 'ecgx query
                    --help') instead of printing them; shards go together with 'ecgx merge'
  --force           replace an existing store DIR that ecgx wrote
`;

const command: Command = {
  summary: 'predict with a model (ecgx checkpoint or carded ONNX) on a dataset or a record',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('predict', argv, { ...SOURCE_FLAGS, json: { type: 'boolean' }, threads: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, ...STORE_FLAG });
    if ((values.store === true) !== (values.out !== undefined)) throw new OptionError(values.store ? '--store' : '--out', values.store ? 'needs --out DIR (the store folder)' : 'goes with --store (predict prints its rows otherwise)');
    const out = values.out === undefined ? undefined : resolve(values.out);
    if (out) checkOutput(out, 'folder', { force: values.force === true });
    if (values.input !== undefined) throw new OptionError('--input', "predict runs on records (--data or --record); for tensors use 'ecgx model run'");
    const threads = threadsOption(values.threads);
    const src = await openModelSource(values);
    if (src.kind !== 'records') throw new OptionError('--data', 'give --data DIR or --record PATH');
    const predictor = await openPredictor(src.model, { ...(threads !== undefined ? { threads } : {}), ...(src.leadMap ? { leadMap: src.leadMap } : {}) });
    const kept: Prediction[] = [];
    const print = (ps: Prediction[]): void => {
      if (out) {
        kept.push(...ps);
        return;
      }
      for (const p of ps) {
        for (const w of p.warnings) process.stderr.write(`ecgx: warning: ${w}\n`);
        process.stdout.write(values.json
          ? JSON.stringify({ record: p.id, classes: Object.keys(p.values), scores: Object.values(p.values), windows: p.windows }) + '\n'
          : `${p.id}\t${Object.entries(p.values).map(([c, v]) => `${c}=${v.toFixed(4)}`).join('\t')}\n`);
      }
    };
    try {
      const bar = new Progress({ label: 'predict', total: src.ids.length, unit: 'ECG' });
      let chunk: Ecg[] = [];
      for await (const ecg of src.records()) {
        chunk.push(ecg);
        if (chunk.length === 64) {
          print(await predictor.predict(chunk));
          bar.tick(chunk.length);
          chunk = [];
        }
      }
      if (chunk.length) print(await predictor.predict(chunk));
      bar.finish();
      if (out) {
        for (const w of kept.flatMap((p) => p.warnings)) process.stderr.write(`ecgx: warning: ${w}\n`);
        const rows = predictionRows(kept, src.model.card, (id) => src.info?.get(id));
        process.stdout.write(storeLine(await writeSourceStore(out, src, 'predict', {}, rows, { force: values.force === true }), out));
      }
      return 0;
    } finally {
      await predictor.release();
    }
  },
};

export default command;
