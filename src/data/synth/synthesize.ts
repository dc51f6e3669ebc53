/**
 * One synthetic 12-lead ECG: a patient's beat model placed on a sinus rhythm,
 * rendered with ground-truth waves, then recorded through a cohort's device
 * (electrode noise, band limits, gain).
 */
import { makeEcg, type Ecg, type Sex } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { INDEP_ROWS, renderBeats } from './beat.js';
import { resolveCohort, type CohortSpec } from './cohorts.js';
import type { Superclass } from './criteria.js';
import { buildBeatModel, conditionCodes, placeBeat, pvcModel, scaleQrs, type BeatModel, type Conditions } from './morphology.js';
import { plantedEvidence, type BeatPlacement } from './evidence.js';
import { addElectrodeNoise, applyDeviceFilters } from './noise.js';
import { synthesizePatient, type SynthPatient } from './patient.js';
import { addFibrillatoryWaves, makeAfibRhythm, makeRhythm } from './rhythm.js';
import { mixSeed } from './seed.js';
import { deriveTwelveLeads, LEAD_VECTORS, unit } from './vcg.js';

export interface SynthesizeOptions {
  /** Sampling rate, Hz (50..2000). */
  fs: number;
  /** Duration, s (default 10). */
  durationS?: number;
  /** Seed: the same seed and options give bit-identical output. */
  seed: number;
  /** Superclasses of a new patient (default: drawn with the cohort's prevalences). Ignored with `patient`. */
  classes?: Superclass[];
  /** Age at this ECG, years (18..95; default: the patient's, or drawn from the cohort). */
  age?: number;
  /** Sex of a new patient (default: drawn from the cohort). Ignored with `patient`. */
  sex?: Sex;
  /** Cohort name (see SYNTH_COHORTS) or spec; default 'ptbxl'. */
  cohort?: CohortSpec | string;
  /** An existing patient, for several ECGs of one person (see synthesizePatient). */
  patient?: SynthPatient;
  /** Atrial fibrillation for a new patient (default: drawn, see CohortSpec.afibFraction). Ignored with `patient`. */
  afib?: boolean;
  /** Mean heart rate, bpm (40..180; default: the patient's usual rate with some scatter). */
  heartRateBpm?: number;
  /** meta.recordId (default `synth-<seed>`). */
  recordId?: string;
  /** Compute the planted evidence masks per label into `ecg.evidence` (default false; see evidence.ts). */
  evidence?: boolean;
}

/** Rhythm code (PTB-XL SCP) for a mean heart rate. */
export function rhythmCode(hrBpm: number): 'SR' | 'SBRAD' | 'STACH' {
  return hrBpm < 60 ? 'SBRAD' : hrBpm > 100 ? 'STACH' : 'SR';
}

/**
 * With probability `fraction`, turns 1-3 beats inside the record into premature
 * ventricular complexes: each comes at 55-75% of the RR interval and is
 * followed by a full compensatory pause (the sinus rhythm goes on), so the next
 * sinus beat keeps its time. Edits `rS`/`rrS` in place; returns the indices.
 */
function placePvcs(rS: number[], rrS: number[], durationS: number, fraction: number, rng: Rng): Set<number> {
  const out = new Set<number>();
  if (!(rng.uniform() < fraction)) return out;
  const candidates = rS.map((r, i) => i).filter((i) => i > 0 && i + 1 < rS.length && rS[i]! > 0.5 && rS[i]! < durationS - 0.5);
  rng.shuffle(candidates);
  for (const i of candidates.slice(0, 1 + rng.int(3))) {
    if (out.has(i - 1) || out.has(i + 1)) continue;
    const rr = rS[i]! - rS[i - 1]!;
    rS[i] = rS[i - 1]! + rng.range(0.55, 0.75) * rr;
    rrS[i] = rS[i]! - rS[i - 1]!;
    rrS[i + 1] = rS[i + 1]! - rS[i]!;
    out.add(i);
  }
  return out;
}

