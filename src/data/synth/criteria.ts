/**
 * Diagnostic criteria for the five PTB-XL superclasses, on measured features.
 * Simplified textbook rules (Minnesota-code style); the generator labels a
 * record with a class only if its noise-free beat meets that class's rule,
 * and NORM only if it meets none.
 */
import type { EcgFeatures } from './measure.js';

export type Superclass = 'NORM' | 'MI' | 'STTC' | 'CD' | 'HYP';
export const SUPERCLASSES: readonly Superclass[] = ['NORM', 'MI', 'STTC', 'CD', 'HYP'];

/** Leads facing each myocardial territory. */
export const TERRITORY_LEADS = {
  inferior: ['II', 'III', 'aVF'],
  anterior: ['V1', 'V2', 'V3', 'V4'],
  lateral: ['I', 'aVL', 'V5', 'V6'],
} as const;
export type Territory = keyof typeof TERRITORY_LEADS;

/** Leads where ST depression / T inversion count for STTC (T is upright there in a normal ECG). */
export const STTC_LEADS = ['I', 'II', 'aVF', 'V3', 'V4', 'V5', 'V6'] as const;

export const DIAGNOSTIC_CRITERIA = {
  /** Pathological Q: depth (mV) and duration (ms). */
  qDepthMv: 0.1,
  qDurMs: 30,
  /** ST elevation at J+60 ms, mV. */
  stElevationMv: 0.1,
  /** ST depression at J+60 ms, mV (as a positive number). */
  stDepressionMv: 0.05,
  /** Inverted T, mV (as a positive number). */
  tInversionMv: 0.1,
  /** Conduction: QRS duration, PR interval (ms), left axis deviation (deg). */
  qrsMs: 110,
  prMs: 200,
  axisDeg: -30,
  /** Sokolow-Lyon LVH voltage, mV. */
  sokolowLyonMv: 3.5,
} as const;

export interface CriteriaResult {
  MI: boolean;
  STTC: boolean;
  CD: boolean;
  HYP: boolean;
  /** Territories with pathological Q waves and ST elevation in >= 2 of their leads. */
  miTerritories: Territory[];
}

function count(leads: readonly string[], f: EcgFeatures, test: (l: EcgFeatures['leads'][string]) => boolean): number {
  return leads.filter((l) => f.leads[l] !== undefined && test(f.leads[l]!)).length;
}

export function pathologicalQ(l: EcgFeatures['leads'][string]): boolean {
  return l.qDepthMv >= DIAGNOSTIC_CRITERIA.qDepthMv && l.qDurMs >= DIAGNOSTIC_CRITERIA.qDurMs;
}

export function evaluateCriteria(f: EcgFeatures): CriteriaResult {
  const miTerritories = (Object.keys(TERRITORY_LEADS) as Territory[]).filter((t) => {
    const leads = TERRITORY_LEADS[t];
    return count(leads, f, pathologicalQ) >= 2 && count(leads, f, (l) => l.stMv >= DIAGNOSTIC_CRITERIA.stElevationMv) >= 2;
  });
  const stDep = count(STTC_LEADS, f, (l) => l.stMv <= -DIAGNOSTIC_CRITERIA.stDepressionMv);
  const tInv = count(STTC_LEADS, f, (l) => l.tMv <= -DIAGNOSTIC_CRITERIA.tInversionMv);
  return {
    MI: miTerritories.length > 0,
    STTC: stDep >= 2 || tInv >= 2,
    CD: f.qrsMs >= DIAGNOSTIC_CRITERIA.qrsMs || f.prMs > DIAGNOSTIC_CRITERIA.prMs || f.axisDeg < DIAGNOSTIC_CRITERIA.axisDeg,
    HYP: f.sokolowLyonMv > DIAGNOSTIC_CRITERIA.sokolowLyonMv,
    miTerritories,
  };
}

/** True when the features agree with the labels: every labelled class meets its rule; NORM meets none. */
export function labelsAgree(labels: readonly Superclass[], r: CriteriaResult): boolean {
  if (labels.includes('NORM')) return !r.MI && !r.STTC && !r.CD && !r.HYP;
  return labels.every((c) => r[c as Exclude<Superclass, 'NORM'>]);
}
