import { readFileSync } from 'node:fs';
import type { Command } from './command.js';
import { numberOption, parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { canonicalLead } from '../data/leads.js';
import { readRecord } from '../data/wfdb/index.js';
import { openDataset } from '../data/datasets/index.js';
import type { WaveInterval } from '../data/ecg.js';
import { DEFAULT_TUNING, ecgDelineate, type Delineation } from '../delineate/delineate.js';
import { evaluateDelineation, formatEvaluation } from '../delineate/evaluate.js';
import { delineationBeats } from '../delineate/points.js';

const usage = `Usage: ecgx delineate RECORD [--json] [--leads I,II,...]
       ecgx delineate --evaluate DATASET [--records 1,2,...] [--fs HZ] [--tolerance MS] [--by-lead] [--json]

Finds R peaks and P/QRS/T onset, peak and offset in every lead and fused over
leads (wavelet delineator after Martinez et al. 2004; works at 100-1000 Hz).

RECORD is a WFDB record (its .hea file or name without extension). The text
output lists each beat's fused boundaries in ms from the record's start and
the median PR, QRS and QT intervals. Absent waves (no P in atrial
fibrillation) are shown as '-'.

--evaluate DATASET scores the delineator against a dataset's wave
annotations (LUDB: the cardiologists' per-lead boundaries), 150 ms tolerance,
counting only detections inside each lead's annotated span.

Options:
  --json            one JSON object on stdout. RECORD: { record, fs, nSamples,
                    units: "samples", rPeaks, leads, waves: { <lead>|"*":
                    [{ wave, onset, peak, offset }] } } with sample indices at fs.
                    --evaluate: { config, records, skipped, toleranceMs, byLead,
                    allLeads } with se/ppv as fractions and errors in ms.
  --leads L,...     delineate only these leads (RECORD mode)
  --records ID,...  score only these record ids (--evaluate)
  --fs HZ           resample records and annotations to HZ before delineating (--evaluate;
                    100-1000, the delineator's supported range)
  --tolerance MS    matching tolerance in ms (default 150)
  --by-lead         text output: add one table per lead
`;

function ms(sample: number | undefined, fs: number): string {
  return sample === undefined ? '-' : String(Math.round((sample * 1000) / fs));
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]! / 2 + s[Math.ceil((s.length - 1) / 2)]! / 2;
}

function recordText(name: string, d: Delineation): string {
  const bs = delineationBeats(d);
  const fs = d.fs;
  const rr = d.rPeaks.slice(1).map((r, i) => (r - d.rPeaks[i]!) / fs);
  const hr = median(rr);
  const pr = median(bs.filter((b) => b.p).map((b) => ((b.qrs.onset - b.p!.onset) * 1000) / fs));
  const qrsd = median(bs.map((b) => ((b.qrs.offset - b.qrs.onset) * 1000) / fs));
  const qt = median(bs.filter((b) => b.t).map((b) => ((b.t!.offset - b.qrs.onset) * 1000) / fs));
  const fmt = (x: number | undefined): string => (x === undefined ? '-' : `${Math.round(x)} ms`);
  const lines = [
    `record   ${name}: ${d.leads.length} leads delineated at ${fs} Hz, ${d.nSamples} samples`,
    `beats    ${d.rPeaks.length}` + (hr !== undefined ? `, heart rate ${(60 / hr).toFixed(0)} bpm` : ''),
    `median   PR ${fmt(pr)}, QRS ${fmt(qrsd)}, QT ${fmt(qt)}` + (bs.length > 0 && bs.every((b) => !b.p) ? '  (no P waves found)' : ''),
    '',
    'fused boundaries, ms from the start (onset/peak/offset):',
    `${'beat'.padStart(4)}  ${'P'.padEnd(16)} ${'QRS'.padEnd(16)} ${'T'.padEnd(16)}`,
  ];
  const cell = (w: WaveInterval | undefined): string => (w ? `${ms(w.onset, fs)}/${ms(w.peak, fs)}/${ms(w.offset, fs)}` : '-').padEnd(16);
  bs.forEach((b, i) => lines.push(`${String(i + 1).padStart(4)}  ${cell(b.p)} ${cell(b.qrs)} ${cell(b.t)}`));
  return lines.join('\n');
}

