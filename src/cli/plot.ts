import { join, resolve } from 'node:path';
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
import type { AttributionOverlay, EcgOverlays, WaveOverlay } from '../viz/overlays.js';
import { svgToPng } from '../viz/png.js';
import { stackSvgs, svgSize } from '../viz/stack.js';
import { beatPanelsOf } from '../viz/beats.js';
import { drawnRecord, readExplanationDir, recordTlc, savedAttribution, savedRecord, selectMethods } from '../viz/explained.js';
import { loadCardedModel } from '../models/predict.js';

const usage = `Usage: ecgx plot RECORD --out FILE.svg|FILE.png [options]
       ecgx plot --data DIR --id ID --out FILE.svg|FILE.png [options]
       ecgx plot RECORD --explain DIR [--method NAME,...] [--layout methods[:LEAD]] --out FILE
       ecgx plot RECORD --tlc TLC.json --model M.onnx --out FILE

Draws an ECG on standard paper (1 mm / 5 mm grid, calibration pulses, lead
labels, time axis in s and voltage ticks in mV) as SVG, or PNG rasterised
without a browser. RECORD is a WFDB record (its .hea file or name without
extension); --data DIR --id ID loads record ID of a dataset folder (LUDB,
PTB-XL, CODE-15%, WFDB folder).

Explanations (no model is run for attributions):
  --explain DIR     a folder written by 'ecgx explain': the record's row of
                    explain.json is found by its id, and every method's map is
                    drawn (or those of --method). Attributions are in record
                    time at the model card's rate, so the record is drawn
                    through the card saved in explain.json: its leads,
                    resampled to the card's rate (--signal record, the
                    default: still in mV), or every preprocessing step
                    (--signal model: what the model saw, in its units)
  --method LIST     methods of DIR to draw, comma-separated (aliases: ig)
  --tlc FILE        a fitted TLC (ecgx tlc fit) with --model M.onnx, the
                    checkpoint it was fitted on: cluster bands per block and
                    the entropy panel; with --waves, clusters are named by the
                    wave holding most of their samples on this record
  --model FILE      the model of --tlc
  --signal S        record (default) or model, as above
  --percentile P    |attribution| drawn at full colour: this percentile of the
                    record's |values| (default 98, as captum's outlier_perc 2;
                    100: the largest); stated in the legend
  --style S         trace (colour the trace; default for per-sample methods:
                    saliency, IG, SmoothGrad, input x gradient) or background
                    (shade each lead; default for Grad-CAM and occlusion)
  One method: one chart with its overlays. Several methods (or --layout
  methods): one chart per method, stacked on the same time axis, then TLC's.

Options:
  --out FILE        .svg or .png; written atomically
  --force           replace an existing FILE
  --layout L        3x4 (the clinical print: 4 columns of 2.5 s, I/II/III,
                    aVR/aVL/aVF, V1-V3, V4-V6, plus a 10 s lead-II rhythm strip;
                    default for 12-lead records), 12x1 (every lead stacked over
                    the whole record; default otherwise), lead:NAME (one lead),
                    methods[:LEAD] (one strip of LEAD, default II, per method), or
                    beats (12-lead median-beat panel: the beats aligned on P onset,
                    QRS onset and T offset, each method's mean |attribution| and
                    TLC's most frequent cluster and mean entropy per beat phase;
                    one panel per method)
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

type LayoutChoice = { layout?: EcgLayout; lead?: string; methods?: boolean; beats?: boolean };

function parseLayout(value: string | undefined): LayoutChoice {
  if (value === undefined) return {};
  if (value === '3x4' || value === '3x4+II') return { layout: '3x4+II' };
  if (value === '12x1') return { layout: '12x1' };
  const m = /^lead:(.+)$/.exec(value);
  if (m) return { layout: '1x1', lead: m[1]!.trim() };
  const k = /^methods(?::(.+))?$/.exec(value);
  if (k) return { layout: '1x1', lead: k[1]?.trim() ?? 'II', methods: true };
  if (value === 'beats') return { beats: true };
  throw new OptionError('--layout', `expected 3x4, 12x1, lead:NAME (e.g. lead:II) or methods[:LEAD] (or beats), got '${value}'`);
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

/** The library's option names are the API's (lead, start, method, ...): errors name the flag instead. */
function asFlag(e: unknown): unknown {
  if (!(e instanceof OptionError) || e.option.startsWith('--')) return e;
  const flag = { layout: '--layout', lead: '--layout', rhythmLead: '--layout', speed: '--speed', gain: '--gain', start: '--start', duration: '--duration', pxPerMm: '--px-per-mm' }[e.option] ?? `--${e.option}`;
  return new OptionError(flag, e.message.replace(/^[^:]*: /, ''));
}

function flagged<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw asFlag(e);
  }
}

/** One chart of the picture: a title and its overlays. */
interface Panel {
  title: string;
  overlays: EcgOverlays;
}

/**
 * What is drawn on what: the record as read, or (with --explain / --tlc) the
 * record through the model card on the attributions' samples, with the
 * panels to stack.
 */
async function explainedPanels(raw: Ecg, v: Record<string, string | boolean | undefined>, waves: 'annotations' | 'delineate' | 'none' | undefined, style: AttributionOverlay['style'] | undefined, percentile: number | undefined): Promise<{ ecg: Ecg; units: string; panels: Panel[]; notes: string[] }> {
  const explainDir = v['explain'] as string | undefined, tlcPath = v['tlc'] as string | undefined, modelPath = v['model'] as string | undefined;
  if (tlcPath !== undefined && modelPath === undefined) throw new OptionError('--tlc', 'needs --model M.onnx, the checkpoint the TLC was fitted on');
  if (modelPath !== undefined && tlcPath === undefined) throw new OptionError('--model', 'goes with --tlc (attributions come from --explain DIR, which needs no model)');
  const saved = explainDir !== undefined ? readExplanationDir(resolve(explainDir)) : undefined;
  if (saved && !saved.card) throw new DataError(`${join(saved.dir, 'explain.json')} has no model card: it explains model-ready tensors (--input), which cannot be matched to a record`);
  const tlcCard = modelPath !== undefined ? loadCardedModel(resolve(modelPath)).card : undefined;
  const card = saved?.card ?? tlcCard!;
  if (saved && tlcCard && (tlcCard.fs !== card.fs || tlcCard.leads.join() !== card.leads.join())) {
    throw new DataError(`--model's card (${tlcCard.leads.length} leads at ${tlcCard.fs} Hz) and explain.json's (${card.leads.length} leads at ${card.fs} Hz) prepare records differently: their samples cannot be drawn together`);
  }
  const signal = choiceOption('--signal', v['signal'] as string | undefined, ['record', 'model'] as const) ?? 'record';
  const leadMap = saved?.leadMap;
  const drawn = drawnRecord(card, raw, signal, leadMap ? { leadMap } : {});
  const ecg = drawn.ecg;
  const notes = [signal === 'record'
    ? `drawn: record ${raw.meta.recordId} in mV${raw.fs !== card.fs ? `, resampled from ${raw.fs} Hz to ${card.fs} Hz (the model card's rate, the attributions' time axis)` : ` at ${card.fs} Hz`}`
    : `drawn: record ${raw.meta.recordId} as the model saw it (${card.preprocess.map((s) => s.op).join(', ') || 'no preprocessing'}), at ${card.fs} Hz`];
  const w = waveOverlay(ecg, waves);
  const base: EcgOverlays = w ? { waves: w } : {};
  const panels: Panel[] = [];
  if (saved) {
    const { row, record } = savedRecord(saved, raw.meta.recordId);
    if (record.nSamples !== ecg.nSamples) throw new DataError(`record ${record.id}: ${ecg.nSamples} samples at ${card.fs} Hz through the card, but explain.json says ${record.nSamples}: not the record that was explained`);
    const cache = new Map();
    for (const m of selectMethods(saved, typeof v['method'] === 'string' ? v['method'].split(',').map((x) => x.trim()).filter(Boolean) : undefined)) {
      const a = savedAttribution(saved, m, row, cache);
      panels.push({ title: `${record.id} · ${a.method} → ${a.target}`, overlays: { ...base, attribution: { ...a, ...(style ? { style } : {}), ...(percentile !== undefined ? { percentile } : {}) } } });
    }
    notes.push(`attributions: ${panels.length} method(s) of ${saved.dir}, row ${row + 1} of ${saved.records.length}; target ${record.target.name ?? record.target.index}`);
    for (const warning of record.warnings) notes.push(`explain.json: ${warning}`);
  }
  if (tlcPath !== undefined) {
    const t = await recordTlc(resolve(modelPath!), resolve(tlcPath), raw, { ...(leadMap ? { leadMap } : {}), ...(w ? { waves: w } : {}) });
    if (t.nSamples !== ecg.nSamples) throw new DataError(`record ${raw.meta.recordId}: TLC gave ${t.nSamples} samples, the drawn record has ${ecg.nSamples}`);
    const tlc: EcgOverlays = { clusters: t.clusters, entropy: t.entropy };
    // One method: its chart carries the TLC too. Several: TLC gets its own chart.
    if (panels.length === 1) panels[0]!.overlays = { ...panels[0]!.overlays, ...tlc };
    else panels.push({ title: `${raw.meta.recordId} · TLC`, overlays: { ...base, ...tlc } });
  }
  return { ecg, units: drawn.units, panels, notes };
}

const command: Command = {
  summary: 'draw an ECG on standard paper (3x4 print, stacked leads or one lead) with wave spans, attributions and TLC, as SVG or PNG',
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
      explain: { type: 'string' },
      method: { type: 'string' },
      tlc: { type: 'string' },
      model: { type: 'string' },
      signal: { type: 'string' },
      percentile: { type: 'string' },
      style: { type: 'string' },
    });
    if (positionals.length > 1) throw new OptionError('plot', `expected one RECORD, got ${positionals.length} (${positionals.join(' ')})`);
    const out = required('--out', values.out);
    const format = /\.svg$/i.test(out) ? 'svg' : /\.png$/i.test(out) ? 'png' : undefined;
    if (!format) throw new OptionError('--out', `expected a file ending in .svg or .png, got '${out}'`);
    const policy = { force: values.force === true };
    checkOutput(out, 'file', policy);
    const scale = numberOption('--scale', values.scale, { min: 0.1, max: 20 }) ?? 2;
    if (values.scale !== undefined && format === 'svg') throw new OptionError('--scale', 'applies to PNG output only');
    const { layout, lead, methods: methodsLayout, beats: beatsLayout } = parseLayout(values.layout);
    const waves = choiceOption('--waves', values.waves, ['annotations', 'delineate', 'none'] as const);
    const explaining = values.explain !== undefined || values.tlc !== undefined || values.model !== undefined;
    for (const f of ['method', 'signal', 'percentile', 'style'] as const) {
      if (values[f] !== undefined && !explaining) throw new OptionError(`--${f}`, 'goes with --explain DIR (or --tlc)');
    }
    if (methodsLayout && values.explain === undefined) throw new OptionError('--layout', 'methods needs --explain DIR');
    const percentile = numberOption('--percentile', values.percentile, { min: 50, max: 100 });
    const style = choiceOption('--style', values.style, ['trace', 'background'] as const);
    const paper: EcgChartOptions = {};
    if (layout) paper.layout = layout;
    if (lead !== undefined) paper.lead = lead;
    const speed = numberOption('--speed', values.speed, { min: 1, max: 500 });
    const gain = numberOption('--gain', values.gain, { min: 0.5, max: 500 });
    const start = numberOption('--start', values.start, { min: 0 });
    const duration = numberOption('--duration', values.duration, { min: 0.01, max: MAX_DURATION_S, unit: 's' });
    const pxPerMm = numberOption('--px-per-mm', values['px-per-mm'], { min: 0.5, max: 50 });
    if (speed !== undefined) paper.speed = speed;
    if (gain !== undefined) paper.gain = gain;
    if (start !== undefined) paper.start = start;
    if (duration !== undefined) paper.duration = duration;
    if (pxPerMm !== undefined) paper.pxPerMm = pxPerMm;

    const raw = await loadEcg(positionals[0], values.data, values.id);
    let ecg = raw;
    let panels: Panel[];
    const notes: string[] = [];
    if (explaining) {
      const e = await explainedPanels(raw, values, waves, style, percentile).catch((err: unknown) => {
        throw asFlag(err);
      });
      ecg = e.ecg;
      panels = e.panels;
      notes.push(...e.notes);
      paper.units = e.units;
    } else {
      const w = waveOverlay(raw, waves);
      panels = [{ title: raw.meta.recordId, overlays: w ? { waves: w } : {} }];
    }
    // Stacked charts share one left margin, so their time axes line up.
    const labelChars = Math.max(0, ...panels.map((p) => Math.max(0, ...(p.overlays.clusters ?? []).map((b) => b.block.length), p.overlays.entropy?.length ? 7 : 0)));
    const svgs = beatsLayout
      ? flagged(() => beatPanelsOf(ecg, panels, { ...(paper.gain !== undefined ? { gain: paper.gain } : {}), ...(paper.pxPerMm !== undefined ? { pxPerMm: paper.pxPerMm } : {}), ...(paper.units !== undefined ? { units: paper.units } : {}) }))
      : panels.map((p) => flagged(() => renderEcgSvg(ecg, { ...paper, labelChars, overlays: p.overlays, title: p.title })));
    const svg = stackSvgs(svgs);
    const bytes = format === 'svg' ? svg : svgToPng(svg, { scale });
    writeFileAtomic(out, bytes, policy);
    const size = svgSize(svg);
    const px = format === 'png' ? `${Math.round(size.width * scale)}x${Math.round(size.height * scale)} px` : `${size.width}x${size.height} px`;
    process.stdout.write(`wrote ${out} (${format.toUpperCase()}, ${px}, ${bytes.length} bytes${panels.length > 1 ? `, ${panels.length} charts` : ''})\n`);
    for (const n of notes) process.stdout.write(`  ${n}\n`);
    // Drawn anyway (a picture shows what is wrong), but the mV grid may mislead: say so.
    for (const w of ecgQualityWarnings(raw)) process.stderr.write(`ecgx: warning: record ${raw.meta.recordId}: ${w}\n`);
    return 0;
  },
};

export default command;
