/**
 * Synthetic patients: sex, age, diagnosis and the individual traits that fix
 * their morphology, so that one patient's ECGs look alike. A patient's labels
 * are checked against the measured features of their noise-free beat
 * (criteria.ts); traits and severities are redrawn until they agree.
 */
import type { Sex } from '../ecg.js';
import { makeEcg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { Rng } from '../../util/rng.js';
import { OptionError } from '../../util/errors.js';
import { renderBeats } from './beat.js';
import type { CohortSpec } from './cohorts.js';
import { evaluateCriteria, labelsAgree, SUPERCLASSES, type Superclass } from './criteria.js';
import { measureEcg } from './measure.js';
import { buildBeatModel, drawTraits, placeBeat, scaleQrs, type BeatModel, type CdKind, type Conditions, type MiKind, type SttcKind, type Traits } from './morphology.js';
import { deriveTwelveLeads } from './vcg.js';

export interface SynthPatient {
  id: string;
  sex: Sex;
  /** Age at the first ECG, years. */
  age: number;
  superclasses: Superclass[];
  conditions: Conditions;
  traits: Traits;
  /** In atrial fibrillation (all of this patient's ECGs). */
  afib: boolean;
  /** QRS voltage factor keeping a normal heart's Sokolow-Lyon voltage under the LVH threshold (1 when not needed). */
  qrsScale: number;
  /** False in the rare case no draw met the labels' criteria within the attempts allowed. */
  criteriaMet: boolean;
}

function pick<T>(rng: Rng, table: readonly (readonly [T, number])[]): T {
  let u = rng.uniform() * table.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of table) if ((u -= w) < 0) return v;
  return table[table.length - 1]![0];
}

const MI_KINDS: readonly (readonly [MiKind, number])[] = [['IMI', 0.45], ['ASMI', 0.3], ['AMI', 0.06], ['ALMI', 0.06], ['ILMI', 0.06], ['LMI', 0.07]];
const STTC_KINDS: readonly (readonly [SttcKind, number])[] = [['NDT', 0.4], ['NST_', 0.2], ['ISC_', 0.2], ['ISCAL', 0.12], ['ISCIN', 0.08]];
const CD_KINDS: readonly (readonly [CdKind, number])[] = [['LAFB', 0.27], ['IRBBB', 0.17], ['1AVB', 0.16], ['IVCD', 0.12], ['CRBBB', 0.14], ['CLBBB', 0.14]];
/** Second conduction code sometimes found with the first (bifascicular block, 1AVB with a block). */
const CD_COMBOS: Partial<Record<CdKind, CdKind>> = { CRBBB: 'LAFB', LAFB: '1AVB', CLBBB: '1AVB', IVCD: '1AVB', IRBBB: 'LAFB' };

const solved = new Map<string, number[]>();
/**
 * Per-class probabilities q for the abnormal classes such that drawing them
 * independently and redrawing when none came up gives the target marginals.
 */
function abnormalDrawProbabilities(prev: Record<Superclass, number>): number[] {
  const key = JSON.stringify(prev);
  const hit = solved.get(key);
  if (hit) return hit;
  const abn = SUPERCLASSES.slice(1).map((c) => prev[c] / Math.max(1e-9, 1 - prev.NORM));
  let q = abn.slice();
  for (let it = 0; it < 500; it++) {
    const z = 1 - q.reduce((p, qi) => p * (1 - qi), 1);
    q = abn.map((a) => Math.min(0.999, a * z));
  }
  solved.set(key, q);
  return q;
}

/** Log-odds of an abnormal ECG per standard deviation of age above the cohort mean (PTB-XL: NORM ~52 y, MI ~67 y). */
export const AGE_LOGIT_PER_SD = 0.9;

/**
 * Draws a multi-label superclass set with the cohort's prevalences. `ageZ`
 * (age in cohort standard deviations from its mean) makes older people less
 * often normal; over a cohort's age distribution the marginals stay close.
 */
export function drawSuperclasses(rng: Rng, prevalence: Record<Superclass, number>, ageZ = 0): Superclass[] {
  const logit = Math.log(prevalence.NORM / (1 - prevalence.NORM)) - AGE_LOGIT_PER_SD * ageZ;
  if (rng.uniform() < 1 / (1 + Math.exp(-logit))) return ['NORM'];
  const q = abnormalDrawProbabilities(prevalence);
  for (;;) {
    const got = SUPERCLASSES.slice(1).filter((_, i) => rng.uniform() < q[i]!);
    if (got.length) return got;
  }
}

function drawConditions(rng: Rng, classes: readonly Superclass[]): Conditions {
  const sev = (): number => rng.uniform() ** 1.3;
  const c: Conditions = {};
  if (classes.includes('MI')) c.mi = { kind: pick(rng, MI_KINDS), severity: sev(), tInversion: rng.uniform() < 0.5 };
  if (classes.includes('STTC')) c.sttc = { kind: pick(rng, STTC_KINDS), severity: sev() };
  if (classes.includes('CD')) {
    const first = pick(rng, CD_KINDS);
    const second = CD_COMBOS[first];
    c.cd = { kinds: second && rng.uniform() < 0.15 ? [first, second] : [first], severity: sev() };
  }
  if (classes.includes('HYP')) {
    const s = sev();
    c.hyp = { severity: s, strain: rng.uniform() < 0.3 + 0.5 * s, lae: rng.uniform() < 0.2, lvhMv: 0 };
  }
  return c;
}

