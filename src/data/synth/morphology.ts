/**
 * A person's beat as dipole components: a normal heart shaped by stable
 * individual traits, age and sex, then modified by disease. Times are seconds
 * relative to the R peak at RR = 1 s; placeBeat adapts them to each beat.
 *
 * Age and sex effects follow the normal-ECG literature (e.g. Rijnbeek et al.
 * 2014; Macfarlane's Glasgow normal limits): the frontal QRS axis turns left
 * (~0.6 deg/year), QRS and T voltages fall (~0.6%/year), P widens, PR
 * (~0.6 ms/year) and QTc (~0.5 ms/year) lengthen and heart-rate variability falls with age;
 * women have lower QRS voltage, slightly narrower QRS, longer QTc and faster
 * rates. Each effect has individual scatter around it.
 */
import type { Sex } from '../ecg.js';
import type { DipoleComponent, PlacedBeat } from './beat.js';
import { Rng } from '../../util/rng.js';
import { add, dot, leadsDirection, norm, rotateFrontal, rotateHorizontal, scale, unit, type Vec3 } from './vcg.js';

/** Stable individual traits: standard-normal z-scores drawn once per patient. */
export interface Traits {
  axis: number; horizontal: number; qrsAmp: number; tAmp: number; pAmp: number;
  pr: number; qtc: number; qrsWidth: number; septal: number; hr: number; hrv: number;
}

export function drawTraits(rng: Rng): Traits {
  const z = (): number => Math.max(-2.5, Math.min(2.5, rng.normal()));
  return { axis: z(), horizontal: z(), qrsAmp: z(), tAmp: z(), pAmp: z(), pr: z(), qtc: z(), qrsWidth: z(), septal: z(), hr: z(), hrv: z() };
}

export type MiKind = 'IMI' | 'ASMI' | 'AMI' | 'ALMI' | 'ILMI' | 'LMI';
export type SttcKind = 'NDT' | 'NST_' | 'ISC_' | 'ISCAL' | 'ISCIN';
export type CdKind = 'CLBBB' | 'CRBBB' | 'IRBBB' | '1AVB' | 'LAFB' | 'IVCD';

/** Disease of one patient; severities in [0, 1]. */
export interface Conditions {
  mi?: { kind: MiKind; severity: number; tInversion: boolean };
  sttc?: { kind: SttcKind; severity: number };
  cd?: { kinds: CdKind[]; severity: number };
  /** `lvhMv`: extra leftward-posterior QRS force of the hypertrophied left ventricle, mV (set so Sokolow-Lyon meets a target). */
  hyp?: { severity: number; strain: boolean; lae: boolean; lvhMv: number };
}

/** SCP codes (PTB-XL) for the conditions; NORM when there are none. */
export function conditionCodes(c: Conditions): string[] {
  const codes: string[] = [];
  if (c.mi) codes.push(c.mi.kind);
  if (c.sttc) {
    codes.push(c.sttc.kind);
    if (c.sttc.kind !== 'NDT') codes.push('STD_');
  }
  if (c.cd) codes.push(...c.cd.kinds);
  if (c.hyp) codes.push('LVH', ...(c.hyp.lae ? ['LAO/LAE'] : []));
  return codes.length ? codes : ['NORM'];
}

const MI_LEADS: Record<MiKind, string[]> = {
  IMI: ['II', 'III', 'aVF'],
  ASMI: ['V1', 'V2', 'V3'],
  AMI: ['V2', 'V3', 'V4'],
  ALMI: ['V3', 'V4', 'V5', 'I', 'aVL'],
  ILMI: ['II', 'III', 'aVF', 'V5', 'V6'],
  LMI: ['I', 'aVL', 'V5', 'V6'],
};

/** Rate-independent description of one person's beat plus rhythm parameters. */
export interface BeatModel {
  components: DipoleComponent[];
  /** Mean heart rate (bpm) and SDNN (s) this person tends to. */
  hrBpm: number;
  sdnnS: number;
  /** LF/HF power ratio of heart-rate variability. */
  lfHf: number;
}

/** Time of the J point (end of QRS) in the template, s: where ST plateaus start. */
function qrsEnd(cs: DipoleComponent[]): number {
  return Math.max(...cs.filter((c) => c.wave === 'QRS').map((c) => c.t + 2.45 * c.sigma));
}
function qrsStart(cs: DipoleComponent[]): number {
  return Math.min(...cs.filter((c) => c.wave === 'QRS').map((c) => c.t - 2.45 * c.sigma));
}

