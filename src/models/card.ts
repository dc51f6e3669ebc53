/**
 * The model card: what a model expects and what it produces, in one versioned
 * JSON document (schema `ecgx-model-card`, version 1). It lives in the ONNX
 * metadata (key `ecgx.card`) or beside the model as `MODEL.card.json`. Every
 * consumer (training, prediction, explainers, TLC, the report and the web app)
 * turns records into model input through the card (models/inputs.ts), so a
 * PyTorch export with a card is as first-class as an ecgx checkpoint, which
 * is just a model whose card ecgx wrote.
 *
 * Nothing is implied: a record whose rate, leads or length does not fit the
 * card is refused with the card field (and `ecgx model card` flag) to set.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ModelProto } from '../engine/onnx/proto.js';
import { inspectModel, type ModelInfo } from '../engine/onnx/inspect.js';
import { canonicalLead } from '../data/leads.js';
import { FormatError, ModelError } from '../util/errors.js';

export const CARD_SCHEMA = 'ecgx-model-card';
export const CARD_VERSION = 1;
/** ONNX metadata key holding the card (JSON). */
export const CARD_META_KEY = 'ecgx.card';

export type CardTask = 'multilabel' | 'multiclass' | 'regression' | 'embedding';

/** One preprocessing step; the card lists them in the order they run. */
export type PreprocessStep =
  /** Resample to the card's rate (a record already at that rate is left alone). Absent: other rates are refused. */
  | { op: 'resample' }
  /** Zero-phase Butterworth high-pass (baseline wander), cut-off in Hz. */
  | { op: 'highpass'; hz: number; order: number }
  /** Zero-phase Butterworth band-pass [low, high] Hz. */
  | { op: 'bandpass'; hz: [number, number]; order: number }
  /** Zero-phase power-line notch at `hz` with quality factor `q`. */
  | { op: 'notch'; hz: number; q: number }
  /** Per-lead z-score: with the given mean/std per lead (in the signal's units at this step), else each record's own. */
  | { op: 'zscore'; mean?: number[]; std?: number[] }
  /** Unit scaling: records are in mV; 'uV' multiplies by 1000. */
  | { op: 'units'; to: 'mV' | 'uV' };

/** What happens to a record that is longer or shorter than a fixed input length. */
export interface InputFit {
  /** Longer records: refused, cropped at `anchor`, or cut into sliding windows of the input length. */
  longer: 'refuse' | 'crop' | 'windows';
  /** Shorter records: refused, or zero-padded at `anchor` (after preprocessing). */
  shorter: 'refuse' | 'pad';
  /** 'start': keep the first samples / pad at the end; 'center': keep the middle / pad both sides. */
  anchor: 'start' | 'center';
  /** Windows: stride in samples (at the card's rate). */
  stride?: number;
  /** Windows: how window scores become the record's score. */
  aggregate?: 'max' | 'mean';
}

export interface ModelCard {
  schema: typeof CARD_SCHEMA;
  version: typeof CARD_VERSION;
  /** The input tensor, laid out [batch, leads, time] float32. */
  input: { name: string; layout: 'batch,leads,time' };
  /** Canonical lead names in input order. */
  leads: string[];
  /** What a record whose leads lack some of `leads` gets: refused, or a lead of zeros. */
  missingLeads: 'refuse' | 'zero';
  /** Input sampling rate, Hz. */
  fs: number;
  /** Samples per lead the model takes, or null for any length (fully convolutional). */
  length: number | null;
  preprocess: PreprocessStep[];
  fit: InputFit;
  output: {
    name: string;
    task: CardTask;
    /** 'logits' get a sigmoid (multilabel) or softmax (multiclass) for scores; 'probabilities' are used as they are. */
    kind: 'logits' | 'probabilities' | 'values';
    /** Regression: the unit of the value (e.g. 'years'). */
    unit?: string;
    /** One name per output column. */
    classes: string[];
  };
  /** Named tensors to explain: Grad-CAM's default layer and TLC's default layers. */
  layers: { gradcam?: string; tlc?: string[] };
  provenance?: { source?: string; license?: string; citation?: string };
}

/** A card being assembled: any field may still be missing (what `ecgx model card` prints). */
export type PartialCard = Partial<Omit<ModelCard, 'output' | 'input' | 'fit' | 'layers'>> & {
  input?: Partial<ModelCard['input']>;
  output?: Partial<ModelCard['output']>;
  fit?: Partial<InputFit>;
  layers?: ModelCard['layers'];
};