/** Renders two noise-free beats at RR = 1 s, for measuring a beat model. */
export function renderModelBeats(model: BeatModel, fs = 250): ReturnType<typeof makeEcg> {
  const n = Math.round(3 * fs);
  const r = renderBeats([placeBeat(model, 0.8, 1, 0), placeBeat(model, 1.8, 1, 0)], fs, n);
  return makeEcg({ signal: deriveTwelveLeads(r.indep, n), fs, leads: STANDARD_LEADS, meta: { recordId: 'model' }, waves: r.waves });
}

const MAX_ATTEMPTS = 30;
/** Normal hearts keep Sokolow-Lyon below this (mV), LVH hearts get 3.9-5.3 mV. */
const NORMAL_SL_CAP = 3.2;
/** No lead's QRS deflection exceeds this (mV); the tallest real LVH voltages are about 5 mV. */
const MAX_QRS_MV = 5;
const NORMAL_MARGIN = { axisDeg: -22, qrsMs: 104, prMs: 195 };

export interface SynthPatientOptions {
  seed: number;
  id?: string;
  classes?: Superclass[];
  age?: number;
  sex?: Sex;
  /** Atrial fibrillation (default: drawn for abnormal patients, see CohortSpec.afibFraction). */
  afib?: boolean;
  cohort: CohortSpec;
}

export function synthesizePatient(opts: SynthPatientOptions): SynthPatient {
  const rng = new Rng(opts.seed);
  const cohort = opts.cohort;
  const sex: Sex = opts.sex ?? (rng.uniform() < cohort.maleFraction ? 'M' : 'F');
  const age = opts.age ?? Math.round(Math.min(95, Math.max(18, rng.normal(cohort.ageMean, cohort.ageSd))));
  if (!(age >= 18 && age <= 95)) throw new OptionError('age', `expected 18..95 years, got ${age}`);
  let classes = opts.classes ? [...new Set(opts.classes)] : drawSuperclasses(rng, cohort.prevalence, (age - cohort.ageMean) / cohort.ageSd);
  for (const c of classes) if (!SUPERCLASSES.includes(c)) throw new OptionError('classes', `unknown superclass '${c}' (expected ${SUPERCLASSES.join('|')})`);
  if (classes.length === 0) classes = ['NORM'];
  if (classes.includes('NORM') && classes.length > 1) throw new OptionError('classes', `NORM excludes the other classes, got ${classes.join(',')}`);
  if (classes.includes('NORM') && opts.afib) throw new OptionError('afib', 'a NORM (normal) ECG cannot be in atrial fibrillation; give an abnormal class');
  classes = SUPERCLASSES.filter((c) => classes.includes(c));
  // AF is an abnormal ECG: drawn among abnormal patients only, keeping the cohort's overall share.
  const afibDraw = rng.uniform();
  const afib = opts.afib ?? (!classes.includes('NORM') && afibDraw < cohort.afibFraction / Math.max(1e-9, 1 - cohort.prevalence.NORM));
  let last: SynthPatient | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const traits = drawTraits(rng);
    traits.horizontal += cohort.placementDeg / 9;
    const conditions = drawConditions(rng, classes);
    let model = buildBeatModel(traits, conditions, age, sex);
    const sl = measureEcg(renderModelBeats(model)).sokolowLyonMv;
    let qrsScale = 1;
    if (conditions.hyp) {
      // Sokolow-Lyon grows about linearly with the LVH force: one secant step from a first guess.
      const target = 3.9 + 1.4 * conditions.hyp.severity;
      const k1 = Math.max(0.3, (target - sl) / 1.8);
      conditions.hyp.lvhMv = k1;
      const sl1 = measureEcg(renderModelBeats(buildBeatModel(traits, conditions, age, sex))).sokolowLyonMv;
      conditions.hyp.lvhMv = Math.max(0, sl1 > sl ? (k1 * (target - sl)) / (sl1 - sl) : k1);
      model = buildBeatModel(traits, conditions, age, sex);
    } else if (sl > NORMAL_SL_CAP) {
      qrsScale = rng.range(2.4, NORMAL_SL_CAP) / sl;
      model = scaleQrs(model, qrsScale);
    }
    const f = measureEcg(renderModelBeats(model));
    const maxQrs = Math.max(...Object.values(f.leads).map((l) => Math.max(l.rMv, l.sMv)));
    // Normal hearts keep a margin from the conduction thresholds, so that visit-to-visit and
    // respiratory variation do not carry them across.
    const margin = !classes.includes('NORM') || (f.axisDeg >= NORMAL_MARGIN.axisDeg && f.qrsMs <= NORMAL_MARGIN.qrsMs && f.prMs <= NORMAL_MARGIN.prMs);
    const ok = margin && maxQrs <= MAX_QRS_MV && labelsAgree(classes, evaluateCriteria(f));
    last = { id: opts.id ?? `synth-patient-${opts.seed >>> 0}`, sex, age, superclasses: classes, conditions, traits, afib, qrsScale, criteriaMet: ok };
    if (ok) break;
  }
  return last!;
}
