/** `ecgx merge`: shard stores -> one store (explain/store/store.ts mergeStores). */
import { resolve } from 'node:path';
import type { Command } from './command.js';
import { parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { checkOutput } from '../util/atomic-write.js';
import { mergeStores } from '../explain/store/index.js';
import { storeLine } from './store-output.js';

const usage = `Usage: ecgx merge OUT SHARD_STORE... [--force] [--json]

Combines the stores of the shards of one cohort (written by 'ecgx explain
--store --shard I/N', 'ecgx tlc explain --store --shard I/N' or 'ecgx predict
--store --shard I/N') into one store OUT, whose tables are the same, byte for
byte in their data, as one run over the whole cohort would write. Refuses,
before writing anything:
  - stores of another store version, ecgx or onnxruntime version, model (its bytes),
    command, config (methods, options, target, seed, the TLC), or selection of records;
  - a shard given twice, a missing shard (it names which: rerun it alone with
    --shard I/N), a record in two shards, a shard with fewer records than it had.
Merged stores merge again (e.g. per-node merges, then one).

Options:
  --force   replace an existing OUT that ecgx wrote (it holds a .ecgx marker file)
  --json    print OUT's store.json
`;

const command: Command = {
  summary: 'merge shard stores (ecgx explain/tlc explain/predict --store --shard I/N) into one store',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('merge', argv, { force: { type: 'boolean' }, json: { type: 'boolean' } });
    const [out, ...shards] = positionals;
    if (out === undefined || shards.length === 0) throw new OptionError('merge', "expected OUT and at least one shard store (see 'ecgx merge --help')");
    const dest = resolve(out);
    if (shards.some((s) => resolve(s) === dest)) throw new OptionError('merge', `OUT ${dest} is also given as a shard; merge into a new folder`);
    checkOutput(dest, 'folder', { force: values.force === true });
    const m = await mergeStores(dest, shards, { force: values.force === true });
    process.stdout.write(values.json ? JSON.stringify(m) + '\n' : `merged ${shards.length} store(s): ${storeLine(m, dest)}`);
    return 0;
  },
};

export default command;
