import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs, required } from './command.js';
import { DataError, OptionError } from '../util/errors.js';
import { checkOutput, writeFileAtomic } from '../util/atomic-write.js';
import type { Ecg } from '../data/ecg.js';
import { readRecord, recordBase } from '../data/wfdb/index.js';
import { ecgQualityWarnings } from '../data/quality.js';
import { openDataset } from '../data/datasets/index.js';
import { readWaveFiles } from '../data/datasets/waves.js';
import { ecgDelineate } from '../delineate/index.js';
import { renderEcgSvg, type EcgChartOptions } from '../viz/chart.js';
import type { EcgLayout } from '../viz/layout.js';
import type { WaveOverlay } from '../viz/overlays.js';
import { svgToPng } from '../viz/png.js';

const usage = `Usage: ecgx plot RECORD --out FILE.svg|FILE.png [options]
       ecgx plot --data DIR --id ID --out FILE.svg|FILE.png [options]

Draws an ECG on standard paper (1 mm / 5 mm grid, calibration pulses, lead
labels, time axis in s and voltage ticks in mV) as SVG, or PNG rasterised
without a browser. RECORD is a WFDB record (its .hea file or name without
extension); --data DIR --id ID loads record ID of a dataset folder (LUDB,
PTB-XL, CODE-15%, WFDB folder).

Options:
  --out FILE        .svg or .png; written atomically
  --force           replace an existing FILE
  --layout L        3x4 (the clinical print: 4 columns of 2.5 s, I/II/III,
                    aVR/aVL/aVF, V1-V3, V4-V6, plus a 10 s lead-II rhythm strip;
                    default for 12-lead records), 12x1 (every lead stacked over
                    the whole record; default otherwise), or lead:NAME (one lead)
  --waves W         shade P/QRS/T spans with onset/offset ticks: annotations
                    (the record's wave files, e.g. LUDB's; default when present),
                    delineate (ecgx's wavelet delineator), or none
  --speed MM_S      paper speed, mm/s (default 25)
  --gain MM_MV      gain, mm/mV (default 10)
  --start S         first second shown (default 0)
  --duration S      seconds shown, 0.01-600 (default: 10 for 3x4, else the whole record)
  --px-per-mm N     resolution (default 4)
  --scale N         PNG zoom factor (default 2: 8 px per mm)
`;

/** Longest span drawn, s: ten minutes of paper is already about 15 m at 25 mm/s. */
const MAX_DURATION_S = 600;

function parseLayout(value: string | undefined): { layout?: EcgLayout; lead?: string } {
  if (value === undefined) return {};
  if (value === '3x4' || value === '3x4+II') return { layout: '3x4+II' };
  if (value === '12x1') return { layout: '12x1' };
  const m = /^lead:(.+)$/.exec(value);
  if (m) return { layout: '1x1', lead: m[1]!.trim() };
  throw new OptionError('--layout', `expected 3x4, 12x1 or lead:NAME (e.g. lead:II), got '${value}'`);
}

async function loadEcg(path: string | undefined, data: string | undefined, id: string | undefined): Promise<Ecg> {
  if (path !== undefined) {
    if (data !== undefined || id !== undefined) throw new OptionError('--data', 'give either RECORD or --data DIR --id ID, not both');
    const { ecg } = readRecord(path, { onWarning: (m) => process.stderr.write(`ecgx: warning: ${m}\n`) });
    const waves = readWaveFiles(recordBase(path), ecg.leads);
    if (waves) ecg.waves = waves;
    return ecg;
  }
  if (data === undefined) throw new OptionError('plot', "expected a RECORD path or --data DIR --id ID (see 'ecgx plot --help')");
  const ds = await openDataset(data);
  const rid = required('--id', id);
  if (!ds.records().some((r) => r.id === rid)) throw new OptionError('--id', `no record '${rid}' in ${ds.root}`);
  return ds.load(rid);
}

