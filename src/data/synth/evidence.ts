/**
 * Planted evidence: where, in one synthetic ECG, each label's evidence lives.
 *
 * A label's evidence is what its disease changed. The generator knows the
 * person's beat with and without the disease (the same traits, age, visit and
 * beat-to-beat jitter; only that condition removed: the "healthy twin"), so
 * for each part of the beat the disease acts on, the evidence is where the
 * noise-free signal of that part differs between the two:
 *
 *   MI    QRS (pathological Q, lost R), ST and T, in the leads facing the territory
 *         (and their reciprocal leads, which the same injury current deflects)
 *   STTC  ST and T where they are depressed, flattened or inverted
 *   CD    the QRS where a bundle branch block, LAFB or IVCD changed it; for 1AVB the
 *         PR interval (P onset to QRS onset) in every lead, since a long PR is
 *         a timing, not a shape: it has no healthy-twin difference of its own
 *   HYP   the QRS where the hypertrophied ventricle's force shows (the
 *         Sokolow-Lyon leads V1-V2 and V5-V6 among them), plus ST-T with strain
 *         and the P wave with left atrial enlargement
 *
 * Within a part, a lead shows the evidence when its largest difference reaches
 * EVIDENCE_LEAD_FRACTION of the part's largest over leads (and at least
 * EVIDENCE_FLOOR_MV); its samples are those where the difference reaches
 * EVIDENCE_SAMPLE_FRACTION of the lead's largest, runs closer than 20 ms
 * merged. Premature ventricular beats carry no evidence (the same in both).
 */
import type { EvidenceInterval, EvidenceMask, EvidenceMasks, EvidencePart, WaveAnnotations } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { leadValue, renderBeats, type ComponentWave, type PlacedBeat } from './beat.js';
import { placeBeat, type BeatJitter, type BeatModel, type Conditions } from './morphology.js';

/** A lead shows a part's evidence when its largest change reaches this fraction of the largest over leads. */
export const EVIDENCE_LEAD_FRACTION = 0.25;
/** Samples of a showing lead whose change reaches this fraction of the lead's largest change. */
export const EVIDENCE_SAMPLE_FRACTION = 0.1;
/** Changes below this (mV) are not evidence a reader could see. */
export const EVIDENCE_FLOOR_MV = 0.03;
/** Runs of evidence closer than this (s) are one run (a difference crossing zero inside a wave). */
const MERGE_GAP_S = 0.02;

/** How one beat of the record was placed, so that the twin's beats are placed the same way. */
export interface BeatPlacement {
  rS: number;
  rrS: number;
  resp: number;
  jitter: BeatJitter;
  /** Premature ventricular complex (no evidence). */
  ectopic: boolean;
}

export interface EvidenceInput {
  fs: number;
  n: number;
  conditions: Conditions;
  /** The visit's beat model for a set of conditions (same traits, age, visit draws, voltage scale, AF). */
  model: (conditions: Conditions) => BeatModel;
  placements: readonly BeatPlacement[];
  /** Ground-truth waves of the ECG (for the PR interval of 1AVB). */
  waves: WaveAnnotations;
}

/** What each label changes: the twin's conditions and the parts compared. */
function plans(c: Conditions): { label: string; codes: string[]; twin: Conditions; parts: ComponentWave[]; pr?: boolean }[] {
  const out: ReturnType<typeof plans> = [];
  if (c.mi) out.push({ label: 'MI', codes: [c.mi.kind], twin: { ...c, mi: undefined }, parts: ['QRS', 'ST', 'T'] });
  if (c.sttc) out.push({ label: 'STTC', codes: [c.sttc.kind], twin: { ...c, sttc: undefined }, parts: ['ST', 'T'] });
  if (c.cd) {
    const shape = c.cd.kinds.filter((k) => k !== '1AVB');
    const avb = c.cd.kinds.includes('1AVB');
    const twin: Conditions = { ...c, cd: avb ? { ...c.cd, kinds: ['1AVB'] } : undefined };
    out.push({ label: 'CD', codes: [...c.cd.kinds], twin, parts: shape.length ? ['QRS'] : [], pr: avb });
  }
  if (c.hyp) {
    const parts: ComponentWave[] = ['QRS', ...(c.hyp.strain ? (['ST', 'T'] as const) : []), ...(c.hyp.lae ? (['P'] as const) : [])];
    out.push({ label: 'HYP', codes: ['LVH', ...(c.hyp.lae ? ['LAO/LAE'] : [])], twin: { ...c, hyp: undefined }, parts });
  }
  return out;
}

