import { resolve } from 'node:path';
import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs, required } from './command.js';
import { OptionError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { checkOutput } from '../util/atomic-write.js';
import { SYNTH_COHORTS, CODE15_SYNTH_FS, parseShortcut, resolveCohort, synthesizeDatabase, type SynthLayout } from '../data/synth/index.js';
import { writeCode15, writePtbxl } from '../data/datasets/index.js';
import type { Ecg } from '../data/ecg.js';

const usage = `Usage: ecgx synth --out DIR --n N --layout ptbxl|code15 [--fs 100|500] [--seed S] [--cohort NAME]
                  [--no-evidence] [--shortcut CLASS:FRACTION[:spike|offset]] [--force]

Writes a synthetic 12-lead ECG database in the real PTB-XL or CODE-15% layout,
with superclass labels (as SCP codes), age, sex, patients and folds, and
ground-truth P/QRS/T waves beside each record (annotation files), with each
label's planted evidence mask in RECORD.evidence.json (where the disease
changed the signal: intervals per lead). The folder appears only when complete.

Options:
  --out DIR        output folder (must not exist or be empty, unless --force)
  --n N            number of records
  --layout L       ptbxl: ptbxl_database.csv + WFDB records<fs>/ (fs 100 or 500, default 100)
                   code15: exams.csv + exams_part*.hdf5 (always ${CODE15_SYNTH_FS} Hz, 10 s zero-padded
                   to 4096 samples; omit --fs or give ${CODE15_SYNTH_FS})
  --fs HZ          sampling rate (see --layout)
  --seed S         integer seed (default 1): the same seed gives the same database
  --cohort NAME    recording cohort (default: the layout's): ${Object.keys(SYNTH_COHORTS).join(', ')}
  --no-evidence    do not compute or write the evidence masks
  --shortcut SPEC  a shortcut trap: CLASS:FRACTION[:spike|offset] puts a spurious artefact
                   (pacing-like spikes, or a 0.4 mV offset in V2) into that share of the
                   class's ECGs only (e.g. CD:0.5); its mask is evidence label 'shortcut'
  --force          replace a non-empty --out folder that ecgx wrote (it holds a .ecgx marker file)
`;

const command: Command = {
  summary: 'write a synthetic PTB-XL or CODE-15% database with ground truth',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs('synth', argv, {
      out: { type: 'string' }, n: { type: 'string' }, layout: { type: 'string' }, fs: { type: 'string' },
      seed: { type: 'string' }, cohort: { type: 'string' }, force: { type: 'boolean' },
      'no-evidence': { type: 'boolean' }, shortcut: { type: 'string' },
    });
    const shortcut = values.shortcut !== undefined ? parseShortcut(values.shortcut) : undefined;
    const out = resolve(required('--out', values.out));
    const n = required('--n', numberOption('--n', values.n, { integer: true, min: 1, max: 10_000_000 }));
    const layout: SynthLayout = required('--layout', choiceOption('--layout', values.layout, ['ptbxl', 'code15'] as const));
    const seed = numberOption('--seed', values.seed, { integer: true, min: 0, max: 0xffffffff }) ?? 1;
    let fs = numberOption('--fs', values.fs, { integer: true });
    if (layout === 'ptbxl') {
      fs = choiceOption('--fs', String(fs ?? 100), ['100', '500'] as const) === '500' ? 500 : 100;
    } else if (fs !== undefined && fs !== CODE15_SYNTH_FS) {
      throw new OptionError('--fs', `the code15 layout is always ${CODE15_SYNTH_FS} Hz (omit --fs), got ${fs}`);
    }
    if (values.cohort !== undefined) resolveCohort(values.cohort); // fail early on an unknown name
    checkOutput(out, 'folder', { force: values.force === true }); // before generating anything

    const progress = new Progress({ label: `synth ${layout}`, total: n, unit: 'ECG' });
    const db = synthesizeDatabase({
      n, seed, layout, evidence: values['no-evidence'] !== true, ...(shortcut ? { shortcut } : {}),
      ...(fs !== undefined ? { fs } : {}), ...(values.cohort !== undefined ? { cohort: values.cohort } : {}),
    });
    function* ticking(): Generator<Ecg> {
      for (const ecg of db) {
        yield ecg;
        progress.tick();
      }
    }
    const written = layout === 'ptbxl' ? await writePtbxl(out, ticking(), { fs: fs as 100 | 500, force: values.force === true }) : await writeCode15(out, ticking(), { force: values.force === true });
    progress.finish();
    process.stdout.write(`wrote ${written.n} ${layout} records to ${out} (${progress.rate().toFixed(1)} ECG/s)\n`);
    return 0;
  },
};
export default command;