function parseList(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new OptionError(flag, `expected a comma-separated list, got '${value}'`);
  return items;
}

const command: Command = {
  summary: 'find R peaks and P/QRS/T boundaries of a record, or score the delineator on an annotated dataset',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('delineate', argv, {
      json: { type: 'boolean' },
      leads: { type: 'string' },
      evaluate: { type: 'string' },
      records: { type: 'string' },
      tolerance: { type: 'string' },
      'by-lead': { type: 'boolean' },
      fs: { type: 'string' },
    });
    if (values.evaluate !== undefined) {
      if (positionals.length > 0) throw new OptionError('--evaluate', `takes a dataset folder and no RECORD (got '${positionals[0]}')`);
      if (values.leads !== undefined) throw new OptionError('--leads', 'applies to RECORD mode, not --evaluate');
      const toleranceMs = numberOption('--tolerance', values.tolerance, { min: 1, max: 1000 }) ?? 150;
      const resampleTo = numberOption('--fs', values.fs, { min: 100, max: 1000, unit: 'Hz (the delineator\'s supported range)' });
      const ds = await openDataset(values.evaluate);
      const ids = parseList('--records', values.records);
      if (ids) {
        const known = new Set(ds.records().map((r) => r.id));
        const bad = ids.find((id) => !known.has(id));
        if (bad !== undefined) throw new OptionError('--records', `no record '${bad}' in ${ds.root}`);
      }
      const progress = new Progress({ label: 'delineate', total: ids?.length ?? ds.records().length, unit: 'ECG' });
      const ev = await evaluateDelineation(ds, { toleranceMs, ...(ids ? { ids } : {}), ...(resampleTo ? { resampleTo } : {}), onRecord: () => progress.tick() });
      progress.finish();
      if (values.json) {
        const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
        const config = { ecgx: pkg.version, node: process.version, tuning: DEFAULT_TUNING, dataset: ds.root, layout: ds.layout, records: ids ?? 'all', fs: resampleTo ?? ds.fs, toleranceMs, spanRule: 'detected wave counted when its midpoint lies in [first annotated onset, last annotated offset] of the lead' };
        process.stdout.write(JSON.stringify({ config, ...ev }) + '\n');
      } else {
        process.stdout.write(formatEvaluation(ev, { byLead: values['by-lead'] === true }) + (ev.skipped > 0 ? `\n\n${ev.skipped} records without annotations skipped` : '') + '\n');
      }
      return 0;
    }
    if (positionals.length !== 1) throw new OptionError('delineate', `expected one RECORD path (or --evaluate DATASET), got ${positionals.length} arguments`);
    if (values.records !== undefined || values.tolerance !== undefined || values['by-lead'] || values.fs !== undefined) throw new OptionError('--records/--fs/--tolerance/--by-lead', 'apply to --evaluate only');
    const path = positionals[0]!;
    const { ecg, header } = readRecord(path);
    const leads = parseList('--leads', values.leads)?.map((l) => {
      const c = canonicalLead(l);
      if (!ecg.leads.includes(c)) throw new OptionError('--leads', `record ${path} has no lead '${l}' (it has ${ecg.leads.join(', ')})`);
      return c;
    });
    const d = ecgDelineate(ecg, leads ? { leads } : {});
    if (values.json) {
      process.stdout.write(JSON.stringify({ record: header.recordName, fs: d.fs, nSamples: d.nSamples, units: 'samples', rPeaks: d.rPeaks, leads: d.leads, waves: d.waves }) + '\n');
    } else {
      process.stdout.write(recordText(header.recordName, d) + '\n');
    }
    return 0;
  },
};

export default command;
