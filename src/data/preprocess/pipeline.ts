import type { Ecg } from '../ecg.js';
import { OptionError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { deriveEcg } from './derive.js';
import { butterworth, notchFilter } from './design.js';
import { DEFAULT_FILTER_ORDER, DEFAULT_NOTCH_Q, filterEcg } from './filter-ecg.js';
import { resampleEcg } from './resample-ecg.js';
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
}

const SPEC_KEYS = new Set(['fs', 'bandpass', 'highpass', 'notch', 'filterOrder', 'notchQ', 'standardize', 'length', 'crop', 'leads', 'missingLeads']);

/**
 * Applies a PreprocessSpec, always in this order:
 *  1. leads: select/reorder;
 *  2. filters, then resampling when going down in rate (filters first, so the
 *     notch and cut-offs act at the higher rate, before anything aliases);
 *     resampling, then filters when going up. Filters run notch, high-pass,
 *     band-pass, each zero-phase;
 *  3. standardize (statistics over the whole record, before any padding);
 *  4. crop/pad to `length`.
 * Bad fields throw OptionError naming the field (e.g. `bandpass: ...`).
 * Missing samples stay NaN (see gaps.ts); the input is never modified.
 */
export function preprocess(ecg: Ecg, spec: PreprocessSpec, rng?: Rng): Ecg {
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw new OptionError(key, `unknown preprocessing option; expected one of ${[...SPEC_KEYS].join(', ')}`);
  }
  const fsOut = spec.fs ?? ecg.fs;
  const fsFilter = Math.max(ecg.fs, fsOut);
  const order = spec.filterOrder ?? DEFAULT_FILTER_ORDER;
  const q = checkQ(spec.notchQ);
  // Design everything first, so a bad field fails before any work.
  const filters = [
    spec.notch !== undefined && named('notch', () => notchFilter(spec.notch!, q, fsFilter)),
    spec.highpass !== undefined && named('highpass', () => butterworth(order, spec.highpass!, fsFilter, 'highpass')),
    spec.bandpass !== undefined &&
      named('bandpass', () => {
        if (!Array.isArray(spec.bandpass) || spec.bandpass.length !== 2) throw new OptionError('bandpass', `expected [low, high] in Hz, got ${String(spec.bandpass)}`);
        return butterworth(order, spec.bandpass, fsFilter, 'bandpass');
      }),
  ].filter((f) => f !== false);
  if (spec.length !== undefined && !(Number.isInteger(spec.length) && spec.length >= 1)) {
    throw new OptionError('length', `expected an integer number of samples >= 1, got ${spec.length}`);
  }
  if (spec.crop === 'random' && spec.length !== undefined && !rng) throw new OptionError('crop', "'random' needs a seeded Rng");

  let out = spec.leads ? selectLeads(ecg, spec.leads, { missing: spec.missingLeads ?? 'error' }) : ecg;
  const resampleStep = (e: Ecg): Ecg => (e.fs === fsOut ? e : named('fs', () => resampleEcg(e, fsOut)));
  if (fsOut > ecg.fs) out = resampleStep(out);
  for (const sos of filters) out = filterEcg(out, sos);
  if (fsOut < ecg.fs) out = resampleStep(out);
  if (spec.standardize) out = standardize(out);
  if (spec.length !== undefined) out = named('crop', () => cropOrPad(out, spec.length!, { mode: spec.crop ?? 'center', ...(rng ? { rng } : {}) }));
  return out === ecg ? deriveEcg(ecg, { signal: ecg.signal.slice() }) : out;
}

function checkQ(q: number | undefined): number {
  if (q === undefined) return DEFAULT_NOTCH_Q;
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
