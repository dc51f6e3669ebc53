import type { Ecg } from '../ecg.js';
import { OptionError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { deriveEcg } from './derive.js';
import { butterworth, notchFilter } from './design.js';
import { DEFAULT_FILTER_ORDER, DEFAULT_NOTCH_Q, filterEcg } from './filter-ecg.js';
import { resampleRatio } from './resample.js';
import { resampleEcg } from './resample-ecg.js';
import type { Sos } from './sos.js';
import { cropOrPad, selectLeads, type CropMode } from './shape.js';
import { standardize } from './standardize.js';

/** What preprocess does to a record; every field is optional (absent = step skipped). */
export interface PreprocessSpec {
  /** Target sampling rate, Hz. */
  fs?: number;
  /** Zero-phase Butterworth band-pass [low, high], Hz. */
  bandpass?: [number, number];
  /** Zero-phase Butterworth high-pass (baseline wander), Hz, e.g. 0.5. */
  highpass?: number;
  /** Power-line notch frequency, Hz (50 or 60). */
  notch?: number;
  /** Butterworth order for bandpass/highpass (default 2). */
  filterOrder?: number;
  /** Quality factor of the notch (default 30). */
  notchQ?: number;
  /** Per-lead z-score. */
  standardize?: boolean;
  /** Samples per lead after resampling (crop or zero-pad). */
  length?: number;
  /** Where the window goes when cropping/padding to `length` (default 'center'; 'random' needs an Rng). */
  crop?: CropMode;
  /** Leads to keep, in this order (canonical names or any known spelling). */
  leads?: string[];
  /** What to do when a record lacks one of `leads` (default 'error'). */
  missingLeads?: 'error' | 'zero';
  /**
   * Replace missing samples (NaN) by this value as the last step, for models
   * that need finite input (0 = the lead's mean after standardize).
   * Default: missing samples stay NaN.
   */
  fillMissing?: number;
}

const SPEC_KEYS = new Set(['fs', 'bandpass', 'highpass', 'notch', 'filterOrder', 'notchQ', 'standardize', 'length', 'crop', 'leads', 'missingLeads', 'fillMissing']);

/**
 * Applies a PreprocessSpec, always in this order:
 *  1. leads: select/reorder;
 *  2. filters, then resampling when going down in rate (filters first, so the
 *     notch and cut-offs act at the higher rate, before anything aliases);
 *     resampling, then filters when going up. Filters run notch, high-pass,
 *     band-pass, each zero-phase;
 *  3. standardize (statistics over the whole record, before any padding);
 *  4. crop/pad to `length`;
 *  5. fillMissing.
 * Every field is checked (and the filters designed) before any work; a bad
 * one throws OptionError naming the field (e.g. `bandpass: ...`). Missing
 * samples stay NaN unless `fillMissing` is given (see gaps.ts); the input is
 * never modified.
 */
export function preprocess(ecg: Ecg, spec: PreprocessSpec, rng?: Rng): Ecg {
  const plan = planPreprocess(spec, ecg.fs, rng);
  let out = spec.leads ? selectLeads(ecg, spec.leads, { missing: spec.missingLeads ?? 'error' }) : ecg;
  if (plan.fs > ecg.fs) out = resampleEcg(out, plan.fs);
  for (const sos of plan.filters) out = filterEcg(out, sos);
  if (plan.fs < ecg.fs) out = resampleEcg(out, plan.fs);
  if (spec.standardize) out = standardize(out);
  if (spec.length !== undefined) out = cropOrPad(out, spec.length, { mode: spec.crop ?? 'center', ...(rng ? { rng } : {}) });
  if (spec.fillMissing !== undefined) out = fillMissing(out, spec.fillMissing);
  return out === ecg ? deriveEcg(ecg, { signal: ecg.signal.slice() }) : out;
}

/** Checks every field of `spec` for a record at `fsIn` Hz and designs its filters. */
function planPreprocess(spec: PreprocessSpec, fsIn: number, rng: Rng | undefined): { fs: number; filters: Sos[] } {
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw new OptionError(key, `unknown preprocessing option; expected one of ${[...SPEC_KEYS].join(', ')}`);
  }
  const fs = spec.fs ?? fsIn;
  named('fs', () => resampleRatio(fsIn, fs));
  const fsFilter = Math.max(fsIn, fs);
  const order = spec.filterOrder ?? DEFAULT_FILTER_ORDER;
  const q = checkQ(spec.notchQ ?? DEFAULT_NOTCH_Q);
  const filters: Sos[] = [];
  if (spec.notch !== undefined) filters.push(named('notch', () => notchFilter(spec.notch!, q, fsFilter)));
  if (spec.highpass !== undefined) filters.push(named('highpass', () => butterworth(order, spec.highpass!, fsFilter, 'highpass')));
  if (spec.bandpass !== undefined) {
    const band = spec.bandpass;
    if (!Array.isArray(band) || band.length !== 2) throw new OptionError('bandpass', `expected [low, high] in Hz, got ${String(band)}`);
    filters.push(named('bandpass', () => butterworth(order, band, fsFilter, 'bandpass')));
  }
  if (spec.length !== undefined && !(Number.isInteger(spec.length) && spec.length >= 1)) {
    throw new OptionError('length', `expected an integer number of samples >= 1, got ${spec.length}`);
  }
  if (spec.crop !== undefined && !['start', 'center', 'random'].includes(spec.crop)) {
    throw new OptionError('crop', `expected 'start', 'center' or 'random', got ${String(spec.crop)}`);
  }
  if (spec.crop === 'random' && spec.length !== undefined && !rng) throw new OptionError('crop', "'random' needs a seeded Rng");
  if (spec.missingLeads !== undefined && spec.missingLeads !== 'error' && spec.missingLeads !== 'zero') {
    throw new OptionError('missingLeads', `expected 'error' or 'zero', got ${String(spec.missingLeads)}`);
  }
  if (spec.fillMissing !== undefined && !Number.isFinite(spec.fillMissing)) {
    throw new OptionError('fillMissing', `expected a finite value in the signal's units, got ${spec.fillMissing}`);
  }
  return { fs, filters };
}

/** Replaces missing (non-finite) samples by `value`. */
export function fillMissing(ecg: Ecg, value: number): Ecg {
  return deriveEcg(ecg, { signal: ecg.signal.map((v) => (Number.isFinite(v) ? v : value)) });
}

function checkQ(q: number): number {
  if (!(Number.isFinite(q) && q > 0)) throw new OptionError('notchQ', `expected a quality factor > 0, got ${q}`);
  return q;
}

/** Reports an OptionError under the spec field that caused it. */
function named<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OptionError && e.option !== field) throw new OptionError(field, e.message);
    throw e;
  }
}