export const DEFAULT_FIT: InputFit = { longer: 'refuse', shorter: 'refuse', anchor: 'start' };

/** Upper bounds that keep a bad card from running for hours (see validateCard). */
const MAX_FS = 20_000;
const MAX_LENGTH = 10_000_000;
const MAX_FILTER_ORDER = 10;

/** The sidecar path of a model file: `M.onnx` -> `M.card.json`. */
export function sidecarPath(modelFile: string): string {
  return modelFile.replace(/\.onnx$/i, '') + '.card.json';
}

/**
 * The card of a model: its `ecgx.card` metadata, else the sidecar
 * `MODEL.card.json` beside `file`. undefined when there is neither. The card is
 * checked against the schema and the graph (validateCard).
 */
export function readCard(model: ModelProto, file = '<model>', info: ModelInfo = inspectModel(model)): ModelCard | undefined {
  const raw = (model.metadataProps ?? []).find((p) => p.key === CARD_META_KEY)?.value;
  let where = `${file} (metadata ${CARD_META_KEY})`;
  let text: string | undefined = raw ?? undefined;
  if (text === undefined && file !== '<model>') {
    const side = sidecarPath(file);
    if (existsSync(side)) {
      where = side;
      try {
        text = readFileSync(side, 'utf8');
      } catch (e) {
        throw new FormatError(side, `cannot be read (${(e as Error).message})`);
      }
    }
  }
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new FormatError(where, 'the model card is not valid JSON');
  }
  return validateCard(v, where, info);
}

/** A copy of `model` with `card` in its metadata (replacing any earlier card). */
export function withCard(model: ModelProto, card: ModelCard): ModelProto {
  const keep = (model.metadataProps ?? []).filter((p) => p.key !== CARD_META_KEY);
  return { ...model, metadataProps: [...keep, { key: CARD_META_KEY, value: JSON.stringify(card) }] };
}

const fail = (where: string, field: string, what: string): never => {
  throw new FormatError(where, what, { field: `card.${field}` });
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function posNumber(where: string, field: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) fail(where, field, `expected a number in (0, ${max}], got ${JSON.stringify(v)}`);
  return v as number;
}

function posInt(where: string, field: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) fail(where, field, `expected an integer in [1, ${max}], got ${JSON.stringify(v)}`);
  return v as number;
}

