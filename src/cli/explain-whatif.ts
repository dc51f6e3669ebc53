/**
 * `ecgx explain what-if`: physiological edits of ECGs at several magnitudes,
 * the model's score changes (dose-response), and whether attribution methods'
 * mass on the edited region predicts them (explain/probes/what-if.ts).
 * Writes DIR/whatif.json, DIR/whatif.md and DIR/dose-response.svg.
 */
import { join, resolve } from 'node:path';
import type { Command } from './command.js';
import { choiceOption, parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { versions } from '../train/run.js';
import { ECG_EDITS, EDIT_INFO, EDIT_TERRITORIES, parseEditDoses } from '../data/edit/edits.js';
import { whatIfMarkdown, whatIfProbes, type WhatIfEdit } from '../explain/probes/what-if.js';
import { doseResponseSpec } from '../viz/cohort/probes.js';
import { renderVegaSvg } from '../viz/cohort/vega.js';
import { METHOD_FLAGS, flagged, methodFlagsHelp, methodPlan } from './method-flags.js';
import { SOURCE_FLAGS, SOURCE_HELP, openModelSource } from './model-input.js';
import { writeJson } from './explain-run.js';
import type { Ecg } from '../data/ecg.js';

const DEFAULT_EDITS = ['widen-qrs:0,20,40,60,80', 'invert-t:0,0.25,0.5,0.75,1', 'remove-p:0,0.5,1', 'prolong-pr:0,40,80,120', 'st-elevation:0,0.05,0.1,0.2,0.3@anterior', 'scale-r:1,1.25,1.5,2'];

const usage = `Usage: ecgx explain what-if --model M.onnx (--data DIR [--records ID,...] | --record PATH)
                            [--edit EDIT:A,B,...[@LEADS] ...] [--target-of EDIT=CLASS,...]
                            [--method LIST [method options]] [--waves annotations|delineate] [--out DIR [--force]] [--json]

Edits each ECG the way a disease would, on its delineated beats (annotations,
else the delineator), with smooth boundaries and every other wave and the R
peaks unchanged, at each magnitude; runs the edited ECGs through the model
card and reports the change of every class score (dose-response curves).
With --method, also tests whether each method's share of |attribution| on the
edited region of the unedited ECG (for the class the edit raises most, or
--target-of) predicts the size of the change: Spearman across ECGs.

Edits (amounts):
${ECG_EDITS.map((e) => `  ${e.padEnd(13)} ${EDIT_INFO[e].unit}${EDIT_INFO[e].leads !== 'all' ? ` (default leads: ${EDIT_INFO[e].leads})` : ''}`).join('\n')}
  @LEADS: a territory (${Object.keys(EDIT_TERRITORIES).join(', ')}), all, or leads joined by + (V1+V2)
  default: ${DEFAULT_EDITS.join(' ')}

Options:
${SOURCE_HELP}  --edit SPEC         an edit and its magnitudes (repeat the flag for several)
  --target-of LIST    EDIT=CLASS pairs: the class each edit's mass test explains
  --method LIST       attribution methods for the mass test (optional)
${methodFlagsHelp()}  --waves SRC         annotations (default when every record has them) or delineate
  --out DIR           output folder (default: what-if)
  --force             replace an existing DIR that ecgx wrote
  --json              print whatif.json to stdout
`;

const command: Command = {
  summary: 'what-if probes: ECGs edited as a disease would (QRS, T, P, PR, ST, R), dose-response of the model and whether attributions predict it',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('explain what-if', argv, {
      ...SOURCE_FLAGS, ...METHOD_FLAGS, edit: { type: 'string', multiple: true }, 'target-of': { type: 'string' }, waves: { type: 'string' },
      out: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' },
    });
    const v = values as Record<string, string | undefined>;
    if (v['input'] !== undefined) throw new OptionError('--input', 'what-if edits records in mV on their delineated beats; give --data or --record');
    const targets = new Map<string, string>();
    for (const pair of (v['target-of'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const [e, c] = pair.split('=');
      if (!e || !c || !(ECG_EDITS as readonly string[]).includes(e)) throw new OptionError('--target-of', `expected EDIT=CLASS pairs with EDIT one of ${ECG_EDITS.join(', ')}, got '${pair}'`);
      targets.set(e, c);
    }
    const edits: WhatIfEdit[] = ((values.edit as string[] | undefined) ?? DEFAULT_EDITS).map((t) => {
      const d = parseEditDoses(t);
      return { ...d, ...(targets.has(d.edit) ? { target: targets.get(d.edit)! } : {}) };
    });
    const waves = choiceOption('--waves', v['waves'], ['annotations', 'delineate'] as const);
    const plan = v['method'] !== undefined ? methodPlan(values) : undefined;
    const out = resolve(v['out'] ?? 'what-if');
    checkOutput(out, 'folder', { force: values.force === true });
    const src = await openModelSource(values);
    if (src.kind !== 'records') throw new OptionError('--input', 'what-if needs records');
    const ecgs: Ecg[] = [];
    for await (const e of src.records()) ecgs.push(e);
    const classes = src.model.card.output.classes;
    for (const e of edits) if (e.target !== undefined && !classes.includes(e.target)) throw new OptionError('--target-of', `unknown class '${e.target}' (the model's: ${classes.join(', ')})`);
    const run = () => whatIfProbes(src.model, ecgs, {
      edits, ...(waves ? { waves } : {}),
      ...(plan ? { methods: plan.methods, options: plan.options, seed: plan.seed, ...(plan.threads !== undefined ? { threads: plan.threads } : {}) } : {}),
    });
    const r = plan ? await flagged(plan, run) : await run();
    const doc = { model: src.modelPath, source: src.describe, config: { edits, waves: r.waves, methods: plan?.methods ?? [], options: plan?.options ?? {}, seed: plan?.seed ?? 0 }, ...r, versions: versions() };
    const svg = await renderVegaSvg(doseResponseSpec(r));
    await writeDirAtomic(out, (dir) => {
      writeJson(join(dir, 'whatif.json'), doc);
      writeFileAtomic(join(dir, 'whatif.md'), whatIfMarkdown(r));
      writeFileAtomic(join(dir, 'dose-response.svg'), svg);
    }, { force: values.force === true });
    if (values.json) process.stdout.write(JSON.stringify(doc) + '\n');
    else process.stdout.write(`what-if: ${edits.length} edit(s) on ${ecgs.length} ECG(s)${plan ? `, mass test for ${plan.methods.join(', ')}` : ''} -> ${out}\n`);
    return 0;
  },
};

export default command;
