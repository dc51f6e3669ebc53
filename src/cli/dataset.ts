import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { DATASET_LAYOUTS, DATASETS, openDataset, summarizeDataset, type DatasetSummary } from '../data/datasets/index.js';
import { DATA_FLAGS, DATA_FLAGS_USAGE, dataOptions } from './data-flags.js';
import { ecgQualityWarnings } from '../data/quality.js';
import type { EcgDataset } from '../data/datasets/types.js';

/** Records whose signals dataset info reads for data-quality warnings (spread over the dataset; metadata comes from headers only). */
const QUALITY_SAMPLE = 20;

/** Data-quality warnings of a spread sample of records, one line per kind with how many of the sample had it. */
async function qualityLines(ds: EcgDataset): Promise<string[]> {
  const all = ds.records();
  if (all.length === 0) return [];
  const step = Math.max(1, Math.floor(all.length / QUALITY_SAMPLE));
  const ids = all.filter((_, i) => i % step === 0).slice(0, QUALITY_SAMPLE).map((r) => r.id);
  const kinds = new Map<string, { n: number; example: string }>();
  for await (const e of ds.iterate(ids)) {
    for (const w of ecgQualityWarnings(e)) {
      // One line per kind: the text up to its first number is the same across records.
      const kind = w.replace(/[\d.]+.*$/, '');
      const k = kinds.get(kind);
      if (k) k.n++;
      else kinds.set(kind, { n: 1, example: `record ${e.meta.recordId}: ${w}` });
    }
  }
  return [...kinds.values()].map((k) => `${k.n} of ${ids.length} records checked: ${k.example}`);
}

const usage = `Usage: ecgx dataset info DIR [--json] [--layout L] [--fs 100|500] [--checksum warn] [--labels FILE.csv ...]

Detects the layout of a dataset folder and prints its record count, sex and
age, label distribution per label set, and folds. Reads metadata only (for
WFDB records, the headers). With --labels, also how the table joined.

Layouts (detected in this order):
${DATASET_LAYOUTS.map((l) => `  ${l.padEnd(7)} ${DATASETS[l].description}`).join('\n')}

Options:
  --json            one JSON object on stdout: { layout, root, fs, records, patients,
                    sex: {M, F, unknown}, age: {n, min, max, mean} | null,
                    labelSets: { set: { label: count } }, labels: { label: count },
                    folds: { fold: count } | null, labelInfo: { label: {code, description?,
                    merged?} } | null, join: { file, idColumn, match, records, joined,
                    recordsWithoutRow, rowsWithoutRecord, dxMap, ... } | null, notes: [text],
                    warnings: [text] }
                    Data-quality warnings (flat, too short, every lead rescaled to one range as
                    LUDB's are) come from the signals of up to ${QUALITY_SAMPLE} records spread over the dataset.
  --layout L        open as layout L instead of detecting it (${DATASET_LAYOUTS.join('|')})
  --fs 100|500      PTB-XL: which records folder (default 100 when present)
  --checksum warn   report WFDB checksum mismatches instead of failing

${DATA_FLAGS_USAGE}
`;

const some = (ids: string[], total: number): string => (total === 0 ? '' : ` (${ids.join(', ')}${total > ids.length ? ', ...' : ''})`);

function joinLines(s: DatasetSummary): string[] {
  const j = s.join;
  if (!j) return [];
  const lines = [
    `table    ${j.file}: id column '${j.idColumn}' (${j.idColumnFrom}), matched by ${j.match} (${j.matchFrom})`,
    `joined   ${j.joined} of ${j.records} records; ${j.recordsWithoutRow} without a label row, left out${some(j.examples.recordsWithoutRow, j.recordsWithoutRow)}`,
    `         ${j.rowsWithoutRecord} label row(s) name no record${some(j.examples.rowsWithoutRecord, j.rowsWithoutRecord)}`,
    `columns  ${j.labelColumns.length} label; metadata: ${j.metaColumns.join(', ') || 'none'}; not used: ${j.ignoredColumns.join(', ') || 'none'}`,
  ];
  if (j.dxMap) lines.push(`dx map   ${j.dxMap.files.join(', ')} (${j.dxMap.from})`);
  if (j.merged.length > 0) lines.push(`merged   ${j.merged.map(([from, into]) => `${from} into ${into}`).join(', ')} (equivalent codes, as the Challenge scores them)`);
  return lines;
}