function oneOf<T extends string>(where: string, field: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) fail(where, field, `expected one of ${choices.join('|')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function strings(where: string, field: string, v: unknown, opts: { nonEmpty?: boolean } = {}): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.trim() !== '')) fail(where, field, `expected a list of names, got ${JSON.stringify(v)?.slice(0, 80)}`);
  if (opts.nonEmpty && (v as string[]).length === 0) fail(where, field, 'expected at least one name');
  return v as string[];
}

/**
 * Checks a card (parsed JSON) field by field against the schema and, when
 * given, against the graph: the input and output tensors exist with
 * compatible shapes, the layers exist, the class count matches the output.
 * A FormatError names the first bad field (`card.output.kind`, ...).
 */
export function validateCard(v: unknown, where: string, info?: ModelInfo): ModelCard {
  if (!isObject(v)) return fail(where, '', 'expected a JSON object');
  if (v['schema'] !== CARD_SCHEMA) fail(where, 'schema', `expected '${CARD_SCHEMA}', got ${JSON.stringify(v['schema'])}`);
  if (v['version'] !== CARD_VERSION) fail(where, 'version', `this ecgx reads version ${CARD_VERSION}, got ${JSON.stringify(v['version'])}`);
  const input = v['input'];
  if (!isObject(input) || typeof input['name'] !== 'string') return fail(where, 'input.name', 'is missing (the input tensor name)');
  if (input['layout'] !== 'batch,leads,time') fail(where, 'input.layout', `expected 'batch,leads,time', got ${JSON.stringify(input['layout'])}`);
  const leads = strings(where, 'leads', v['leads'], { nonEmpty: true }).map(canonicalLead);
  const dup = leads.find((l, i) => leads.indexOf(l) !== i);
  if (dup !== undefined) fail(where, 'leads', `lead ${dup} appears twice`);
  const missingLeads = oneOf(where, 'missingLeads', v['missingLeads'] ?? 'refuse', ['refuse', 'zero'] as const);
  const fs = posNumber(where, 'fs', v['fs'], MAX_FS);
  const length = v['length'] === null ? null : posInt(where, 'length', v['length'], MAX_LENGTH);
  if (!Array.isArray(v['preprocess'])) fail(where, 'preprocess', 'expected a list of steps (may be empty)');
  const preprocess = (v['preprocess'] as unknown[]).map((s, i) => validateStep(where, `preprocess[${i}]`, s, leads.length));
  if (preprocess.filter((s) => s.op === 'resample').length > 1) fail(where, 'preprocess', "'resample' appears twice");
  const fitIn = v['fit'] ?? DEFAULT_FIT;
  if (!isObject(fitIn)) return fail(where, 'fit', 'expected an object');
  const fit: InputFit = {
    longer: oneOf(where, 'fit.longer', fitIn['longer'] ?? 'refuse', ['refuse', 'crop', 'windows'] as const),
    shorter: oneOf(where, 'fit.shorter', fitIn['shorter'] ?? 'refuse', ['refuse', 'pad'] as const),
    anchor: oneOf(where, 'fit.anchor', fitIn['anchor'] ?? 'start', ['start', 'center'] as const),
  };
  if (fit.longer === 'windows') {
    if (length === null) fail(where, 'fit.longer', "'windows' needs a fixed input length (card.length)");
    fit.stride = posInt(where, 'fit.stride', fitIn['stride'], length!);
    fit.aggregate = oneOf(where, 'fit.aggregate', fitIn['aggregate'], ['max', 'mean'] as const);
  } else if (fitIn['stride'] !== undefined || fitIn['aggregate'] !== undefined) fail(where, 'fit.stride', "stride and aggregate go with fit.longer 'windows'");
  const out = v['output'];
  if (!isObject(out) || typeof out['name'] !== 'string') return fail(where, 'output.name', 'is missing (the output tensor name)');
  const task = oneOf(where, 'output.task', out['task'], ['multilabel', 'multiclass', 'regression', 'embedding'] as const);
  const kind = oneOf(where, 'output.kind', out['kind'], task === 'regression' || task === 'embedding' ? (['values', 'logits'] as const) : (['logits', 'probabilities'] as const));
  const classes = task === 'embedding' ? strings(where, 'output.classes', out['classes'] ?? []) : strings(where, 'output.classes', out['classes'], { nonEmpty: true });
  const output: ModelCard['output'] = { name: out['name'], task, kind: task === 'regression' ? 'values' : kind, classes };
  if (out['unit'] !== undefined) {
    if (typeof out['unit'] !== 'string') fail(where, 'output.unit', 'expected a unit name');
    output.unit = out['unit'] as string;
  }
  const layersIn = v['layers'] ?? {};
  if (!isObject(layersIn)) return fail(where, 'layers', 'expected {gradcam, tlc}');
  const layers: ModelCard['layers'] = {};
  if (layersIn['gradcam'] !== undefined) {
    if (typeof layersIn['gradcam'] !== 'string') fail(where, 'layers.gradcam', 'expected a tensor name');
    layers.gradcam = layersIn['gradcam'] as string;
  }
  if (layersIn['tlc'] !== undefined) layers.tlc = strings(where, 'layers.tlc', layersIn['tlc'], { nonEmpty: true });
  const card: ModelCard = { schema: CARD_SCHEMA, version: CARD_VERSION, input: { name: input['name'], layout: 'batch,leads,time' }, leads, missingLeads, fs, length, preprocess, fit, output, layers };
  if (v['provenance'] !== undefined) {
    const p = v['provenance'];
    if (!isObject(p) || Object.values(p).some((x) => typeof x !== 'string')) fail(where, 'provenance', 'expected {source, license, citation} as text');
    card.provenance = p as ModelCard['provenance'] & object;
  }
  if (info) checkCardAgainstGraph(card, info, where);
  return card;
}

function validateStep(where: string, field: string, s: unknown, nLeads: number): PreprocessStep {
  if (!isObject(s)) return fail(where, field, 'expected {op, ...}');
  const op = oneOf(where, `${field}.op`, s['op'], ['resample', 'highpass', 'bandpass', 'notch', 'zscore', 'units'] as const);
  switch (op) {
    case 'resample':
      return { op };
    case 'highpass':
      return { op, hz: posNumber(where, `${field}.hz`, s['hz'], MAX_FS / 2), order: posInt(where, `${field}.order`, s['order'], MAX_FILTER_ORDER) };
    case 'bandpass': {
      const hz = s['hz'];
      if (!Array.isArray(hz) || hz.length !== 2) return fail(where, `${field}.hz`, `expected [low, high] in Hz, got ${JSON.stringify(hz)}`);
      const lo = posNumber(where, `${field}.hz`, hz[0], MAX_FS / 2), hi = posNumber(where, `${field}.hz`, hz[1], MAX_FS / 2);
      if (!(lo < hi)) fail(where, `${field}.hz`, `expected low < high, got [${lo}, ${hi}]`);
      return { op, hz: [lo, hi], order: posInt(where, `${field}.order`, s['order'], MAX_FILTER_ORDER) };
    }
    case 'notch':
      return { op, hz: posNumber(where, `${field}.hz`, s['hz'], MAX_FS / 2), q: posNumber(where, `${field}.q`, s['q'] ?? 30, 1000) };
    case 'zscore': {
      if ((s['mean'] === undefined) !== (s['std'] === undefined)) fail(where, field, 'give both mean and std per lead, or neither (per-record z-score)');
      if (s['mean'] === undefined) return { op };
      const vec = (k: 'mean' | 'std'): number[] => {
        const a = s[k];
        if (!Array.isArray(a) || a.length !== nLeads || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) {
          return fail(where, `${field}.${k}`, `expected ${nLeads} numbers (one per lead of card.leads), got ${JSON.stringify(a)?.slice(0, 80)}`);
        }
        return a as number[];
      };
      const mean = vec('mean'), std = vec('std');
      if (std.some((x) => !(x > 0))) fail(where, `${field}.std`, 'expected standard deviations > 0');
      return { op, mean, std };
    }
    case 'units':
      return { op, to: oneOf(where, `${field}.to`, s['to'], ['mV', 'uV'] as const) };
  }
}

/** The card's tensors exist in the graph with shapes that fit. */
export function checkCardAgainstGraph(card: ModelCard, info: ModelInfo, where: string): void {
  const input = info.inputs.find((i) => i.name === card.input.name);
  if (!input) fail(where, 'input.name', `the graph has no input '${card.input.name}' (inputs: ${info.inputs.map((i) => i.name).join(', ')})`);
  const [, dl, dt] = input!.shape;
  if (input!.shape.length !== 3) fail(where, 'input.name', `input '${card.input.name}' has shape [${input!.shape.join(', ')}], expected [batch, leads, time]`);
  if (typeof dl === 'number' && dl !== card.leads.length) fail(where, 'leads', `${card.leads.length} leads, but input '${card.input.name}' takes ${dl}`);
  if (typeof dt === 'number' && card.length !== dt) fail(where, 'length', `${card.length ?? 'any'}, but input '${card.input.name}' takes ${dt} samples`);
  if (!info.outputs.some((o) => o.name === card.output.name)) {
    fail(where, 'output.name', `the graph has no output '${card.output.name}' (outputs: ${info.outputs.map((o) => o.name).join(', ')})`);
  }
  const width = outputWidth(info, card.output.name);
  if (card.output.task !== 'embedding' && width !== undefined && width !== card.output.classes.length) {
    fail(where, 'output.classes', `${card.output.classes.length} names, but output '${card.output.name}' has ${width} columns`);
  }
  const tensors = new Set(info.nodes.flatMap((n) => n.outputs));
  for (const l of [...(card.layers.gradcam !== undefined ? [card.layers.gradcam] : []), ...(card.layers.tlc ?? [])]) {
    if (!tensors.has(l)) fail(where, card.layers.tlc?.includes(l) ? 'layers.tlc' : 'layers.gradcam', `the graph has no tensor '${l}' ('ecgx model info' lists them)`);
  }
}

/** Columns of a [batch, K] output (1 for [batch]); undefined when not static. */
export function outputWidth(info: ModelInfo, name: string): number | undefined {
  const o = info.outputs.find((t) => t.name === name);
  if (!o) return undefined;
  if (o.shape.length === 1) return 1;
  return o.shape.length === 2 && typeof o.shape[1] === 'number' ? o.shape[1] : undefined;
}

/** What the graph alone says about a card: tensor names and shapes, the output activation, candidate layers. */
export interface CardInference {
  /** Fields the graph determines. */
  card: PartialCard;
  /** Notes on what was inferred and how, one line each. */
  notes: string[];
  /** Card fields that still need a value, with the `ecgx model card` flag that sets each. */
  missing: { field: string; flag: string }[];
}

/**
 * Reads what it can from the graph: the single input and its shape (leads,
 * length), the first output and its width, whether the graph ends in a
 * Sigmoid or Softmax (probabilities) or not (logits), and the residual block
 * outputs (the `Relu` after an `Add`), with the last three proposed as TLC
 * layers and the last as Grad-CAM's.
 */
export function inferCard(model: ModelProto, info: ModelInfo = inspectModel(model)): CardInference {
  const notes: string[] = [];
  const card: PartialCard = { schema: CARD_SCHEMA, version: CARD_VERSION };
  if (info.inputs.length !== 1) throw new ModelError(`the model has ${info.inputs.length} inputs (${info.inputs.map((i) => i.name).join(', ')}); ecgx needs one [batch, leads, time] input`);
  const input = info.inputs[0]!;
  card.input = { name: input.name, layout: 'batch,leads,time' };
  notes.push(`input '${input.name}' [${input.shape.join(', ')}]`);
  if (input.shape.length === 3) {
    const [, dl, dt] = input.shape;
    if (typeof dl === 'number' && dl === 12) {
      card.leads = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
      notes.push('12 input leads: assumed in the standard order I II III aVR aVL aVF V1-V6 (set --leads if not)');
    }
    card.length = typeof dt === 'number' ? dt : null;
    notes.push(typeof dt === 'number' ? `fixed input length ${dt} samples` : `any input length (time axis '${dt}')`);
  }
  const output = info.outputs[0];
  if (output) {
    const ending = outputActivation(model, output.name);
    const width = outputWidth(info, output.name);
    card.output = { name: output.name };
    if (ending) {
      card.output.kind = 'probabilities';
      card.output.task = ending === 'Softmax' ? 'multiclass' : 'multilabel';
      notes.push(`output '${output.name}' [${output.shape.join(', ')}] ends in ${ending}: ${card.output.task} probabilities`);
    } else notes.push(`output '${output.name}' [${output.shape.join(', ')}] ends in no activation: logits (classification) or values (regression)`);
    if (width !== undefined) notes.push(`${width} output column(s)`);
  }
  const blocks = info.blocks;
  if (blocks.length > 0) {
    card.layers = { tlc: blocks.slice(-3), gradcam: blocks[blocks.length - 1]! };
    notes.push(`${blocks.length} residual block output(s): ${blocks.join(', ')}; TLC layers: the last ${Math.min(3, blocks.length)}, Grad-CAM: the last`);
  } else {
    const conv = info.explainable.filter((e) => e.kind !== 'block');
    const last = conv[conv.length - 1];
    if (last) {
      card.layers = { gradcam: last.name };
      notes.push(`no residual blocks; Grad-CAM layer: the last [batch, channels, time] tensor '${last.name}' (set --layers for TLC)`);
    }
  }
  const missing: CardInference['missing'] = [];
  if (card.leads === undefined) missing.push({ field: 'leads', flag: '--leads I,II,...' });
  missing.push({ field: 'fs', flag: '--fs HZ' });
  if (card.output?.task === undefined) missing.push({ field: 'output.task', flag: '--task multilabel|multiclass|regression' });
  if (card.output?.kind === undefined) missing.push({ field: 'output.kind', flag: '--output-kind logits|probabilities' });
  missing.push({ field: 'output.classes', flag: '--classes A,B,...' });
  return { card, notes, missing };
}

/** 'Sigmoid' or 'Softmax' when `name` is produced by one (through reshapes/identity), else undefined. */
function outputActivation(model: ModelProto, name: string): 'Sigmoid' | 'Softmax' | undefined {
  const nodes = model.graph?.node ?? [];
  const producer = new Map<string, (typeof nodes)[number]>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  let cur = producer.get(name);
  for (let hops = 0; cur && hops < 8; hops++) {
    const op = cur.opType ?? '';
    if (op === 'Sigmoid') return 'Sigmoid';
    if (op === 'Softmax' || op === 'LogSoftmax') return op === 'Softmax' ? 'Softmax' : undefined;
    if (!['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'].includes(op)) return undefined;
    cur = producer.get(cur.input?.[0] ?? '');
  }
  return undefined;
}

/**
 * A complete card from a partial one; the first field still missing is a
 * ModelError naming it and the flag that sets it.
 */
export function completeCard(p: PartialCard, where: string, info?: ModelInfo): ModelCard {
  const need = (ok: boolean, field: string, flag: string): void => {
    if (!ok) throw new FormatError(where, `the model card has no ${field} (set it with ${flag})`, { field: `card.${field}` });
  };
  need(p.input?.name !== undefined, 'input.name', "'ecgx model card'");
  need(p.leads !== undefined, 'leads', '--leads I,II,...');
  need(p.fs !== undefined, 'fs', '--fs HZ');
  need(p.length !== undefined, 'length', '--length N (or --length any)');
  need(p.output?.name !== undefined, 'output.name', '--output NAME');
  need(p.output?.task !== undefined, 'output.task', '--task multilabel|multiclass|regression');
  need(p.output?.kind !== undefined || p.output?.task === 'regression', 'output.kind', '--output-kind logits|probabilities');
  need(p.output?.classes !== undefined || p.output?.task === 'embedding', 'output.classes', '--classes A,B,...');
  return validateCard({ fit: DEFAULT_FIT, preprocess: [], layers: {}, missingLeads: 'refuse', ...p, output: { kind: 'values', ...p.output } }, where, info);
}

/** What ecgx's own training fixes about its input (also how older checkpoints' `ecgx.preprocess` metadata reads). */
export interface TrainingInput {
  leads: string[];
  fs: number;
  length: number;
  bandpass?: [number, number];
  highpass?: number;
  notch?: number;
  filterOrder?: number;
  standardize?: boolean;
  /** Where crops and pads sit (default 'center'). */
  anchor?: 'start' | 'center';
}

/**
 * The card of a model ecgx trains: records are resampled to its rate,
 * filtered, z-scored per record when asked, and cropped or zero-padded to
 * its length around the centre; missing leads are zeros. Its explained
 * output is `logits` (before the sigmoid/softmax that `probs` applies).
 */
export function trainingCard(input: TrainingInput, output: { task: CardTask; classes: string[]; name?: string; unit?: string }, info?: ModelInfo): ModelCard {
  const order = input.filterOrder ?? 2;
  const preprocess: PreprocessStep[] = [{ op: 'resample' }];
  if (input.notch !== undefined) preprocess.push({ op: 'notch', hz: input.notch, q: 30 });
  if (input.highpass !== undefined) preprocess.push({ op: 'highpass', hz: input.highpass, order });
  if (input.bandpass !== undefined) preprocess.push({ op: 'bandpass', hz: input.bandpass, order });
  if (input.standardize) preprocess.push({ op: 'zscore' });
  const blocks = info?.blocks ?? [];
  const card: ModelCard = {
    schema: CARD_SCHEMA, version: CARD_VERSION,
    input: { name: 'ecg', layout: 'batch,leads,time' },
    leads: input.leads.map(canonicalLead), missingLeads: 'zero', fs: input.fs, length: input.length, preprocess,
    fit: { longer: 'crop', shorter: 'pad', anchor: input.anchor ?? 'center' },
    output: { name: output.name ?? 'logits', task: output.task, kind: output.task === 'multilabel' || output.task === 'multiclass' ? 'logits' : 'values', classes: output.classes, ...(output.unit !== undefined ? { unit: output.unit } : {}) },
    layers: blocks.length ? { tlc: blocks.slice(-3), gradcam: blocks[blocks.length - 1]! } : {},
    provenance: { source: 'ecgx train' },
  };
  return info ? validateCard(card, '<trained model>', info) : card;
}

/** Metadata key of the preprocessing that checkpoints written before the card recorded (read for old checkpoints only). */
const LEGACY_PREPROCESS_KEY = 'ecgx.preprocess';

/**
 * A card for a checkpoint written before cards existed: its `ecgx.preprocess`
 * spec and task/class metadata read as the card trainingCard would write.
 * undefined when the model has neither.
 */
function legacyCard(model: ModelProto, file: string, info: ModelInfo): ModelCard | undefined {
  const meta = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const raw = meta.get(LEGACY_PREPROCESS_KEY);
  if (raw === undefined) return undefined;
  let spec: Record<string, unknown>;
  try {
    spec = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new FormatError(file, `metadata '${LEGACY_PREPROCESS_KEY}' is not JSON`, { field: LEGACY_PREPROCESS_KEY });
  }
  const outputs = info.outputs.map((o) => o.name);
  const encoder = outputs.includes('embedding');
  const task = (encoder ? 'embedding' : meta.get('ecgx.task') ?? 'multilabel') as CardTask;
  let classes: string[] = [];
  try {
    classes = JSON.parse(meta.get('ecgx.class_names') ?? '[]') as string[];
  } catch {
    throw new FormatError(file, "metadata 'ecgx.class_names' is not JSON", { field: 'ecgx.class_names' });
  }
  const leads = (spec['leads'] as string[] | undefined) ?? (JSON.parse(meta.get('ecgx.input_leads') ?? 'null') as string[] | null);
  if (!leads || typeof spec['fs'] !== 'number' || typeof spec['length'] !== 'number') {
    throw new FormatError(file, `metadata '${LEGACY_PREPROCESS_KEY}' does not fix the input's leads, rate and length`, { field: LEGACY_PREPROCESS_KEY });
  }
  return trainingCard(
    {
      leads, fs: spec['fs'], length: spec['length'],
      ...(spec['bandpass'] ? { bandpass: spec['bandpass'] as [number, number] } : {}),
      ...(typeof spec['highpass'] === 'number' ? { highpass: spec['highpass'] } : {}),
      ...(typeof spec['notch'] === 'number' ? { notch: spec['notch'] } : {}),
      ...(typeof spec['filterOrder'] === 'number' ? { filterOrder: spec['filterOrder'] } : {}),
      ...(spec['standardize'] === true ? { standardize: true } : {}),
      anchor: spec['crop'] === 'start' ? 'start' : 'center',
    },
    { task, classes, name: encoder ? 'embedding' : outputs.includes('logits') ? 'logits' : outputs[0]! },
    info,
  );
}