/** Noise-free 12-lead signal (lead-major, float64) of one component kind of the placed beats. */
function renderPart(model: BeatModel, part: ComponentWave, placements: readonly BeatPlacement[], fs: number, n: number): Float64Array {
  const only: BeatModel = { ...model, components: model.components.filter((c) => c.wave === part) };
  const beats: PlacedBeat[] = placements.filter((p) => !p.ectopic).map((p) => placeBeat(only, p.rS, p.rrS, p.resp, p.jitter));
  const { indep } = renderBeats(beats.filter((b) => b.components.length > 0), fs, n);
  const out = new Float64Array(12 * n);
  for (let l = 0; l < 12; l++) for (let t = 0; t < n; t++) out[l * n + t] = leadValue(indep, n, l, t);
  return out;
}

/** Runs of samples where |d| >= thr, gaps up to `gap` samples bridged. */
function runs(d: Float64Array, o: number, n: number, thr: number, gap: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = 0; t < n; t++) {
    if (Math.abs(d[o + t]!) < thr) continue;
    const last = out[out.length - 1];
    if (last && t - last[1] - 1 <= gap) last[1] = t;
    else out.push([t, t]);
  }
  return out;
}

/** Evidence masks of a synthetic ECG by superclass (absent for NORM and for labels that changed nothing visible). */
export function plantedEvidence(e: EvidenceInput): EvidenceMasks {
  const out: EvidenceMasks = {};
  const gap = Math.round(MERGE_GAP_S * e.fs);
  const sick = e.model(e.conditions);
  for (const p of plans(e.conditions)) {
    const leads: Record<string, EvidenceInterval[]> = {};
    const add = (lead: string, iv: EvidenceInterval): void => void (leads[lead] ??= []).push(iv);
    if (p.parts.length) {
      const twin = e.model(p.twin);
      for (const part of p.parts) {
        const a = renderPart(sick, part, e.placements, e.fs, e.n), b = renderPart(twin, part, e.placements, e.fs, e.n);
        const d = new Float64Array(a.length);
        for (let k = 0; k < d.length; k++) d[k] = a[k]! - b[k]!;
        const peak = STANDARD_LEADS.map((_, l) => {
          let m = 0;
          for (let t = 0; t < e.n; t++) m = Math.max(m, Math.abs(d[l * e.n + t]!));
          return m;
        });
        const top = Math.max(...peak);
        const leadThr = Math.max(EVIDENCE_LEAD_FRACTION * top, EVIDENCE_FLOOR_MV);
        STANDARD_LEADS.forEach((name, l) => {
          if (peak[l]! < leadThr) return;
          for (const [on, off] of runs(d, l * e.n, e.n, EVIDENCE_SAMPLE_FRACTION * peak[l]!, gap)) add(name, { onset: on, offset: off, part: part as EvidencePart });
        });
      }
    }
    if (p.pr) {
      // The PR interval of each conducted beat: its P onset to the sample before its QRS onset.
      const fused = e.waves['*'] ?? [];
      for (const q of fused.filter((w) => w.wave === 'QRS')) {
        const pw = fused.filter((w) => w.wave === 'P' && w.offset < q.onset && q.onset - w.onset < 0.6 * e.fs).pop();
        if (pw) for (const name of STANDARD_LEADS) add(name, { onset: pw.onset, offset: q.onset - 1, part: 'PR' });
      }
    }
    for (const list of Object.values(leads)) list.sort((x, y) => x.onset - y.onset);
    if (Object.keys(leads).length) out[p.label] = { codes: p.codes, leads } satisfies EvidenceMask;
  }
  return out;
}