/** Direction that raises R(V5/V6) and S(V1) together: V5 minus V1 lead vectors. */
export const LVH_DIRECTION: Vec3 = unit([1.64, -0.03, 0.83]);

const NORMAL_AXIS_DEG = 55; // frontal axis of the base vectors below
const NORMAL_QRS_S = 0.085; // QRS duration of the base components below

/**
 * Builds a person's beat. `age` is the age at this ECG; `visit` (optional)
 * jitters electrode placement and amplitudes slightly between one person's ECGs.
 */
export function buildBeatModel(tr: Traits, cond: Conditions, age: number, sex: Sex, visit?: Rng): BeatModel {
  const a = age - 20;
  const female = sex === 'F';
  const j = (sd: number): number => (visit ? visit.normal(0, sd) : 0);
  const ampQrs = Math.exp(0.12 * tr.qrsAmp + j(0.04)) * (1 - 0.006 * a) * (female ? 0.84 : 1);
  const ampT = Math.exp(0.15 * tr.tAmp + j(0.05)) * (1 - 0.006 * a) * (female ? 0.85 : 1);
  const ampP = Math.exp(0.2 * tr.pAmp + j(0.05)) * (1 + 0.002 * a);
  let axis = 66 - 0.6 * a + 12 * tr.axis + j(3);
  const horiz = 9 * tr.horizontal + j(3);
  let w = Math.min(1.15, Math.max(0.86, 1 + 0.045 * tr.qrsWidth + 0.0006 * a - (female ? 0.04 : 0)));
  let pr = Math.min(0.192, Math.max(0.118, 0.136 + 0.0006 * a + 0.012 * tr.pr + j(0.003)));
  const qtc = 0.39 + 0.0005 * a + (female ? 0.014 : 0) + 0.013 * tr.qtc;
  const hrBpm = 70 + 7 * tr.hr + (female ? 3 : 0) - 0.05 * a;
  const sdnnS = 0.055 * Math.exp(-0.013 * a + 0.25 * tr.hrv);
  const lfHf = 1.2 + 0.02 * a;

  const cd = new Set(cond.cd?.kinds ?? []);
  const sevCd = cond.cd?.severity ?? 0;
  if (cd.has('IVCD')) w *= 1.38 + 0.2 * sevCd;
  if (cd.has('LAFB')) axis = -50 - 20 * sevCd;
  if (cd.has('1AVB')) pr = 0.215 + 0.1 * sevCd;

  const orient = (v: Vec3, frontalShare = 1): Vec3 => rotateHorizontal(rotateFrontal(v, (axis - NORMAL_AXIS_DEG) * frontalShare), horiz);
  const septal = Math.exp(0.25 * tr.septal);
  let qrs: DipoleComponent[] = [
    { wave: 'QRS', t: -0.021 * w, sigma: 0.0075 * w, vec: orient(scale([-0.1, 0.04, -0.16], ampQrs * septal)) },
    { wave: 'QRS', t: 0, sigma: 0.0105 * w, vec: orient(scale([1.0, 0.72, 0.38], ampQrs)) },
    { wave: 'QRS', t: 0.023 * w, sigma: 0.0085 * w, vec: orient(scale([-0.3, -0.22, 0.5], ampQrs)) },
  ];
  let tVec = orient(scale([0.3, 0.17, -0.2], ampT), 0.5);
  const st: Vec3[] = [];

  if (cd.has('CLBBB')) {
    // Septum activated from the left: no septal q; slow, notched leftward-posterior R; discordant ST-T.
    const dir = orient([0.75, 0.25, 0.62]);
    const amp = ampQrs * (1.25 + 0.3 * sevCd);
    qrs = [
      { wave: 'QRS', t: -0.03, sigma: 0.012, vec: scale(orient([0.25, 0.05, 0.1]), ampQrs) },
      { wave: 'QRS', t: 0, sigma: 0.017, vec: scale(dir, amp) },
      { wave: 'QRS', t: 0.05, sigma: 0.019, vec: scale(dir, amp * 0.9) },
    ];
    tVec = add(scale(tVec, 0.2), scale(dir, -0.35 * ampT));
    st.push(scale(dir, -0.08 - 0.06 * sevCd));
  } else if (cd.has('CRBBB') || cd.has('IRBBB')) {
    // Late right-ventricular activation: terminal rightward-anterior force (R' in V1, wide S in I, V6).
    const full = cd.has('CRBBB');
    const dir: Vec3 = unit([-0.55, -0.05, -0.7]);
    const amp = ampQrs * (full ? 0.55 + 0.25 * sevCd : 0.45 + 0.15 * sevCd);
    qrs.push({ wave: 'QRS', t: full ? 0.055 : 0.047, sigma: full ? 0.017 : 0.014, vec: scale(dir, amp) });
    if (full) tVec = add(tVec, scale(dir, -0.12 * ampT));
  }

  const tComps = (v: Vec3): DipoleComponent[] => {
    // T is anchored to the J point so that a wide QRS (bundle branch block) lengthens QT.
    const s2 = 0.038;
    const t2 = qrsEnd(qrs) + qtc - NORMAL_QRS_S - 2.45 * s2;
    return [
      { wave: 'T', t: t2 - 0.06, sigma: 0.04, vec: scale(v, 0.4) },
      { wave: 'T', t: t2, sigma: s2, vec: scale(v, 0.85) },
    ];
  };

  // Left ventricular hypertrophy: a stronger leftward-posterior R force (tall R in V5-V6, deep S in V1-V2), strain ST-T.
  if (cond.hyp) {
    const s = cond.hyp.severity;
    const main = qrs.reduce((best, c, i) => (norm(c.vec) > norm(qrs[best]!.vec) ? i : best), 0);
    qrs[main] = { ...qrs[main]!, vec: add(qrs[main]!.vec, scale(LVH_DIRECTION, cond.hyp.lvhMv)) };
    if (cond.hyp.strain) {
      const lat = leadsDirection(['I', 'aVL', 'V5', 'V6']);
      tVec = add(tVec, scale(lat, -(1.2 + 0.8 * s) * Math.max(0, dot(tVec, lat)) - 0.05));
      st.push(scale(lat, -0.05 - 0.08 * s));
    }
  }

  // Myocardial infarction: initial forces point away from the dead wall (Q waves),
  // its R forces shrink, the injury current points toward it (ST elevation), T may invert.
  if (cond.mi) {
    const s = cond.mi.severity;
    const u = leadsDirection(MI_LEADS[cond.mi.kind]);
    const q0 = qrs[0]!;
    qrs = qrs.map((c) => (c.t >= -0.005 && c.t <= 0.01 ? { ...c, vec: add(c.vec, scale(u, -(0.4 + 0.4 * s) * Math.max(0, dot(c.vec, u)))) } : c));
    qrs.push({ wave: 'QRS', t: q0.t + 0.004, sigma: 0.013, vec: scale(u, -(0.35 + 0.5 * s) * Math.max(ampQrs, 0.6)) });
    st.push(scale(u, 0.13 + 0.22 * s));
    if (cond.mi.tInversion) tVec = add(tVec, scale(u, -(1.2 + 0.6 * s) * Math.max(0, dot(tVec, u)) - 0.08 * s));
  }

  // ST-T changes: subendocardial ischaemia pattern (ST depression toward the lateral/inferior leads), T flattening or inversion.
  if (cond.sttc) {
    const s = cond.sttc.severity;
    const k = cond.sttc.kind;
    const leads = k === 'ISCIN' ? ['II', 'III', 'aVF'] : k === 'ISCAL' ? ['V3', 'V4', 'V5', 'I', 'aVL'] : ['I', 'II', 'aVF', 'V4', 'V5', 'V6'];
    const u = leadsDirection(leads);
    const invert = k === 'NDT' || k === 'ISC_' || k === 'ISCAL' || k === 'ISCIN';
    if (invert) tVec = add(tVec, scale(u, -(1.5 + 0.6 * s) * Math.max(0, dot(tVec, u)) - 0.1 - 0.1 * s));
    else tVec = scale(tVec, 0.6);
    if (k !== 'NDT') st.push(scale(u, -(0.08 + 0.12 * s)));
  }

  const components: DipoleComponent[] = [...qrs, ...tComps(tVec)];
  const jS = qrsEnd(qrs);
  const t2 = components.filter((c) => c.wave === 'T').reduce((m, c) => Math.max(m, c.t), -Infinity);
  for (const v of st) components.push({ wave: 'ST', t: jS - 0.004, sigma: 0.008, tEnd: t2, vec: v });

  // Atria: right atrium first (inferior-anterior), then left (leftward-posterior); LAE widens and delays the left part.
  const lae = cond.hyp?.lae ?? false;
  const sP = (lae ? 0.019 : 0.0155) * (1 + 0.003 * a); // P widens with age (atrial fibrosis)
  const split = lae ? 0.022 : 0.013;
  // The PR segment (P offset to QRS onset) lasts at least 40 ms: a wide P lengthens PR.
  const pDur = 2 * split + 4.9 * sP;
  const pOn = qrsStart(qrs) - Math.max(pr, pDur + 0.04);
  const pMid = pOn + split + 2.45 * sP;
  components.push(
    { wave: 'P', t: pMid - split, sigma: sP, vec: orient(scale([0.04, 0.1, -0.06], ampP), 0.3) },
    { wave: 'P', t: pMid + split, sigma: sP, vec: orient(scale([0.1, 0.055, lae ? 0.12 : 0.05], ampP), 0.3) },
  );
  return { components, hrBpm, sdnnS, lfHf };
}