/** The card of a model (its own, or an older checkpoint's), undefined when it has none; a bad card throws. */
export function findCard(model: ModelProto, file = '<model>', info: ModelInfo = inspectModel(model)): ModelCard | undefined {
  return readCard(model, file, info) ?? legacyCard(model, file, info);
}

/**
 * The card a model runs by: its own (metadata or sidecar), or the one an
 * older ecgx checkpoint's metadata implies. A model with neither is a
 * FormatError that says how to write one.
 */
export function modelCard(model: ModelProto, file = '<model>', info: ModelInfo = inspectModel(model)): ModelCard {
  const card = findCard(model, file, info);
  if (card) return card;
  throw new FormatError(file, `has no model card (the leads, rate, length, preprocessing and outputs it expects); run 'ecgx model card ${file === '<model>' ? 'MODEL.onnx' : file}' to see what ecgx infers from the graph and which flags are still needed`, { field: 'card' });
}

/** One line a person can read: what the model takes and how records become its input. */
export function describeCard(card: ModelCard): string {
  const steps = card.preprocess.map((s) => {
    switch (s.op) {
      case 'resample': return `resample to ${card.fs} Hz`;
      case 'highpass': return `high-pass ${s.hz} Hz (order ${s.order})`;
      case 'bandpass': return `band-pass ${s.hz[0]}-${s.hz[1]} Hz (order ${s.order})`;
      case 'notch': return `notch ${s.hz} Hz (Q ${s.q})`;
      case 'zscore': return s.mean ? 'z-score (given mean/std)' : 'z-score per record';
      case 'units': return `units ${s.to}`;
    }
  });
  const f = card.fit;
  const fit = card.length === null ? 'any length'
    : f.longer === 'windows' ? `windows of ${card.length} (stride ${f.stride}, ${f.aggregate})`
    : `${card.length} samples${f.longer === 'crop' ? `, crop ${f.anchor}` : ''}${f.shorter === 'pad' ? `, pad ${f.anchor}` : ''}`;
  return `${card.leads.length} leads (${card.leads.join(' ')}) at ${card.fs} Hz, ${fit}; ${steps.length ? steps.join(', ') : 'no preprocessing'}; output '${card.output.name}' ${card.output.task} ${card.output.kind}`;
}
