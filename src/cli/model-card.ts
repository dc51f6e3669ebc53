/**
 * `ecgx model card MODEL.onnx`: shows what a model's card holds, or what ecgx
 * infers from the graph and what is still missing; with flags and --out,
 * writes a carded copy (or a MODEL.card.json sidecar) that every command
 * then runs the model by.
 */
import { resolve } from 'node:path';
import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { checkOutput, writeFileAtomic } from '../util/atomic-write.js';
import { encodeModel, loadModel } from '../engine/onnx/proto.js';
import { simplifyModel } from '../engine/onnx/simplify.js';
import { inspectModel } from '../engine/onnx/inspect.js';
import { STANDARD_LEADS } from '../data/leads.js';
import { completeCard, describeCard, findCard, inferCard, validateCard, withCard, type PartialCard, type PreprocessStep } from '../models/card.js';

const FLAGS = {
  out: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' }, 'keep-graph': { type: 'boolean' }, force: { type: 'boolean' },
  fs: { type: 'string' }, leads: { type: 'string' }, length: { type: 'string' }, 'missing-leads': { type: 'string' },
  resample: { type: 'boolean' }, 'no-resample': { type: 'boolean' },
  crop: { type: 'string' }, pad: { type: 'boolean' }, window: { type: 'string' }, stride: { type: 'string' }, aggregate: { type: 'string' },
  highpass: { type: 'string' }, bandpass: { type: 'string' }, notch: { type: 'string' }, 'filter-order': { type: 'string' },
  zscore: { type: 'boolean' }, 'zscore-mean': { type: 'string' }, 'zscore-std': { type: 'string' }, units: { type: 'string' },
  output: { type: 'string' }, task: { type: 'string' }, 'output-kind': { type: 'string' }, classes: { type: 'string' }, unit: { type: 'string' },
  layers: { type: 'string' }, 'gradcam-layer': { type: 'string' },
  source: { type: 'string' }, license: { type: 'string' }, citation: { type: 'string' },
} as const;

export const usage = `Usage: ecgx model card MODEL.onnx [flags] [--out CARDED.onnx | --out MODEL.card.json] [--json]

A model card says what a model expects and produces: its input tensor and
leads, sampling rate, input length, preprocessing (in order), how longer or
shorter records are fitted (crop, pad, or sliding windows whose outputs are
aggregated), its output (task, logits or probabilities, classes) and the
layers explainers use. Every ecgx command runs a model by its card: nothing
is resampled, cropped or padded unless the card says so.

With no flags, prints the model's card, or what ecgx infers from the graph
(input and output names and shapes, a final Sigmoid/Softmax, residual block
outputs) and the flags still needed. With flags, the card is the model's own
(or --from CARD.json, or the inference) with the flags applied; --out writes a
copy of the model with the card in its metadata (.onnx) or the card beside the
model (MODEL.card.json, found automatically next to MODEL.onnx).

Input:
  --leads A,B,...        input leads in order (canonical names: I II III aVR aVL aVF V1..V6; '12' for those 12)
  --fs HZ                input sampling rate
  --length N|any         samples per lead the model takes (default: the graph's, if fixed)
  --missing-leads M      refuse (default) | zero: a record lacking leads gets leads of zeros
Fitting records to the input (a fixed length):
  --crop start|center    cut longer records (default: refuse them)
  --pad                  zero-pad shorter records (at the crop's anchor; default: refuse them)
  --window W             sliding windows of W samples (the input length) over longer records
  --stride S             window stride in samples (default W: no overlap)
  --aggregate max|mean   how window scores make the record's score (default mean)
Preprocessing (run in this order: resample, notch, high-pass, band-pass, z-score, units):
  --resample             resample records at other rates to --fs (default: refuse them)
  --notch HZ             power-line notch
  --highpass HZ          Butterworth high-pass
  --bandpass LO,HI       Butterworth band-pass
  --filter-order N       order of the high-/band-pass (default 2)
  --zscore               per-lead z-score over each record
  --zscore-mean v1,..    per-lead z-score with these means (one per lead; with --zscore-std)
  --zscore-std v1,..     ... and these standard deviations
  --units mV|uV          the model's input unit (records are in mV; default mV)
Output:
  --output NAME          the output tensor (default: the graph's first)
  --task T               multilabel | multiclass | regression
  --output-kind K        logits (scores get a sigmoid for multilabel, a softmax for multiclass) | probabilities
  --classes A,B,...      one name per output column (regression: the value's name)
  --unit U               regression: the value's unit (e.g. years)
Explainers:
  --layers a,b,c         TLC layers (default: the last three residual blocks); Grad-CAM's default is the last
  --gradcam-layer NAME   Grad-CAM's default layer, if not the last TLC layer
Provenance:
  --source S --license L --citation C
Other:
  --from CARD.json       start from this card (any step order) instead of the model's own
  --json                 print the card (or the inference) as JSON
  --keep-graph           write the graph exactly as given (default: constant subgraphs folded and zero
                         padding merged into convolutions, checked to give the same outputs)
  --force                replace an existing --out file
`;

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter((x) => x !== '');