/** Scales every QRS component by `factor` (a patient's voltage cap). */
export function scaleQrs(model: BeatModel, factor: number): BeatModel {
  return { ...model, components: model.components.map((c) => (c.wave === 'QRS' ? { ...c, vec: scale(c.vec, factor) } : c)) };
}

/** J point in template time (s), where rate adaptation of the ST-T segment is anchored. */
const J_S = 0.04;

/** Beat-to-beat variation not explained by rate or respiration. */
export interface BeatJitter {
  /** Amplitude factor of the whole beat (around 1). */
  amp: number;
  /** Shift of the T wave, s. */
  tShiftS: number;
}

/**
 * Places a beat at R time `rS` after an RR interval `rrS`: ST-T stretches with
 * the square root of RR (Bazett), PR shortens slightly at fast rates,
 * respiration (`resp` in [-1, 1]) turns the electrical axis and modulates
 * amplitude, and `jitter` adds small beat-to-beat variation.
 */
export function placeBeat(model: BeatModel, rS: number, rrS: number, resp: number, jitter: BeatJitter = { amp: 1, tShiftS: 0 }): PlacedBeat {
  const rr = Math.min(2, Math.max(0.3, rrS));
  const f = Math.sqrt(rr);
  const fp = rr ** 0.1;
  const k = (1 + 0.03 * resp) * jitter.amp;
  const turn = (v: Vec3): Vec3 => scale(rotateFrontal(v, 3 * resp), k);
  const components = model.components.map((c): DipoleComponent => {
    switch (c.wave) {
      case 'P': return { ...c, t: c.t * fp, vec: scale(c.vec, jitter.amp) };
      case 'QRS': return { ...c, vec: turn(c.vec) };
      case 'T': return { ...c, t: J_S + (c.t - J_S) * f + jitter.tShiftS, sigma: c.sigma * Math.sqrt(f), vec: turn(c.vec) };
      case 'ST': return { ...c, tEnd: J_S + (c.tEnd! - J_S) * f + jitter.tShiftS, vec: turn(c.vec) };
    }
  });
  return { rS, components };
}

/**
 * A premature ventricular complex from an ectopic focus: no P wave, a wide
 * QRS whose direction depends on the focus (`focus`, a unit vector), a T wave
 * and ST opposite to it (secondary repolarisation changes).
 */
export function pvcModel(base: BeatModel, focus: Vec3, ampMv: number): BeatModel {
  const late = unit(add(focus, [0.3, 0.2, 0.3]));
  const components: DipoleComponent[] = [
    { wave: 'QRS', t: -0.03, sigma: 0.022, vec: scale(focus, 0.6 * ampMv) },
    { wave: 'QRS', t: 0.03, sigma: 0.028, vec: scale(late, ampMv) },
    { wave: 'T', t: 0.28, sigma: 0.06, vec: scale(focus, -0.3 * ampMv) },
    { wave: 'ST', t: 0.1, sigma: 0.01, tEnd: 0.28, vec: scale(focus, -0.08 * ampMv) },
  ];
  return { ...base, components };
}
