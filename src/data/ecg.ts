import { canonicalLead } from './leads.js';

/** A wave of the cardiac cycle. */
export type WaveKind = 'P' | 'QRS' | 'T';

/** One annotated wave, in samples at the record's sampling rate. */
export interface WaveInterval {
  wave: WaveKind;
  /** First sample of the wave. */
  onset: number;
  /** Sample of the wave's peak, when known. */
  peak?: number;
  /** Last sample of the wave. */
  offset: number;
}

/**
 * Wave annotations of one record: per lead (keyed by canonical lead name) and/or
 * for all leads together (key `'*'`).
 */
export type WaveAnnotations = Record<string, WaveInterval[]>;

export type Sex = 'M' | 'F';

/** What part of the beat a stretch of planted evidence covers ('PR': P onset to QRS onset; 'artefact': a spurious signal). */
export type EvidencePart = 'P' | 'PR' | 'QRS' | 'ST' | 'T' | 'artefact';

/** One stretch of planted evidence in one lead, in samples (inclusive). */
export interface EvidenceInterval {
  onset: number;
  offset: number;
  part: EvidencePart;
}

/** Where one label's evidence lives in one ECG: intervals per lead (canonical lead names). */
export interface EvidenceMask {
  /** The diagnostic codes that planted it (e.g. IMI, CLBBB, 1AVB). */
  codes: string[];
  leads: Record<string, EvidenceInterval[]>;
}

/** Evidence masks of an ECG by label (superclass, or 'shortcut' for a planted artefact). */
export type EvidenceMasks = Record<string, EvidenceMask>;

export interface EcgMeta {
  /** Record identifier within its dataset (e.g. WFDB record name, PTB-XL ecg_id). */
  recordId: string;
  patientId?: string;
  /** Age in years. */
  age?: number;
  sex?: Sex;
  /** Label names that apply to this record (multi-label). */
  labels?: string[];
  /** Cohort or source database name; used by cohort-aware samplers. */
  cohort?: string;
  /** File the record was read from. */
  sourcePath?: string;
  /** Anything else the source provides (header comments, CSV columns). */
  extra?: Record<string, string | number | boolean | null>;
}

/**
 * One electrocardiogram. The signal is leads-major (`lead * nSamples + t`) in
 * millivolts; missing samples are NaN.
 */
export interface Ecg {
  /** Samples, leads-major, mV. Length = leads.length * nSamples. */
  signal: Float32Array;
  /** Sampling rate in Hz. */
  fs: number;
  /** Samples per lead. */
  nSamples: number;
  /** Canonical lead names in signal order. */
  leads: string[];
  meta: EcgMeta;
  /** Wave annotations, when the source has them. */
  waves?: WaveAnnotations;
  /** Planted evidence per label (synthetic ECGs: see data/synth/evidence.ts). */
  evidence?: EvidenceMasks;
}

/** Builds an Ecg, checking the signal length and canonicalising lead names. */
export function makeEcg(init: {
  signal: Float32Array;
  fs: number;
  leads: readonly string[];
  meta: EcgMeta;
  waves?: WaveAnnotations;
}): Ecg {
  const nLeads = init.leads.length;
  if (nLeads === 0) throw new RangeError('makeEcg: an ECG needs at least one lead');
  if (init.signal.length % nLeads !== 0) {
    throw new RangeError(`makeEcg: signal length ${init.signal.length} is not a multiple of ${nLeads} leads`);
  }
  if (!(init.fs > 0)) throw new RangeError(`makeEcg: sampling rate must be > 0 Hz, got ${init.fs}`);
  const ecg: Ecg = {
    signal: init.signal,
    fs: init.fs,
    nSamples: init.signal.length / nLeads,
    leads: init.leads.map(canonicalLead),
    meta: init.meta,
  };
  if (init.waves) ecg.waves = init.waves;
  return ecg;
}

/** A view of one lead's samples (no copy). */
export function leadSignal(ecg: Ecg, lead: number | string): Float32Array {
  const i = typeof lead === 'number' ? lead : ecg.leads.indexOf(canonicalLead(lead));
  if (i < 0 || i >= ecg.leads.length) throw new RangeError(`leadSignal: no lead ${String(lead)} in [${ecg.leads.join(', ')}]`);
  return ecg.signal.subarray(i * ecg.nSamples, (i + 1) * ecg.nSamples);
}

/** Duration in seconds. */
export function durationS(ecg: Ecg): number {
  return ecg.nSamples / ecg.fs;
}
