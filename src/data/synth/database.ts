/**
 * Synthetic databases in PTB-XL or CODE-15% form, streamed record by record.
 *
 * Records are grouped in blocks of SYNTH_BLOCK_SIZE. A block's plan (which patient
 * each record belongs to, patients' superclasses and folds) comes from a seed
 * derived from (seed, block), and each record's signal from (seed, index), so
 * record i is generated without generating records 0..i-1 and memory stays
 * bounded. Some patients have several ECGs (PTB-XL: 21,799 records of 18,869
 * patients), taken a few years apart, with the patient's own morphology.
 * Folds (meta.extra.strat_fold, 1-10) are assigned per patient, stratified by
 * superclass set within each block, so a patient's ECGs share one fold.
 */
import type { Ecg, Sex } from '../ecg.js';
import { OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { resolveCohort, type CohortSpec } from './cohorts.js';
import { SUPERCLASSES, type Superclass } from './criteria.js';
import { drawSuperclasses, synthesizePatient } from './patient.js';
import { mixSeed } from './seed.js';
import { synthesizeEcg } from './synthesize.js';
import { addShortcut, resolveShortcut, type ShortcutSpec } from './shortcut.js';

export type SynthLayout = 'ptbxl' | 'code15';

export interface SynthDatabaseOptions {
  /** Number of records. */
  n: number;
  /** Sampling rate: 100 or 500 for ptbxl; code15 is always 400 Hz (omit fs or give 400). */
  fs?: number;
  seed: number;
  layout: SynthLayout;
  /** Cohort name or spec; default: the layout's name ('ptbxl' or 'code15'). */
  cohort?: CohortSpec | string;
  /** Record duration, s (default 10). */
  durationS?: number;
  /** Planted evidence masks per label in `ecg.evidence` (default false; see evidence.ts). */
  evidence?: boolean;
  /**
   * A shortcut trap (see shortcut.ts): the artefact goes into each ECG of the
   * class with probability `fraction` (drawn per record from the seed); those
   * ECGs get `meta.extra.shortcut = 1` and the artefact's mask as evidence
   * label 'shortcut'.
   */
  shortcut?: ShortcutSpec;
}

export const SYNTH_BLOCK_SIZE = 100;
/** CODE-15% sampling rate; its 4096-sample traces are 10 s zero-padded by the writer. */
export const CODE15_SYNTH_FS = 400;

/** ECGs per patient: PTB-XL averages 1.155. */
const VISITS: readonly (readonly [number, number])[] = [[1, 0.88], [2, 0.09], [3, 0.025], [4, 0.005]];

interface BlockPlan {
  /** For each slot of the block: patient index within the block and visit number. */
  slots: { patient: number; visit: number }[];
  patients: { classes: Superclass[]; age: number; sex: Sex; fold: number; ageOffsets: number[] }[];
}

function planBlock(seed: number, block: number, cohort: CohortSpec): BlockPlan {
  const rng = new Rng(mixSeed(seed, block, 0xb10c));
  const visits: number[] = [];
  for (let filled = 0; filled < SYNTH_BLOCK_SIZE; ) {
    let u = rng.uniform(), m = 1;
    for (const [k, p] of VISITS) if ((u -= p) < 0) { m = k; break; }
    m = Math.min(m, SYNTH_BLOCK_SIZE - filled);
    visits.push(m);
    filled += m;
  }
  const slots: BlockPlan['slots'] = [];
  visits.forEach((m, p) => { for (let v = 0; v < m; v++) slots.push({ patient: p, visit: v }); });
  rng.shuffle(slots);
  // A patient's visits keep their order in the block, so ages increase with ecg_id.
  const seen = new Map<number, number>();
  for (const s of slots) { s.visit = seen.get(s.patient) ?? 0; seen.set(s.patient, s.visit + 1); }
  const patients = visits.map((m, p) => {
    const prng = new Rng(mixSeed(seed, block, p, 0xc1a55));
    const ageOffsets = [0];
    for (let v = 1; v < m; v++) ageOffsets.push(ageOffsets[v - 1]! + prng.range(0, 3));
    const sex: Sex = prng.uniform() < cohort.maleFraction ? 'M' : 'F';
    const age = Math.round(Math.min(95, Math.max(18, prng.normal(cohort.ageMean, cohort.ageSd))));
    const classes = drawSuperclasses(prng, cohort.prevalence, (age - cohort.ageMean) / cohort.ageSd);
    return { classes, age, sex, fold: 0, ageOffsets, key: rng.uniform() };
  });
  // Stratified folds: order the block's patients by label set (ties at random) and deal folds
  // round-robin from a random start, so every label set spreads evenly over the ten folds.
  const order = patients.map((_, p) => p).sort((a, b) => {
    const ka = stratumKey(patients[a]!.classes), kb = stratumKey(patients[b]!.classes);
    return ka < kb ? -1 : ka > kb ? 1 : patients[a]!.key - patients[b]!.key;
  });
  const offset = rng.int(10);
  order.forEach((p, rank) => (patients[p]!.fold = ((offset + rank) % 10) + 1));
  return { slots, patients: patients.map(({ key: _key, ...p }) => p) };
}

function stratumKey(classes: readonly Superclass[]): string {
  return SUPERCLASSES.map((c) => (classes.includes(c) ? '1' : '0')).join('');
}

function checkOptions(opts: SynthDatabaseOptions): { fs: number; cohort: CohortSpec } {
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new OptionError('n', `expected a positive integer number of records, got ${opts.n}`);
  if (!Number.isInteger(opts.seed)) throw new OptionError('seed', `expected an integer, got ${opts.seed}`);
  let fs: number;
  if (opts.layout === 'ptbxl') {
    fs = opts.fs ?? 100;
    if (fs !== 100 && fs !== 500) throw new OptionError('fs', `PTB-XL records are sampled at 100 or 500 Hz, got ${fs}`);
  } else if (opts.layout === 'code15') {
    if (opts.fs !== undefined && opts.fs !== CODE15_SYNTH_FS) throw new OptionError('fs', `CODE-15% records are always ${CODE15_SYNTH_FS} Hz (omit fs), got ${opts.fs}`);
    fs = CODE15_SYNTH_FS;
    if ((opts.durationS ?? 10) * fs > 4096) throw new OptionError('durationS', `CODE-15% traces hold 4096 samples (10.24 s at 400 Hz), got ${opts.durationS} s`);
  } else {
    throw new OptionError('layout', `expected ptbxl|code15, got '${String(opts.layout)}'`);
  }
  if (opts.shortcut) resolveShortcut(opts.shortcut);
  return { fs, cohort: resolveCohort(opts.cohort, opts.layout) };
}

/** CODE-15%'s six abnormality labels from SCP codes and heart rate (its SB/ST use < 50 / > 100 bpm). */
export function code15Labels(codes: readonly string[], hrBpm: number): string[] {
  const out: string[] = [];
  if (codes.includes('1AVB')) out.push('1dAVb');
  if (codes.includes('CRBBB')) out.push('RBBB');
  if (codes.includes('CLBBB')) out.push('LBBB');
  const sinus = !codes.includes('AFIB');
  if (sinus && hrBpm < 50) out.push('SB');
  if (sinus && hrBpm > 100) out.push('ST');
  if (codes.includes('AFIB')) out.push('AF');
  if (codes.includes('NORM')) out.push('normal_ecg');
  return out;
}

/** Record `index` (0-based) of the database, generated on its own. */
export function synthesizeDatabaseRecord(opts: SynthDatabaseOptions, index: number): Ecg {
  const { fs, cohort } = checkOptions(opts);
  if (!Number.isInteger(index) || index < 0 || index >= opts.n) throw new OptionError('index', `expected 0..${opts.n - 1}, got ${index}`);
  return recordFromPlan(opts, fs, cohort, index, planBlock(opts.seed, Math.floor(index / SYNTH_BLOCK_SIZE), cohort));
}

function recordFromPlan(opts: SynthDatabaseOptions, fs: number, cohort: CohortSpec, index: number, plan: BlockPlan): Ecg {
  const block = Math.floor(index / SYNTH_BLOCK_SIZE);
  const slot = plan.slots[index % SYNTH_BLOCK_SIZE]!;
  const pp = plan.patients[slot.patient]!;
  const patient = synthesizePatient({ seed: mixSeed(opts.seed, block, slot.patient, 0x9a7), id: String(block * SYNTH_BLOCK_SIZE + slot.patient + 1), classes: pp.classes, age: pp.age, sex: pp.sex, cohort });
  const age = Math.min(95, patient.age + pp.ageOffsets[slot.visit]!);
  const ecg = synthesizeEcg({ fs, durationS: opts.durationS ?? 10, seed: mixSeed(opts.seed, index, 0xec6), patient, age, cohort, recordId: String(index + 1), ...(opts.evidence ? { evidence: true } : {}) });
  ecg.meta.extra = { ...ecg.meta.extra, strat_fold: pp.fold };
  if (opts.shortcut && patient.superclasses.includes(opts.shortcut.label)) {
    const rng = new Rng(mixSeed(opts.seed, index, 0x5c0a7));
    if (rng.uniform() < opts.shortcut.fraction) {
      ecg.evidence = { ...(ecg.evidence ?? {}), shortcut: addShortcut(ecg, opts.shortcut, rng) };
      ecg.meta.extra['shortcut'] = 1;
    }
  }
  if (opts.layout === 'code15') {
    const codes = ecg.meta.labels ?? [];
    ecg.meta.extra['scp_codes'] = codes.join(',');
    ecg.meta.labels = code15Labels(codes, Number(ecg.meta.extra['heart_rate']));
  }
  return ecg;
}

/** Streams `n` records; bounded memory (one block plan and one record at a time). */
export function* synthesizeDatabase(opts: SynthDatabaseOptions): Generator<Ecg> {
  const { fs, cohort } = checkOptions(opts);
  let plan: BlockPlan | undefined, planBlockIndex = -1;
  for (let i = 0; i < opts.n; i++) {
    const b = Math.floor(i / SYNTH_BLOCK_SIZE);
    if (b !== planBlockIndex) { plan = planBlock(opts.seed, b, cohort); planBlockIndex = b; }
    yield recordFromPlan(opts, fs, cohort, i, plan!);
  }
}
