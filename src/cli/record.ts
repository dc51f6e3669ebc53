import type { Command } from './command.js';
import { choiceOption, parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { readRecord, type WfdbRecord } from '../data/wfdb/index.js';
import { ecgQualityWarnings } from '../data/quality.js';

const usage = `Usage: ecgx record PATH [--json] [--samples] [--checksum warn]

Reads a WFDB record and describes it. PATH is the record's .hea file or its
name without extension (e.g. data/ludb/1).

Options:
  --json            one JSON object on stdout:
                    { name, fs, nSamples, durationS, leads: [{ name, units, gain,
                      baseline, adcZero, format, checksum: { expected, actual, ok } }], meta,
                      warnings: [one-line strings, also printed on stderr] }
  --samples         JSON (implies --json) with "samples": one array per lead in header order,
                    physical units (mV for voltages), missing samples as null
  --checksum warn   report checksum mismatches instead of failing (default: fail)

Warnings (on stderr as 'ecgx: warning: ...', exit status 0): bytes in a signal
file past the samples the header declares, checksum mismatches with
--checksum warn, and data-quality problems (every sample missing, every lead
flat, shorter than 1 s, or every lead spanning exactly the same mV range, as in
LUDB's amplitude-normalized records).
`;

/**
 * A lead's checksum for the summary. A multi-segment record has one per
 * segment: the lead is ok when all are, and expected/actual are null.
 */
function leadChecksum(rec: WfdbRecord, i: number): { expected: number | null; actual: number | null; ok: boolean } {
  if (rec.segments === undefined) {
    const c = rec.checksums[i]!;
    return { expected: c.expected ?? null, actual: c.actual, ok: c.ok };
  }
  const lead = rec.ecg.leads[i];
  return { expected: null, actual: null, ok: rec.checksums.every((c) => c.lead !== lead || c.ok) };
}

function summaryJson(rec: WfdbRecord, warnings: string[], withSamples: boolean): Record<string, unknown> {
  const { header, ecg } = rec;
  const out: Record<string, unknown> = {
    name: header.recordName,
    fs: ecg.fs,
    nSamples: ecg.nSamples,
    durationS: ecg.nSamples / ecg.fs,
    leads: header.signals.map((s, i) => ({
      name: ecg.leads[i],
      units: s.units,
      gain: s.adcGain,
      baseline: s.baseline,
      adcZero: s.adcZero,
      format: s.format,
      checksum: leadChecksum(rec, i),
    })),
    meta: ecg.meta,
    warnings,
  };
  if (withSamples) {
    const samples: (number | null)[][] = [];
    for (let l = 0; l < ecg.leads.length; l++) {
      const row = new Array<number | null>(ecg.nSamples);
      const o = l * ecg.nSamples;
      for (let t = 0; t < ecg.nSamples; t++) {
        const v = ecg.signal[o + t]!;
        row[t] = Number.isNaN(v) ? null : v;
      }
      samples.push(row);
    }
    out['samples'] = samples;
  }
  return out;
}

function summaryText(rec: WfdbRecord): string {
  const { header, ecg } = rec;
  const m = ecg.meta;
  const lines = [
    `record   ${header.recordName}  (${m.sourcePath ?? ''})`,
    `signals  ${header.nSignals} at ${ecg.fs} Hz, ${ecg.nSamples} samples (${(ecg.nSamples / ecg.fs).toFixed(3)} s)` +
      (header.baseTime !== undefined ? `, starts ${header.baseTime}${header.baseDate !== undefined ? ' ' + header.baseDate : ''}` : ''),
  ];
  if (rec.segments !== undefined) lines.push(`segments ${header.nSegments} (${rec.segments.length} stored: ${rec.segments.map((r) => r.header.recordName).join(', ')})`);
  if (m.age !== undefined || m.sex !== undefined) lines.push(`patient  ${[m.age !== undefined ? `age ${m.age}` : '', m.sex !== undefined ? `sex ${m.sex}` : ''].filter(Boolean).join(', ')}`);
  if (m.labels && m.labels.length > 0) lines.push(`labels   ${m.labels.join('; ')}`);
  lines.push('', 'lead    format  gain(baseline)/units        min mV    max mV  checksum');
  header.signals.forEach((s, i) => {
    const x = ecg.signal.subarray(i * ecg.nSamples, (i + 1) * ecg.nSamples);
    let lo = Infinity;
    let hi = -Infinity;
    let nan = 0;
    for (const v of x) {
      if (Number.isNaN(v)) nan++;
      else {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const c = leadChecksum(rec, i);
    const check = rec.segments !== undefined ? (c.ok ? 'ok (all segments)' : 'MISMATCH (a segment)') : c.expected === null ? 'none' : c.ok ? 'ok' : `MISMATCH (header ${c.expected}, data ${c.actual})`;
    const fmt = `${s.format}${s.samplesPerFrame > 1 ? 'x' + s.samplesPerFrame : ''}`;
    const range = nan === x.length ? '        -         -' : `${lo.toFixed(3).padStart(9)} ${hi.toFixed(3).padStart(9)}`;
    lines.push(`${ecg.leads[i]!.padEnd(7)} ${fmt.padEnd(7)} ${`${s.adcGain}(${s.baseline})/${s.units}`.padEnd(22)} ${range}  ${check}${nan > 0 ? `  (${nan} missing)` : ''}`);
  });
  return lines.join('\n');
}

const command: Command = {
  summary: 'describe a WFDB record (header, leads, checksums; --json for tools)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('record', argv, {
      json: { type: 'boolean' },
      samples: { type: 'boolean' },
      checksum: { type: 'string' },
    });
    if (positionals.length !== 1) throw new OptionError('PATH', `expected one record path (a .hea file or record name), got ${positionals.length} (see 'ecgx record --help')`);
    const checksum = choiceOption('--checksum', values.checksum, ['warn', 'error'] as const);
    const warn = (m: string): boolean => process.stderr.write(`ecgx: warning: ${m}\n`);
    const rec = readRecord(positionals[0]!, { checksum: checksum ?? 'error', onWarning: warn });
    const quality = ecgQualityWarnings(rec.ecg).map((w) => `record ${rec.header.recordName}: ${w}`);
    quality.forEach(warn);
    const warnings = [...rec.warnings, ...quality];
    // Samples only exist in the JSON form, so --samples implies --json.
    if (values.json || values.samples) process.stdout.write(JSON.stringify(summaryJson(rec, warnings, values.samples === true)) + '\n');
    else process.stdout.write(summaryText(rec) + '\n');
    return 0;
  },
};
export default command;