function text(s: DatasetSummary): string {
  const lines = [
    `dataset  ${s.layout} at ${s.root}`,
    `records  ${s.records} at ${s.fs} Hz${s.patients !== null ? `, ${s.patients} patients` : ''}`,
    `sex      M ${s.sex.M}, F ${s.sex.F}, unknown ${s.sex.unknown}`,
    `age      ${s.age ? `${s.age.min}-${s.age.max} years, mean ${s.age.mean} (${s.age.n} records)` : 'none'}`,
    ...joinLines(s),
  ];
  if (s.folds) lines.push(`folds    ${Object.entries(s.folds).map(([f, n]) => `${f}:${n}`).join('  ')}`);
  for (const note of s.notes) lines.push(`note     ${note}`);
  const info = s.labelInfo ?? {};
  for (const [name, counts] of Object.entries(s.labelSets)) {
    lines.push('', `labels: ${name}`);
    const entries = Object.entries(counts);
    const width = Math.min(60, Math.max(8, ...entries.map(([l]) => l.length)));
    const described = entries.some(([l]) => info[l] !== undefined);
    const codeWidth = Math.max(0, ...entries.map(([l]) => info[l]?.code.length ?? 0));
    for (const [label, n] of entries) {
      const pct = s.records > 0 ? ((100 * n) / s.records).toFixed(1) : '0.0';
      const about = info[label];
      const what = described ? `  ${(about?.code ?? '').padEnd(codeWidth)}  ${about?.description ?? ''}${about?.merged ? ` (scored as one with ${about.merged.join(", ")})` : ''}` : '';
      lines.push(`  ${label.padEnd(width)} ${String(n).padStart(7)}  ${pct.padStart(5)}%${what}`.trimEnd());
    }
  }
  return lines.join('\n');
}

const command: Command = {
  summary: 'describe a dataset folder (LUDB, PTB-XL, CODE-15%, WFDB): counts, labels, folds',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'info') throw new OptionError('dataset', `expected the subcommand 'info', got ${sub === undefined ? 'nothing' : `'${sub}'`} (see 'ecgx dataset --help')`);
    const { values, positionals } = parseCommandArgs('dataset', rest, {
      json: { type: 'boolean' },
      layout: { type: 'string' },
      fs: { type: 'string' },
      checksum: { type: 'string' },
      ...DATA_FLAGS,
    });
    if (positionals.length !== 1) throw new OptionError('DIR', `expected one dataset folder, got ${positionals.length} (see 'ecgx dataset --help')`);
    const layout = choiceOption('--layout', values.layout, DATASET_LAYOUTS);
    const fs = numberOption('--fs', values.fs, { integer: true });
    if (fs !== undefined && fs !== 100 && fs !== 500) throw new OptionError('--fs', `expected 100 or 500, got ${fs}`);
    const checksum = choiceOption('--checksum', values.checksum, ['warn', 'error'] as const);
    const ds = await openDataset(positionals[0]!, {
      ...(layout !== undefined ? { layout } : {}),
      ...(fs !== undefined ? { fs: fs as 100 | 500 } : {}),
      ...(checksum !== undefined ? { checksum } : {}),
      ...dataOptions(values),
    });
    const summary = summarizeDataset(ds);
    const warnings = await qualityLines(ds);
    process.stdout.write((values.json ? JSON.stringify({ ...summary, warnings }) : text(summary)) + '\n');
    for (const w of warnings) process.stderr.write(`ecgx: warning: ${w}\n`);
    return 0;
  },
};
export default command;