function numbers(flag: string, s: string): number[] {
  return list(s).map((x) => {
    const v = Number(x);
    if (!Number.isFinite(v)) throw new OptionError(flag, `expected numbers separated by commas, got '${x}'`);
    return v;
  });
}

type Values = Record<string, string | boolean | undefined>;

/** Applies the flags to a (partial) card. */
function applyFlags(card: PartialCard, v: Values): PartialCard {
  const s = (k: string): string | undefined => v[k] as string | undefined;
  const out: PartialCard = { ...card, output: { ...card.output }, fit: { ...(card.fit ?? {}) }, layers: { ...(card.layers ?? {}) }, preprocess: [...(card.preprocess ?? [])] };
  if (s('leads') !== undefined) out.leads = s('leads') === '12' ? [...STANDARD_LEADS] : list(s('leads')!);
  const fs = numberOption('--fs', s('fs'), { min: 1e-3, max: 20_000 });
  if (fs !== undefined) out.fs = fs;
  if (s('length') !== undefined) out.length = s('length') === 'any' ? null : numberOption('--length', s('length'), { integer: true, min: 1, max: 10_000_000 })!;
  const ml = choiceOption('--missing-leads', s('missing-leads'), ['refuse', 'zero'] as const);
  if (ml) out.missingLeads = ml;
  const crop = choiceOption('--crop', s('crop'), ['start', 'center'] as const);
  const window = numberOption('--window', s('window'), { integer: true, min: 1, max: 10_000_000 });
  if (crop && window !== undefined) throw new OptionError('--crop', 'give either --crop or --window, not both');
  if (crop) out.fit = { ...out.fit, longer: 'crop', anchor: crop };
  if (v['pad']) out.fit = { ...out.fit, shorter: 'pad' };
  if (window !== undefined) {
    if (out.length !== undefined && out.length !== null && out.length !== window) throw new OptionError('--window', `${window} samples, but the model takes ${out.length} (the window is the input length)`);
    out.length = window;
    const stride = numberOption('--stride', s('stride'), { integer: true, min: 1, max: window }) ?? window;
    out.fit = { ...out.fit, longer: 'windows', stride, aggregate: choiceOption('--aggregate', s('aggregate'), ['max', 'mean'] as const) ?? 'mean' };
  } else if (s('stride') !== undefined || s('aggregate') !== undefined) throw new OptionError(s('stride') !== undefined ? '--stride' : '--aggregate', 'goes with --window');
  // Flags that touch preprocessing rebuild it in the documented order; an untouched card keeps its own steps.
  const touches = ['resample', 'no-resample', 'notch', 'highpass', 'bandpass', 'filter-order', 'zscore', 'zscore-mean', 'zscore-std', 'units'].some((k) => v[k] !== undefined);
  if (touches) {
    const old = out.preprocess ?? [];
    const has = (op: PreprocessStep['op']): PreprocessStep | undefined => old.find((p) => p.op === op);
    const order = numberOption('--filter-order', s('filter-order'), { integer: true, min: 1, max: 10 }) ?? 2;
    const steps: PreprocessStep[] = [];
    if ((v['resample'] || has('resample')) && !v['no-resample']) steps.push({ op: 'resample' });
    const notch = numberOption('--notch', s('notch'), { min: 1e-3 });
    if (notch !== undefined) steps.push({ op: 'notch', hz: notch, q: 30 });
    else if (has('notch')) steps.push(has('notch')!);
    const hp = numberOption('--highpass', s('highpass'), { min: 1e-3 });
    if (hp !== undefined) steps.push({ op: 'highpass', hz: hp, order });
    else if (has('highpass')) steps.push(has('highpass')!);
    if (s('bandpass') !== undefined) {
      const b = numbers('--bandpass', s('bandpass')!);
      if (b.length !== 2) throw new OptionError('--bandpass', `expected LO,HI in Hz, got '${s('bandpass')}'`);
      steps.push({ op: 'bandpass', hz: [b[0]!, b[1]!], order });
    } else if (has('bandpass')) steps.push(has('bandpass')!);
    if ((s('zscore-mean') === undefined) !== (s('zscore-std') === undefined)) throw new OptionError(s('zscore-mean') === undefined ? '--zscore-mean' : '--zscore-std', 'give --zscore-mean and --zscore-std together');
    if (s('zscore-mean') !== undefined) steps.push({ op: 'zscore', mean: numbers('--zscore-mean', s('zscore-mean')!), std: numbers('--zscore-std', s('zscore-std')!) });
    else if (v['zscore']) steps.push({ op: 'zscore' });
    else if (has('zscore')) steps.push(has('zscore')!);
    const units = choiceOption('--units', s('units'), ['mV', 'uV'] as const);
    if (units === 'uV') steps.push({ op: 'units', to: 'uV' });
    else if (!units && has('units')) steps.push(has('units')!);
    out.preprocess = steps;
  }
  if (s('output') !== undefined) out.output = { ...out.output, name: s('output')! };
  const task = choiceOption('--task', s('task'), ['multilabel', 'multiclass', 'regression'] as const);
  if (task) out.output = { ...out.output, task };
  const kind = choiceOption('--output-kind', s('output-kind'), ['logits', 'probabilities'] as const);
  if (kind) out.output = { ...out.output, kind };
  if (s('classes') !== undefined) out.output = { ...out.output, classes: list(s('classes')!) };
  if (s('unit') !== undefined) out.output = { ...out.output, unit: s('unit')! };
  if (s('layers') !== undefined) {
    const tlc = list(s('layers')!);
    out.layers = { ...out.layers, tlc, gradcam: tlc[tlc.length - 1]! };
  }
  if (s('gradcam-layer') !== undefined) out.layers = { ...out.layers, gradcam: s('gradcam-layer')! };
  for (const k of ['source', 'license', 'citation'] as const) if (s(k) !== undefined) out.provenance = { ...out.provenance, [k]: s(k)! };
  return out;
}