export function synthesizeEcg(opts: SynthesizeOptions): Ecg {
  const durationS = opts.durationS ?? 10;
  if (!(opts.fs >= 50 && opts.fs <= 2000)) throw new OptionError('fs', `expected a sampling rate in 50..2000 Hz, got ${opts.fs}`);
  if (!(durationS > 0 && durationS <= 600)) throw new OptionError('durationS', `expected a duration in (0, 600] s, got ${durationS}`);
  if (!Number.isInteger(opts.seed)) throw new OptionError('seed', `expected an integer, got ${opts.seed}`);
  if (opts.heartRateBpm !== undefined && !(opts.heartRateBpm >= 40 && opts.heartRateBpm <= 180)) {
    throw new OptionError('heartRateBpm', `expected 40..180 bpm, got ${opts.heartRateBpm}`);
  }
  if (opts.age !== undefined && !(opts.age >= 18 && opts.age <= 95)) throw new OptionError('age', `expected 18..95 years, got ${opts.age}`);
  const cohort = resolveCohort(opts.cohort);
  const fs = opts.fs;
  const n = Math.round(durationS * fs);
  const rng = new Rng(opts.seed);
  const patient = opts.patient ?? synthesizePatient({
    seed: mixSeed(opts.seed, 0x5e7a11),
    cohort,
    ...(opts.classes ? { classes: opts.classes } : {}),
    ...(opts.age !== undefined ? { age: opts.age } : {}),
    ...(opts.sex ? { sex: opts.sex } : {}),
    ...(opts.afib !== undefined ? { afib: opts.afib } : {}),
  });
  const age = opts.age ?? patient.age;

  // rng.fork() is new Rng(rng.nextU32()): keeping the seed lets the evidence masks rebuild this visit's beat.
  const visitSeed = rng.nextU32();
  const visitModel = (conditions: Conditions): BeatModel => {
    const m = scaleQrs(buildBeatModel(patient.traits, conditions, age, patient.sex, new Rng(visitSeed)), patient.qrsScale);
    return patient.afib ? { ...m, components: m.components.filter((c) => c.wave !== 'P') } : m;
  };
  let model = scaleQrs(buildBeatModel(patient.traits, patient.conditions, age, patient.sex, new Rng(visitSeed)), patient.qrsScale);
  // AF: faster, irregular ventricular rate, no P waves, f waves instead.
  const hrBpm = opts.heartRateBpm ?? Math.min(150, Math.max(40, model.hrBpm + cohort.hrShiftBpm + (patient.afib ? 15 : 0) + rng.normal(0, 4)));
  const sdnnS = model.sdnnS * (60 / hrBpm) ** 1.5;
  const respHz = rng.range(0.18, 0.33);
  const rhythmRng = rng.fork();
  const rhythm = patient.afib
    ? makeAfibRhythm(hrBpm, respHz, -1.5, durationS + 1.5, rhythmRng)
    : makeRhythm({ hrBpm, sdnnS, lfHf: model.lfHf, respHz }, -1.5, durationS + 1.5, rhythmRng);
  let atrial: Float64Array | undefined;
  if (patient.afib) {
    model = { ...model, components: model.components.filter((c) => c.wave !== 'P') };
    atrial = new Float64Array(8 * n);
    addFibrillatoryWaves(atrial, n, fs, rhythmRng.range(0.03, 0.1), INDEP_ROWS.map((l) => LEAD_VECTORS[l]!), rhythmRng);
  }
  const beatRng = rng.fork();
  const ectopic = placePvcs(rhythm.rS, rhythm.rrS, durationS, patient.afib ? 0 : cohort.pvcFraction, rng.fork());
  const pvc = ectopic.size > 0 ? pvcModel(model, unit([beatRng.normal(), beatRng.normal(), beatRng.normal()]), beatRng.range(1.2, 2.2)) : model;
  const placements: BeatPlacement[] = rhythm.rS.map((r, i) => ({
    rS: r, rrS: rhythm.rrS[i]!, resp: rhythm.resp(r), ectopic: ectopic.has(i), jitter: { amp: 1 + beatRng.normal(0, 0.015), tShiftS: beatRng.normal(0, 0.003) },
  }));
  const beats = placements.map((p) => placeBeat(p.ectopic ? pvc : model, p.rS, p.rrS, p.resp, p.jitter));
  const { indep, waves } = renderBeats(beats, fs, n, atrial);
  const evidence = opts.evidence ? plantedEvidence({ fs, n, conditions: patient.conditions, model: visitModel, placements, waves }) : undefined;

  addElectrodeNoise(indep, n, fs, cohort.noise, rhythm.resp, rng.fork());
  applyDeviceFilters(indep, 8, n, fs, cohort.highpassHz, cohort.lowpassHz);
  const noisy = cohort.noise.baselineMv > 0 || cohort.noise.emgMv > 0 || cohort.noise.powerlineMv > 0;
  const gain = cohort.gain * (noisy ? 1 + rng.normal(0, 0.01) : 1); // per-device calibration scatter
  if (gain !== 1) for (let k = 0; k < indep.length; k++) indep[k] *= gain;

  const rrIn = rhythm.rS.map((r, i) => [r, rhythm.rrS[i]!] as const).filter(([r]) => r >= 0 && r < durationS).map(([, rr]) => rr);
  const meanHr = rrIn.length > 1 ? 60 / (rrIn.slice(1).reduce((s, v) => s + v, 0) / (rrIn.length - 1)) : hrBpm;
  const ecg = makeEcg({
    signal: deriveTwelveLeads(indep, n),
    fs,
    leads: STANDARD_LEADS,
    waves,
    meta: {
      recordId: opts.recordId ?? `synth-${opts.seed}`,
      patientId: patient.id,
      age: Math.round(age),
      sex: patient.sex,
      labels: [...conditionCodes(patient.conditions), ...(ectopic.size > 0 ? ['PVC'] : []), patient.afib ? 'AFIB' : rhythmCode(meanHr)],
      cohort: cohort.name,
      extra: {
        superclasses: patient.superclasses.join(','),
        heart_rate: Math.round(meanHr * 10) / 10,
        criteria_met: patient.criteriaMet,
        device: `synth-${cohort.name}`, // PTB-XL's 'device' column keeps the cohort through the writer
        synth_seed: opts.seed,
      },
    },
  });
  if (evidence) ecg.evidence = evidence;
  return ecg;
}
