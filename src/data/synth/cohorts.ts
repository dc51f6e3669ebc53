/**
 * Cohorts: where and with what an ECG was recorded. A cohort fixes the device
 * (gain error, band limits, mains frequency, noise) and the population
 * (age, sex, disease mix), so several synthetic cohorts differ the way real
 * hospitals and databases do (domain shift), while sharing the same physiology.
 */
import { OptionError } from '../../util/errors.js';
import type { Superclass } from './criteria.js';
import type { NoiseLevels } from './noise.js';

export interface CohortSpec {
  name: string;
  description: string;
  /** Device gain: recorded mV per true mV. */
  gain: number;
  /** High-pass / low-pass cut-offs of the device, Hz (null: none). */
  highpassHz: number | null;
  lowpassHz: number | null;
  noise: NoiseLevels;
  /** Age distribution (normal, clipped to 18..95) and share of men. */
  ageMean: number;
  ageSd: number;
  maleFraction: number;
  /** Marginal prevalence of each superclass (NORM excludes the others). */
  prevalence: Record<Superclass, number>;
  /** Share of ECGs in atrial fibrillation (only abnormal ECGs; PTB-XL AFIB ~7%, CODE-15% AF ~1.7%). */
  afibFraction: number;
  /** Share of ECGs with premature ventricular complexes (1-3 in a record; PTB-XL PVC ~5%). */
  pvcFraction: number;
  /** Systematic precordial electrode placement offset (horizontal rotation), degrees. */
  placementDeg: number;
  /** Shift of the population's heart rate, bpm. */
  hrShiftBpm: number;
}

/** PTB-XL's superclass prevalence (Wagner et al. 2020, 21,799 records). */
export const PTBXL_PREVALENCE: Record<Superclass, number> = { NORM: 0.44, MI: 0.25, STTC: 0.24, CD: 0.22, HYP: 0.12 };

const quiet: NoiseLevels = { baselineMv: 0, emgMv: 0, powerlineMv: 0, powerlineHz: 50 };

export const SYNTH_COHORTS: Readonly<Record<string, CohortSpec>> = {
  ptbxl: {
    name: 'ptbxl', description: 'German university hospital (Schiller devices), PTB-XL demographics and disease mix, 50 Hz mains',
    gain: 1, highpassHz: null, lowpassHz: 150,
    noise: { baselineMv: 0.12, emgMv: 0.012, powerlineMv: 0.02, powerlineHz: 50 },
    ageMean: 60, ageSd: 17, maleFraction: 0.52, prevalence: PTBXL_PREVALENCE, afibFraction: 0.07, pvcFraction: 0.05, placementDeg: 0, hrShiftBpm: 0,
  },
  code15: {
    name: 'code15', description: 'Brazilian telehealth primary care (CODE-15%): younger, mostly normal, noisier, 60 Hz mains',
    gain: 1, highpassHz: 0.5, lowpassHz: 100,
    noise: { baselineMv: 0.18, emgMv: 0.025, powerlineMv: 0.03, powerlineHz: 60 },
    ageMean: 52, ageSd: 18, maleFraction: 0.4, prevalence: { NORM: 0.62, MI: 0.08, STTC: 0.14, CD: 0.17, HYP: 0.07 }, afibFraction: 0.017, pvcFraction: 0.03, placementDeg: 4, hrShiftBpm: 3,
  },
  'clinic-a': {
    name: 'clinic-a', description: 'cardiology ward: older and sicker, 40 Hz low-pass monitor filter, 50 Hz mains',
    gain: 1.08, highpassHz: 0.05, lowpassHz: 40,
    noise: { baselineMv: 0.08, emgMv: 0.008, powerlineMv: 0.01, powerlineHz: 50 },
    ageMean: 68, ageSd: 13, maleFraction: 0.6, prevalence: { NORM: 0.25, MI: 0.38, STTC: 0.33, CD: 0.3, HYP: 0.18 }, afibFraction: 0.1, pvcFraction: 0.08, placementDeg: -6, hrShiftBpm: 2,
  },
  'clinic-b': {
    name: 'clinic-b', description: 'community screening: middle-aged, 0.67 Hz high-pass, lower gain, 60 Hz mains',
    gain: 0.92, highpassHz: 0.67, lowpassHz: 100,
    noise: { baselineMv: 0.1, emgMv: 0.015, powerlineMv: 0.04, powerlineHz: 60 },
    ageMean: 50, ageSd: 15, maleFraction: 0.48, prevalence: { NORM: 0.55, MI: 0.15, STTC: 0.2, CD: 0.18, HYP: 0.1 }, afibFraction: 0.03, pvcFraction: 0.04, placementDeg: 8, hrShiftBpm: -2,
  },
  ambulatory: {
    name: 'ambulatory', description: 'exercise/ambulatory 12-lead: young, faster rates, heavy EMG and baseline wander, 0.5-40 Hz',
    gain: 1.05, highpassHz: 0.5, lowpassHz: 40,
    noise: { baselineMv: 0.3, emgMv: 0.05, powerlineMv: 0.02, powerlineHz: 50 },
    ageMean: 42, ageSd: 14, maleFraction: 0.55, prevalence: { NORM: 0.7, MI: 0.08, STTC: 0.12, CD: 0.1, HYP: 0.06 }, afibFraction: 0.01, pvcFraction: 0.06, placementDeg: 0, hrShiftBpm: 15,
  },
  ideal: {
    name: 'ideal', description: 'noise-free, unfiltered, exact gain, sinus rhythm: the ground-truth waves describe the signal exactly (tests, demos)',
    gain: 1, highpassHz: null, lowpassHz: null, noise: quiet,
    ageMean: 60, ageSd: 17, maleFraction: 0.52, prevalence: PTBXL_PREVALENCE, afibFraction: 0, pvcFraction: 0, placementDeg: 0, hrShiftBpm: 0,
  },
};

/** Looks up a named cohort or checks a given spec. */
export function resolveCohort(c: CohortSpec | string | undefined, fallback = 'ptbxl'): CohortSpec {
  if (c === undefined) return SYNTH_COHORTS[fallback]!;
  if (typeof c !== 'string') return c;
  const spec = SYNTH_COHORTS[c];
  if (!spec) throw new OptionError('cohort', `unknown cohort '${c}' (expected one of ${Object.keys(SYNTH_COHORTS).join('|')})`);
  return spec;
}