export const card: Command = {
  summary: "show, infer or write a model's card (what it expects and produces)",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('model card', argv, FLAGS);
    if (positionals.length !== 1) throw new OptionError('model card', `expected one MODEL.onnx, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
    const file = resolve(positionals[0]!);
    const model = loadModel(file);
    const info = inspectModel(model);
    const v = values as Values;
    const given = Object.keys(FLAGS).filter((k) => !['out', 'json', 'from', 'keep-graph', 'force'].includes(k) && v[k] !== undefined);
    const own = findCard(model, file, info);
    const inferred = inferCard(model, info);
    let base: PartialCard = own ?? inferred.card;
    if (values.from !== undefined) {
      const { readFileSync } = await import('node:fs');
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(resolve(values.from), 'utf8'));
      } catch (e) {
        throw new OptionError('--from', `${values.from}: ${(e as Error).message.split('\n')[0]}`);
      }
      base = validateCard(parsed, resolve(values.from), info);
    }
    if (given.length === 0 && values.out === undefined && values.from === undefined) {
      if (own) {
        process.stdout.write(values.json ? JSON.stringify(own, null, 1) + '\n' : `${file}: ${describeCard(own)}\n`);
        return 0;
      }
      if (values.json) {
        process.stdout.write(JSON.stringify({ inferred: inferred.card, notes: inferred.notes, missing: inferred.missing }, null, 1) + '\n');
        return 0;
      }
      const lines = [`${file} has no model card. From the graph:`, ...inferred.notes.map((n) => `  ${n}`), 'Still needed (flags of ecgx model card):', ...inferred.missing.map((m) => `  ${m.field.padEnd(16)} ${m.flag}`)];
      lines.push(`Then: ecgx model card ${positionals[0]} ${inferred.missing.map((m) => m.flag.split(' ')[0]).join(' ... ')} ... --out CARDED.onnx`);
      process.stdout.write(lines.join('\n') + '\n');
      return 0;
    }
    const applied = applyFlags(base, v);
    if (applied.length === undefined && inferred.card.length !== undefined) applied.length = inferred.card.length;
    const done = completeCard(applied, file, info);
    if (values.out === undefined) {
      process.stdout.write(values.json ? JSON.stringify(done, null, 1) + '\n' : `${describeCard(done)}\n(not written: give --out CARDED.onnx or --out MODEL.card.json)\n`);
      return 0;
    }
    const out = resolve(values.out);
    if (!out.endsWith('.json') && !out.endsWith('.onnx')) throw new OptionError('--out', `expected a .onnx (carded copy) or .card.json (sidecar) path, got ${values.out}`);
    const policy = { force: values.force === true };
    checkOutput(out, 'file', policy);
    let note = '';
    if (out.endsWith('.json')) writeFileAtomic(out, JSON.stringify(done, null, 1) + '\n', policy);
    else {
      // The copy is also simplified: PyTorch's run-time padding arithmetic and weight aliases folded (engine/onnx/simplify.ts).
      const s = values['keep-graph'] ? { model, report: undefined } : await simplifyModel(model, { length: done.length ?? Math.round(10 * done.fs) });
      const r = s.report;
      if (r) note = r.kept ? `graph kept as exported: ${r.kept}\n` : r.folded || r.fusedPads ? `graph: ${r.folded} constant node(s) folded, ${r.fusedPads} pad(s) merged into convolutions (outputs equal to ${r.maxDifference.toExponential(1)})\n` : '';
      writeFileAtomic(out, encodeModel(withCard(s.model, done)), policy);
    }
    process.stdout.write(`${describeCard(done)}\n${note}-> ${out}\n`);
    return 0;
  },
};