function waveOverlay(ecg: Ecg, mode: 'annotations' | 'delineate' | 'none' | undefined): WaveOverlay | undefined {
  const hasAnnotations = ecg.waves !== undefined && Object.values(ecg.waves).some((w) => w.length > 0);
  if (mode === 'none' || (mode === undefined && !hasAnnotations)) return undefined;
  if (mode === 'delineate') return { source: 'ecgx delineator', waves: ecgDelineate(ecg).waves };
  if (!hasAnnotations) throw new DataError(`record ${ecg.meta.recordId} has no wave annotations (use --waves delineate or --waves none)`);
  return { source: 'annotations', waves: ecg.waves! };
}

const command: Command = {
  summary: 'draw an ECG on standard paper (3x4 print, stacked leads or one lead) with wave spans, as SVG or PNG',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('plot', argv, {
      out: { type: 'string' },
      layout: { type: 'string' },
      waves: { type: 'string' },
      speed: { type: 'string' },
      gain: { type: 'string' },
      start: { type: 'string' },
      duration: { type: 'string' },
      'px-per-mm': { type: 'string' },
      scale: { type: 'string' },
      data: { type: 'string' },
      id: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (positionals.length > 1) throw new OptionError('plot', `expected one RECORD, got ${positionals.length} (${positionals.join(' ')})`);
    const out = required('--out', values.out);
    const format = /\.svg$/i.test(out) ? 'svg' : /\.png$/i.test(out) ? 'png' : undefined;
    if (!format) throw new OptionError('--out', `expected a file ending in .svg or .png, got '${out}'`);
    const policy = { force: values.force === true };
    checkOutput(out, 'file', policy);
    const scale = numberOption('--scale', values.scale, { min: 0.1, max: 20 }) ?? 2;
    if (values.scale !== undefined && format === 'svg') throw new OptionError('--scale', 'applies to PNG output only');
    const { layout, lead } = parseLayout(values.layout);
    const waves = choiceOption('--waves', values.waves, ['annotations', 'delineate', 'none'] as const);
    const opts: EcgChartOptions = {};
    if (layout) opts.layout = layout;
    if (lead !== undefined) opts.lead = lead;
    const speed = numberOption('--speed', values.speed, { min: 1, max: 500 });
    const gain = numberOption('--gain', values.gain, { min: 0.5, max: 500 });
    const start = numberOption('--start', values.start, { min: 0 });
    const duration = numberOption('--duration', values.duration, { min: 0.01, max: MAX_DURATION_S, unit: 's' });
    const pxPerMm = numberOption('--px-per-mm', values['px-per-mm'], { min: 0.5, max: 50 });
    if (speed !== undefined) opts.speed = speed;
    if (gain !== undefined) opts.gain = gain;
    if (start !== undefined) opts.start = start;
    if (duration !== undefined) opts.duration = duration;
    if (pxPerMm !== undefined) opts.pxPerMm = pxPerMm;

    const ecg = await loadEcg(positionals[0], values.data, values.id);
    const w = waveOverlay(ecg, waves);
    if (w) opts.overlays = { waves: w };
    let svg: string;
    try {
      svg = renderEcgSvg(ecg, opts);
    } catch (e) {
      // The chart names its options as in the API (lead, start, ...): name the flag instead.
      if (e instanceof OptionError) {
        const flag = { layout: '--layout', lead: '--layout', rhythmLead: '--layout', speed: '--speed', gain: '--gain', start: '--start', duration: '--duration', pxPerMm: '--px-per-mm' }[e.option] ?? `--${e.option}`;
        throw new OptionError(flag, e.message.replace(/^[^:]*: /, ''));
      }
      throw e;
    }
    const bytes = format === 'svg' ? svg : svgToPng(svg, { scale });
    writeFileAtomic(out, bytes, policy);
    const size = /width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
    const px = format === 'png' ? `${Math.round(Number(size[1]) * scale)}x${Math.round(Number(size[2]) * scale)} px` : `${size[1]}x${size[2]} px`;
    process.stdout.write(`wrote ${out} (${format.toUpperCase()}, ${px}, ${bytes.length} bytes)\n`);
    // Drawn anyway (a picture shows what is wrong), but the mV grid may mislead: say so.
    for (const w of ecgQualityWarnings(ecg)) process.stderr.write(`ecgx: warning: record ${ecg.meta.recordId}: ${w}\n`);
    return 0;
  },
};

export default command;
