import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from './command.js';
import { numberOption, parseCommandArgs, required, threadsOption } from './command.js';
import { OptionError } from '../util/errors.js';
import { checkOutput, writeDirAtomic } from '../util/atomic-write.js';
import { encodeNpy } from '../util/npy.js';
import { Progress } from '../util/progress.js';
import { formatCsv } from '../data/datasets/csv.js';
import { embedDataset } from '../pretrain/embed.js';
import { parseShard } from '../data/shard.js';

const usage = `Usage: ecgx embed --model ENC.onnx --data DIR --out EMBDIR [--max-records N] [--shard I/N] [--threads N] [--force]

Embeds every record of a dataset with a pretrained encoder (from 'ecgx
pretrain'), preprocessed as the encoder's metadata says. Writes
EMBDIR/embeddings.npy (float32 [N, F]) and EMBDIR/ids.csv (record_id,
patient_id, cohort, one row per embedding row). EMBDIR appears when complete.

Options:
  --max-records N   first N records
  --shard I/N       only shard I (0 to N-1) of those records: the ones whose id hashes to I (as in
                    'ecgx explain --shard'); the N shards' ids.csv together list every record once
  --threads N       onnxruntime threads (1-256)
  --force           replace an existing EMBDIR that ecgx wrote (it holds a .ecgx marker file)
`;

const command: Command = {
  summary: 'embeddings of a dataset by a pretrained encoder (.npy + ids)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('embed', argv, {
      model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, 'max-records': { type: 'string' }, threads: { type: 'string' }, force: { type: 'boolean' }, shard: { type: 'string' },
    });
    const shard = values.shard === undefined ? undefined : parseShard(values.shard);
    const model = resolve(required('--model', values.model));
    const data = required('--data', values.data);
    const out = resolve(required('--out', values.out));
    if (!existsSync(model)) throw new OptionError('--model', `${model} does not exist`);
    checkOutput(out, 'folder', { force: values.force === true }); // before embedding anything
    const maxRecords = numberOption('--max-records', values['max-records'], { integer: true, min: 1 });
    const threads = threadsOption(values.threads);
    const bar = new Progress({ label: 'embed', unit: 'ECG' });
    let last = 0;
    const e = await embedDataset(model, data, { ...(shard ? { shard } : {}), ...(maxRecords !== undefined ? { maxRecords } : {}), ...(threads !== undefined ? { threads } : {}), onBatch: (d) => { bar.tick(d - last); last = d; } });
    bar.finish();
    await writeDirAtomic(out, (tmp) => {
      writeFileSync(join(tmp, 'embeddings.npy'), encodeNpy(e.values));
      writeFileSync(join(tmp, 'ids.csv'), formatCsv([['record_id', 'patient_id', 'cohort'], ...e.records.map((r) => [r.id, r.meta.patientId ?? '', r.meta.cohort ?? ''])]));
    }, { force: values.force === true });
    process.stdout.write(`wrote ${e.values.shape[0]} embeddings of size ${e.values.shape[1]} to ${out}\n`);
    return 0;
  },
};

export default command;
