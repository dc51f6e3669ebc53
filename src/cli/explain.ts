/**
 * `ecgx explain`: attributions of a model's outputs for ECGs, every method
 * through explain/run.ts. Writes DIR/<method>.npy (record time) and
 * DIR/explain.json; `explain evaluate` is its sibling (explain-evaluate.ts).
 */
import { join, resolve } from 'node:path';
import type { Command } from './command.js';
import { parseCommandArgs } from './command.js';
import { writeNpy } from '../util/npy.js';
import { checkOutput, writeDirAtomic } from '../util/atomic-write.js';
import { EXPLAINERS, METHOD_ALIASES } from '../explain/index.js';
import { METHOD_FLAGS, methodFlagsHelp, methodPlan } from './method-flags.js';
import { SOURCE_FLAGS, SOURCE_HELP, openModelSource } from './model-input.js';
import { explainRecord, runExplain, writeJson } from './explain-run.js';
import { STORE_FLAG, STORE_HELP, explainStore, storeFlags, storeLine } from './store-output.js';

const usage = `Usage: ecgx explain --model M.onnx (--data DIR [--records ID,...] | --record PATH | --input X.npy)
                    --method METHOD[,METHOD...] [--target predicted|NAME|INDEX|regression]
                    [method options, below] [--shard I/N] [--store] [--out DIR [--force]] [--json]
       ecgx explain evaluate ...   (faithfulness, wave mass, agreement, sanity metrics; see 'ecgx explain evaluate --help')
       ecgx explain what-if ...    (ECGs edited as a disease would: dose-response; see 'ecgx explain what-if --help')

Explains a model's output for ECGs with attribution methods and writes
DIR/<method>.npy ([records, leads or 1, time], float32, in record time at the
card's sampling rate; NaN past the end of a shorter record) and DIR/explain.json
(the model card; per record its id, the preprocessing applied, the model's
scores, the resolved target, windows and warnings; the attributions' sampling
rate, time axis and units; the methods' options and timing; versions), enough
for 'ecgx plot RECORD --explain DIR' or a later analysis without the model. Records (--data, --record) go
through the model card: resampled, filtered, cropped, padded or cut into
windows as it says; a windowed model's window attributions are placed back in
record time (mean: averaged over windows; max: the top window's). --input
tensors are used as they are.

Options:
${SOURCE_HELP}  --method LIST       comma-separated; one of ${[...EXPLAINERS.keys()].join(', ')}
                      aliases: ${Object.entries(METHOD_ALIASES).map(([a, m]) => `${a} = ${m}`).join(', ')}
${methodFlagsHelp()}  --out DIR           output folder (default: explain)
${STORE_HELP}
  --force             replace an existing DIR that ecgx wrote (it holds a .ecgx marker file)
  --json              print explain.json to stdout
`;

const SUBCOMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  evaluate: () => import('./explain-evaluate.js'),
  'what-if': () => import('./explain-whatif.js'),
};

const command: Command = {
  summary: 'attribute a model\'s outputs to ECG samples (Grad-CAM, IG, saliency, ...); explain evaluate: metrics',
  usage,
  handlesHelp: true,
  async run(argv) {
    // Subcommands as `ecgx model` dispatches them: their own usage for --help.
    const load = SUBCOMMANDS[argv[0] ?? ''];
    const sub = load ? (await load()).default : undefined;
    const rest = sub ? argv.slice(1) : argv;
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write((sub ?? command).usage.trimEnd() + '\n');
      return 0;
    }
    if (sub) return sub.run(rest);
    const { values } = parseCommandArgs('explain', argv, { ...SOURCE_FLAGS, ...METHOD_FLAGS, out: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' }, ...STORE_FLAG });
    const plan = methodPlan(values);
    const sf = storeFlags(values);
    const out = resolve(values.out ?? 'explain');
    checkOutput(out, 'folder', { force: values.force === true });
    const src = await openModelSource(values);
    if (sf.store) {
      const m = await explainStore(out, src, plan, (values as Record<string, string | undefined>)['target'], { force: values.force === true }, sf.summariesOnly);
      process.stdout.write(values.json ? JSON.stringify(m) + '\n' : storeLine(m, out));
      return 0;
    }
    const result = await runExplain(src, plan, (values as Record<string, string | undefined>)['target']);
    await result.model.release();
    const record = explainRecord(src, plan, result);
    await writeDirAtomic(out, (dir) => {
      for (const a of result.attributions) writeNpy(join(dir, `${a.method}.npy`), a.values);
      writeJson(join(dir, 'explain.json'), record);
    }, { force: values.force === true });
    if (values.json) process.stdout.write(JSON.stringify(record) + '\n');
    else process.stdout.write(`explained ${result.records.length} ECG(s) with ${plan.methods.join(', ')} -> ${out}\n`);
    for (const r of result.records) for (const w of r.warnings) process.stderr.write(`ecgx: warning: ${w}\n`);
    return 0;
  },
};

export default command;

